import { BigDecimal, Option } from "effect"
import type { Column, ColumnType, Value } from "../../src/services/SourceDb.ts"

const integerRange: Partial<Record<ColumnType, readonly [number, number]>> = {
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647]
}
const int64Min = -(2n ** 63n)
const int64Max = 2n ** 63n - 1n

const decimalPattern = /^-?\d+(\.\d+)?$/
const datePattern = /^\d{4}-\d{2}-\d{2}$/
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/
const timestamptzPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** How a value of each type must look; `undefined` when it does. */
const canonicalProblem = (type: ColumnType, value: Exclude<Value, null>): string | undefined => {
  switch (type) {
    case "int16":
    case "int32": {
      const [min, max] = integerRange[type] as readonly [number, number]
      return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
        ? undefined
        : `an integer number in [${min}, ${max}]`
    }
    case "int64":
      return typeof value === "bigint" && value >= int64Min && value <= int64Max ? undefined : "a bigint"
    case "float32":
    case "float64":
      return typeof value === "number" ? undefined : "a number"
    case "decimal":
      return typeof value === "string" && decimalPattern.test(value)
        ? undefined
        : 'an exact decimal string like "1234.50"'
    case "boolean":
      return typeof value === "boolean" ? undefined : "a boolean"
    case "date":
      return typeof value === "string" && datePattern.test(value) ? undefined : 'a date string "YYYY-MM-DD"'
    case "timestamp":
      return typeof value === "string" && timestampPattern.test(value)
        ? undefined
        : 'a timestamp string "YYYY-MM-DDTHH:MM:SS.ffffff"'
    case "timestamptz":
      return typeof value === "string" && timestamptzPattern.test(value)
        ? undefined
        : 'a UTC timestamp string "YYYY-MM-DDTHH:MM:SS.ffffffZ"'
    case "json":
      return typeof value === "string" && isJson(value) ? undefined : "a JSON text"
    case "uuid":
      return typeof value === "string" && uuidPattern.test(value) ? undefined : "a UUID string"
    case "bytes":
      return value instanceof Uint8Array ? undefined : "a Uint8Array"
    case "string":
      return typeof value === "string" ? undefined : "a string"
  }
}

const numeric = new Set<ColumnType>(["int16", "int32", "int64", "float32", "float64"])

export const describeValue = (value: Value): string =>
  typeof value === "bigint"
    ? `${value}n`
    : value instanceof Uint8Array
      ? `<${value.length} bytes>`
      : JSON.stringify(value)

/** Why a stored row value does not fit the column (the canonical representation, nullability), if it does not. */
export const rowValueProblem = (column: Column, value: Value): string | undefined => {
  if (value === null) return column.nullable ? undefined : `column "${column.name}" is not nullable`
  const expected = canonicalProblem(column.type, value)
  return expected === undefined
    ? undefined
    : `column "${column.name}" (${column.type}) cannot hold ${describeValue(value)}: expected ${expected}`
}

/**
 * Why a value bound in a condition does not fit the column, if it does not. Like a bound parameter, a number may
 * stand for any numeric column and a number or bigint for a decimal; NULL is accepted (the comparison is false).
 */
export const parameterProblem = (column: Column, value: Value): string | undefined => {
  if (value === null) return undefined
  if (numeric.has(column.type) && (typeof value === "number" || typeof value === "bigint")) return undefined
  if (column.type === "decimal" && (typeof value === "number" || typeof value === "bigint")) return undefined
  const expected = canonicalProblem(column.type, value)
  return expected === undefined
    ? undefined
    : `a value compared with column "${column.name}" (${column.type}) must be ${expected}, got ${describeValue(value)}`
}

const toDecimal = (value: Value): BigDecimal.BigDecimal =>
  typeof value === "bigint"
    ? BigDecimal.fromBigInt(value)
    : typeof value === "number"
      ? Option.getOrThrow(BigDecimal.fromNumber(value))
      : Option.getOrThrow(BigDecimal.fromString(String(value)))

const encoder = new TextEncoder()

const compareBytes = (x: Uint8Array, y: Uint8Array): number => {
  const length = Math.min(x.length, y.length)
  for (let i = 0; i < length; i++) {
    const d = (x[i] as number) - (y[i] as number)
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * Orders two non-NULL values of a column's type: numbers and bigints numerically, decimals exactly, booleans false
 * first, bytes and text byte-wise (the `C` collation: code point order); dates and timestamps in their canonical
 * fixed-width form compare correctly as text.
 */
export const compareValues = (type: ColumnType, a: Exclude<Value, null>, b: Exclude<Value, null>): number => {
  if (numeric.has(type)) {
    const [x, y] = [a as number | bigint, b as number | bigint]
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (type === "decimal") return BigDecimal.Order(toDecimal(a), toDecimal(b))
  if (type === "boolean") return Number(a) - Number(b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b)
  return compareBytes(encoder.encode(String(a)), encoder.encode(String(b)))
}
