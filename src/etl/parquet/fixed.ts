import type { Column, Value } from "../../services/SourceDb.ts"
import { type Bounds, FixedBuffer } from "./buffer.ts"
import type { ByteSink } from "./sink.ts"
import { describe, parseDate, parseDecimal, parseTimestamp, writeUuid } from "./values.ts"

/** A DECIMAL value's unscaled integer, or why the value is not one. */
const unscaledDecimal = (value: Exclude<Value, null>, precision: number, scale: number): number | bigint | string =>
  typeof value === "string"
    ? parseDecimal(value, precision, scale)
    : `${describe(value)} is not a decimal string like "1234.50"`

/** INT32 values (int16, int32, date, DECIMAL up to 9 digits) with their bounds. */
abstract class Int32Buffer extends FixedBuffer {
  private min = 0
  private max = 0

  constructor(column: Column) {
    super(column, 4)
  }

  protected store(value: number): void {
    this.int32[this.values] = value
    if (this.values === 0 || value < this.min) this.min = value
    if (this.values === 0 || value > this.max) this.max = value
  }

  bounds(): Bounds | undefined {
    return this.values === 0 ? undefined : { min: this.min, max: this.max }
  }
}

export class IntegerBuffer extends Int32Buffer {
  private readonly low: number
  private readonly high: number

  constructor(column: Column, bits: 16 | 32) {
    super(column)
    this.low = -(2 ** (bits - 1))
    this.high = 2 ** (bits - 1) - 1
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "number" || !Number.isInteger(value) || value < this.low || value > this.high) {
      return `${describe(value)} is not an integer in [${this.low}, ${this.high}]`
    }
    this.store(value)
    return undefined
  }
}

export class DateBuffer extends Int32Buffer {
  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "string") return `${describe(value)} is not a date "YYYY-MM-DD"`
    const days = parseDate(value)
    if (typeof days === "string") return days
    this.store(days)
    return undefined
  }
}

export class Decimal32Buffer extends Int32Buffer {
  private readonly precision: number
  private readonly scale: number

  constructor(column: Column, precision: number, scale: number) {
    super(column)
    this.precision = precision
    this.scale = scale
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    const unscaled = unscaledDecimal(value, this.precision, this.scale)
    if (typeof unscaled === "string") return unscaled
    // At most 9 digits: always a number.
    this.store(unscaled as number)
    return undefined
  }

  override bounds(): Bounds | undefined {
    const bounds = super.bounds()
    return bounds && { min: BigInt(bounds.min as number), max: BigInt(bounds.max as number) }
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** INT64 values (int64, timestamps, DECIMAL up to 18 digits): numbers while they are safe, bigints beyond. */
abstract class Int64Buffer extends FixedBuffer {
  private minNumber = Number.POSITIVE_INFINITY
  private maxNumber = Number.NEGATIVE_INFINITY
  private minBigint: bigint | undefined
  private maxBigint: bigint | undefined

  constructor(column: Column) {
    super(column, 8)
  }

  protected storeNumber(value: number): void {
    this.putInt64Number(value)
    if (value < this.minNumber) this.minNumber = value
    if (value > this.maxNumber) this.maxNumber = value
  }

  protected storeBigint(value: bigint): void {
    this.int64[this.values] = value
    if (this.minBigint === undefined || value < this.minBigint) this.minBigint = value
    if (this.maxBigint === undefined || value > this.maxBigint) this.maxBigint = value
  }

  /** A safe integer as a number, anything beyond as a bigint. */
  protected storeInt64(value: number | bigint): void {
    if (typeof value === "number") this.storeNumber(value)
    else this.storeBigint(value)
  }

  bounds(): Bounds | undefined {
    if (this.values === 0) return undefined
    const candidates = [this.minBigint, this.maxBigint]
    if (this.minNumber <= this.maxNumber) candidates.push(BigInt(this.minNumber), BigInt(this.maxNumber))
    const present = candidates.filter((value) => value !== undefined)
    return {
      min: present.reduce((a, b) => (b < a ? b : a)),
      max: present.reduce((a, b) => (b > a ? b : a))
    }
  }

  protected override clear(): void {
    this.minNumber = Number.POSITIVE_INFINITY
    this.maxNumber = Number.NEGATIVE_INFINITY
    this.minBigint = undefined
    this.maxBigint = undefined
  }
}

export class BigintBuffer extends Int64Buffer {
  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) return `${describe(value)} does not fit a 64-bit integer`
      this.storeBigint(value)
      return undefined
    }
    if (typeof value === "number" && Number.isSafeInteger(value)) {
      this.storeNumber(value)
      return undefined
    }
    return `${describe(value)} is not a 64-bit integer (a bigint)`
  }
}

export class TimestampBuffer extends Int64Buffer {
  private readonly utc: boolean

  constructor(column: Column, utc: boolean) {
    super(column)
    this.utc = utc
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    const micros =
      typeof value === "string" ? parseTimestamp(value, this.utc) : `${describe(value)} is not a timestamp string`
    if (typeof micros === "string") return micros
    this.storeInt64(micros)
    return undefined
  }
}

export class Decimal64Buffer extends Int64Buffer {
  private readonly precision: number
  private readonly scale: number

  constructor(column: Column, precision: number, scale: number) {
    super(column)
    this.precision = precision
    this.scale = scale
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    const unscaled = unscaledDecimal(value, this.precision, this.scale)
    if (typeof unscaled === "string") return unscaled
    // At most 18 digits always fit 64 bits.
    this.storeInt64(unscaled)
    return undefined
  }
}

/** DECIMAL above 18 digits: big-endian two's complement in FIXED_LEN_BYTE_ARRAY(width). */
export class DecimalFixedBuffer extends FixedBuffer {
  private readonly precision: number
  private readonly scale: number
  private min: bigint | undefined
  private max: bigint | undefined

  constructor(column: Column, precision: number, scale: number, width: number) {
    super(column, width)
    this.precision = precision
    this.scale = scale
  }

  protected put(value: Exclude<Value, null>): string | undefined {
    const parsed = unscaledDecimal(value, this.precision, this.scale)
    if (typeof parsed === "string") return parsed
    const unscaled = BigInt(parsed)
    let rest = unscaled
    const start = this.values * this.width
    for (let at = start + this.width - 1; at >= start; at--) {
      this.data[at] = Number(rest & 0xffn)
      rest >>= 8n
    }
    if (this.min === undefined || unscaled < this.min) this.min = unscaled
    if (this.max === undefined || unscaled > this.max) this.max = unscaled
    return undefined
  }

  bounds(): Bounds | undefined {
    return this.min === undefined || this.max === undefined ? undefined : { min: this.min, max: this.max }
  }

  protected override clear(): void {
    this.min = undefined
    this.max = undefined
  }
}

export class FloatBuffer extends FixedBuffer {
  private min = Number.POSITIVE_INFINITY
  private max = Number.NEGATIVE_INFINITY

  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "number") return `${describe(value)} is not a number`
    if (this.width === 4) this.float32[this.values] = value
    else this.float64[this.values] = value
    const stored = this.width === 4 ? Math.fround(value) : value
    // NaN has no place in min/max (the Parquet rule); comparisons with it are false anyway.
    if (stored < this.min) this.min = stored
    if (stored > this.max) this.max = stored
    return undefined
  }

  bounds(): Bounds | undefined {
    if (this.min > this.max) return undefined
    // Zero bounds are signed zeros so that a reader never skips a -0.0 or +0.0 it should match.
    return { min: this.min === 0 ? -0 : this.min, max: this.max === 0 ? 0 : this.max }
  }

  protected override clear(): void {
    this.min = Number.POSITIVE_INFINITY
    this.max = Number.NEGATIVE_INFINITY
  }
}

export class UuidBuffer extends FixedBuffer {
  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "string") return `${describe(value)} is not a UUID string`
    return writeUuid(value, this.data, this.values * 16)
  }

  // Random identifiers: bounds would cost a comparison per value and prune nothing.
  bounds(): Bounds | undefined {
    return undefined
  }
}

/** BOOLEAN: one byte per value while buffered, bit-packed in pages. */
export class BooleanBuffer extends FixedBuffer {
  private seen = 0 // bit 1: false seen, bit 2: true seen

  protected put(value: Exclude<Value, null>): string | undefined {
    if (typeof value !== "boolean") return `${describe(value)} is not a boolean`
    this.data[this.values] = value ? 1 : 0
    this.seen |= value ? 2 : 1
    return undefined
  }

  override writeValues(sink: ByteSink, from: number, maxBytes: number): number {
    const count = Math.min(this.values - from, maxBytes * 8)
    const bytes = sink.reserve((count + 7) >>> 3)
    let at = sink.length
    for (let i = 0; i < count; i += 8) {
      let byte = 0
      const end = Math.min(8, count - i)
      for (let bit = 0; bit < end; bit++) byte |= (this.data[from + i + bit] as number) << bit
      bytes[at++] = byte
    }
    sink.length = at
    return count
  }

  bounds(): Bounds | undefined {
    return this.seen === 0 ? undefined : { min: (this.seen & 1) === 0, max: (this.seen & 2) !== 0 }
  }

  protected override clear(): void {
    this.seen = 0
  }
}
