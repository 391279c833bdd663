// Reads Parquet back into canonical values: the ETL transfer stage, the in-memory warehouse and DuckDB share it.
import { type FileMetaData, parquetMetadata, parquetReadObjects, parquetSchema, type SchemaElement } from "hyparquet"
import type { Column, Row, Value } from "../../services/SourceDb.ts"

const decoder = new TextDecoder()
const encoder = new TextEncoder()

// Timestamps arrive as bigint microseconds and dates as day numbers, so no precision is lost to `Date`.
const parsers = {
  timestampFromMilliseconds: (millis: bigint) => millis * 1000n,
  timestampFromMicroseconds: (micros: bigint) => micros,
  timestampFromNanoseconds: (nanos: bigint) => {
    const micros = nanos / 1000n
    return nanos < 0n && micros * 1000n !== nanos ? micros - 1n : micros
  },
  dateFromDays: (days: number) => days,
  // The canonical json value is the text itself, not a parsed object.
  jsonFromBytes: (bytes: Uint8Array | undefined) => bytes && decoder.decode(bytes)
}

const isDecimal = (element: SchemaElement): boolean =>
  element.converted_type === "DECIMAL" || element.logical_type?.type === "DECIMAL"
const decimalScale = (element: SchemaElement): number =>
  element.scale ?? (element.logical_type?.type === "DECIMAL" ? element.logical_type.scale : 0)
const isTimestamp = (element: SchemaElement): boolean =>
  element.converted_type === "TIMESTAMP_MILLIS" ||
  element.converted_type === "TIMESTAMP_MICROS" ||
  element.logical_type?.type === "TIMESTAMP" ||
  element.type === "INT96"
const isDate = (element: SchemaElement): boolean =>
  element.converted_type === "DATE" || element.logical_type?.type === "DATE"

// hyparquet turns DECIMAL into a float, which cannot hold every decimal; without the annotation it hands over the
// unscaled integer (or its two's complement bytes), which `formatDecimal` turns into the exact text.
const withoutDecimalConversion = (metadata: FileMetaData): FileMetaData => ({
  ...metadata,
  schema: metadata.schema.map((element) => {
    if (element.converted_type !== "DECIMAL") return element
    const { converted_type: _, ...rest } = element
    return rest
  })
})

const unscaledOf = (raw: unknown): bigint | undefined => {
  if (typeof raw === "bigint") return raw
  if (typeof raw === "number" && Number.isInteger(raw)) return BigInt(raw)
  if (raw instanceof Uint8Array) {
    let value = 0n
    for (const byte of raw) value = (value << 8n) | BigInt(byte)
    const bits = BigInt(raw.length * 8)
    return raw.length > 0 && (raw[0] as number) >= 0x80 ? value - (1n << bits) : value
  }
  return undefined
}

export const formatDecimal = (unscaled: bigint, scale: number): string => {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, "0")
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  return unscaled < 0n ? `-${text}` : text
}

export const formatDate = (days: number): string => new Date(days * 86_400_000).toISOString().slice(0, 10)

export const formatTimestamp = (micros: bigint, utc: boolean): string => {
  let seconds = micros / 1_000_000n
  let fraction = micros % 1_000_000n
  if (fraction < 0n) {
    fraction += 1_000_000n
    seconds -= 1n
  }
  const wall = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  return `${wall}.${fraction.toString().padStart(6, "0")}${utc ? "Z" : ""}`
}

const decimalPattern = /^-?\d+(\.\d+)?$/

/** The canonical value of `raw` as read from `element`, or `undefined` when the two do not fit together. */
const canonical = (column: Column, element: SchemaElement, raw: unknown): Value | undefined => {
  if (raw === null || raw === undefined) return null
  switch (column.type) {
    case "int16":
    case "int32":
    case "float32":
    case "float64":
      return typeof raw === "number" ? raw : typeof raw === "bigint" ? Number(raw) : undefined
    case "int64":
      return typeof raw === "bigint" ? raw : typeof raw === "number" && Number.isInteger(raw) ? BigInt(raw) : undefined
    case "decimal": {
      if (isDecimal(element)) {
        const unscaled = unscaledOf(raw)
        return unscaled === undefined ? undefined : formatDecimal(unscaled, decimalScale(element))
      }
      const text = typeof raw === "string" ? raw : typeof raw === "number" ? String(raw) : undefined
      return text !== undefined && decimalPattern.test(text) ? text : undefined
    }
    case "boolean":
      return typeof raw === "boolean" ? raw : undefined
    case "date":
      return typeof raw === "string" ? raw : typeof raw === "number" && isDate(element) ? formatDate(raw) : undefined
    case "timestamp":
    case "timestamptz":
      if (typeof raw === "string") return raw
      return typeof raw === "bigint" && isTimestamp(element)
        ? formatTimestamp(raw, column.type === "timestamptz")
        : undefined
    case "bytes":
      return raw instanceof Uint8Array ? raw : typeof raw === "string" ? encoder.encode(raw) : undefined
    case "string":
    case "json":
    case "uuid":
      return typeof raw === "string" ? raw : raw instanceof Uint8Array ? decoder.decode(raw) : undefined
  }
}

const describeElement = (element: SchemaElement): string =>
  [element.type, element.converted_type, element.logical_type?.type].filter((part) => part !== undefined).join("/")

/**
 * Reads the declared columns of a Parquet file in the canonical representation of `SourceDb` (other columns in the
 * file are ignored). Throws an `Error` saying which column does not fit when the file lacks a column or holds
 * values the declared type cannot represent (e.g. a float for a decimal column that is not a plain decimal number).
 */
/** The `[start, end)` row ranges of a file's row groups, to read a large file one group at a time. */
export const rowGroupRanges = (bytes: Uint8Array): ReadonlyArray<readonly [number, number]> => {
  const metadata = parquetMetadata(new Uint8Array(bytes).buffer)
  const ranges: Array<readonly [number, number]> = []
  let start = 0
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows)
    ranges.push([start, end])
    start = end
  }
  return ranges
}

export const readParquetRows = async (
  bytes: Uint8Array,
  columns: ReadonlyArray<Column>,
  range?: readonly [number, number]
): Promise<Array<Row>> => {
  const file = new Uint8Array(bytes).buffer
  const metadata = parquetMetadata(file)
  const elements = new Map(parquetSchema(metadata).children.map((child) => [child.element.name, child.element]))
  const fields: Array<readonly [Column, SchemaElement]> = columns.map((column) => {
    const element = elements.get(column.name)
    if (element === undefined) throw new Error(`the file has no column "${column.name}"`)
    return [column, element]
  })
  if (fields.length === 0) {
    const rows = range === undefined ? Number(metadata.num_rows) : range[1] - range[0]
    return Array.from({ length: rows }, () => ({}))
  }
  const records = await parquetReadObjects({
    file,
    ...(range === undefined ? {} : { rowStart: range[0], rowEnd: range[1] }),
    metadata: withoutDecimalConversion(metadata),
    columns: columns.map((column) => column.name),
    utf8: false,
    parsers
  })
  return records.map((record) =>
    Object.fromEntries(
      fields.map(([column, element]) => {
        const value = canonical(column, element, record[column.name])
        if (value === undefined) {
          throw new Error(
            `column "${column.name}" (${column.type}) cannot hold the file's ${describeElement(element)} value ${String(record[column.name])}`
          )
        }
        return [column.name, value]
      })
    )
  )
}
