import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue
} from "@duckdb/node-api"
import { formatDecimal, formatTimestamp } from "../../src/etl/parquet/read.ts"
import type { Row, Value } from "../../src/services/SourceDb.ts"

// Nanoseconds are cut to microseconds toward the past, like the memory warehouse, so both agree on -1ns.
const floorDiv = (value: bigint, divisor: bigint): bigint => {
  const quotient = value / divisor
  return value < 0n && quotient * divisor !== value ? quotient - 1n : quotient
}

// A FLOAT arrives widened to a double (1.1 becomes 1.100000023841858): the shortest decimal that reads back as the
// same float is the number the source database had.
const shortestFloat32 = (value: number): number => {
  if (!Number.isFinite(value) || Math.fround(value) !== value) return value
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits))
    if (Math.fround(candidate) === value) return candidate
  }
  return value
}

const timestampMicros = (value: DuckDBValue): bigint | undefined => {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1000n
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000n
  if (value instanceof DuckDBTimestampNanosecondsValue) return floorDiv(value.nanos, 1000n)
  return undefined
}

/**
 * The canonical value (see `SourceDb`) of a DuckDB value. `float32` says the column is a FLOAT. Types storeflow has
 * no canonical form for (lists, structs, intervals, times, infinite dates) become DuckDB's own text for them.
 */
export const canonicalValue = (value: DuckDBValue, float32 = false): Value => {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") {
    return value
  }
  if (typeof value === "number") return float32 ? shortestFloat32(value) : value
  if (value instanceof DuckDBDecimalValue) return formatDecimal(value.value, value.scale)
  // A copy into a plain Uint8Array: DuckDB hands out a Buffer over its own memory.
  if (value instanceof DuckDBBlobValue) return new Uint8Array(value.bytes)
  if (value instanceof DuckDBDateValue) return value.toString()
  const micros = timestampMicros(value)
  if (micros !== undefined && (!("isFinite" in value) || value.isFinite)) {
    return formatTimestamp(micros, value instanceof DuckDBTimestampTZValue)
  }
  return String(value)
}

/** Rows of a result as objects keyed by (deduplicated) column name, in canonical values. */
export const canonicalRows = (
  names: ReadonlyArray<string>,
  float32: ReadonlyArray<boolean>,
  rows: ReadonlyArray<ReadonlyArray<DuckDBValue>>
): Array<Row> =>
  rows.map((row) => {
    const out: Record<string, Value> = {}
    names.forEach((name, i) => {
      out[name] = canonicalValue(row[i] ?? null, float32[i] === true)
    })
    return out
  })
