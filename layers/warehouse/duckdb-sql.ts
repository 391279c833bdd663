import type { Column } from "../../src/services/SourceDb.ts"
import type { Dataset } from "../../src/services/Warehouse.ts"

const identifierPattern = /^[\p{L}\p{N}_]+$/u

/** Why a name cannot be used as an identifier, or `undefined` when it can. */
export const identifierProblem = (name: string, what: string): string | undefined =>
  identifierPattern.test(name) ? undefined : `${what} name "${name}" is not allowed: use only letters, digits and _`

/** Only for names `identifierProblem` accepted: they cannot hold a quote. */
export const quoted = (name: string): string => `"${name}"`

export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

export const tableSql = (dataset: Dataset): string => `${quoted(dataset.schema)}.${quoted(dataset.table)}`

/** Marks the partition column in the table's catalog, so the layout survives restarts and fresh instances. */
export const partitionComment = "storeflow:partition"

export const readParquetSql = (paths: ReadonlyArray<string>): string =>
  `read_parquet([${paths.map(literal).join(", ")}], union_by_name = true)`

/**
 * The DuckDB type a column is stored as, spelled as `duckdb_columns()` reports it (REAL is FLOAT there). A decimal
 * without a precision DuckDB can hold is VARCHAR: that is how the extractor writes unconstrained numerics, as text.
 */
export const storedType = (column: Column, json: boolean): string => {
  switch (column.type) {
    case "int16":
      return "SMALLINT"
    case "int32":
      return "INTEGER"
    case "int64":
      return "BIGINT"
    case "float32":
      return "FLOAT"
    case "float64":
      return "DOUBLE"
    case "decimal": {
      const { precision, scale = 0 } = column
      return precision !== undefined && precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision
        ? `DECIMAL(${precision},${scale})`
        : "VARCHAR"
    }
    case "string":
      return "VARCHAR"
    case "boolean":
      return "BOOLEAN"
    case "date":
      return "DATE"
    case "timestamp":
      return "TIMESTAMP"
    case "timestamptz":
      return "TIMESTAMP WITH TIME ZONE"
    case "json":
      return json ? "JSON" : "VARCHAR"
    case "uuid":
      return "UUID"
    case "bytes":
      return "BLOB"
  }
}

const integers = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"])
for (const type of Array.from(integers)) integers.add(`U${type}`)
const timestamps = new Set(["TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"])
const texts = new Set(["VARCHAR", "JSON", "UUID", "BLOB"])

const decimalOf = (type: string): { readonly precision: number; readonly scale: number } | undefined => {
  const match = /^DECIMAL\((\d+),(\d+)\)$/.exec(type)
  return match === null ? undefined : { precision: Number(match[1]), scale: Number(match[2]) }
}

/**
 * Whether a file column DuckDB reads as `source` holds values of the declared column: only conversions that keep
 * every value (an integer overflow still fails at load time, naming the value), so a float never becomes an integer
 * and a number never becomes text silently.
 */
const accepts = (column: Column, stored: string, source: string): boolean => {
  const sourceDecimal = decimalOf(source)
  switch (column.type) {
    case "int16":
    case "int32":
    case "int64":
      return integers.has(source) || sourceDecimal?.scale === 0
    case "float32":
    case "float64":
      return integers.has(source) || source === "FLOAT" || source === "DOUBLE" || sourceDecimal !== undefined
    case "decimal": {
      const target = decimalOf(stored)
      if (sourceDecimal !== undefined) return target === undefined || sourceDecimal.scale <= target.scale
      return integers.has(source) || source === "VARCHAR" || source === "FLOAT" || source === "DOUBLE"
    }
    case "string":
      return texts.has(source)
    case "boolean":
      return source === "BOOLEAN"
    case "date":
      return source === "DATE" || source === "VARCHAR"
    case "timestamp":
    case "timestamptz":
      return timestamps.has(source) || source === "VARCHAR"
    case "json":
      return source === "VARCHAR" || source === "JSON" || source === "BLOB"
    case "uuid":
      return source === "UUID" || source === "VARCHAR"
    case "bytes":
      return source === "BLOB" || source === "VARCHAR"
  }
}

/**
 * The expression that turns the file's column into the table's type `target`, or an error text naming the column
 * when the file's type cannot hold the declared one. Text that should be an unconstrained decimal is checked row by
 * row: DuckDB's `error()` fails the whole load, with the offending value, instead of storing `1e+21`.
 */
export const conversionSql = (
  column: Column,
  stored: string,
  source: string,
  target: string
): { readonly sql: string } | { readonly problem: string } => {
  if (!accepts(column, stored, source)) {
    return { problem: `column "${column.name}" (${column.type}) cannot hold the file's ${source} values` }
  }
  const name = quoted(column.name)
  if (source === "BLOB" && target !== "BLOB") {
    return { sql: target === "VARCHAR" ? `decode(${name})` : `CAST(decode(${name}) AS ${target})` }
  }
  if (source === "VARCHAR" && target === "BLOB") return { sql: `encode(${name})` }
  const text = `CAST(${name} AS VARCHAR)`
  if (column.type === "decimal" && target === "VARCHAR" && !integers.has(source) && decimalOf(source) === undefined) {
    const complaint = literal(`column "${column.name}" (decimal) cannot hold the file's value `)
    return {
      sql: `CASE WHEN ${name} IS NULL OR regexp_full_match(${text}, '-?[0-9]+(\\.[0-9]+)?') THEN ${text} ELSE error(${complaint} || ${text}) END`
    }
  }
  return { sql: `CAST(${name} AS ${target})` }
}

const integerRank: Readonly<Record<string, number>> = { SMALLINT: 1, INTEGER: 2, BIGINT: 3 }
const floatRank: Readonly<Record<string, number>> = { FLOAT: 1, DOUBLE: 2 }

/**
 * How a table column of type `existing` takes values declared as `wanted`: kept when it already holds them, widened
 * (integers, floats, decimals) when they need more room, or `undefined` when no type holds both without loss.
 */
export const reconcile = (
  existing: string,
  wanted: string
): { readonly keep: string } | { readonly widen: string } | undefined => {
  if (existing === wanted || (existing === "VARCHAR" && wanted === "JSON")) return { keep: existing }
  for (const rank of [integerRank, floatRank]) {
    const [a, b] = [rank[existing], rank[wanted]]
    if (a !== undefined && b !== undefined) return a >= b ? { keep: existing } : { widen: wanted }
  }
  const [a, b] = [decimalOf(existing), decimalOf(wanted)]
  if (a === undefined || b === undefined) return undefined
  const scale = Math.max(a.scale, b.scale)
  const whole = Math.max(a.precision - a.scale, b.precision - b.scale)
  if (a.scale === scale && a.precision - a.scale === whole) return { keep: existing }
  return whole + scale <= 38 ? { widen: `DECIMAL(${whole + scale},${scale})` } : undefined
}
