import type { Column, Value } from "../../services/SourceDb.ts"
import { type Bounds, ColumnBuffer, type Dictionary } from "./buffer.ts"
import type { ByteSink } from "./sink.ts"
import { decimalTextProblem, describe } from "./values.ts"

/** What the last `writeUtf8` met: 0 nothing special, 1 a UTF-16 unit from U+D800 up, 2 an unpaired surrogate. */
let unitsSeen = 0

/** Writes `text` as UTF-8 at `at` (room for 3 bytes per UTF-16 unit is reserved); returns the end. */
const writeUtf8 = (text: string, out: Uint8Array, at: number): number => {
  // A JavaScript loop beats Buffer.write and TextEncoder.encodeInto on the short strings of a table's cells, and it
  // finds unpaired surrogates (which those would silently replace with U+FFFD) on the way.
  let seen = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) {
      out[at++] = unit
    } else if (unit < 0x800) {
      out[at++] = 0xc0 | (unit >> 6)
      out[at++] = 0x80 | (unit & 0x3f)
    } else if (unit < 0xd800) {
      out[at++] = 0xe0 | (unit >> 12)
      out[at++] = 0x80 | ((unit >> 6) & 0x3f)
      out[at++] = 0x80 | (unit & 0x3f)
    } else {
      seen |= 1
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0
      if (unit >= 0xe000) {
        out[at++] = 0xe0 | (unit >> 12)
        out[at++] = 0x80 | ((unit >> 6) & 0x3f)
        out[at++] = 0x80 | (unit & 0x3f)
      } else if (unit < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00)
        out[at++] = 0xf0 | (point >> 18)
        out[at++] = 0x80 | ((point >> 12) & 0x3f)
        out[at++] = 0x80 | ((point >> 6) & 0x3f)
        out[at++] = 0x80 | (point & 0x3f)
        i++
      } else {
        seen |= 2
      }
    }
  }
  unitsSeen = seen
  return at
}

/** Appends `text` in PLAIN BYTE_ARRAY form: a 4-byte little-endian length, then the UTF-8 bytes. */
const writePlainText = (sink: ByteSink, text: string): void => {
  const out = sink.reserve(4 + 3 * text.length)
  const start = sink.length
  const end = writeUtf8(text, out, start + 4)
  const length = end - start - 4
  out[start] = length & 0xff
  out[start + 1] = (length >>> 8) & 0xff
  out[start + 2] = (length >>> 16) & 0xff
  out[start + 3] = length >>> 24
  sink.length = end
}

const UNPAIRED = "is not valid Unicode (it has an unpaired surrogate, which UTF-8 cannot hold)"

/** UTF-16 units from U+D800 up, reordered so that surrogates (code points above U+FFFF) sort after U+E000–U+FFFF. */
const codePointRank = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000)

/** Orders strings as their UTF-8 bytes (code point order), the order Parquet statistics of STRING columns use. */
export const compareUtf8 = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y
  }
  return a.length - b.length
}

/** The dictionary is abandoned once it would hold more than this (about Parquet's usual 1 MiB dictionary page). */
const MAX_DICTIONARY_CHARS = 1 << 20
/** Values looked at before deciding whether a column looks repetitive enough for a dictionary. */
const SAMPLE = 1024

/**
 * STRING and JSON columns (and decimals kept as text): the strings themselves, encoded when a page is written. Bounds
 * are gathered while encoding, in JavaScript's UTF-16 order, which is code point order unless a string has a unit
 * from U+D800 up: only then are they recomputed with `compareUtf8`.
 */
export class TextBuffer extends ColumnBuffer {
  private readonly kind: "string" | "json" | "decimal"
  private strings: Array<string> = []
  private chars = 0
  private indexes = new Int32Array(0)
  private min: string | undefined
  private max: string | undefined
  private highUnits = false

  constructor(column: Column, kind: "string" | "json" | "decimal") {
    super(column)
    this.kind = kind
  }

  protected reserve(_count: number): void {}

  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "string") return `${describe(value)} is not a string`
    if (this.kind === "decimal") {
      const problem = decimalTextProblem(value)
      if (problem !== undefined) return problem
    }
    this.strings[this.values] = value
    this.chars += value.length
    return undefined
  }

  estimatedBytes(): number {
    return 2 * this.chars + 8 * this.values + this.rows
  }

  /** Encodes one value (of value number `index`) and folds it into the bounds. */
  private encode(sink: ByteSink, text: string, index: number): void {
    writePlainText(sink, text)
    if (unitsSeen !== 0) {
      if (unitsSeen & 2) throw this.failure(this.rowOfValue(index), `${describe(text)} ${UNPAIRED}`)
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
  }

  writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    const strings = this.strings
    const limit = sink.length + maxBytes
    let i = from
    while (i < this.values && (i === from || sink.length < limit)) {
      this.encode(sink, strings[i] as string, i)
      i++
    }
    return i - from
  }

  override dictionary(): Dictionary | undefined {
    const strings = this.strings
    const count = this.values
    if (count < 2) return undefined
    if (this.indexes.length < count) this.indexes = new Int32Array(Math.max(count, this.indexes.length * 2))
    const indexes = this.indexes
    const entries = new Map<string, number>()
    const firstUse: Array<number> = []
    let chars = 0
    for (let i = 0; i < count; i++) {
      const text = strings[i] as string
      let index = entries.get(text)
      if (index === undefined) {
        index = entries.size
        entries.set(text, index)
        firstUse.push(i)
        chars += text.length
        if (chars > MAX_DICTIONARY_CHARS) return undefined
      }
      indexes[i] = index
      if (i === SAMPLE && entries.size > SAMPLE / 2) return undefined
    }
    // A dictionary pays when values repeat: at least twice each on average.
    if (entries.size * 2 > count) return undefined
    return {
      entries: entries.size,
      indexes,
      write: (sink) => {
        let entry = 0
        for (const text of entries.keys()) this.encode(sink, text, firstUse[entry++] as number)
      }
    }
  }

  bounds(): Bounds | undefined {
    if (this.min === undefined || this.max === undefined || this.kind === "json") return undefined
    if (!this.highUnits) return { min: this.min, max: this.max }
    let min = this.strings[0] as string
    let max = min
    for (let i = 1; i < this.values; i++) {
      const text = this.strings[i] as string
      if (compareUtf8(text, min) < 0) min = text
      else if (compareUtf8(text, max) > 0) max = text
    }
    return { min, max }
  }

  protected clear(): void {
    // Drop the references, so the previous row group's strings can be collected.
    this.strings = []
    this.chars = 0
    this.min = undefined
    this.max = undefined
    this.highUnits = false
  }
}

/** BYTE_ARRAY without annotation: the values' own bytes. */
export class BytesBuffer extends ColumnBuffer {
  private arrays: Array<Uint8Array> = []
  private size = 0

  protected reserve(_count: number): void {}

  protected put(value: Exclude<Value, null>): string | undefined {
    if (!(value instanceof Uint8Array)) return `${describe(value)} is not a Uint8Array`
    this.arrays[this.values] = value
    this.size += value.length
    return undefined
  }

  estimatedBytes(): number {
    return this.size + 4 * this.values + this.rows
  }

  writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    const limit = sink.length + maxBytes
    let i = from
    while (i < this.values && (i === from || sink.length < limit)) {
      const bytes = this.arrays[i++] as Uint8Array
      sink.uint32(bytes.length)
      sink.append(bytes)
    }
    return i - from
  }

  // Opaque bytes: bounds would cost a comparison per value and rarely prune anything.
  bounds(): Bounds | undefined {
    return undefined
  }

  protected clear(): void {
    this.arrays = []
    this.size = 0
  }
}
