import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { EslMemory, type EslMemoryOptions, layerMemory } from "../../layers/esl-api/memory.ts"
import { EslApi } from "../../src/services/EslApi.ts"

const companies = { acme: ["s1", "s2"], beta: ["b1"] }

const withApi =
  (options: Partial<EslMemoryOptions> = {}) =>
  <A, E>(self: Effect.Effect<A, E, EslApi | EslMemory>) =>
    Effect.provide(self, layerMemory({ companies, ...options }))

const article = { articleId: "a", articleName: "A", data: {} }

describe("EslApi in memory: tokens", () => {
  it.effect("caches one Redacted token per company, valid for the TTL (1 hour by default)", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* TestClock.adjust("10 minutes")
        const first = yield* api.token("acme")
        assert.strictEqual(first.company, "acme")
        assert.isTrue(Redacted.isRedacted(first.accessToken))
        assert.notInclude(String(first.accessToken), "acme")
        assert.strictEqual(first.expiresAt.getTime(), Duration.toMillis("70 minutes"))
        yield* TestClock.adjust("30 minutes")
        const again = yield* api.token("acme")
        assert.strictEqual(Redacted.value(again.accessToken), Redacted.value(first.accessToken))
        // Article calls for any store of the company use the same token.
        yield* api.upsertArticles("acme", "s1", [article])
        yield* api.listArticles("acme", "s2", 0, 10)
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        assert.strictEqual(yield* memory.tokenFetches("beta"), 0)
      })
    )
  )

  it.effect("renews the token once it is within 5 minutes of expiry", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const first = yield* api.token("acme")
        yield* TestClock.adjust("54 minutes")
        yield* api.upsertArticles("acme", "s1", [article])
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        yield* TestClock.adjust("1 minute")
        const renewed = yield* api.token("acme")
        assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
        assert.strictEqual(renewed.expiresAt.getTime(), Duration.toMillis("115 minutes"))
        assert.strictEqual(yield* memory.tokenFetches("acme"), 2)
        yield* api.token("acme")
        assert.strictEqual(yield* memory.tokenFetches("acme"), 2)
      })
    )
  )

  it.effect("honours a configured TTL", () =>
    withApi({ tokenTtl: "10 minutes" })(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const first = yield* api.token("acme")
        assert.strictEqual(first.expiresAt.getTime(), Duration.toMillis("10 minutes"))
        yield* TestClock.adjust("4 minutes")
        yield* api.token("acme")
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        yield* TestClock.adjust("1 minute")
        yield* api.token("acme")
        assert.strictEqual(yield* memory.tokenFetches("acme"), 2)
      })
    )
  )

  it.effect("keeps tokens apart per company", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        const acme = yield* api.token("acme")
        const beta = yield* api.token("beta")
        assert.strictEqual(beta.company, "beta")
        assert.notStrictEqual(Redacted.value(acme.accessToken), Redacted.value(beta.accessToken))
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        assert.strictEqual(yield* memory.tokenFetches("beta"), 1)
      })
    )
  )

  it.effect("concurrent token calls for one company share a single slow login", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.delayNext("token", "2 seconds")
        const fiber = yield* Effect.forkChild(
          Effect.all(
            Array.from({ length: 10 }, () => api.token("acme")),
            { concurrency: "unbounded" }
          )
        )
        yield* TestClock.adjust("1 second")
        assert.isUndefined(fiber.pollUnsafe(), "the login is still running")
        yield* TestClock.adjust("1 second")
        const tokens = yield* Fiber.join(fiber)
        assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.accessToken))).size, 1)
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
      })
    )
  )

  it.effect("concurrent article calls on several stores log in once", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.delayNext("token", "1 second")
        const fiber = yield* Effect.forkChild(
          Effect.all(
            [
              api.upsertArticles("acme", "s1", [article]),
              api.upsertArticles("acme", "s2", [article]),
              api.listArticles("acme", "s1", 0, 10),
              api.token("beta")
            ],
            { concurrency: "unbounded" }
          )
        )
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        assert.strictEqual(yield* memory.tokenFetches("beta"), 1)
      })
    )
  )

  it.effect("a failed login is counted, fails the call with the login error, and the next call logs in again", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* memory.failNext("token", "AuthFailed")
        const error = yield* Effect.flip(api.upsertArticles("acme", "s1", [article]))
        assert.strictEqual(error.reason, "AuthFailed")
        assert.strictEqual(error.operation, "token")
        assert.strictEqual(error.company, "acme")
        assert.isUndefined(error.store)
        assert.isFalse(error.retryable)
        assert.lengthOf(yield* memory.articles("acme", "s1"), 0)
        assert.strictEqual(yield* memory.tokenFetches("acme"), 1)
        yield* api.upsertArticles("acme", "s1", [article])
        assert.strictEqual(yield* memory.tokenFetches("acme"), 2)
        assert.lengthOf(yield* memory.articles("acme", "s1"), 1)
      })
    )
  )

  it.effect("a token fault waits for the next login: a cached token is not affected", () =>
    withApi()(
      Effect.gen(function* () {
        const api = yield* EslApi
        const memory = yield* EslMemory
        yield* api.token("acme")
        yield* memory.failNext("token", { reason: "ServerError", status: 502, responseMessage: "Bad Gateway" })
        yield* api.upsertArticles("acme", "s1", [article])
        yield* memory.revokeToken("acme")
        const error = yield* Effect.flip(api.token("acme"))
        assert.strictEqual(error.reason, "ServerError")
        assert.strictEqual(error.status, 502)
        assert.strictEqual(error.responseMessage, "Bad Gateway")
        assert.isTrue(error.retryable)
        yield* api.token("acme")
        assert.strictEqual(yield* memory.tokenFetches("acme"), 3)
      })
    )
  )
})
