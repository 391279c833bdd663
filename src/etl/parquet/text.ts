import type { Column, Value } from "../../services/SourceDb.ts"
import { type Bounds, ColumnBuffer, type Dictionary } from "./buffer.ts"
import { ByteSink } from "./sink.ts"
import { comparePlain, compareUtf8, plainLength, UNPAIRED, writePlainText } from "./utf8.ts"
import { decimalTextProblem, describe } from "./values.ts"

const UNPAIRED_DETAIL = "is not valid Unicode (it has an unpaired surrogate, which UTF-8 cannot hold)"

/**
 * Values already in PLAIN BYTE_ARRAY form, written to pages in order. Holding bytes rather than the JavaScript
 * strings lets the rows' strings die young: retained until the row group is written, they would be promoted to
 * the old generation and make every garbage collection slower.
 */
class PlainValues {
  readonly sink = new ByteSink(1 << 16)
  private nextByte = 0

  /** Copies values from value number `from` (the one after the previous call's, or 0) until `maxBytes` are taken. */
  writeTo(sink: ByteSink, from: number, count: number, maxBytes: number): number {
    if (from === 0) this.nextByte = 0
    const bytes = this.sink.bytes
    const start = this.nextByte
    let end = start
    let value = from
    while (value < count && (value === from || end - start < maxBytes)) {
      end += 4 + plainLength(bytes, end)
      value++
    }
    sink.append(bytes.subarray(start, end))
    this.nextByte = end
    return value - from
  }

  /** Byte-wise min and max of the `count` values (code point order for UTF-8). */
  bounds(count: number): Bounds {
    const bytes = this.sink.bytes
    let min = 0
    let max = 0
    let at = 0
    for (let i = 0; i < count; i++) {
      if (comparePlain(bytes, at, min) < 0) min = at
      else if (comparePlain(bytes, at, max) > 0) max = at
      at += 4 + plainLength(bytes, at)
    }
    const value = (offset: number) => bytes.slice(offset + 4, offset + 4 + plainLength(bytes, offset))
    return { min: value(min), max: value(max) }
  }
}

/** The dictionary is abandoned once its entries take more than this (about Parquet's usual 1 MiB page). */
const MAX_DICTIONARY_BYTES = 1 << 20
/** Values looked at before judging whether a column repeats enough for a dictionary. */
const SAMPLE = 1024

/**
 * STRING and JSON columns (and decimals kept as text). Each row group starts with a dictionary (a Map from the text
 * to its index), kept while values repeat; otherwise the values are UTF-8 encoded as they come. Bounds are gathered
 * in JavaScript's UTF-16 order, which is code point order unless a string has a unit from U+D800 up: only then are
 * they recomputed exactly.
 */
export class TextBuffer extends ColumnBuffer {
  private readonly kind: "string" | "json" | "decimal"
  private readonly plain = new PlainValues()
  private entries: Map<string, number> | undefined = new Map()
  private entryList: Array<string> = []
  private readonly entryBytes = new ByteSink(1 << 12)
  private indexes = new Int32Array(1024)
  private min: string | undefined
  private max: string | undefined
  private highUnits = false

  constructor(column: Column, kind: "string" | "json" | "decimal") {
    super(column)
    this.kind = kind
  }

  protected reserve(count: number): void {
    if (this.entries !== undefined && count > this.indexes.length) {
      const grown = new Int32Array(Math.max(count, this.indexes.length * 2))
      grown.set(this.indexes.subarray(0, this.values))
      this.indexes = grown
    }
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "string") return `${describe(value)} is not a string`
    if (this.kind === "decimal") {
      const problem = decimalTextProblem(value)
      if (problem !== undefined) return problem
    }
    const entries = this.entries
    if (entries !== undefined) {
      const index = entries.get(value)
      if (index !== undefined) {
        this.indexes[this.values] = index
        return undefined
      }
      const problem = this.note(value, writePlainText(this.entryBytes, value))
      if (problem !== undefined) return problem
      this.indexes[this.values] = entries.size
      entries.set(value, entries.size)
      this.entryList.push(value)
      // The same rule as at the end of the row group (see `dictionary`), applied early to stop paying for the Map.
      if (this.entryBytes.length > MAX_DICTIONARY_BYTES || (this.values >= SAMPLE && entries.size * 2 > this.values)) {
        this.abandonDictionary(this.values + 1)
      }
      return undefined
    }
    return this.note(value, writePlainText(this.plain.sink, value))
  }

  /** Folds a newly encoded value into the bounds; returns what is wrong with it, if anything. */
  private note(text: string, seen: number): string | undefined {
    if (seen !== 0) {
      if (seen & UNPAIRED) return `${describe(text)} ${UNPAIRED_DETAIL}`
      this.highUnits = true
    }
    if (this.min === undefined || this.max === undefined) {
      this.min = text
      this.max = text
    } else if (text < this.min) {
      this.min = text
    } else if (text > this.max) {
      this.max = text
    }
    return undefined
  }

  /** Re-encodes the first `count` values as PLAIN and goes on without a dictionary. */
  private abandonDictionary(count: number): void {
    for (let i = 0; i < count; i++) writePlainText(this.plain.sink, this.entryList[this.indexes[i] as number] as string)
    this.entries = undefined
    this.entryList = []
  }

  estimatedBytes(): number {
    return this.entries === undefined
      ? this.plain.sink.length + this.rows
      : this.entryBytes.length + 4 * this.values + this.rows
  }

  override dictionary(): Dictionary | undefined {
    const entries = this.entries
    if (entries === undefined) return undefined
    // A dictionary pays when values repeat: at least twice each on average.
    if (this.values < 2 || entries.size * 2 > this.values) {
      this.abandonDictionary(this.values)
      return undefined
    }
    return { entries: entries.size, indexes: this.indexes, write: (sink) => sink.append(this.entryBytes.view()) }
  }

  writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    return this.plain.writeTo(sink, from, this.values, maxBytes)
  }

  bounds(): Bounds | undefined {
    if (this.min === undefined || this.max === undefined || this.kind === "json") return undefined
    if (!this.highUnits) return { min: this.min, max: this.max }
    if (this.entries === undefined) return this.plain.bounds(this.values)
    const sorted = [...this.entryList].sort(compareUtf8)
    return { min: sorted[0] as string, max: sorted[sorted.length - 1] as string }
  }

  protected clear(): void {
    this.plain.sink.reset()
    this.entryBytes.reset()
    this.entries = new Map()
    this.entryList = []
    this.min = undefined
    this.max = undefined
    this.highUnits = false
  }
}

/** BYTE_ARRAY without annotation: the values' own bytes. */
export class BytesBuffer extends ColumnBuffer {
  private readonly plain = new PlainValues()

  protected reserve(_count: number): void {}

  protected put(value: Exclude<Value, null>): string | undefined {
    if (!(value instanceof Uint8Array)) return `${describe(value)} is not a Uint8Array`
    this.plain.sink.uint32(value.length)
    this.plain.sink.append(value)
    return undefined
  }

  estimatedBytes(): number {
    return this.plain.sink.length + this.rows
  }

  writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    return this.plain.writeTo(sink, from, this.values, maxBytes)
  }

  // Opaque bytes: bounds would cost a comparison per value and rarely prune anything.
  bounds(): Bounds | undefined {
    return undefined
  }

  protected clear(): void {
    this.plain.sink.reset()
  }
}
