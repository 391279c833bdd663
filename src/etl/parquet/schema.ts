import { createHash } from "node:crypto"
import type { SchemaElement } from "hyparquet"
import type { Column } from "../../services/SourceDb.ts"

/**
 * How each column type is written (every value exactly; `parquetTypeOf` names the result):
 *
 * | column type             | Parquet                                                                   |
 * |-------------------------|---------------------------------------------------------------------------|
 * | int16 / int32           | INT32 (int16 annotated INT_16)                                            |
 * | int64                   | INT64                                                                     |
 * | float32 / float64       | FLOAT / DOUBLE                                                            |
 * | decimal(p,s), p ≤ 38    | DECIMAL(p,s): INT32 up to 9 digits, INT64 up to 18, FIXED_LEN_BYTE_ARRAY |
 * | decimal otherwise       | BYTE_ARRAY STRING holding the exact text (unconstrained `numeric`, more   |
 * |                         | than 38 digits or a negative scale: no DECIMAL(p,s) holds every value)    |
 * | string                  | BYTE_ARRAY STRING (UTF8)                                                  |
 * | boolean                 | BOOLEAN                                                                   |
 * | date                    | INT32 DATE (days since 1970-01-01)                                        |
 * | timestamp / timestamptz | INT64 TIMESTAMP(MICROS), isAdjustedToUTC false / true                     |
 * | json                    | BYTE_ARRAY JSON (the text)                                                |
 * | uuid                    | FIXED_LEN_BYTE_ARRAY(16) UUID                                             |
 * | bytes                   | BYTE_ARRAY                                                                |
 *
 * A Layout is how a column's values are held and encoded; several column types share one.
 */
export type Layout =
  | { readonly _tag: "Int32"; readonly bits: 16 | 32 }
  | { readonly _tag: "Int64" }
  | { readonly _tag: "Float32" }
  | { readonly _tag: "Float64" }
  | { readonly _tag: "Boolean" }
  | { readonly _tag: "Date" }
  | { readonly _tag: "Timestamp"; readonly utc: boolean }
  | { readonly _tag: "Decimal"; readonly precision: number; readonly scale: number; readonly width: 4 | 8 | number }
  | { readonly _tag: "Text"; readonly decimal: boolean }
  | { readonly _tag: "Json" }
  | { readonly _tag: "Uuid" }
  | { readonly _tag: "Bytes" }

/** The widest DECIMAL that DuckDB and Trino read exactly; wider ones are kept as their text. */
const MAX_DECIMAL_PRECISION = 38

/** Bytes of the smallest two's complement integer that holds every unscaled value of `precision` digits. */
export const decimalWidth = (precision: number): number => {
  if (precision <= 9) return 4
  if (precision <= 18) return 8
  const largest = 10n ** BigInt(precision) - 1n
  let bytes = 1
  while (largest > (1n << BigInt(8 * bytes - 1)) - 1n) bytes++
  return bytes
}

/**
 * A decimal column becomes an exact Parquet DECIMAL when its precision and scale are known and fit one; an
 * unconstrained `numeric` (or one wider than 38 digits, or with a negative scale) becomes its exact text in a UTF8
 * column instead, since no DECIMAL(p,s) holds every value it may contain.
 */
const decimalLayout = (column: Column): Layout => {
  const { precision } = column
  const scale = column.scale ?? 0
  if (precision === undefined || precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) {
    return { _tag: "Text", decimal: true }
  }
  return { _tag: "Decimal", precision, scale, width: decimalWidth(precision) }
}

export const layoutOf = (column: Column): Layout => {
  switch (column.type) {
    case "int16":
      return { _tag: "Int32", bits: 16 }
    case "int32":
      return { _tag: "Int32", bits: 32 }
    case "int64":
      return { _tag: "Int64" }
    case "float32":
      return { _tag: "Float32" }
    case "float64":
      return { _tag: "Float64" }
    case "boolean":
      return { _tag: "Boolean" }
    case "date":
      return { _tag: "Date" }
    case "timestamp":
      return { _tag: "Timestamp", utc: false }
    case "timestamptz":
      return { _tag: "Timestamp", utc: true }
    case "decimal":
      return decimalLayout(column)
    case "string":
      return { _tag: "Text", decimal: false }
    case "json":
      return { _tag: "Json" }
    case "uuid":
      return { _tag: "Uuid" }
    case "bytes":
      return { _tag: "Bytes" }
  }
}

type Annotation = Omit<SchemaElement, "name" | "repetition_type">

const annotation = (layout: Layout): Annotation => {
  switch (layout._tag) {
    case "Int32":
      // INT_16 alone: hyparquet-writer serializes the INTEGER logical type's i8 bit width as an i32, which DuckDB
      // rejects as invalid thrift; the converted type means the same (INTEGER(16, signed)) to every reader.
      return layout.bits === 16 ? { type: "INT32", converted_type: "INT_16" } : { type: "INT32" }
    case "Int64":
      return { type: "INT64" }
    case "Float32":
      return { type: "FLOAT" }
    case "Float64":
      return { type: "DOUBLE" }
    case "Boolean":
      return { type: "BOOLEAN" }
    case "Date":
      return { type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } }
    case "Timestamp":
      // The TIMESTAMP_MICROS converted type means UTC-adjusted, so a wall-time column carries only the logical type.
      return layout.utc
        ? {
            type: "INT64",
            converted_type: "TIMESTAMP_MICROS",
            logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" }
          }
        : { type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MICROS" } }
    case "Decimal": {
      const { precision, scale, width } = layout
      const decimal = {
        converted_type: "DECIMAL",
        precision,
        scale,
        logical_type: { type: "DECIMAL", precision, scale }
      } as const
      if (width === 4) return { type: "INT32", ...decimal }
      if (width === 8) return { type: "INT64", ...decimal }
      return { type: "FIXED_LEN_BYTE_ARRAY", type_length: width, ...decimal }
    }
    case "Text":
      return { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } }
    case "Json":
      return { type: "BYTE_ARRAY", converted_type: "JSON", logical_type: { type: "JSON" } }
    case "Uuid":
      return { type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, logical_type: { type: "UUID" } }
    case "Bytes":
      return { type: "BYTE_ARRAY" }
  }
}

export const schemaElement = (column: Column): SchemaElement => ({
  name: column.name,
  repetition_type: column.nullable ? "OPTIONAL" : "REQUIRED",
  ...annotation(layoutOf(column))
})

/** The file schema: a root group followed by one flat leaf per column. */
export const fileSchema = (columns: ReadonlyArray<Column>): Array<SchemaElement> => [
  { name: "schema", num_children: columns.length },
  ...columns.map(schemaElement)
]

/** The Parquet physical/logical type each column becomes (for manifests and docs), e.g. `INT64 DECIMAL(12,2)`. */
export const parquetTypeOf = (column: Column): string => {
  const layout = layoutOf(column)
  switch (layout._tag) {
    case "Int32":
      return layout.bits === 16 ? "INT32 INT(16, signed)" : "INT32"
    case "Int64":
      return "INT64"
    case "Float32":
      return "FLOAT"
    case "Float64":
      return "DOUBLE"
    case "Boolean":
      return "BOOLEAN"
    case "Date":
      return "INT32 DATE"
    case "Timestamp":
      return `INT64 TIMESTAMP(MICROS, isAdjustedToUTC=${layout.utc})`
    case "Decimal": {
      const physical =
        layout.width === 4 ? "INT32" : layout.width === 8 ? "INT64" : `FIXED_LEN_BYTE_ARRAY(${layout.width})`
      return `${physical} DECIMAL(${layout.precision},${layout.scale})`
    }
    case "Text":
      return "BYTE_ARRAY STRING"
    case "Json":
      return "BYTE_ARRAY JSON"
    case "Uuid":
      return "FIXED_LEN_BYTE_ARRAY(16) UUID"
    case "Bytes":
      return "BYTE_ARRAY"
  }
}

/**
 * A stable hash of a column list: names, order, types, nullability, precision/scale and the Parquet type each
 * becomes, so a change in how storeflow writes a column also reads as a schema change.
 */
export const schemaHash = (columns: ReadonlyArray<Column>): string =>
  createHash("sha256")
    .update(
      JSON.stringify(
        columns.map((column) => [
          column.name,
          column.type,
          column.nullable,
          column.precision ?? null,
          column.scale ?? null,
          parquetTypeOf(column)
        ])
      )
    )
    .digest("hex")
