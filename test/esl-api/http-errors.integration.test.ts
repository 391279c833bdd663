import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { type FaultRule, startSimulator } from "../../src/esl/simulator/index.ts"
import { article } from "./contract.ts"
import { simulatorWithClient } from "./simulator-harness.ts"

const companies = { acme: ["s1", "s2"] }
const setup = (...faults: ReadonlyArray<FaultRule>) => simulatorWithClient({ companies, faults })
const upsert = ["PUT /common/articles", "POST /common/articles"] as const

describe("EslApi over HTTP: statuses become typed errors", () => {
  it.effect("5xx is a retryable ServerError with the status and the server's message; the client does not retry", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup(
        { kind: "error", route: "PUT /common/articles", status: 500, nth: 1 },
        { kind: "error", route: "PUT /common/articles", status: 502, responseMessage: "Bad Gateway", nth: 2 },
        { kind: "error", route: "PUT /common/articles", status: 503, nth: 3 }
      )
      const errors = yield* Effect.forEach([1, 2, 3], () =>
        Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
      )
      assert.deepStrictEqual(
        errors.map((e) => [e.reason, e.status, e.responseMessage, e.retryable]),
        [
          ["ServerError", 500, "INTERNAL_SERVER_ERROR", true],
          ["ServerError", 502, "Bad Gateway", true],
          ["ServerError", 503, "SERVICE_UNAVAILABLE", true]
        ]
      )
      assert.deepStrictEqual(
        [errors[0]?.operation, errors[0]?.company, errors[0]?.store],
        ["upsertArticles", "acme", "s1"]
      )
      assert.deepStrictEqual((yield* sim.stats).routes["PUT /common/articles"]?.calls, 3)
      assert.strictEqual((yield* api.upsertArticles("acme", "s1", [article("a")])).validCount, 1)
    })
  )

  it.effect("429 is Throttled, with Retry-After read as seconds or as an HTTP date", () =>
    Effect.gen(function* () {
      const { api } = yield* setup()
      yield* TestClock.setTime(Date.UTC(2030, 0, 1, 12, 0, 0))
      const throttled = (retryAfter?: number | string) =>
        Effect.gen(function* () {
          const { api: client } = yield* setup(
            retryAfter === undefined
              ? { kind: "throttle", route: "GET /common/config/article/info" }
              : { kind: "throttle", route: "GET /common/config/article/info", retryAfter }
          )
          return yield* Effect.flip(client.listArticles("acme", "s1", 0, 10))
        })
      const seconds = yield* throttled(7)
      assert.deepStrictEqual([seconds.reason, seconds.status, seconds.retryable], ["Throttled", 429, true])
      assert.strictEqual(Duration.toMillis(seconds.retryAfter ?? Duration.zero), 7000)
      const date = yield* throttled("Tue, 01 Jan 2030 12:00:30 GMT")
      assert.strictEqual(Duration.toMillis(date.retryAfter ?? Duration.zero), 30_000)
      const none = yield* throttled()
      assert.strictEqual(none.reason, "Throttled")
      assert.isUndefined(none.retryAfter)
      assert.strictEqual((yield* api.listArticles("acme", "s1", 0, 10)).total, 0)
    })
  )

  it.effect("403 LICENSE_EXPIRED is a permanent Forbidden; 405 a permanent InvalidRequest", () =>
    Effect.gen(function* () {
      const { api } = yield* setup({ kind: "licenseExpired", route: "DELETE /common/articles" })
      const forbidden = yield* Effect.flip(api.deleteArticles("acme", "s1", ["a"]))
      assert.deepStrictEqual(
        [forbidden.reason, forbidden.status, forbidden.responseMessage, forbidden.retryable],
        ["Forbidden", 403, "LICENSE_EXPIRED", false]
      )
      const invalid = yield* Effect.flip(api.upsertArticles("acme", "nope", [article("a")]))
      assert.deepStrictEqual([invalid.reason, invalid.status, invalid.retryable], ["InvalidRequest", 405, false])
    })
  )

  it.effect("a connection reset is a retryable Transport error without a status", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup({ kind: "reset", route: "PUT /common/articles", nth: 1 })
      const error = yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
      assert.deepStrictEqual([error.reason, error.status, error.retryable], ["Transport", undefined, true])
      assert.match(error.responseMessage, /TransportError/)
      assert.deepStrictEqual((yield* sim.stats).routes["PUT /common/articles"]?.statuses, { reset: 1 })
      assert.lengthOf(yield* sim.articles("acme", "s1"), 0)
      yield* api.upsertArticles("acme", "s1", [article("a")])
    })
  )

  it.effect("a refused connection is a retryable Transport error too", () =>
    Effect.gen(function* () {
      const { sim } = yield* setup()
      // A port that was just free: the simulator started there is gone again.
      const gone = yield* Effect.scoped(Effect.map(startSimulator({ companies }), (closed) => closed.url))
      const { api } = yield* simulatorWithClient({ companies }, { baseUrl: gone })
      const error = yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
      assert.deepStrictEqual(
        [error.reason, error.operation, error.status, error.retryable],
        ["Transport", "token", undefined, true]
      )
      assert.match(error.responseMessage, /ECONNREFUSED/)
      assert.strictEqual((yield* sim.stats).tokensIssued, 0)
    })
  )

  it.live("an answer slower than the timeout is a retryable Transport error", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* simulatorWithClient(
        { companies, faults: [{ kind: "latency", route: "GET /common/config/article/info", ms: 2000, nth: 1 }] },
        { timeout: "150 millis" }
      )
      const started = Date.now()
      const error = yield* Effect.flip(api.listArticles("acme", "s1", 0, 10))
      assert.isBelow(Date.now() - started, 1500)
      assert.deepStrictEqual([error.reason, error.status, error.retryable], ["Transport", undefined, true])
      assert.match(error.responseMessage, /no answer within 150ms/)
      assert.strictEqual((yield* api.listArticles("acme", "s1", 0, 10)).total, 0)
      assert.strictEqual((yield* sim.stats).routes["GET /common/config/article/info"]?.statuses.aborted, 1)
    })
  )

  it.effect("a body that is not the envelope is UnexpectedResponse; so is a wrong base path", () =>
    Effect.gen(function* () {
      const { api } = yield* setup({ kind: "malformed", route: "GET /common/config/article/info" })
      const error = yield* Effect.flip(api.listArticles("acme", "s1", 0, 10))
      assert.deepStrictEqual([error.reason, error.status, error.retryable], ["UnexpectedResponse", 200, false])
      assert.match(error.responseMessage, /upstream says hello/)
      const { sim } = yield* setup()
      const { api: lost } = yield* simulatorWithClient({ companies }, { baseUrl: `${sim.url}/wrong` })
      const notFound = yield* Effect.flip(lost.token("acme"))
      assert.deepStrictEqual([notFound.reason, notFound.status], ["UnexpectedResponse", 404])
      assert.match(notFound.message, /check the base URL and cluster prefix/)
    })
  )
})

describe("EslApi over HTTP: batches", () => {
  it.effect(
    "partial rejection names the rejected ids with the server's text, by errorIndex when the id is missing",
    () =>
      Effect.gen(function* () {
        const { sim, api } = yield* setup(
          { kind: "reject", route: upsert, articleIds: ["b"], errorText: "EAN_CHECKSUM" },
          { kind: "reject", route: upsert, articleIds: ["d"], errorText: "NO_TEMPLATE", omitArticleId: true }
        )
        const result = yield* api.upsertArticles(
          "acme",
          "s1",
          ["a", "b", "c", "d"].map((id) => article(id)),
          "replace"
        )
        assert.deepStrictEqual([result.validCount, result.invalidCount], [2, 2])
        assert.deepStrictEqual(result.rejected, [
          { articleId: "b", errorText: "EAN_CHECKSUM" },
          { articleId: "d", errorText: "NO_TEMPLATE" }
        ])
        assert.deepStrictEqual(
          (yield* sim.articles("acme", "s1")).map((a) => a.articleId),
          ["a", "c"]
        )
      })
  )

  it.effect("a share of rejections is reported exactly as the server logged it", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup({ kind: "reject", route: upsert, share: 0.3 })
      const ids = Array.from({ length: 50 }, (_, i) => `id${String(i).padStart(2, "0")}`)
      const result = yield* api.upsertArticles(
        "acme",
        "s1",
        ids.map((id) => article(id))
      )
      const stored = (yield* sim.articles("acme", "s1")).map((a) => a.articleId)
      assert.isAbove(result.invalidCount, 0)
      assert.isBelow(result.invalidCount, 50)
      assert.strictEqual(result.validCount + result.invalidCount, 50)
      assert.deepStrictEqual([...result.rejected.map((r) => r.articleId), ...stored].sort(), ids)
      for (const r of result.rejected) assert.strictEqual(r.errorText, "REJECTED_BY_SIMULATOR")
    })
  )

  it.effect("dropped articles are reported as accepted: only reading back shows them missing", () =>
    Effect.gen(function* () {
      const { api } = yield* setup({ kind: "drop", route: upsert, articleIds: ["b"] })
      const result = yield* api.upsertArticles("acme", "s1", [article("a"), article("b")])
      assert.deepStrictEqual([result.validCount, result.invalidCount, result.rejected], [2, 0, []])
      const listed = yield* api.listArticles("acme", "s1", 0, 10)
      assert.deepStrictEqual(
        listed.articles.map((a) => a.articleId),
        ["a"]
      )
    })
  )

  it.effect("an older server without customBatchId: every article of the chunk counts as accepted", () =>
    Effect.gen(function* () {
      const { api } = yield* setup({ kind: "omitBatchId" }, { kind: "reject", articleIds: ["b"] })
      const result = yield* api.upsertArticles("acme", "s1", [article("a"), article("b")])
      assert.deepStrictEqual(result, { customBatchId: undefined, validCount: 2, invalidCount: 0, rejected: [] })
      const deleted = yield* api.deleteArticles("acme", "s1", ["a"])
      assert.deepStrictEqual(deleted, { customBatchId: undefined, validCount: 1, invalidCount: 0, rejected: [] })
    })
  )

  it.effect("each method is a span carrying company, store, article count and HTTP status", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const { api } = yield* setup()
      yield* api
        .upsertArticles("acme", "s1", [article("a"), article("b")])
        .pipe(Effect.provideService(Tracer.Tracer, tracer))
      yield* Effect.flip(api.listArticles("acme", "zz", 0, 10)).pipe(Effect.provideService(Tracer.Tracer, tracer))
      const upsertSpan = spans.find((s) => s.name === "EslApi.upsertArticles")
      assert.strictEqual(upsertSpan?.attributes.get("esl.company"), "acme")
      assert.strictEqual(upsertSpan?.attributes.get("esl.store"), "s1")
      assert.strictEqual(upsertSpan?.attributes.get("esl.article_count"), 2)
      assert.strictEqual(upsertSpan?.attributes.get("http.response.status_code"), 200)
      const listSpan = spans.find((s) => s.name === "EslApi.listArticles")
      assert.strictEqual(listSpan?.attributes.get("http.response.status_code"), 405)
    })
  )
})
