import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { EslMemory, layerMemory } from "../../layers/esl-api/memory.ts"
import type { Article } from "../../src/domain/Article.ts"
import { EslApi, type EslApiError } from "../../src/services/EslApi.ts"

const companies = { acme: ["s1", "s2"], beta: ["b1"] }

// A fresh Layer value per test: v4 memoizes Layers by identity, and these tests must not share state.
const withApi = <A, E>(self: Effect.Effect<A, E, EslApi | EslMemory>) =>
  Effect.provide(self, layerMemory({ companies }))

const article = (articleId: string, data: Record<string, string> = {}, extra: Partial<Article> = {}): Article => ({
  articleId,
  articleName: `name ${articleId}`,
  data,
  ...extra
})

const expectInvalid = (error: EslApiError, responseMessage: string) => {
  assert.strictEqual(error.reason, "InvalidRequest")
  assert.strictEqual(error.status, 405)
  assert.strictEqual(error.responseMessage, responseMessage)
  assert.isFalse(error.retryable)
}

describe("EslApi in memory: upsert", () => {
  it.effect("stores accepted articles sorted by id, stamped with the Clock time", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* TestClock.adjust("90 minutes")
        const result = yield* api.upsertArticles("acme", "s1", [article("b", { PRICE: "2" }), article("a")])
        assert.strictEqual(result.validCount, 2)
        assert.strictEqual(result.invalidCount, 0)
        assert.deepStrictEqual(result.rejected, [])
        assert.isString(result.customBatchId)
        const held = yield* memory.articles("acme", "s1")
        assert.deepStrictEqual(held, [
          { articleId: "a", articleName: "name a", data: {}, lastUpdated: "1970-01-01T01:30:00.000Z" },
          { articleId: "b", articleName: "name b", data: { PRICE: "2" }, lastUpdated: "1970-01-01T01:30:00.000Z" }
        ])
        assert.deepStrictEqual(yield* memory.articles("acme", "s2"), [])
        assert.deepStrictEqual(yield* memory.articles("beta", "b1"), [])
        assert.deepStrictEqual(yield* memory.articles("nobody", "s1"), [])
      })
    )
  )

  it.effect("each call gets its own batch id", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const first = yield* api.upsertArticles("acme", "s1", [article("a")])
        const second = yield* api.deleteArticles("acme", "s1", ["a"])
        assert.notStrictEqual(first.customBatchId, second.customBatchId)
      })
    )
  )

  it.effect("merge (PUT, the default) merges data fields into the stored article", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const full = article("a", { PRICE: "1.00", NAME: "Milk" }, { nfcUrl: "https://x/a", eans: ["400"] })
        yield* api.upsertArticles("acme", "s1", [full], "merge")
        yield* TestClock.adjust("1 minute")
        yield* api.upsertArticles("acme", "s1", [article("a", { PRICE: "1.20", PROMO: "yes" })])
        const [held] = yield* memory.articles("acme", "s1")
        assert.deepStrictEqual(held, {
          articleId: "a",
          articleName: "name a",
          nfcUrl: "https://x/a",
          eans: ["400"],
          data: { PRICE: "1.20", NAME: "Milk", PROMO: "yes" },
          lastUpdated: "1970-01-01T00:01:00.000Z"
        })
        const modes = (yield* memory.calls).map((call) => call.mode)
        assert.deepStrictEqual(modes, ["merge", "merge"])
      })
    )
  )

  it.effect("replace (POST) replaces the stored article whole", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* api.upsertArticles("acme", "s1", [article("a", { PRICE: "1", NAME: "Milk" }, { nfcUrl: "https://x" })])
        yield* api.upsertArticles("acme", "s1", [article("a", { PRICE: "2" })], "replace")
        const [held] = yield* memory.articles("acme", "s1")
        assert.deepStrictEqual(held, {
          articleId: "a",
          articleName: "name a",
          data: { PRICE: "2" },
          lastUpdated: held?.lastUpdated ?? ""
        })
        assert.strictEqual((yield* memory.calls)[1]?.mode, "replace")
      })
    )
  )

  it.effect("keeps its own copy: changing the input afterwards does not change what is stored", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const data: Record<string, string> = { PRICE: "1" }
        const eans = ["400"]
        yield* api.upsertArticles("acme", "s1", [{ articleId: "a", articleName: "A", data, eans }])
        data.PRICE = "999"
        eans.push("401")
        const [held] = yield* memory.articles("acme", "s1")
        assert.deepStrictEqual(held?.data, { PRICE: "1" })
        assert.deepStrictEqual(held?.eans, ["400"])
      })
    )
  )

  it.effect("rejects invalid articles one by one and stores the rest", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const result = yield* api.upsertArticles("acme", "s1", [
          article("ok1"),
          article(""),
          { articleId: "noname", articleName: "", data: {} },
          article("longurl", {}, { nfcUrl: "x".repeat(255) }),
          article("maxurl", {}, { nfcUrl: "x".repeat(254) })
        ])
        assert.strictEqual(result.validCount, 2)
        assert.strictEqual(result.invalidCount, 3)
        assert.deepStrictEqual(
          result.rejected.map((r) => r.articleId),
          ["", "noname", "longurl"]
        )
        assert.match(result.rejected[0]?.errorText ?? "", /articleId/)
        assert.match(result.rejected[1]?.errorText ?? "", /articleName/)
        assert.match(result.rejected[2]?.errorText ?? "", /nfcUrl/)
        const ids = (yield* memory.articles("acme", "s1")).map((a) => a.articleId)
        assert.deepStrictEqual(ids, ["maxurl", "ok1"])
      })
    )
  )

  it.effect("takes 1 to 1000 articles per call", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const many = (n: number) => Array.from({ length: n }, (_, i) => article(`a${String(i).padStart(4, "0")}`))
        expectInvalid(
          yield* Effect.flip(api.upsertArticles("acme", "s1", [])),
          "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST"
        )
        const tooMany = yield* Effect.flip(api.upsertArticles("acme", "s1", many(1001)))
        expectInvalid(tooMany, "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST")
        assert.strictEqual(tooMany.operation, "upsertArticles")
        assert.strictEqual(tooMany.store, "s1")
        assert.lengthOf(yield* memory.articles("acme", "s1"), 0)
        assert.strictEqual((yield* api.upsertArticles("acme", "s1", many(1000))).validCount, 1000)
        assert.lengthOf(yield* memory.articles("acme", "s1"), 1000)
      })
    )
  )
})

describe("EslApi in memory: serialized articles", () => {
  it.effect("takes a batch's JSON body as the sync sends it; a body that is not articles is 405", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const articles = [article("a", { PRICE: "1" }), article("b", {}, { eans: ["880"] })]
        const body = new TextEncoder().encode(JSON.stringify(articles))
        const result = yield* api.upsertArticles("acme", "s1", { ids: ["a", "b"], body })
        assert.strictEqual(result.validCount, 2)
        assert.deepStrictEqual(
          (yield* memory.articles("acme", "s1")).map(({ lastUpdated: _, ...held }) => held),
          articles
        )
        for (const text of ['[{"articleId": 1}]', "not json"]) {
          const refused = yield* Effect.flip(
            api.upsertArticles("acme", "s1", { ids: ["x"], body: new TextEncoder().encode(text) })
          )
          expectInvalid(refused, "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST")
        }
      })
    )
  )
})

describe("EslApi in memory: addressing", () => {
  it.effect("an unknown company is 403 COMPANY_NOT_FOUND on every route, without a login", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const errors = [
          yield* Effect.flip(api.token("ghost")),
          yield* Effect.flip(api.upsertArticles("ghost", "s1", [article("a")])),
          yield* Effect.flip(api.deleteArticles("ghost", "s1", ["a"])),
          yield* Effect.flip(api.listArticles("ghost", "s1", 0, 10))
        ]
        for (const error of errors) {
          assert.strictEqual(error.reason, "Forbidden")
          assert.strictEqual(error.status, 403)
          assert.strictEqual(error.responseMessage, "COMPANY_NOT_FOUND")
          assert.strictEqual(error.company, "ghost")
          assert.isFalse(error.retryable)
        }
        assert.deepStrictEqual(
          errors.map((e) => e.operation),
          ["token", "upsertArticles", "deleteArticles", "listArticles"]
        )
        assert.strictEqual(yield* memory.tokenFetches("ghost"), 0)
      })
    )
  )

  it.effect("an unknown store is 405 STORE_CODE_NOT_FOUND; another company's store is unknown too", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        expectInvalid(yield* Effect.flip(api.upsertArticles("acme", "b1", [article("a")])), "STORE_CODE_NOT_FOUND")
        expectInvalid(yield* Effect.flip(api.deleteArticles("acme", "zz", ["a"])), "STORE_CODE_NOT_FOUND")
        const error = yield* Effect.flip(api.listArticles("beta", "s1", 0, 10))
        expectInvalid(error, "STORE_CODE_NOT_FOUND")
        assert.match(error.message, /\(company beta store s1\) HTTP 405: STORE_CODE_NOT_FOUND/)
      })
    )
  )
})

describe("EslApi in memory: delete and list", () => {
  it.effect("delete removes the ids and accepts ids the store does not hold", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* api.upsertArticles("acme", "s1", [article("a"), article("b"), article("c")])
        yield* api.upsertArticles("acme", "s2", [article("a")])
        const result = yield* api.deleteArticles("acme", "s1", ["a", "c", "missing"])
        assert.strictEqual(result.validCount, 3)
        assert.strictEqual(result.invalidCount, 0)
        assert.deepStrictEqual(
          (yield* memory.articles("acme", "s1")).map((a) => a.articleId),
          ["b"]
        )
        assert.lengthOf(yield* memory.articles("acme", "s2"), 1)
        expectInvalid(
          yield* Effect.flip(api.deleteArticles("acme", "s1", [])),
          "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST"
        )
        const tooMany = Array.from({ length: 1001 }, (_, i) => `id${i}`)
        expectInvalid(
          yield* Effect.flip(api.deleteArticles("acme", "s1", tooMany)),
          "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST"
        )
      })
    )
  )

  it.effect("list pages 0-based in article id order with the store's total", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        yield* api.upsertArticles(
          "acme",
          "s1",
          ["e", "a", "d", "b", "c"].map((id) => article(id, { F: id }))
        )
        const pages = yield* Effect.forEach([0, 1, 2, 3], (page) => api.listArticles("acme", "s1", page, 2))
        assert.deepStrictEqual(
          pages.map((p) => p.articles.map((a) => a.articleId)),
          [["a", "b"], ["c", "d"], ["e"], []]
        )
        assert.deepStrictEqual(
          pages.map((p) => p.total),
          [5, 5, 5, 5]
        )
        assert.deepStrictEqual(pages[0]?.articles[0], {
          articleId: "a",
          articleName: "name a",
          data: { F: "a" },
          lastUpdated: "1970-01-01T00:00:00.000Z"
        })
        const empty = yield* api.listArticles("acme", "s2", 0, 500)
        assert.deepStrictEqual(empty, { total: 0, articles: [] })
      })
    )
  )

  it.effect("list refuses a size outside 1..500 or a bad page", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        for (const [page, size] of [
          [0, 0],
          [0, 501],
          [-1, 10],
          [0.5, 10],
          [0, 2.5]
        ] as const) {
          const error = yield* Effect.flip(api.listArticles("acme", "s1", page, size))
          assert.strictEqual(error.reason, "InvalidRequest", `page ${page} size ${size}`)
          assert.strictEqual(error.status, 405)
          assert.match(error.responseMessage, /INVALID_PAGE_OR_SIZE/)
        }
        assert.strictEqual((yield* api.listArticles("acme", "s1", 0, 1)).total, 0)
      })
    )
  )
})

describe("EslApi in memory: call log", () => {
  it.effect("records every article call with its article count and outcome", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* api.upsertArticles("acme", "s1", [article("a"), article("b")], "replace")
        yield* Effect.flip(api.upsertArticles("acme", "nope", [article("a")]))
        yield* api.listArticles("acme", "s1", 0, 1)
        yield* Effect.flip(api.listArticles("acme", "s1", 0, 0))
        yield* api.deleteArticles("acme", "s1", ["a", "b", "c"])
        yield* api.token("acme")
        assert.deepStrictEqual(yield* memory.calls, [
          {
            operation: "upsertArticles",
            company: "acme",
            store: "s1",
            mode: "replace",
            articleCount: 2,
            outcome: "ok"
          },
          {
            operation: "upsertArticles",
            company: "acme",
            store: "nope",
            mode: "merge",
            articleCount: 1,
            outcome: "InvalidRequest"
          },
          { operation: "listArticles", company: "acme", store: "s1", mode: undefined, articleCount: 1, outcome: "ok" },
          {
            operation: "listArticles",
            company: "acme",
            store: "s1",
            mode: undefined,
            articleCount: 0,
            outcome: "InvalidRequest"
          },
          { operation: "deleteArticles", company: "acme", store: "s1", mode: undefined, articleCount: 3, outcome: "ok" }
        ])
      })
    )
  )
})
