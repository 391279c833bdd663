import { Effect, Layer } from "effect"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import {
  type Dataset,
  datasetName,
  type PartitionRef,
  Warehouse,
  WarehouseError
} from "../../src/services/Warehouse.ts"
import { type DuckDbFailure, openDuckDb } from "./duckdb-connection.ts"
import { makeLoad } from "./duckdb-load.ts"
import { identifierProblem, literal, quoted, tableSql } from "./duckdb-sql.ts"
import { classify, describeTable, sameName, type TableInfo } from "./duckdb-table.ts"
import { canonicalRows } from "./duckdb-values.ts"

export interface DuckDbWarehouseOptions {
  /** The database file, created with its folder when missing; `":memory:"` for a database that lives in the Layer. */
  readonly path: string
  /** Created at start; unqualified names in `query` resolve to it. */
  readonly schema: string
}

/**
 * The embedded warehouse: one DuckDB database file, one connection (statements run one at a time), closed with the
 * Layer's scope. A dataset is the table `"<schema>"."<table>"`; columns get the DuckDB type of their canonical type
 * (decimals without a precision, or above 38 digits, are VARCHAR holding the exact text; JSON is VARCHAR when the
 * json extension is neither built in nor installed, as nothing is ever downloaded) and are all nullable. The
 * partition column is a VARCHAR added last and marked in the catalog by a column comment, so a fresh DuckDB (the
 * CLI, a notebook) reads the same table. Parquet files are read in place when the `ObjectStore` keeps them as local
 * files, otherwise downloaded to a temporary folder for the load. A partitioned load adds columns the table lacks
 * and widens integer, float and decimal columns that are too narrow; columns the load does not declare get NULL. A
 * load without a partition replaces the table, its columns included. Rows read back are canonical (see `SourceDb`).
 */
export const layerDuckDb = (options: DuckDbWarehouseOptions): Layer.Layer<Warehouse, WarehouseError, ObjectStore> =>
  Layer.effect(
    Warehouse,
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const opening = (detail: string, cause?: DuckDbFailure) =>
        new WarehouseError({
          operation: "open",
          dataset: options.path,
          reason: cause === undefined ? "QueryFailed" : classify(cause.message),
          detail,
          cause
        })
      const problem = identifierProblem(options.schema, "schema")
      if (problem !== undefined) return yield* opening(problem)
      const db = yield* openDuckDb(options.path).pipe(
        Effect.mapError((error) => opening(`cannot open the DuckDB database ${options.path}: ${error.message}`, error))
      )
      yield* db.execute(`CREATE SCHEMA IF NOT EXISTS ${quoted(options.schema)}`).pipe(
        Effect.andThen(db.execute(`SET schema = ${literal(options.schema)}`)),
        Effect.mapError((error) => opening(`cannot create schema ${options.schema}: ${error.message}`, error))
      )

      const failure = (operation: string, dataset: string, detail: string, reason: WarehouseError["reason"]) =>
        new WarehouseError({ operation, dataset, reason, detail })
      const fromDuckDb = (operation: string, dataset: string) => (error: DuckDbFailure) =>
        new WarehouseError({ operation, dataset, reason: classify(error.message), detail: error.message, cause: error })

      // The table, and the filter selecting one partition (or rows whose column reads as the value), or NotFound.
      const resolve = Effect.fnUntraced(function* (operation: string, dataset: Dataset, partition?: PartitionRef) {
        const name = datasetName(dataset)
        const invalid =
          identifierProblem(dataset.schema, "schema") ??
          identifierProblem(dataset.table, "table") ??
          (partition === undefined ? undefined : identifierProblem(partition.column, "column"))
        if (invalid !== undefined) return yield* failure(operation, name, invalid, "QueryFailed")
        const table = yield* describeTable(db, dataset).pipe(Effect.mapError(fromDuckDb(operation, name)))
        if (table === undefined) return yield* failure(operation, name, `table ${name} does not exist`, "NotFound")
        if (partition === undefined) return { table, where: "", parameters: [] }
        const column = table.columns.find((found) => sameName(found.name, partition.column))
        if (column === undefined) {
          return yield* failure(
            operation,
            name,
            `column "${partition.column}" does not exist in table ${name}`,
            "NotFound"
          )
        }
        return { table, where: ` WHERE CAST(${quoted(column.name)} AS VARCHAR) = $1`, parameters: [partition.value] }
      })

      const count = Effect.fn("Warehouse.count")(function* (dataset: Dataset, partition?: PartitionRef) {
        return yield* db.serialized(
          Effect.gen(function* () {
            const { where, parameters } = yield* resolve("count", dataset, partition)
            const result = yield* db
              .select(`SELECT count(*) FROM ${tableSql(dataset)}${where}`, parameters)
              .pipe(Effect.mapError(fromDuckDb("count", datasetName(dataset))))
            return Number(result.rows[0]?.[0] ?? 0)
          })
        )
      })

      // Data columns first, the partition column last, whatever order ALTER TABLE left them in.
      const selectList = (table: TableInfo): string =>
        [
          ...table.columns.filter((column) => column.name !== table.partitionColumn),
          ...table.columns.filter((column) => column.name === table.partitionColumn)
        ]
          .map((column) => quoted(column.name))
          .join(", ")

      const rows = Effect.fn("Warehouse.rows")(function* (
        dataset: Dataset,
        options?: { readonly partition?: PartitionRef | undefined; readonly limit?: number | undefined }
      ) {
        const limit = options?.limit
        if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
          const detail = `limit must be a non-negative integer, got ${limit}`
          return yield* failure("rows", datasetName(dataset), detail, "QueryFailed")
        }
        return yield* db.serialized(
          Effect.gen(function* () {
            const { table, where, parameters } = yield* resolve("rows", dataset, options?.partition)
            const limited = limit === undefined ? "" : ` LIMIT ${limit}`
            const result = yield* db
              .select(`SELECT ${selectList(table)} FROM ${tableSql(dataset)}${where}${limited}`, parameters)
              .pipe(Effect.mapError(fromDuckDb("rows", datasetName(dataset))))
            return canonicalRows(
              result.names,
              result.types.map((type) => type === "FLOAT"),
              result.rows
            )
          })
        )
      })

      const tables = Effect.fn("Warehouse.tables")(function* (schema: string) {
        const invalid = identifierProblem(schema, "schema")
        if (invalid !== undefined) return yield* failure("tables", schema, invalid, "QueryFailed")
        const result = yield* db
          .serialized(
            db.select(
              `SELECT table_name FROM information_schema.tables
               WHERE table_catalog = current_database() AND lower(table_schema) = lower($1)`,
              [schema]
            )
          )
          .pipe(Effect.mapError(fromDuckDb("tables", schema)))
        return result.rows.map((row) => String(row[0])).sort()
      })

      const query = Effect.fn("Warehouse.query")(function* (sql: string) {
        return yield* db.serialized(
          Effect.gen(function* () {
            const statements = yield* db.statementCount(sql)
            if (statements !== 1) {
              const detail = `expected exactly one SQL statement, got ${statements}`
              return yield* failure("query", options.path, detail, "QueryFailed")
            }
            const result = yield* db.select(sql)
            return canonicalRows(
              result.names,
              result.types.map((type) => type === "FLOAT"),
              result.rows
            )
          }).pipe(Effect.catchTag("DuckDbFailure", (error) => Effect.fail(fromDuckDb("query", options.path)(error))))
        )
      })

      return Warehouse.of({ load: makeLoad(db, store), count, rows, tables, query })
    })
  )
