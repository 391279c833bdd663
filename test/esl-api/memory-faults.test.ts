import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { EslMemory, layerMemory } from "../../layers/esl-api/memory.ts"
import type { Article } from "../../src/domain/Article.ts"
import { EslApi } from "../../src/services/EslApi.ts"

const companies = { acme: ["s1", "s2"], beta: ["b1"] }

const withApi = <A, E>(self: Effect.Effect<A, E, EslApi | EslMemory>) =>
  Effect.provide(self, layerMemory({ companies }))

const article = (articleId: string): Article => ({ articleId, articleName: `name ${articleId}`, data: {} })

describe("EslApi in memory: failNext", () => {
  it.effect("fails the next calls of one route like the real client, then recovers", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.failNext("upsertArticles", "ServerError", 2)
        yield* api.listArticles("acme", "s1", 0, 10)
        const first = yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
        const second = yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
        for (const error of [first, second]) {
          assert.strictEqual(error._tag, "EslApiError")
          assert.strictEqual(error.reason, "ServerError")
          assert.strictEqual(error.status, 503)
          assert.strictEqual(error.operation, "upsertArticles")
          assert.strictEqual(error.store, "s1")
          assert.isTrue(error.retryable)
        }
        assert.lengthOf(yield* memory.articles("acme", "s1"), 0)
        yield* api.upsertArticles("acme", "s1", [article("a")])
        assert.lengthOf(yield* memory.articles("acme", "s1"), 1)
        const outcomes = (yield* memory.calls).map((call) => `${call.operation}:${call.outcome}`)
        assert.deepStrictEqual(outcomes, [
          "listArticles:ok",
          "upsertArticles:ServerError",
          "upsertArticles:ServerError",
          "upsertArticles:ok"
        ])
      })
    )
  )

  it.effect("a retry policy reading `retryable` gets through transient faults", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.failNext("deleteArticles", "Transport")
        yield* memory.failNext("deleteArticles", "Throttled")
        const result = yield* api
          .deleteArticles("acme", "s1", ["a"])
          .pipe(Effect.retry({ while: (error) => error.retryable, times: 3 }))
        assert.strictEqual(result.validCount, 1)
        const outcomes = (yield* memory.calls).map((call) => call.outcome)
        assert.deepStrictEqual(outcomes, ["Transport", "Throttled", "ok"])
      })
    )
  )

  it.effect("produces each reason's status and message, with overrides and Retry-After", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const list = Effect.flip(api.listArticles("acme", "s1", 0, 10))
        yield* memory.failNext("listArticles", { reason: "Throttled", retryAfter: "7 seconds" })
        const throttled = yield* list
        assert.strictEqual(throttled.status, 429)
        assert.isDefined(throttled.retryAfter)
        assert.strictEqual(Duration.toMillis(throttled.retryAfter ?? Duration.zero), 7000)
        yield* memory.failNext("listArticles", "Throttled")
        assert.isUndefined((yield* list).retryAfter)
        yield* memory.failNext("listArticles", "Forbidden")
        const forbidden = yield* list
        assert.deepStrictEqual([forbidden.status, forbidden.responseMessage], [403, "LICENSE_EXPIRED"])
        assert.isFalse(forbidden.retryable)
        yield* memory.failNext("listArticles", "Transport")
        const transport = yield* list
        assert.isUndefined(transport.status)
        assert.isTrue(transport.retryable)
        yield* memory.failNext("listArticles", "UnexpectedResponse")
        assert.isFalse((yield* list).retryable)
        yield* memory.failNext("listArticles", "InvalidRequest")
        assert.strictEqual((yield* list).status, 405)
        yield* memory.failNext("listArticles", { reason: "ServerError", status: 500, responseMessage: "boom" })
        const server = yield* list
        assert.deepStrictEqual([server.status, server.responseMessage], [500, "boom"])
        assert.match(server.message, /ESL listArticles \(company acme store s1\) HTTP 500: boom/)
      })
    )
  )

  it.effect("queues faults in order and ignores times < 1", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.failNext("upsertArticles", "ServerError", 0)
        yield* memory.failNext("upsertArticles", "Throttled")
        yield* memory.failNext("upsertArticles", "Transport")
        const upsert = api.upsertArticles("acme", "s1", [article("a")])
        assert.strictEqual((yield* Effect.flip(upsert)).reason, "Throttled")
        assert.strictEqual((yield* Effect.flip(upsert)).reason, "Transport")
        assert.strictEqual((yield* upsert).validCount, 1)
      })
    )
  )

  it.effect("clearFaults drops pending faults and delays", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.failNext("upsertArticles", "ServerError", 5)
        yield* memory.delayNext("upsertArticles", "1 hour")
        yield* memory.clearFaults
        assert.strictEqual((yield* api.upsertArticles("acme", "s1", [article("a")])).validCount, 1)
      })
    )
  )
})

describe("EslApi in memory: rejectIds and licences", () => {
  it.effect("rejects chosen ids with the given text in every store of that company only", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.rejectIds("acme", ["bad1", "bad2"], "INVALID_EAN")
        const result = yield* api.upsertArticles("acme", "s2", [article("bad2"), article("good"), article("bad1")])
        assert.strictEqual(result.validCount, 1)
        assert.strictEqual(result.invalidCount, 2)
        assert.deepStrictEqual(result.rejected, [
          { articleId: "bad2", errorText: "INVALID_EAN" },
          { articleId: "bad1", errorText: "INVALID_EAN" }
        ])
        assert.deepStrictEqual(
          (yield* memory.articles("acme", "s2")).map((a) => a.articleId),
          ["good"]
        )
        const other = yield* api.upsertArticles("beta", "b1", [article("bad1")])
        assert.strictEqual(other.invalidCount, 0)
        yield* memory.clearFaults
        assert.strictEqual((yield* api.upsertArticles("acme", "s2", [article("bad1")])).invalidCount, 0)
      })
    )
  )

  it.effect("an expired licence is 403 LICENSE_EXPIRED for that company's article calls until cleared", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.expireLicence("acme")
        const errors = [
          yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")])),
          yield* Effect.flip(api.deleteArticles("acme", "s1", ["a"])),
          yield* Effect.flip(api.listArticles("acme", "s2", 0, 10))
        ]
        for (const error of errors) {
          assert.deepStrictEqual(
            [error.reason, error.status, error.responseMessage],
            ["Forbidden", 403, "LICENSE_EXPIRED"]
          )
          assert.isFalse(error.retryable)
        }
        assert.lengthOf(yield* memory.articles("acme", "s1"), 0)
        yield* api.upsertArticles("beta", "b1", [article("a")])
        yield* memory.clearFaults
        yield* api.upsertArticles("acme", "s1", [article("a")])
        assert.lengthOf(yield* memory.articles("acme", "s1"), 1)
      })
    )
  )
})

describe("EslApi in memory: latency", () => {
  it.effect("delayNext holds the answer for the given Clock time", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.delayNext("upsertArticles", "15 seconds")
        const fiber = yield* Effect.forkChild(api.upsertArticles("acme", "s1", [article("a")]))
        yield* TestClock.adjust("14 seconds")
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(fiber)).validCount, 1)
        const [held] = yield* memory.articles("acme", "s1")
        assert.strictEqual(held?.lastUpdated, "1970-01-01T00:00:15.000Z")
        // Only the next call was delayed.
        yield* api.upsertArticles("acme", "s1", [article("b")])
      })
    )
  )

  it.effect("a client timeout interrupts a slow call, which stores nothing and is logged as interrupted", () =>
    withApi(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.delayNext("listArticles", "45 seconds")
        yield* memory.delayNext("upsertArticles", "45 seconds")
        const slow = Effect.all([
          api.upsertArticles("acme", "s1", [article("a")]).pipe(Effect.timeout("30 seconds"), Effect.flip),
          api.listArticles("acme", "s1", 0, 10).pipe(Effect.timeout("30 seconds"), Effect.flip)
        ])
        const fiber = yield* Effect.forkChild(slow)
        yield* TestClock.adjust("60 seconds")
        const errors = yield* Fiber.join(fiber)
        assert.deepStrictEqual(
          errors.map((e) => e._tag),
          ["TimeoutError", "TimeoutError"]
        )
        assert.lengthOf(yield* memory.articles("acme", "s1"), 0)
        assert.deepStrictEqual(
          (yield* memory.calls).map((call) => [call.outcome, call.articleCount]),
          [
            ["interrupted", 1],
            ["interrupted", 0]
          ]
        )
      })
    )
  )
})
