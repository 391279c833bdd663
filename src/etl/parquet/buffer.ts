import type { SchemaElement } from "hyparquet"
import type { Column, Row, Value } from "../../services/SourceDb.ts"
import { ParquetEncodeError } from "./errors.ts"
import { schemaElement } from "./schema.ts"
import type { ByteSink } from "./sink.ts"

/** Min/max as `writeMetadata` (hyparquet-writer) serializes them: unscaled bigints for decimals. */
export interface Bounds {
  readonly min: number | bigint | boolean | string | Uint8Array
  readonly max: number | bigint | boolean | string | Uint8Array
}

/** A dictionary for a column chunk: its PLAIN-encoded entries and one index per non-NULL value. */
export interface Dictionary {
  readonly entries: number
  readonly indexes: Int32Array
  /** Writes the PLAIN encoding of the entries. */
  readonly write: (sink: ByteSink) => void
}

/**
 * One column of the row group being built: definition levels (1 = present) for a nullable column and the non-NULL
 * values, already in their Parquet physical form. Subclasses parse and store one value in `put`.
 */
export abstract class ColumnBuffer {
  readonly name: string
  readonly nullable: boolean
  readonly element: SchemaElement
  /** Rows in the current row group. */
  rows = 0
  /** Non-NULL values in the current row group. */
  values = 0
  defined: Uint8Array = new Uint8Array(0)
  /** Index in the file of the row group's first row. */
  private firstRow = 0

  constructor(column: Column) {
    this.name = column.name
    this.nullable = column.nullable
    this.element = schemaElement(column)
  }

  /** Stores `value` as value number `this.values` (room is reserved); returns what is wrong with it, if anything. */
  protected abstract put(value: Exclude<Value, null>): string | undefined
  /** Makes room for `count` values in all. */
  protected abstract reserve(count: number): void
  /** Bytes the row group's values of this column take, roughly, to bound a row group's memory. */
  abstract estimatedBytes(): number
  /** Writes PLAIN values from value number `from` until about `maxBytes` are written; returns how many. */
  abstract writeValues(sink: ByteSink, from: number, maxBytes: number): number
  /** Min and max of the chunk's values; asked after they were written (some are gathered while writing). */
  abstract bounds(): Bounds | undefined
  /** A dictionary, when one makes this chunk smaller. */
  dictionary(): Dictionary | undefined {
    return undefined
  }
  protected abstract clear(): void

  append(rows: ReadonlyArray<Row>, start: number, end: number, firstRow: number): void {
    const name = this.name
    if (this.rows === 0) this.firstRow = firstRow
    this.reserve(this.values + end - start)
    if (this.nullable && this.defined.length < this.rows + end - start) {
      const grown = new Uint8Array(Math.max(this.rows + end - start, this.defined.length * 2))
      grown.set(this.defined.subarray(0, this.rows))
      this.defined = grown
    }
    const defined = this.defined
    for (let r = start; r < end; r++) {
      const value = (rows[r] as Row)[name]
      if (value === null || value === undefined) {
        if (!this.nullable) throw this.failure(firstRow + r - start, "NULL in a column that is not nullable")
        defined[this.rows++] = 0
        continue
      }
      const problem = this.put(value)
      if (problem !== undefined) throw this.failure(firstRow + r - start, problem)
      if (this.nullable) defined[this.rows] = 1
      this.rows++
      this.values++
    }
  }

  reset(): void {
    this.rows = 0
    this.values = 0
    this.clear()
  }

  /** Index in the file of the row holding value number `index` of the row group. */
  protected rowOfValue(index: number): number {
    if (!this.nullable) return this.firstRow + index
    let seen = -1
    for (let row = 0; row < this.rows; row++) {
      seen += this.defined[row] as number
      if (seen === index) return this.firstRow + row
    }
    return this.firstRow + this.rows
  }

  failure(row: number, detail: string): ParquetEncodeError {
    return new ParquetEncodeError({ column: this.name, row, detail })
  }
}

const initialCapacity = 1024

/** Fixed-width values in one little-endian byte array, seen through typed arrays of each width. */
export abstract class FixedBuffer extends ColumnBuffer {
  protected readonly width: number
  protected data: Uint8Array = new Uint8Array(0)
  protected int32: Int32Array = new Int32Array(0)
  protected int64: BigInt64Array = new BigInt64Array(0)
  protected float32: Float32Array = new Float32Array(0)
  protected float64: Float64Array = new Float64Array(0)

  constructor(column: Column, width: number) {
    super(column)
    this.width = width
    this.reserve(initialCapacity)
  }

  protected reserve(count: number): void {
    if (count * this.width <= this.data.length) return
    // A multiple of 8 bytes, so that every view covers the whole buffer.
    const size = Math.ceil(Math.max(count * this.width, this.data.length * 2) / 8) * 8
    const grown = new Uint8Array(size)
    grown.set(this.data.subarray(0, this.values * this.width))
    this.data = grown
    this.int32 = new Int32Array(grown.buffer)
    this.int64 = new BigInt64Array(grown.buffer)
    this.float32 = new Float32Array(grown.buffer)
    this.float64 = new Float64Array(grown.buffer)
  }

  estimatedBytes(): number {
    return this.values * this.width + this.rows
  }

  writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    const count = Math.min(this.values - from, Math.max(1, Math.floor(maxBytes / this.width)))
    sink.append(this.data.subarray(from * this.width, (from + count) * this.width))
    return count
  }

  protected clear(): void {}

  /** Stores a 64-bit integer given as a safe-integer number, without allocating a bigint. */
  protected putInt64Number(value: number): void {
    const at = this.values * 2
    this.int32[at] = value % 4294967296 // ToInt32 keeps the low 32 bits, also of negative values
    this.int32[at + 1] = Math.floor(value / 4294967296)
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("storeflow's Parquet encoder needs a little-endian platform")
}
