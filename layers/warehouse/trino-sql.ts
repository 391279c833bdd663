import type { Column } from "../../src/services/SourceDb.ts"

/**
 * Pure builders for the statements the Trino warehouse sends. Trino's client protocol has no bind parameters for DDL
 * or `CALL`, so every name is validated (`isIdentifier`) before it is double-quoted, and every value goes through
 * `literal`, which is the whole of Trino's string escaping: a doubled single quote (there are no backslash escapes).
 */

export type TableFormat = "hive" | "iceberg"

export interface TableRef {
  readonly catalog: string
  readonly schema: string
  readonly table: string
}

export interface Equals {
  readonly column: string
  readonly value: string
}

// Longer than config identifiers (63) so that derived staging names still fit; Hive metastores take 128.
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

export const isIdentifier = (name: string): boolean => identifierPattern.test(name)

/** A double-quoted identifier; callers validate with `isIdentifier` first, the doubling only keeps it safe anyway. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`

export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

// The metastore and information_schema keep names in lower case; in a string (not an identifier) Trino does not fold.
const nameLiteral = (name: string): string => literal(name.toLowerCase())

export const qualified = (ref: TableRef): string => `${ident(ref.catalog)}.${ident(ref.schema)}.${ident(ref.table)}`

/**
 * The Trino type a column is declared with. Hive has no zoned timestamp, JSON or UUID type: such columns are declared
 * as what the Parquet file holds (UTC wall time, text). A decimal without declared precision gets the widest one.
 */
export const columnType = (column: Column, format: TableFormat): string => {
  switch (column.type) {
    case "int16":
      return "smallint"
    case "int32":
      return "integer"
    case "int64":
      return "bigint"
    case "float32":
      return "real"
    case "float64":
      return "double"
    case "decimal":
      return `decimal(${column.precision ?? 38},${column.scale ?? 0})`
    case "boolean":
      return "boolean"
    case "date":
      return "date"
    case "timestamp":
      return "timestamp(6)"
    case "timestamptz":
      return format === "iceberg" ? "timestamp(6) with time zone" : "timestamp(6)"
    case "bytes":
      return "varbinary"
    case "string":
    case "json":
    case "uuid":
      return "varchar"
  }
}

const columnDefinitions = (columns: ReadonlyArray<Column>, format: TableFormat, partition?: string): string =>
  [
    ...columns.map((column) => `${ident(column.name)} ${columnType(column, format)}`),
    ...(partition === undefined ? [] : [`${ident(partition)} varchar`])
  ].join(", ")

const columnNames = (columns: ReadonlyArray<Column>): string => columns.map((column) => ident(column.name)).join(", ")

const where = (condition: Equals | undefined, cast: boolean): string =>
  condition === undefined
    ? ""
    : ` WHERE ${cast ? `CAST(${ident(condition.column)} AS varchar)` : ident(condition.column)} = ${literal(condition.value)}`

export const createSchema = (catalog: string, schema: string): string =>
  `CREATE SCHEMA IF NOT EXISTS ${ident(catalog)}.${ident(schema)}`

/** The table's column names in order; no rows when the table does not exist. */
export const tableColumns = (ref: TableRef): string =>
  `SELECT column_name FROM ${ident(ref.catalog)}.information_schema.columns WHERE table_schema = ${nameLiteral(ref.schema)} AND table_name = ${nameLiteral(ref.table)} ORDER BY ordinal_position`

export const listTables = (catalog: string, schema: string): string =>
  `SELECT table_name FROM ${ident(catalog)}.information_schema.tables WHERE table_schema = ${nameLiteral(schema)}`

/** `CAST(column AS varchar) = value` reads a filter the way the in-memory warehouse does, for any column type. */
export const countRows = (ref: TableRef, condition?: Equals): string =>
  `SELECT count(*) FROM ${qualified(ref)}${where(condition, true)}`

/** The load's own check: the partition column is a varchar, compared as it is so partition pruning applies. */
export const countPartition = (ref: TableRef, partition: Equals): string =>
  `SELECT count(*) FROM ${qualified(ref)}${where(partition, false)}`

export const selectRows = (ref: TableRef, condition?: Equals, limit?: number): string =>
  `SELECT * FROM ${qualified(ref)}${where(condition, true)}${limit === undefined ? "" : ` LIMIT ${limit}`}`

export const dropTable = (ref: TableRef): string => `DROP TABLE IF EXISTS ${qualified(ref)}`

// ---- Hive: external tables over the files where they lie ----

export const createHivePartitioned = (
  ref: TableRef,
  columns: ReadonlyArray<Column>,
  partition: string,
  location: string
): string =>
  `CREATE TABLE IF NOT EXISTS ${qualified(ref)} (${columnDefinitions(columns, "hive", partition)}) WITH (external_location = ${literal(location)}, format = 'PARQUET', partitioned_by = ARRAY[${nameLiteral(partition)}])`

export const createHiveExternal = (ref: TableRef, columns: ReadonlyArray<Column>, location: string): string =>
  `CREATE TABLE IF NOT EXISTS ${qualified(ref)} (${columnDefinitions(columns, "hive")}) WITH (external_location = ${literal(location)}, format = 'PARQUET')`

const partitionArguments = (ref: TableRef, partition: Equals): string =>
  `schema_name => ${nameLiteral(ref.schema)}, table_name => ${nameLiteral(ref.table)}, partition_columns => ARRAY[${nameLiteral(partition.column)}], partition_values => ARRAY[${literal(partition.value)}]`

export const unregisterPartition = (ref: TableRef, partition: Equals): string =>
  `CALL ${ident(ref.catalog)}.system.unregister_partition(${partitionArguments(ref, partition)})`

export const registerPartition = (ref: TableRef, partition: Equals, location: string): string =>
  `CALL ${ident(ref.catalog)}.system.register_partition(${partitionArguments(ref, partition)}, location => ${literal(location)})`

// ---- Iceberg: files registered into a staging table, then copied into the target in one commit ----

export const createIcebergTable = (ref: TableRef, columns: ReadonlyArray<Column>, partition?: string): string =>
  `CREATE TABLE IF NOT EXISTS ${qualified(ref)} (${columnDefinitions(columns, "iceberg", partition)}) WITH (format = 'PARQUET'${partition === undefined ? "" : `, partitioning = ARRAY[${nameLiteral(partition)}]`})`

export const createIcebergStaging = (ref: TableRef, columns: ReadonlyArray<Column>): string =>
  `CREATE TABLE ${qualified(ref)} (${columnDefinitions(columns, "iceberg")}) WITH (format = 'PARQUET')`

export const addFiles = (ref: TableRef, location: string): string =>
  `ALTER TABLE ${qualified(ref)} EXECUTE add_files(location => ${literal(location)}, format => 'PARQUET')`

/** Forgets an Iceberg table without deleting files: `DROP TABLE` would delete every data file it references. */
export const unregisterTable = (ref: TableRef): string =>
  `CALL ${ident(ref.catalog)}.system.unregister_table(schema_name => ${nameLiteral(ref.schema)}, table_name => ${nameLiteral(ref.table)})`

export const deletePartition = (ref: TableRef, partition: Equals): string =>
  `DELETE FROM ${qualified(ref)}${where(partition, false)}`

export const insertPartition = (
  target: TableRef,
  staging: TableRef,
  columns: ReadonlyArray<Column>,
  partition: Equals
): string =>
  `INSERT INTO ${qualified(target)} (${columnNames(columns)}, ${ident(partition.column)}) SELECT ${columnNames(columns)}, ${literal(partition.value)} FROM ${qualified(staging)}`

export const replaceTable = (target: TableRef, staging: TableRef, columns: ReadonlyArray<Column>): string =>
  `CREATE OR REPLACE TABLE ${qualified(target)} WITH (format = 'PARQUET') AS SELECT ${columnNames(columns)} FROM ${qualified(staging)}`

/** An empty table with these columns, replacing whatever was there in one commit. */
export const replaceWithEmpty = (ref: TableRef, columns: ReadonlyArray<Column>): string =>
  `CREATE OR REPLACE TABLE ${qualified(ref)} (${columnDefinitions(columns, "iceberg")}) WITH (format = 'PARQUET')`

/** A staging table per target (and partition), so loads of different partitions can run side by side. */
export const stagingRef = (target: TableRef, partition?: Equals): TableRef => {
  const suffix =
    partition === undefined
      ? ""
      : `_${`${partition.column}_${partition.value}`
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "_")
          .slice(0, 48)}`
  return { ...target, table: `${target.table}__staging${suffix}`.slice(0, 128) }
}

export const isStagingTable = (name: string): boolean => /__staging(_|$)/.test(name)
