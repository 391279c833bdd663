import { resolve } from "node:path"
import { Effect, Layer } from "effect"
import type { LoadedTenant } from "../src/config/load.ts"
import type { TenantConfig, WarehouseConfig } from "../src/domain/TenantConfig.ts"
import type { EslApi } from "../src/services/EslApi.ts"
import type { Notifier } from "../src/services/Notifier.ts"
import type { ObjectStore } from "../src/services/ObjectStore.ts"
import type { SourceDb, SourceDbError } from "../src/services/SourceDb.ts"
import { Warehouse, WarehouseError } from "../src/services/Warehouse.ts"
import { layerHttpNode } from "./esl-api/http.ts"
import { layerFromConfigNode } from "./notifier/fromConfig.ts"
import { layerPostgres } from "./source-db/postgres.ts"

/**
 * A Layer whose module is imported when the Layer is built, not when this file is: an ESL-only process never loads
 * DuckDB, the Trino client or the AWS SDK (tens of MB and hundreds of ms).
 */
const lazy = <M, A, E, R>(load: () => Promise<M>, make: (module: M) => Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.unwrap(Effect.map(Effect.promise(load), make))

// Every factory below wraps its result in `Layer.fresh`: Effect memoizes Layers by identity, and a tenant must never
// be handed another tenant's pool, client or token.

/** A tenant's own source database, ESL API client and notifiers. */
export const eslTenantLayer = (tenant: TenantConfig): Layer.Layer<SourceDb | EslApi | Notifier, SourceDbError> => {
  const esl = tenant.esl
  const api: Layer.Layer<EslApi> =
    esl === undefined
      ? Layer.effectContext(Effect.die(new Error(`tenant ${tenant.id} has no esl section`)))
      : layerHttpNode({
          baseUrl: esl.api.base_url,
          clusterPrefix: esl.api.cluster_prefix,
          username: esl.api.username,
          password: esl.api.password,
          timeout: esl.api.timeout
        })
  return Layer.fresh(
    Layer.mergeAll(
      layerPostgres({ tenant: tenant.id, source: tenant.source }),
      api,
      layerFromConfigNode(tenant.id, tenant.notifications)
    )
  )
}

/** `warehouse: none`: loading is refused by config validation, so this only answers if something slips through. */
const noWarehouse = (tenant: string): Layer.Layer<Warehouse> => {
  const refuse = (operation: string) =>
    Effect.fail(
      new WarehouseError({
        operation,
        dataset: tenant,
        reason: "QueryFailed",
        detail: "this tenant has no warehouse (warehouse: none); configure duckdb or trino to load data"
      })
    )
  return Layer.succeed(Warehouse, {
    load: () => refuse("load"),
    count: () => refuse("count"),
    rows: () => refuse("rows"),
    tables: () => refuse("tables"),
    query: () => refuse("query")
  })
}

export const warehouseLayer = (
  tenant: string,
  config: WarehouseConfig
): Layer.Layer<Warehouse, WarehouseError, ObjectStore> => {
  switch (config.type) {
    case "duckdb":
      return lazy(
        () => import("./warehouse/duckdb.ts"),
        ({ layerDuckDb }) =>
          layerDuckDb({ path: config.path === ":memory:" ? config.path : resolve(config.path), schema: config.schema })
      )
    case "trino":
      return lazy(
        () => import("./warehouse/trino.ts"),
        ({ layerTrino, trinoOptions }) => layerTrino(trinoOptions(config, `storeflow/${tenant}`))
      )
    case "none":
      return noWarehouse(tenant)
  }
}

/** A tenant's source database, object store and warehouse, for ETL runs. */
export const etlTenantLayer = (tenant: LoadedTenant) => {
  const config = tenant.config
  const objectStore = config.object_store
  const store: Layer.Layer<ObjectStore> =
    objectStore === undefined
      ? Layer.effectContext(Effect.die(new Error(`tenant ${tenant.id} has no object_store`)))
      : lazy(
          () => import("./object-store/fromConfig.ts"),
          ({ objectStoreLayer }) => objectStoreLayer(objectStore)
        )
  return Layer.fresh(
    Layer.mergeAll(
      layerPostgres({ tenant: tenant.id, source: config.source }),
      warehouseLayer(tenant.id, config.warehouse).pipe(Layer.provideMerge(store))
    )
  )
}
