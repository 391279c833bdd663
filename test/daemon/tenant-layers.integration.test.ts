import { assert, layer } from "@effect/vitest"
import { Effect, LayerMap, Redacted, Schema } from "effect"
import { eslTenantLayer } from "../../layers/tenant.ts"
import { TenantConfig } from "../../src/domain/TenantConfig.ts"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { EslApi } from "../../src/services/EslApi.ts"
import { TestDatabase } from "../support/database.ts"

const tenant = (id: string, eslUrl: string, password: string, sourceUrl: string) =>
  Schema.decodeUnknownSync(TenantConfig)({
    id,
    name: id,
    source: { url: sourceUrl, sslmode: "disable" },
    esl: {
      api: { base_url: eslUrl, username: `${id}-user`, password },
      company: "SHOP",
      stores: ["S001"],
      source: { table: "items", change_column: "updated_at", key_column: "item_code", store_column: "store_code" },
      mapping: { article_id: "item_code", article_name: "item_name", data: {} }
    }
  })

layer(TestDatabase.layer, { excludeTestServices: true })("per-tenant Layers", (it) => {
  it.effect("each tenant gets its own ESL client, credentials and token, never another tenant's", () =>
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      const simA = yield* startSimulator({
        companies: { SHOP: ["S001"] },
        credentials: { username: "a-user", password: "pa" }
      })
      const simB = yield* startSimulator({
        companies: { SHOP: ["S001"] },
        credentials: { username: "b-user", password: "pb" }
      })
      const tenants = new Map([
        ["a", tenant("a", simA.url, "pa", Redacted.value(url))],
        ["b", tenant("b", simB.url, "pb", Redacted.value(url))]
      ])
      // The daemon's shape: one LayerMap, the same factory for every key.
      const map = yield* LayerMap.make((id: string) => eslTenantLayer(tenants.get(id) ?? assert.fail(id)), {
        idleTimeToLive: "10 minutes"
      })
      const token = (id: string) => EslApi.use((api) => api.token("SHOP")).pipe(Effect.provide(map.get(id)))
      const a1 = yield* token("a")
      const b1 = yield* token("b")
      const a2 = yield* token("a")
      assert.notStrictEqual(Redacted.value(a1.accessToken), Redacted.value(b1.accessToken))
      // Tenant a's client is reused (one login), tenant b's is its own (one login at its own API).
      assert.strictEqual(Redacted.value(a2.accessToken), Redacted.value(a1.accessToken))
      assert.strictEqual((yield* simA.stats).tokensIssued, 1)
      assert.strictEqual((yield* simB.stats).tokensIssued, 1)
    })
  )
})
