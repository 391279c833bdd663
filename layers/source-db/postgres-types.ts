import { PgTypes } from "@effect/sql-pg"
import type { Column, ColumnType } from "../../src/services/SourceDb.ts"

/** A column of a source as PostgreSQL describes it: the contract's `Column` and the type OID it came from. */
export interface SourceColumn {
  readonly column: Column
  /** The type's OID; for a domain, its base type's. */
  readonly oid: number
}

const { OID } = PgTypes

const columnTypes: ReadonlyMap<number, ColumnType> = new Map<number, ColumnType>([
  [OID.int2, "int16"],
  [OID.int4, "int32"],
  [OID.int8, "int64"],
  [OID.float4, "float32"],
  [OID.float8, "float64"],
  [OID.numeric, "decimal"],
  [OID.text, "string"],
  [OID.varchar, "string"],
  [OID.bpchar, "string"],
  [OID.bool, "boolean"],
  [OID.date, "date"],
  [OID.timestamp, "timestamp"],
  [OID.timestamptz, "timestamptz"],
  [OID.json, "json"],
  [OID.jsonb, "json"],
  [OID.uuid, "uuid"],
  [OID.bytea, "bytes"]
])

/** Types whose driver value already is the canonical one, so they are selected as they are. */
const asDecoded: ReadonlySet<number> = new Set<number>([
  OID.int2,
  OID.int4,
  OID.int8,
  OID.float8,
  OID.text,
  OID.varchar,
  OID.bpchar,
  OID.bool,
  OID.uuid,
  OID.bytea
])

/** Text types: ordered and compared in the `C` collation, so results do not depend on the server's locale. */
const collatable: ReadonlySet<number> = new Set<number>([OID.text, OID.varchar, OID.bpchar])

/**
 * What a bound parameter is cast to when compared with a column of this type. Without the cast a JS number would
 * bind as float8 and compare a numeric or real column inexactly; the base type (never `numeric(12,2)`) so the value
 * is not rounded to the column's scale first.
 */
const parameterCasts: ReadonlyMap<number, string> = new Map<number, string>([
  [OID.numeric, "numeric"],
  [OID.float4, "float4"],
  [OID.date, "date"],
  [OID.timestamp, "timestamp"],
  [OID.timestamptz, "timestamptz"],
  [OID.uuid, "uuid"]
])

/**
 * The array type an `In` list is bound as (one parameter, `= ANY($1::int8[])`): the elements travel as text and the
 * server reads them as the column's type. int8[] serves every integer column, whose `=` with int8 can use an index.
 */
const arrayCasts: ReadonlyMap<number, string> = new Map<number, string>([
  [OID.int2, "int8[]"],
  [OID.int4, "int8[]"],
  [OID.int8, "int8[]"],
  [OID.float4, "float4[]"],
  [OID.float8, "float8[]"],
  [OID.numeric, "numeric[]"],
  [OID.text, "text[]"],
  [OID.varchar, "text[]"],
  // char(n) ignores trailing blanks only against char(n): the padded value read back must match.
  [OID.bpchar, "bpchar[]"],
  [OID.bool, "bool[]"],
  [OID.date, "date[]"],
  [OID.timestamp, "timestamp[]"],
  [OID.timestamptz, "timestamptz[]"],
  [OID.uuid, "uuid[]"],
  [OID.bytea, "bytea[]"]
])

/** The logical type of a PostgreSQL type; anything storeflow does not model is read as its text form. */
export const columnType = (oid: number): ColumnType => columnTypes.get(oid) ?? "string"

/** numeric's type modifier packs `((precision << 16) | scale) + 4`; the scale may be negative since PostgreSQL 15. */
const numericPrecision = (typmod: number): { precision: number; scale: number } | undefined => {
  if (typmod < 4) return undefined
  const packed = typmod - 4
  const scale = packed & 0x7ff
  return { precision: (packed >> 16) & 0xffff, scale: scale & 0x400 ? scale - 0x800 : scale }
}

/** A row of `tableColumnsSql`: one attribute of a table (a dropped one has no name). */
export interface CatalogRow {
  readonly name: string | null
  readonly oid: number | null
  readonly typmod: number | null
  readonly notNull: boolean | null
}

/** The columns of a table from its catalog rows, in order. */
export const catalogColumns = (rows: ReadonlyArray<CatalogRow>): Array<SourceColumn> =>
  rows.flatMap((row) =>
    row.name === null || row.oid === null
      ? []
      : [sourceColumn(row.name, row.oid, row.notNull !== true, row.typmod ?? -1)]
  )

/** A column from the catalog (`typmod` -1 when the type has none) or from a query's description (no typmod). */
export const sourceColumn = (name: string, oid: number, nullable: boolean, typmod = -1): SourceColumn => {
  const type = columnType(oid)
  const digits = type === "decimal" ? numericPrecision(typmod) : undefined
  return { column: digits === undefined ? { name, type, nullable } : { name, type, nullable, ...digits }, oid }
}

const timestampFormat = `'YYYY-MM-DD"T"HH24:MI:SS.US'`

/**
 * The select-list expression giving a column in its canonical representation: the driver would turn timestamps
 * into millisecond `Date`s, float4 into its binary expansion (1.100000023841858) and unknown types into raw bytes.
 */
export const selectExpression = (source: SourceColumn, reference: string): string => {
  if (asDecoded.has(source.oid)) return reference
  switch (source.column.type) {
    case "float32":
      // float4's text form is the shortest one that reads back to the same value: 1.1, not 1.100000023841858.
      return `${reference}::text::float8`
    case "date":
      return `to_char(${reference}, 'YYYY-MM-DD')`
    case "timestamp":
      return `to_char(${reference}, ${timestampFormat})`
    case "timestamptz":
      return `to_char(${reference} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    default:
      return `${reference}::text`
  }
}

/** A column reference for ORDER BY and comparisons: text in the `C` collation (code point order). */
export const comparable = (source: SourceColumn, reference: string): string =>
  collatable.has(source.oid) ? `${reference} COLLATE "C"` : reference

/**
 * Both sides of `column = ANY($n::type[])`. Types read as their text form (json, interval, enums, …) are matched on
 * that text, which is the value a reader saw: json has no `=`, and the text form is what storeflow compares anyway.
 */
export const membership = (
  source: SourceColumn,
  reference: string
): { readonly left: string; readonly cast: string } => {
  const cast = arrayCasts.get(source.oid)
  return cast === undefined
    ? { left: `${reference}::text`, cast: "text[]" }
    : { left: comparable(source, reference), cast }
}

export const parameterCast = (source: SourceColumn): string | undefined => parameterCasts.get(source.oid)
