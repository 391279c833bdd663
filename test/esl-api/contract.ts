import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, type Scope } from "effect"
import type { Article, StoredArticle } from "../../src/domain/Article.ts"
import type { EslApi, EslApiError } from "../../src/services/EslApi.ts"

/** What the shared suite needs from an EslApi Layer and the server behind it. */
export interface EslHarness {
  readonly api: EslApi["Service"]
  /** What the server holds for a store, sorted by article id. */
  readonly held: (company: string, store: string) => Effect.Effect<ReadonlyArray<StoredArticle>>
  /** From now on the server refuses these ids in the company's upserts with `errorText`. */
  readonly rejectIds: (company: string, ids: ReadonlyArray<string>, errorText: string) => Effect.Effect<void>
  /** From now on the company's article calls answer 403 LICENSE_EXPIRED. */
  readonly expireLicence: (company: string) => Effect.Effect<void>
  /** Logins (and refreshes) the server has handed a token for, over all companies. */
  readonly logins: Effect.Effect<number>
}

/** The companies every harness must serve. */
export const contractCompanies = { acme: ["s1", "s2"], beta: ["b1"] }

export const article = (
  articleId: string,
  data: Record<string, string> = {},
  extra: Partial<Article> = {}
): Article => ({
  articleId,
  articleName: `name ${articleId}`,
  data,
  ...extra
})

const withoutTime = ({ lastUpdated: _, ...rest }: StoredArticle & { readonly writes?: number }) => {
  const { writes: __, ...article } = rest as typeof rest & { writes?: number }
  return article
}

const expectError = (
  error: EslApiError,
  expected: { reason: string; status: number; responseMessage: RegExp | string }
) => {
  assert.strictEqual(error._tag, "EslApiError")
  assert.strictEqual(error.reason, expected.reason)
  assert.strictEqual(error.status, expected.status)
  if (typeof expected.responseMessage === "string") assert.strictEqual(error.responseMessage, expected.responseMessage)
  else assert.match(error.responseMessage, expected.responseMessage)
  assert.isFalse(error.retryable)
}

/**
 * The article-level behaviour users rely on, run against every EslApi Layer (in memory, and HTTP + simulator) so the
 * in-memory one stays faithful. `makeHarness` is run once per test and must start empty.
 */
export const eslApiContract = (name: string, makeHarness: Effect.Effect<EslHarness, unknown, Scope.Scope>) =>
  describe(`${name}: EslApi contract`, () => {
    const test = (title: string, body: (h: EslHarness) => Effect.Effect<void, unknown>) =>
      it.effect(title, () => Effect.flatMap(makeHarness, body))

    test("upsert stores the articles; list gives them back sorted by id with the store's total", ({ api, held }) =>
      Effect.gen(function* () {
        const first = yield* api.upsertArticles(
          "acme",
          "s1",
          ["e", "a", "d", "b", "c"].map((id) => article(id, { F: id }))
        )
        assert.deepStrictEqual([first.validCount, first.invalidCount, first.rejected], [5, 0, []])
        assert.isString(first.customBatchId)
        const second = yield* api.deleteArticles("acme", "s1", ["zz"])
        assert.notStrictEqual(second.customBatchId, first.customBatchId)
        const pages = yield* Effect.forEach([0, 1, 2, 3], (page) => api.listArticles("acme", "s1", page, 2))
        assert.deepStrictEqual(
          pages.map((p) => p.articles.map((a) => a.articleId)),
          [["a", "b"], ["c", "d"], ["e"], []]
        )
        assert.deepStrictEqual(
          pages.map((p) => p.total),
          [5, 5, 5, 5]
        )
        assert.deepStrictEqual(withoutTime(pages[0]?.articles[0] as StoredArticle), {
          articleId: "a",
          articleName: "name a",
          data: { F: "a" }
        })
        assert.isString(pages[0]?.articles[0]?.lastUpdated)
        assert.deepStrictEqual(
          (yield* held("acme", "s1")).map((a) => a.articleId),
          ["a", "b", "c", "d", "e"]
        )
        assert.deepStrictEqual(yield* held("acme", "s2"), [])
        assert.deepStrictEqual(yield* api.listArticles("acme", "s2", 0, 500), { total: 0, articles: [] })
      }))

    test("merge (PUT, the default) merges fields; replace (POST) replaces the article whole", ({ api, held }) =>
      Effect.gen(function* () {
        const full = article("a", { PRICE: "1.00", NAME: "Milk" }, { nfcUrl: "https://x/a", eans: ["400"] })
        yield* api.upsertArticles("acme", "s1", [full, article("b", { PRICE: "5", NAME: "Tea" })])
        yield* api.upsertArticles("acme", "s1", [article("a", { PRICE: "1.20", PROMO: "yes" })])
        yield* api.upsertArticles("acme", "s1", [article("b", { PRICE: "6" })], "replace")
        assert.deepStrictEqual((yield* held("acme", "s1")).map(withoutTime), [
          {
            articleId: "a",
            articleName: "name a",
            nfcUrl: "https://x/a",
            eans: ["400"],
            data: { PRICE: "1.20", NAME: "Milk", PROMO: "yes" }
          },
          { articleId: "b", articleName: "name b", data: { PRICE: "6" } }
        ])
      }))

    test("invalid articles are rejected one by one with the server's text; the rest is stored", ({ api, held }) =>
      Effect.gen(function* () {
        const result = yield* api.upsertArticles("acme", "s1", [
          article("ok1"),
          article(""),
          { articleId: "noname", articleName: "", data: {} },
          article("longurl", {}, { nfcUrl: "x".repeat(255) }),
          article("maxurl", {}, { nfcUrl: "x".repeat(254) })
        ])
        assert.deepStrictEqual([result.validCount, result.invalidCount], [2, 3])
        assert.deepStrictEqual(
          result.rejected.map((r) => r.articleId),
          ["", "noname", "longurl"]
        )
        assert.match(result.rejected[0]?.errorText ?? "", /articleId/)
        assert.match(result.rejected[1]?.errorText ?? "", /articleName/)
        assert.match(result.rejected[2]?.errorText ?? "", /nfcUrl/)
        assert.deepStrictEqual(
          (yield* held("acme", "s1")).map((a) => a.articleId),
          ["maxurl", "ok1"]
        )
      }))

    test("chosen ids are refused in every store of that company only", ({ api, held, rejectIds }) =>
      Effect.gen(function* () {
        yield* rejectIds("acme", ["bad1", "bad2"], "INVALID_EAN")
        const result = yield* api.upsertArticles("acme", "s2", [article("bad2"), article("good"), article("bad1")])
        assert.deepStrictEqual([result.validCount, result.invalidCount], [1, 2])
        assert.deepStrictEqual(result.rejected, [
          { articleId: "bad2", errorText: "INVALID_EAN" },
          { articleId: "bad1", errorText: "INVALID_EAN" }
        ])
        assert.deepStrictEqual(
          (yield* held("acme", "s2")).map((a) => a.articleId),
          ["good"]
        )
        assert.strictEqual((yield* api.upsertArticles("beta", "b1", [article("bad1")])).invalidCount, 0)
      }))

    test("takes 1 to 1000 articles or ids per call", ({ api, held }) =>
      Effect.gen(function* () {
        const many = (n: number) => Array.from({ length: n }, (_, i) => article(`a${String(i).padStart(4, "0")}`))
        const invalid = {
          reason: "InvalidRequest",
          status: 405,
          responseMessage: "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST"
        }
        expectError(yield* Effect.flip(api.upsertArticles("acme", "s1", [])), invalid)
        const tooMany = yield* Effect.flip(api.upsertArticles("acme", "s1", many(1001)))
        expectError(tooMany, invalid)
        assert.deepStrictEqual([tooMany.operation, tooMany.company, tooMany.store], ["upsertArticles", "acme", "s1"])
        expectError(yield* Effect.flip(api.deleteArticles("acme", "s1", [])), invalid)
        expectError(
          yield* Effect.flip(
            api.deleteArticles(
              "acme",
              "s1",
              many(1001).map((a) => a.articleId)
            )
          ),
          invalid
        )
        assert.lengthOf(yield* held("acme", "s1"), 0)
        assert.strictEqual((yield* api.upsertArticles("acme", "s1", many(1000))).validCount, 1000)
        assert.lengthOf(yield* held("acme", "s1"), 1000)
      }))

    test("delete removes the ids and accepts ids the store does not hold", ({ api, held }) =>
      Effect.gen(function* () {
        yield* api.upsertArticles("acme", "s1", [article("a"), article("b"), article("c")])
        yield* api.upsertArticles("acme", "s2", [article("a")])
        const result = yield* api.deleteArticles("acme", "s1", ["a", "c", "missing"])
        assert.deepStrictEqual([result.validCount, result.invalidCount, result.rejected], [3, 0, []])
        assert.deepStrictEqual(
          (yield* held("acme", "s1")).map((a) => a.articleId),
          ["b"]
        )
        assert.lengthOf(yield* held("acme", "s2"), 1)
      }))

    test("list refuses a size outside 1..500 or a bad page", ({ api }) =>
      Effect.gen(function* () {
        for (const [page, size] of [
          [0, 0],
          [0, 501],
          [-1, 10],
          [0.5, 10],
          [0, 2.5]
        ] as const) {
          const error = yield* Effect.flip(api.listArticles("acme", "s1", page, size))
          expectError(error, { reason: "InvalidRequest", status: 405, responseMessage: /INVALID_PAGE_OR_SIZE/ })
        }
        assert.strictEqual((yield* api.listArticles("acme", "s1", 0, 1)).total, 0)
      }))

    test("an unknown company is 403 COMPANY_NOT_FOUND; an unknown store 405 STORE_CODE_NOT_FOUND", ({ api }) =>
      Effect.gen(function* () {
        const forbidden = { reason: "Forbidden", status: 403, responseMessage: "COMPANY_NOT_FOUND" }
        const ghost = [
          yield* Effect.flip(api.upsertArticles("ghost", "s1", [article("a")])),
          yield* Effect.flip(api.deleteArticles("ghost", "s1", ["a"])),
          yield* Effect.flip(api.listArticles("ghost", "s1", 0, 10))
        ]
        for (const error of ghost) expectError(error, forbidden)
        assert.deepStrictEqual(
          ghost.map((e) => [e.operation, e.company]),
          [
            ["upsertArticles", "ghost"],
            ["deleteArticles", "ghost"],
            ["listArticles", "ghost"]
          ]
        )
        const missing = { reason: "InvalidRequest", status: 405, responseMessage: "STORE_CODE_NOT_FOUND" }
        expectError(yield* Effect.flip(api.upsertArticles("acme", "b1", [article("a")])), missing)
        expectError(yield* Effect.flip(api.deleteArticles("acme", "zz", ["a"])), missing)
        const error = yield* Effect.flip(api.listArticles("beta", "s1", 0, 10))
        expectError(error, missing)
        assert.match(error.message, /\(company beta store s1\) HTTP 405: STORE_CODE_NOT_FOUND/)
      }))

    test("an expired licence is 403 LICENSE_EXPIRED on that company's article calls only", ({
      api,
      held,
      expireLicence
    }) =>
      Effect.gen(function* () {
        yield* expireLicence("acme")
        const expired = { reason: "Forbidden", status: 403, responseMessage: "LICENSE_EXPIRED" }
        expectError(yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")])), expired)
        expectError(yield* Effect.flip(api.deleteArticles("acme", "s1", ["a"])), expired)
        expectError(yield* Effect.flip(api.listArticles("acme", "s2", 0, 10)), expired)
        assert.lengthOf(yield* held("acme", "s1"), 0)
        yield* api.upsertArticles("beta", "b1", [article("a")])
        assert.lengthOf(yield* held("beta", "b1"), 1)
      }))

    test("one token per company, shared by all its stores", ({ api, logins }) =>
      Effect.gen(function* () {
        const token = yield* api.token("acme")
        assert.strictEqual(token.company, "acme")
        // Both servers default to a one-hour token.
        assert.strictEqual(token.expiresAt.getTime() - (yield* Clock.currentTimeMillis), 3_600_000)
        yield* api.upsertArticles("acme", "s1", [article("a")])
        yield* api.upsertArticles("acme", "s2", [article("a")])
        yield* api.listArticles("acme", "s1", 0, 10)
        yield* api.deleteArticles("acme", "s2", ["a"])
        assert.strictEqual(yield* logins, 1)
        yield* api.upsertArticles("beta", "b1", [article("a")])
        assert.strictEqual(yield* logins, 2)
      }))

    test("concurrent calls on several stores of a company log in once", ({ api, logins }) =>
      Effect.gen(function* () {
        yield* Effect.all(
          [
            api.upsertArticles("acme", "s1", [article("a")]),
            api.upsertArticles("acme", "s2", [article("b")]),
            api.listArticles("acme", "s1", 0, 10),
            api.token("acme"),
            api.deleteArticles("acme", "s2", ["x"])
          ],
          { concurrency: "unbounded" }
        )
        assert.strictEqual(yield* logins, 1)
      }))
  })
