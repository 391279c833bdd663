import { Effect, Layer, Predicate } from "effect"
import { readParquetRows } from "../../src/etl/parquet/read.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column, Row, Value } from "../../src/services/SourceDb.ts"
import {
  type Dataset,
  datasetName,
  type LoadRequest,
  type PartitionRef,
  Warehouse,
  WarehouseError
} from "../../src/services/Warehouse.ts"
import { storeFailure } from "./store-errors.ts"

interface Table {
  readonly columns: ReadonlyArray<Column>
  readonly partitionColumn: string | undefined
  readonly rows: ReadonlyArray<Row>
}

const messageOf = (cause: unknown): string =>
  Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause)

// How a value reads in a `column = 'value'` filter, the form partition values take.
const asText = (value: Value): string | undefined =>
  value === null || value instanceof Uint8Array ? undefined : String(value)

const sameColumns = (a: ReadonlyArray<Column>, b: ReadonlyArray<Column>): boolean =>
  a.length === b.length && a.every((column, i) => column.name === b[i]?.name && column.type === b[i]?.type)

const copyRow = (row: Row): Row =>
  Object.fromEntries(
    Object.entries(row).map(([name, value]) => [name, value instanceof Uint8Array ? value.slice() : value])
  )

/**
 * A warehouse in memory, for tests. `load` reads the Parquet files from the `ObjectStore`, checks the row count and
 * only then replaces the partition (or the whole table), so a failed load leaves the previous table untouched. The
 * partition column is added to every row as a string. Values read back are canonical (see `SourceDb`): int64 stays
 * bigint, timestamps keep their microseconds, and DECIMAL columns are read as their unscaled integers and written
 * out exactly. A decimal column stored as a Parquet float instead is accepted only if the float prints as a plain
 * decimal, and then with the float's digits, not the declared scale. Rows are kept in load order.
 */
export const layerMemory: Layer.Layer<Warehouse, never, ObjectStore> = Layer.effect(
  Warehouse,
  Effect.gen(function* () {
    const store = yield* ObjectStore
    // By schema, then table: a dotted schema name cannot be mistaken for a table.
    const schemas = new Map<string, Map<string, Table>>()
    const tableOf = (dataset: Dataset) => schemas.get(dataset.schema)?.get(dataset.table)
    const save = (dataset: Dataset, table: Table) => {
      const schema = schemas.get(dataset.schema) ?? new Map<string, Table>()
      schemas.set(dataset.schema, schema.set(dataset.table, table))
    }

    const readFile = Effect.fnUntraced(function* (dataset: string, key: string, columns: ReadonlyArray<Column>) {
      const bytes = yield* store.get(key).pipe(Effect.mapError(storeFailure(dataset, key)))
      return yield* Effect.tryPromise({
        try: () => readParquetRows(bytes, columns),
        catch: (cause) =>
          new WarehouseError({
            operation: "load",
            dataset,
            reason: "QueryFailed",
            detail: `cannot load Parquet file ${key}: ${messageOf(cause)}`,
            cause
          })
      })
    })

    const load = Effect.fn("Warehouse.load")(function* (request: LoadRequest) {
      const dataset = datasetName(request.dataset)
      const fail = (detail: string, reason: WarehouseError["reason"] = "QueryFailed") =>
        Effect.fail(new WarehouseError({ operation: "load", dataset, reason, detail }))
      const { partition } = request
      if (partition !== undefined && request.columns.some((column) => column.name === partition.column)) {
        return yield* fail(`the partition column "${partition.column}" must not be one of the data columns`)
      }
      const loaded: Array<Row> = []
      for (const key of request.files) {
        for (const row of yield* readFile(dataset, key, request.columns)) {
          loaded.push(partition === undefined ? row : { ...row, [partition.column]: partition.value })
        }
      }
      if (loaded.length !== request.expectedRows) {
        return yield* fail(
          `expected ${request.expectedRows} rows, the files hold ${loaded.length}; the table was left as it was`,
          "RowCountMismatch"
        )
      }
      // Checked against the table as it is now, after the reads: no other load can slip in between check and swap.
      const existing = tableOf(request.dataset)
      if (partition === undefined) {
        save(request.dataset, { columns: request.columns, partitionColumn: undefined, rows: loaded })
        return { rows: loaded.length }
      }
      if (existing !== undefined && existing.partitionColumn !== partition.column) {
        return yield* fail(
          existing.partitionColumn === undefined
            ? `the table is not partitioned, cannot replace partition ${partition.column}=${partition.value}`
            : `the table is partitioned by "${existing.partitionColumn}", not "${partition.column}"`
        )
      }
      if (existing !== undefined && !sameColumns(existing.columns, request.columns)) {
        return yield* fail("the columns differ from the table's; replace the whole table to change them")
      }
      const kept = (existing?.rows ?? []).filter((row) => row[partition.column] !== partition.value)
      save(request.dataset, { columns: request.columns, partitionColumn: partition.column, rows: [...kept, ...loaded] })
      return { rows: loaded.length }
    })

    const select = Effect.fnUntraced(function* (operation: string, dataset: Dataset, partition?: PartitionRef) {
      const name = datasetName(dataset)
      const table = tableOf(dataset)
      if (table === undefined) {
        return yield* new WarehouseError({
          operation,
          dataset: name,
          reason: "NotFound",
          detail: `table ${name} does not exist`
        })
      }
      if (partition === undefined) return table.rows
      if (partition.column !== table.partitionColumn && !table.columns.some((c) => c.name === partition.column)) {
        return yield* new WarehouseError({
          operation,
          dataset: name,
          reason: "NotFound",
          detail: `column "${partition.column}" does not exist in table ${name}`
        })
      }
      return table.rows.filter((row) => asText(row[partition.column] ?? null) === partition.value)
    })

    const count = Effect.fn("Warehouse.count")(function* (dataset: Dataset, partition?: PartitionRef) {
      return (yield* select("count", dataset, partition)).length
    })

    const rows = Effect.fn("Warehouse.rows")(function* (
      dataset: Dataset,
      options?: { readonly partition?: PartitionRef | undefined; readonly limit?: number | undefined }
    ) {
      const limit = options?.limit
      if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
        return yield* new WarehouseError({
          operation: "rows",
          dataset: datasetName(dataset),
          reason: "QueryFailed",
          detail: `limit must be a non-negative integer, got ${limit}`
        })
      }
      return (yield* select("rows", dataset, options?.partition)).slice(0, limit).map(copyRow)
    })

    const listTables = Effect.fn("Warehouse.tables")(function* (schema: string) {
      return Array.from(schemas.get(schema)?.keys() ?? []).sort()
    })

    // No SQL engine in memory: stages that need one are tested against DuckDB.
    const query = Effect.fn("Warehouse.query")(function* (_sql: string) {
      return yield* new WarehouseError({
        operation: "query",
        dataset: "memory",
        reason: "QueryFailed",
        detail: "the in-memory warehouse cannot run SQL; use the duckdb warehouse for SQL transfers"
      })
    })

    return Warehouse.of({ load, count, rows, tables: listTables, query })
  })
)
