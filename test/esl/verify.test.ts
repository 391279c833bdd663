import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EslMemory } from "../../layers/esl-api/memory.ts"
import { NotifierRecording } from "../../layers/notifier/memory.ts"
import { storeSpecs } from "../../src/esl/stores.ts"
import { syncStore } from "../../src/esl/sync.ts"
import { verifyStore, verifyTenant } from "../../src/esl/verify.ts"
import { EslApi } from "../../src/services/EslApi.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { item, layers, tenantConfig } from "./fixtures.ts"

const tenant = tenantConfig()
const S001 = storeSpecs(tenant.esl ?? (undefined as never))[0] ?? (undefined as never)

describe("esl verify", () => {
  it.live("reports articles missing, extra and different on the API, and re-queues them on request", () =>
    Effect.gen(function* () {
      yield* syncStore(tenant, S001)
      const api = yield* EslApi
      yield* api.deleteArticles("ACME", "S001", ["A2"])
      yield* api.upsertArticles("ACME", "S001", [
        { articleId: "A3", articleName: "item A3", data: { SALE_PRICE: "1" } }
      ])
      yield* api.upsertArticles("ACME", "S001", [{ articleId: "X9", articleName: "stray", data: {} }])

      const report = yield* verifyStore(tenant, S001, false)
      assert.strictEqual(report.status, "succeeded")
      assert.deepStrictEqual(report.missing, ["A2"])
      assert.deepStrictEqual(report.different, ["A3"])
      assert.deepStrictEqual(report.extra, ["X9"])
      assert.deepStrictEqual(report.counts, {
        expected: 3,
        onApi: 3,
        missing: 1,
        extra: 1,
        different: 1,
        invalid: 0,
        requeued: 0
      })
      const alerts = yield* (yield* NotifierRecording).sent
      assert.include(alerts.at(-1)?.text, "1 missing and 1 different of 3 articles")

      const requeued = yield* verifyStore(tenant, S001, true)
      assert.strictEqual(requeued.counts.requeued, 2)
      assert.deepStrictEqual(yield* RunStore.use((s) => s.requeued("acme", "S001")), ["A2", "A3"])
      const repaired = yield* syncStore(tenant, S001)
      assert.strictEqual(repaired.summary.counts.sent, 2)
      const after = yield* verifyStore(tenant, S001, false)
      assert.deepStrictEqual([after.counts.missing, after.counts.different], [0, 0])
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2), item("A3", "S001", 3)])))
  )

  it.live("pages through large stores and tolerates fields the mapping does not send", () =>
    Effect.gen(function* () {
      yield* syncStore(tenant, S001)
      const api = yield* EslApi
      // Another system wrote an extra field: not a difference storeflow is responsible for.
      yield* api.upsertArticles("ACME", "S001", [
        { articleId: "P0001", articleName: "item P0001", data: { PROMO: "x" } }
      ])
      const report = yield* verifyStore(tenant, S001, false)
      assert.strictEqual(report.counts.onApi, 1203)
      assert.strictEqual(report.counts.different, 0)
      const listCalls = (yield* (yield* EslMemory).calls).filter((c) => c.operation === "listArticles")
      assert.strictEqual(listCalls.length, 3)
    }).pipe(
      Effect.provide(
        layers(Array.from({ length: 1203 }, (_, i) => item(`P${String(i).padStart(4, "0")}`, "S001", 1 + (i % 50))))
      )
    )
  )

  it.live("a store the API refuses is a failed verification; the others are still checked", () =>
    Effect.gen(function* () {
      const config = tenantConfig({ stores: ["S001", "S404"] })
      const reports = yield* verifyTenant(config)
      assert.deepStrictEqual(
        reports.map((r) => [r.store, r.status]),
        [
          ["S001", "succeeded"],
          ["S404", "failed"]
        ]
      )
      assert.include(reports[1]?.error, "STORE_CODE_NOT_FOUND")
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )
})
