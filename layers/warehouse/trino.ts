import { Duration, Effect, Layer, type Redacted } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import type { TrinoWarehouse } from "../../src/domain/TenantConfig.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import {
  type Dataset,
  datasetName,
  type PartitionRef,
  Warehouse,
  WarehouseError
} from "../../src/services/Warehouse.ts"
import { runStatement, type TrinoSession } from "./trino-client.ts"
import { warehouseError } from "./trino-errors.ts"
import { makeLoad } from "./trino-load.ts"
import * as Sql from "./trino-sql.ts"
import { canonicalRows } from "./trino-values.ts"

export interface TrinoOptions {
  /** Coordinator URL, e.g. `http://trino:8080`. */
  readonly url: string
  readonly catalog: string
  readonly user: string
  readonly password?: Redacted.Redacted<string> | undefined
  /** How loads register data: Hive external tables or Iceberg tables (see `trino-load.ts`). */
  readonly tableFormat: Sql.TableFormat
  /** Per statement, queueing included; a statement still running then is cancelled. */
  readonly queryTimeout: Duration.Input
  /** `X-Trino-Source`, shown in Trino's UI and usable by resource groups; `storeflow` by default. */
  readonly source?: string | undefined
  /** Default schema for unqualified names in `query`. */
  readonly schema?: string | undefined
}

/** The options of a tenant's `warehouse:` block. */
export const trinoOptions = (config: typeof TrinoWarehouse.Type, source?: string): TrinoOptions => ({
  url: config.url,
  catalog: config.catalog,
  user: config.user,
  password: config.password,
  tableFormat: config.table_format,
  queryTimeout: config.query_timeout,
  source,
  schema: config.schema
})

const make = Effect.fnUntraced(function* (options: TrinoOptions) {
  const http = yield* HttpClient.HttpClient
  const store = yield* ObjectStore
  const session: TrinoSession = {
    url: options.url,
    user: options.user,
    password: options.password,
    source: options.source ?? "storeflow",
    catalog: options.catalog,
    schema: options.schema,
    // Hive reads Parquet timestamps at millisecond precision unless told otherwise, and refuses timestamp(6) columns.
    properties:
      options.tableFormat === "hive" ? { [`${options.catalog}.timestamp_precision`]: "MICROSECONDS" } : undefined,
    timeout: Duration.fromInputUnsafe(options.queryTimeout)
  }
  const run = (sql: string) =>
    runStatement(http, session, sql).pipe(
      Effect.tap((result) => Effect.annotateCurrentSpan("trino.query_id", result.queryId ?? "")),
      Effect.withSpan("Trino.statement", { attributes: { "db.system.name": "trino", "db.query.text": sql } })
    )

  const checkNames = (operation: string, dataset: string, names: ReadonlyArray<string | undefined>) => {
    const invalid = [options.catalog, ...names].find((name) => name !== undefined && !Sql.isIdentifier(name))
    return invalid === undefined
      ? Effect.void
      : Effect.fail(
          new WarehouseError({
            operation,
            dataset,
            reason: "QueryFailed",
            detail: `"${invalid}" is not a valid identifier (letters, digits and _)`
          })
        )
  }
  const refOf = (dataset: Dataset): Sql.TableRef => ({ catalog: options.catalog, ...dataset })

  const load = makeLoad({ catalog: options.catalog, tableFormat: options.tableFormat, store, run })

  const count = Effect.fn("Warehouse.count")(function* (dataset: Dataset, partition?: PartitionRef) {
    const name = datasetName(dataset)
    yield* checkNames("count", name, [dataset.schema, dataset.table, partition?.column])
    const result = yield* run(Sql.countRows(refOf(dataset), partition)).pipe(
      Effect.mapError(warehouseError("count", name))
    )
    return Number(result.data[0]?.[0] ?? 0)
  })

  const rows = Effect.fn("Warehouse.rows")(function* (
    dataset: Dataset,
    options?: { readonly partition?: PartitionRef | undefined; readonly limit?: number | undefined }
  ) {
    const name = datasetName(dataset)
    const limit = options?.limit
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
      return yield* new WarehouseError({
        operation: "rows",
        dataset: name,
        reason: "QueryFailed",
        detail: `limit must be a non-negative integer, got ${limit}`
      })
    }
    yield* checkNames("rows", name, [dataset.schema, dataset.table, options?.partition?.column])
    const result = yield* run(Sql.selectRows(refOf(dataset), options?.partition, limit)).pipe(
      Effect.mapError(warehouseError("rows", name))
    )
    return canonicalRows(result.columns, result.data)
  })

  const tables = Effect.fn("Warehouse.tables")(function* (schema: string) {
    yield* checkNames("tables", schema, [schema])
    const result = yield* run(Sql.listTables(options.catalog, schema)).pipe(
      Effect.mapError(warehouseError("tables", schema))
    )
    // A load's staging table is an implementation detail, visible only while (or if a crash left it) loading.
    return result.data
      .map((row) => String(row[0]))
      .filter((table) => !Sql.isStagingTable(table))
      .sort()
  })

  const query = Effect.fn("Warehouse.query")(function* (sql: string) {
    const result = yield* run(sql).pipe(Effect.mapError(warehouseError("query", options.catalog)))
    return canonicalRows(result.columns, result.data)
  })

  return Warehouse.of({ load, count, rows, tables, query })
})

/**
 * The warehouse on a Trino cluster, speaking Trino's client protocol (see `trino-client.ts`) over fetch. Loads need
 * `ObjectStore.uri` to point Trino at the files (`s3://…`) and `list` to check their folder.
 */
export const layerTrino = (options: TrinoOptions): Layer.Layer<Warehouse, never, ObjectStore> =>
  Layer.effect(Warehouse, make(options)).pipe(Layer.provide(FetchHttpClient.layer))
