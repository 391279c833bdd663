import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted, Tracer } from "effect"
import { TestClock } from "effect/testing"
import type { EslApiError } from "../../src/services/EslApi.ts"
import { article } from "./contract.ts"
import { password, simulatorWithClient } from "./simulator-harness.ts"

const companies = { acme: ["s1", "s2"], beta: ["b1"] }
const setup = (simulator: { tokenTtlSeconds?: number } = {}) => simulatorWithClient({ companies, ...simulator })

describe("EslApi over HTTP: tokens", () => {
  it.effect("one Redacted token per company, cached and shared by its stores", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      const first = yield* api.token("acme")
      assert.isTrue(Redacted.isRedacted(first.accessToken))
      assert.notInclude(String(first.accessToken), Redacted.value(first.accessToken))
      yield* api.upsertArticles("acme", "s1", [article("a")])
      yield* api.listArticles("acme", "s2", 0, 10)
      const again = yield* api.token("acme")
      assert.strictEqual(Redacted.value(again.accessToken), Redacted.value(first.accessToken))
      const beta = yield* api.token("beta")
      assert.notStrictEqual(Redacted.value(beta.accessToken), Redacted.value(first.accessToken))
      const stats = yield* sim.stats
      assert.deepStrictEqual([stats.logins, stats.refreshes], [2, 0])
    })
  )

  it.effect("renews 5 minutes before expiry with the refresh token, not a new login", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      const first = yield* api.token("acme")
      yield* TestClock.adjust("54 minutes")
      yield* api.upsertArticles("acme", "s1", [article("a")])
      assert.strictEqual((yield* sim.stats).tokensIssued, 1)
      yield* TestClock.adjust("1 minute")
      yield* api.upsertArticles("acme", "s2", [article("a")])
      const renewed = yield* api.token("acme")
      assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
      assert.strictEqual(renewed.expiresAt.getTime(), 55 * 60_000 + 3_600_000)
      const stats = yield* sim.stats
      assert.deepStrictEqual([stats.logins, stats.refreshes], [1, 1])
      assert.deepStrictEqual(stats.routes["PUT /common/articles"]?.statuses, { "200": 2 })
    })
  )

  it.effect("when the refresh fails it logs in again, and the call goes through", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup({ tokenTtlSeconds: 600 })
      yield* api.token("acme")
      yield* sim.addFaults({ kind: "refreshFailure" })
      yield* TestClock.adjust("6 minutes")
      yield* api.upsertArticles("acme", "s1", [article("a")])
      const stats = yield* sim.stats
      assert.deepStrictEqual([stats.logins, stats.refreshes], [2, 0])
      assert.deepStrictEqual(stats.routes["POST /token/refresh"]?.statuses, { "401": 1 })
      assert.lengthOf(yield* sim.articles("acme", "s1"), 1)
    })
  )

  it.effect("a 401 renews the token once and replays the call once", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      yield* sim.addFaults({ kind: "tokenExpired", route: "PUT /common/articles", afterCalls: 1, times: 1 })
      yield* api.upsertArticles("acme", "s1", [article("a")])
      const result = yield* api.upsertArticles("acme", "s1", [article("b")])
      assert.strictEqual(result.validCount, 1)
      const stats = yield* sim.stats
      assert.deepStrictEqual(stats.routes["PUT /common/articles"]?.statuses, { "200": 2, "401": 1 })
      assert.deepStrictEqual([stats.logins, stats.refreshes], [1, 1])
      assert.lengthOf(yield* sim.articles("acme", "s1"), 2)
    })
  )

  it.effect("a 401 that the replay does not cure fails the call after exactly one replay", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      yield* sim.addFaults({ kind: "tokenExpired", route: "GET /common/config/article/info" })
      const error = yield* Effect.flip(api.listArticles("acme", "s1", 0, 10))
      assert.deepStrictEqual([error.reason, error.status, error.responseMessage], ["AuthFailed", 401, "TOKEN_EXPIRED"])
      assert.isFalse(error.retryable)
      assert.deepStrictEqual((yield* sim.stats).routes["GET /common/config/article/info"]?.statuses, { "401": 2 })
    })
  )

  it.effect("a server that forgot every token (TOKEN_IS_INVALID, refresh refused) gets a fresh login", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      yield* api.upsertArticles("acme", "s1", [article("a")])
      yield* sim.reset
      yield* api.upsertArticles("acme", "s1", [article("b")])
      const stats = yield* sim.stats
      assert.deepStrictEqual(stats.routes["PUT /common/articles"]?.statuses, { "200": 1, "401": 1 })
      assert.deepStrictEqual(stats.routes["POST /token/refresh"]?.statuses, { "401": 1 })
      assert.strictEqual(stats.logins, 1)
    })
  )

  it.live("concurrent calls share one slow login (single-flight per company)", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      yield* sim.addFaults({ kind: "latency", route: "POST /token", ms: 150 })
      yield* Effect.all(
        [
          ...Array.from({ length: 6 }, () => api.token("acme")),
          api.upsertArticles("acme", "s1", [article("a")]),
          api.upsertArticles("acme", "s2", [article("a")]),
          api.token("beta")
        ],
        { concurrency: "unbounded" }
      )
      assert.strictEqual((yield* sim.stats).logins, 2)
    })
  )

  it.effect("concurrent calls refused with one expired token renew it once", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* setup()
      yield* api.token("acme")
      yield* sim.addFaults({ kind: "tokenExpired", route: "GET /common/config/article/info", times: 1 })
      yield* Effect.all(
        Array.from({ length: 4 }, () => api.listArticles("acme", "s1", 0, 10)),
        { concurrency: "unbounded" }
      )
      const stats = yield* sim.stats
      assert.strictEqual(stats.tokensIssued, 2)
    })
  )

  it.effect("a wrong password is AuthFailed (200 without access_token), permanent, and retried on the next call", () =>
    Effect.gen(function* () {
      const { sim, api } = yield* simulatorWithClient({ companies }, { password: Redacted.make("wrong-Pa55") })
      const error = yield* Effect.flip(api.upsertArticles("acme", "s1", [article("a")]))
      assert.deepStrictEqual([error.reason, error.status, error.operation], ["AuthFailed", 200, "token"])
      assert.match(error.responseMessage, /LOGIN_FAILED/)
      assert.isFalse(error.retryable)
      assert.match(error.message, /check the ESL username and password/)
      yield* Effect.flip(api.token("acme"))
      assert.strictEqual((yield* sim.stats).failedLogins, 2)
    })
  )
})

describe("EslApi over HTTP: secrets", () => {
  it.effect("neither the password nor any token appears in errors, their JSON, causes or span attributes", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const { sim, api } = yield* setup()
      const traced = <A, E>(self: Effect.Effect<A, E>) => Effect.provideService(self, Tracer.Tracer, tracer)
      const token = Redacted.value((yield* traced(api.token("acme"))).accessToken)
      yield* sim.addFaults(
        { kind: "tokenExpired", route: "PUT /common/articles" },
        { kind: "reset", route: "DELETE /common/articles" },
        { kind: "error", route: "GET /common/config/article/info", status: 503 }
      )
      const attempt = <A>(self: Effect.Effect<A, EslApiError>) => traced(Effect.exit(Effect.asVoid(self)))
      const exits: Array<Exit.Exit<void, EslApiError>> = [
        yield* attempt(api.upsertArticles("acme", "s1", [article("a")])),
        yield* attempt(api.deleteArticles("acme", "s1", ["a"])),
        yield* attempt(api.listArticles("acme", "s1", 0, 10))
      ]
      const { api: wrong } = yield* simulatorWithClient({ companies }, { password: Redacted.make(`${password}x`) })
      exits.push(yield* attempt(wrong.token("acme")))
      const tokens = [token, Redacted.value((yield* api.token("acme")).accessToken)]
      const texts = exits.flatMap((exit) => {
        assert.isTrue(Exit.isFailure(exit))
        if (!Exit.isFailure(exit)) return []
        const error = Cause.squash(exit.cause)
        return [String(error), (error as Error).message, JSON.stringify(error), Cause.pretty(exit.cause)]
      })
      texts.push(
        ...spans.flatMap((span) => [...span.attributes.entries()].map(([key, value]) => `${key}=${String(value)}`))
      )
      assert.isAbove(spans.length, 4)
      for (const text of texts) {
        assert.notInclude(text, password)
        for (const t of tokens) assert.notInclude(text, t)
      }
      // The texts checked are the real ones: they carry the server's messages.
      assert.include(texts.join("\n"), "TOKEN_EXPIRED")
      assert.include(texts.join("\n"), "SERVICE_UNAVAILABLE")
    })
  )
})
