import { Effect, Layer } from "effect"
import type { TenantConfig } from "../src/domain/TenantConfig.ts"
import type { EslApi } from "../src/services/EslApi.ts"
import type { Notifier } from "../src/services/Notifier.ts"
import type { SourceDb, SourceDbError } from "../src/services/SourceDb.ts"
import { layerHttpFetch } from "./esl-api/http.ts"
import { layerFromConfigNode } from "./notifier/fromConfig.ts"
import { layerPostgres } from "./source-db/postgres.ts"

/**
 * A tenant's own source database, ESL API client and notifiers, built from its config. `Layer.fresh`: Effect
 * memoizes Layers by identity, and a tenant must never be handed another tenant's pool or token.
 */
export const eslTenantLayer = (tenant: TenantConfig): Layer.Layer<SourceDb | EslApi | Notifier, SourceDbError> => {
  const esl = tenant.esl
  const api =
    esl === undefined
      ? Layer.effectContext(Effect.die(new Error(`tenant ${tenant.id} has no esl section`)))
      : layerHttpFetch({
          baseUrl: esl.api.base_url,
          clusterPrefix: esl.api.cluster_prefix,
          username: esl.api.username,
          password: esl.api.password,
          timeout: esl.api.timeout
        })
  return Layer.fresh(
    Layer.mergeAll(
      layerPostgres({ tenant: tenant.id, source: tenant.source }),
      api as Layer.Layer<EslApi>,
      layerFromConfigNode(tenant.id, tenant.notifications)
    )
  )
}
