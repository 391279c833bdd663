import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { EslMemory } from "../../layers/esl-api/memory.ts"
import { NotifierRecording } from "../../layers/notifier/memory.ts"
import { MemorySourceTables } from "../../layers/source-db/memory.ts"
import { legacyText } from "../../src/esl/articles.ts"
import { storeSpecs } from "../../src/esl/stores.ts"
import { syncStore, syncTenant } from "../../src/esl/sync.ts"
import { EslApi, EslApiError } from "../../src/services/EslApi.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { at, item, layers, tenantConfig } from "./fixtures.ts"

const tenant = tenantConfig()
const S001 = storeSpecs(tenant.esl ?? (undefined as never))[0] ?? (undefined as never)
/** The memory API, except that from the n-th upsert on every call fails with a 503. */
const failingFromCall = (n: number) =>
  Layer.effect(
    EslApi,
    Effect.gen(function* () {
      const real = yield* EslApi
      let calls = 0
      return EslApi.of({
        ...real,
        upsertArticles: (company, store, articles, mode) => {
          calls += 1
          return calls >= n
            ? Effect.fail(
                new EslApiError({
                  operation: "upsertArticles",
                  company,
                  store,
                  reason: "ServerError",
                  status: 503,
                  responseMessage: "Service Unavailable"
                })
              )
            : real.upsertArticles(company, store, articles, mode)
        }
      })
    })
  )

const sync = (config = tenant, full = false) => syncStore(config, S001, { full })
const stored = EslMemory.use((api) => api.articles("ACME", "S001"))
const wm = RunStore.use((s) => s.getWatermark({ tenant: "acme", store: "S001", source: "public.esl_items" }))

describe("ESL sync of one store", () => {
  it.live("a first pass sends the store's rows as articles and records the run", () =>
    Effect.gen(function* () {
      const { summary } = yield* sync()
      assert.strictEqual(summary.status, "succeeded", summary.error)
      assert.deepStrictEqual(
        (yield* stored).map((a) => [a.articleId, a.data.SALE_PRICE, a.data.ITEM_NAME]),
        [
          ["A1", "1000", "item A1"],
          ["A2", "2500", "우유 1L"]
        ]
      )
      assert.strictEqual(summary.counts.extracted, 2)
      assert.strictEqual(summary.counts.sent, 2)
      assert.strictEqual(summary.counts.accepted, 2)
      assert.deepStrictEqual(summary.watermark.after, { value: at(2), key: "A2" })
      assert.deepStrictEqual(Option.getOrUndefined(yield* wm)?.key, "A2")
      const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "acme" }))
      assert.strictEqual(runs[0]?.status, "succeeded")
      assert.strictEqual(runs[0]?.store, "S001")
      assert.strictEqual(runs[0]?.counts.sent, 2)
    }).pipe(
      Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2, "2499.5", "우유 1L"), item("B1", "S002", 1)]))
    )
  )

  it.live("a pass with nothing changed is skipped without asking for a token or calling the API", () =>
    Effect.gen(function* () {
      yield* sync()
      const fetches = yield* EslMemory.use((api) => api.tokenFetches("ACME"))
      const calls = (yield* EslMemory.use((api) => api.calls)).length
      const { summary } = yield* sync()
      assert.strictEqual(summary.status, "skipped")
      assert.strictEqual(yield* EslMemory.use((api) => api.tokenFetches("ACME")), fetches)
      assert.strictEqual((yield* EslMemory.use((api) => api.calls)).length, calls)
      const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "acme" }))
      assert.strictEqual(runs[0]?.status, "skipped")
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )

  it.live("only changed rows are read again, and an unchanged article is not re-sent", () =>
    Effect.gen(function* () {
      yield* sync()
      const tables = yield* MemorySourceTables
      yield* tables.update("esl_items", (r) => r.item_code === "A1", { updated_at: at(5), sale_price: "1200" })
      yield* tables.update("esl_items", (r) => r.item_code === "A2", { updated_at: at(6) })
      const { summary } = yield* sync()
      assert.strictEqual(summary.counts.extracted, 2)
      assert.strictEqual(summary.counts.unchanged, 1)
      assert.strictEqual(summary.counts.sent, 1)
      const calls = yield* EslMemory.use((api) => api.calls)
      assert.strictEqual(calls.at(-1)?.articleCount, 1)
      assert.strictEqual((yield* stored).find((a) => a.articleId === "A1")?.data.SALE_PRICE, "1200")
      assert.deepStrictEqual(summary.watermark.after, { value: at(6), key: "A2" })
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2)])))
  )

  it.live("two rows of a chunk giving one article id send the later row's article once, and keep its hash", () => {
    // The article id is the name here, so rows A1 and A2 (both "우유 1L") are one article.
    const byName = tenantConfig({
      mapping: {
        article_id: "item_name",
        article_name: "item_code",
        data: { SALE_PRICE: { column: "sale_price", format: "price", required: true } }
      }
    })
    return Effect.gen(function* () {
      const { summary } = yield* sync(byName)
      assert.strictEqual(summary.status, "succeeded", summary.error)
      assert.strictEqual(summary.counts.extracted, 3)
      assert.strictEqual(summary.counts.sent, 2)
      assert.deepStrictEqual(
        (yield* stored).map((a) => [a.articleId, a.articleName, a.data.SALE_PRICE]),
        [
          ["빵", "A3", "3000"],
          ["우유 1L", "A2", "2000"]
        ]
      )
      // The stored hash is the later row's: touching A2 without a change sends nothing.
      const tables = yield* MemorySourceTables
      yield* tables.update("esl_items", (r) => r.item_code === "A2", { updated_at: at(9) })
      const second = yield* sync(byName)
      assert.strictEqual(second.summary.counts.unchanged, 1)
      assert.strictEqual(second.summary.counts.sent, 0)
    }).pipe(
      Effect.provide(
        layers([
          item("A1", "S001", 1, "1000", "우유 1L"),
          item("A2", "S001", 2, "2000", "우유 1L"),
          item("A3", "S001", 3, "3000", "빵")
        ])
      )
    )
  })

  it.live("a store's first pass sends without looking hashes up; later passes look them up", () => {
    const lookups: Array<number> = []
    const counting = Layer.effect(
      RunStore,
      Effect.map(RunStore, (store) =>
        RunStore.of({
          ...store,
          getArticleHashes: (tenantId, storeCode, ids) =>
            Effect.suspend(() => {
              lookups.push(ids.length)
              return store.getArticleHashes(tenantId, storeCode, ids)
            })
        })
      )
    )
    return Effect.gen(function* () {
      const first = yield* sync()
      assert.strictEqual(first.summary.counts.sent, 2)
      assert.deepStrictEqual(lookups, [])
      const tables = yield* MemorySourceTables
      yield* tables.update("esl_items", () => true, { updated_at: at(9) })
      const second = yield* sync()
      assert.deepStrictEqual(lookups, [2])
      assert.strictEqual(second.summary.counts.unchanged, 2)
      assert.strictEqual(second.summary.counts.sent, 0)
    }).pipe(Effect.provide(Layer.provideMerge(counting, layers([item("A1", "S001", 1), item("A2", "S001", 2)]))))
  })

  it.live("hashes stored in the earlier format still spare unchanged articles", () =>
    Effect.gen(function* () {
      yield* sync()
      // As an earlier storeflow left them: each accepted article's hash taken of its legacy text.
      const legacy = (yield* stored).map(({ lastUpdated: _, ...article }) => ({
        articleId: article.articleId,
        hash: createHash("sha256").update(legacyText(article)).digest("base64url"),
        isNew: false
      }))
      yield* RunStore.use((s) => s.putArticleHashes("acme", "S001", legacy))
      const tables = yield* MemorySourceTables
      yield* tables.update("esl_items", (r) => r.item_code === "A1", { updated_at: at(5) })
      yield* tables.update("esl_items", (r) => r.item_code === "A2", { updated_at: at(6), sale_price: "3000" })
      const { summary } = yield* sync()
      assert.strictEqual(summary.counts.unchanged, 1)
      assert.strictEqual(summary.counts.sent, 1)
      assert.strictEqual((yield* EslMemory.use((api) => api.calls)).at(-1)?.articleCount, 1)
      assert.strictEqual((yield* stored).find((a) => a.articleId === "A2")?.data.SALE_PRICE, "3000")
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2)])))
  )

  it.live("rows sharing a change value across a chunk boundary are all delivered, in key order", () =>
    Effect.gen(function* () {
      const small = tenantConfig({ batch_size: 2, concurrency: 2 })
      const { summary } = yield* sync(small)
      assert.strictEqual(summary.counts.chunks, 3)
      assert.deepStrictEqual(
        (yield* stored).map((a) => a.articleId),
        ["K1", "K2", "K3", "K4", "K5"]
      )
      assert.deepStrictEqual(summary.watermark.after, { value: at(3), key: "K5" })
      const tables = yield* MemorySourceTables
      yield* tables.insert("esl_items", [item("K0", "S001", 3), item("K6", "S001", 3)])
      const second = yield* sync(small)
      // K0 sorts before the watermark's key at the same instant: a late writer with an old timestamp is not seen,
      // K6 (after it) is.
      assert.strictEqual(second.summary.counts.extracted, 1)
      assert.isDefined((yield* stored).find((a) => a.articleId === "K6"))
    }).pipe(Effect.provide(layers(["K3", "K1", "K5", "K2", "K4"].map((k) => item(k, "S001", 3)))))
  )

  it.live("invalid rows are quarantined with key and reason; the rest goes out and the watermark passes them", () =>
    Effect.gen(function* () {
      const { summary } = yield* sync()
      assert.strictEqual(summary.status, "succeeded")
      assert.strictEqual(summary.counts.invalid, 2)
      assert.deepStrictEqual(summary.invalid, [
        { key: "A2", reason: 'sale_price (SALE_PRICE): "12,000" is not a number' },
        { key: "A3", reason: "item_name (article name) is empty" }
      ])
      assert.deepStrictEqual(
        (yield* stored).map((a) => a.articleId),
        ["A1", "A4"]
      )
      assert.strictEqual(Option.getOrUndefined(yield* wm)?.key, "A4")
    }).pipe(
      Effect.provide(
        layers([
          item("A1", "S001", 1),
          item("A2", "S001", 2, "12,000"),
          item("A3", "S001", 3, "1", ""),
          item("A4", "S001", 4)
        ])
      )
    )
  )

  it.live("transient failures are retried; past the retries the run fails and the watermark stays before them", () =>
    Effect.gen(function* () {
      const small = tenantConfig({ batch_size: 1, concurrency: 1 })
      yield* (yield* EslMemory).failNext("upsertArticles", "ServerError", 2)
      const retried = yield* sync(small)
      assert.strictEqual(retried.summary.status, "succeeded")
      assert.strictEqual(retried.summary.counts.retries, 2)

      yield* (yield* MemorySourceTables).insert("esl_items", [
        item("B1", "S001", 10),
        item("B2", "S001", 11),
        item("B3", "S001", 12)
      ])
      // B1 goes through, then B2 fails on every attempt.
      const failed = yield* sync(small).pipe(Effect.provide(failingFromCall(2)))
      assert.strictEqual(failed.summary.status, "failed")
      assert.include(failed.summary.error, "503")
      assert.strictEqual(failed.summary.counts.retries, 2)
      assert.deepStrictEqual(failed.summary.watermark.after, { value: at(10), key: "B1" })
      assert.strictEqual(Option.getOrUndefined(yield* wm)?.key, "B1")

      const recovered = yield* sync(small)
      assert.strictEqual(recovered.summary.status, "succeeded")
      assert.strictEqual(recovered.summary.counts.sent, 2)
      assert.deepStrictEqual(
        (yield* stored).map((a) => a.articleId),
        ["A1", "B1", "B2", "B3"]
      )
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )

  it.live("a refused chunk (405) and per-article rejections are recorded by id with the server's text", () =>
    Effect.gen(function* () {
      const api = yield* EslMemory
      yield* api.rejectIds("ACME", ["A2"], "SALE_PRICE out of range")
      const first = yield* sync()
      assert.strictEqual(first.summary.status, "succeeded")
      assert.deepStrictEqual(first.summary.rejected, [{ articleId: "A2", errorText: "SALE_PRICE out of range" }])
      assert.strictEqual(first.summary.counts.accepted, 1)

      yield* (yield* MemorySourceTables).insert("esl_items", [item("A3", "S001", 9)])
      yield* api.failNext("upsertArticles", {
        reason: "InvalidRequest",
        status: 405,
        responseMessage: "STORE_CODE_NOT_FOUND"
      })
      const second = yield* sync()
      assert.strictEqual(second.summary.status, "succeeded")
      assert.strictEqual(second.summary.rejected[0]?.articleId, "A3")
      assert.include(second.summary.rejected[0]?.errorText, "STORE_CODE_NOT_FOUND")
      assert.strictEqual(Option.getOrUndefined(yield* wm)?.key, "A3")
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2)])))
  )

  it.live("--full re-sends everything, ignoring the watermark and content hashes", () =>
    Effect.gen(function* () {
      yield* sync()
      const { summary } = yield* sync(tenant, true)
      assert.strictEqual(summary.status, "succeeded")
      assert.strictEqual(summary.counts.sent, 2)
      assert.strictEqual(summary.counts.unchanged, 0)
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2)])))
  )

  it.live("rows whose change column is NULL are delivered, counted, and not re-sent while unchanged", () =>
    Effect.gen(function* () {
      const first = yield* sync()
      assert.strictEqual(first.summary.counts.nullChange, 1)
      assert.isDefined((yield* stored).find((a) => a.articleId === "N1"))
      yield* (yield* MemorySourceTables).insert("esl_items", [item("A2", "S001", 5)])
      const second = yield* sync()
      assert.strictEqual(second.summary.counts.nullChange, 1)
      assert.strictEqual(second.summary.counts.sent, 1)
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("N1", "S001", null)])))
  )

  it.live("re-queued keys are sent on the next pass even without a change, then leave the queue", () =>
    Effect.gen(function* () {
      yield* sync()
      const state = yield* RunStore
      yield* state.clearArticleHashes("acme", "S001", ["A1"])
      yield* state.requeue("acme", "S001", ["A1"])
      const { summary } = yield* sync()
      assert.strictEqual(summary.status, "succeeded")
      assert.strictEqual(summary.counts.requeued, 1)
      assert.strictEqual(summary.counts.sent, 1)
      assert.deepStrictEqual(yield* state.requeued("acme", "S001"), [])
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )

  it.live("a run already in progress for the store is not run twice", () =>
    Effect.gen(function* () {
      yield* RunStore.use((s) => s.acquireLock("esl_sync:acme:S001", "other-process", 60_000))
      const { summary } = yield* sync()
      assert.strictEqual(summary.status, "skipped")
      assert.include(summary.error, "in progress")
      assert.deepStrictEqual(yield* stored, [])
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )
})

describe("ESL sync alerts", () => {
  it.live("a failure alerts once, stays quiet while it persists, and sends a recovery when it clears", () =>
    Effect.gen(function* () {
      const api = yield* EslMemory
      const alerts = yield* NotifierRecording
      yield* api.failNext("upsertArticles", { reason: "Forbidden", status: 403, responseMessage: "LICENSE_EXPIRED" }, 2)
      const failed = yield* sync()
      assert.strictEqual(failed.summary.status, "failed")
      yield* sync()
      const sent = yield* alerts.sent
      assert.deepStrictEqual(
        sent.map((a) => [a.severity, a.title]),
        [["critical", "ESL sync failed"]]
      )
      assert.include(sent[0]?.text, "LICENSE_EXPIRED")
      assert.strictEqual(sent[0]?.fields.store, "S001")
      assert.strictEqual(sent[0]?.fields.run, failed.summary.runId)
      yield* sync()
      assert.deepStrictEqual(
        (yield* alerts.sent).map((a) => [a.severity, a.title]),
        [
          ["critical", "ESL sync failed"],
          ["resolved", "Recovered: ESL sync failed"]
        ]
      )
    }).pipe(Effect.provide(layers([item("A1", "S001", 1)])))
  )

  it.live("volume, slow answers and rejected share raise warnings naming the figure", () =>
    Effect.gen(function* () {
      const api = yield* EslMemory
      yield* api.rejectIds("ACME", ["A1"], "bad")
      yield* api.delayNext("upsertArticles", "30 millis")
      const config = tenantConfig({ alerts: { volume: 1, slow_response: "10ms", mismatch_ratio: 0.2 } })
      yield* sync(config)
      const sent = yield* (yield* NotifierRecording).sent
      const byTitle = new Map(sent.map((a) => [a.title, a.text]))
      assert.include(byTitle.get("Large ESL change volume"), "2 changed records in one run (threshold 1)")
      assert.match(byTitle.get("Slow ESL API") ?? "", /slowest API answer \d+ ms \(threshold 10 ms\)/)
      assert.include(byTitle.get("ESL articles rejected"), "1 of 2 sent articles rejected (50.0 %")
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("A2", "S001", 2)])))
  )
})

describe("ESL sync of a tenant", () => {
  it.live("runs every store, each with its own record; one store's failure spares the others", () =>
    Effect.gen(function* () {
      const config = tenantConfig({
        stores: ["S001", { code: "S002", filter: { no_such_column: "x" } }]
      })
      const results = yield* syncTenant(config)
      assert.deepStrictEqual(
        results.map((r) => [r.store, r.summary.status]),
        [
          ["S001", "succeeded"],
          ["S002", "failed"]
        ]
      )
      assert.include(results[1]?.summary.error, "no_such_column")
      const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "acme" }))
      assert.deepStrictEqual(runs.map((r) => r.store).sort(), ["S001", "S002"])
    }).pipe(Effect.provide(layers([item("A1", "S001", 1), item("B1", "S002", 1)])))
  )
})
