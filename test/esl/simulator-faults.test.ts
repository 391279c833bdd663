import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { type FaultRule, type Simulator, startSimulator } from "../../src/esl/simulator/index.ts"
import { api, articles, call, item, login } from "./sim-client.ts"

const companies = { ACME: ["S1"], BETA: ["B1"] }
const start = (faults: ReadonlyArray<FaultRule> = [], seed?: number) =>
  startSimulator({ companies, faults, ...(seed === undefined ? {} : { seed }) })

const put = (sim: Simulator, token: string, body: unknown, company = "ACME", store = "S1") =>
  call(sim, "PUT", articles(company, store), { token, body })
const list = (sim: Simulator, token: string) =>
  call(sim, "GET", `${api}/common/config/article/info?company=ACME&store=S1`, { token })

/** Polls (real time, bounded) until a call is being answered, so a test can move the TestClock under it. */
const untilInFlight = (sim: Simulator) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400; i++) {
      if ((yield* sim.stats).inFlight > 0) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    assert.fail("no call arrived")
  })

describe("ESL simulator faults: transport", () => {
  it.effect("latency holds the answer for Clock time, also past 10 seconds", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "latency", route: "POST /token", ms: 11_000 }])
      const fiber = yield* Effect.forkChild(login(sim))
      yield* untilInFlight(sim)
      yield* TestClock.adjust("10 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.isString((yield* Fiber.join(fiber)).access_token)
    })
  )

  it.live("a client that gives up before the delayed answer is counted as aborted", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "latency", route: "POST /token", ms: 5_000 }])
      const error = yield* Effect.flip(
        call(sim, "POST", `${api}/token`, {
          body: { username: "demo", password: "demo" },
          signal: AbortSignal.timeout(100)
        })
      )
      assert.match(String(error), /abort|timeout/i)
      for (let i = 0; i < 200 && (yield* sim.stats).inFlight > 0; i++) yield* Effect.sleep("10 millis")
      assert.deepStrictEqual((yield* sim.stats).routes["POST /token"]?.statuses, { aborted: 1 })
    })
  )

  it.effect("error answers the status with an envelope, on the n-th call only", () =>
    Effect.gen(function* () {
      const sim = yield* start([
        { kind: "error", route: "POST /token", status: 503, nth: 2 },
        { kind: "error", route: "POST /token", status: 500, nth: 3 },
        { kind: "error", route: "POST /token", status: 502, responseMessage: "upstream down", nth: 4 }
      ])
      const replies = yield* Effect.forEach([1, 2, 3, 4, 5], () =>
        call(sim, "POST", `${api}/token`, { body: { username: "demo", password: "demo" } })
      )
      assert.deepStrictEqual(
        replies.map((r) => [
          r.status,
          r.body.responseCode,
          typeof r.body.responseMessage === "string" ? r.body.responseMessage : "token"
        ]),
        [
          [200, "200", "token"],
          [503, "503", "SERVICE_UNAVAILABLE"],
          [500, "500", "INTERNAL_SERVER_ERROR"],
          [502, "502", "upstream down"],
          [200, "200", "token"]
        ]
      )
    })
  )

  it.effect("reset destroys the connection; afterCalls and times bound when a fault fires", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "reset", route: "POST /token", afterCalls: 1, times: 2 }])
      yield* login(sim)
      const error = yield* Effect.flip(login(sim))
      assert.match(String(error.cause ?? error), /closed|reset|socket/i)
      yield* Effect.flip(login(sim))
      yield* login(sim)
      assert.deepStrictEqual((yield* sim.stats).routes["POST /token"]?.statuses, { "200": 2, reset: 2 })
    })
  )

  it.effect("throttle answers 429 with Retry-After when given; malformed answers a non-envelope 200", () =>
    Effect.gen(function* () {
      const sim = yield* start([
        { kind: "throttle", route: "POST /token", nth: 1, retryAfter: 7 },
        { kind: "throttle", route: "POST /token", nth: 2, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" },
        { kind: "throttle", route: "POST /token", nth: 3 },
        { kind: "malformed", route: "POST /token", nth: 4 }
      ])
      const replies = yield* Effect.forEach([1, 2, 3, 4], () =>
        call(sim, "POST", `${api}/token`, { body: { username: "demo", password: "demo" } })
      )
      assert.deepStrictEqual(
        replies.slice(0, 3).map((r) => [r.status, r.headers.get("retry-after"), r.body.responseMessage]),
        [
          [429, "7", "TOO_MANY_REQUESTS"],
          [429, "Wed, 21 Oct 2015 07:28:00 GMT", "TOO_MANY_REQUESTS"],
          [429, null, "TOO_MANY_REQUESTS"]
        ]
      )
      assert.deepStrictEqual([replies[3]?.status, replies[3]?.body], [200, undefined])
      assert.match(replies[3]?.text ?? "", /<html>/)
    })
  )

  it.effect("rate draws from the seeded generator: the same seed gives the same pattern", () =>
    Effect.gen(function* () {
      const pattern = (seed: number) =>
        Effect.gen(function* () {
          const sim = yield* start([{ kind: "error", route: "POST /token", status: 503, rate: 0.5 }], seed)
          const replies = yield* Effect.forEach(Array.from({ length: 16 }), () =>
            call(sim, "POST", `${api}/token`, { body: { username: "demo", password: "demo" } })
          )
          return replies.map((r) => r.status).join(",")
        })
      const first = yield* pattern(42)
      assert.strictEqual(yield* pattern(42), first)
      assert.include(first, "503")
      assert.include(first, "200")
      assert.notStrictEqual(yield* pattern(7), first)
    })
  )
})

describe("ESL simulator faults: tokens and licences", () => {
  it.effect("tokenExpired after k calls: the token then stays expired, a new one works", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "tokenExpired", afterCalls: 2, times: 1 }])
      const { access_token: token } = yield* login(sim)
      assert.strictEqual((yield* list(sim, token)).status, 204)
      assert.strictEqual((yield* list(sim, token)).status, 204)
      const expired = yield* list(sim, token)
      assert.deepStrictEqual([expired.status, expired.body.responseMessage], [401, "TOKEN_EXPIRED"])
      assert.strictEqual((yield* list(sim, token)).body.responseMessage, "TOKEN_EXPIRED")
      const { access_token: fresh } = yield* login(sim)
      assert.strictEqual((yield* list(sim, fresh)).status, 204)
    })
  )

  it.effect("refreshFailure refuses the refresh token for good", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "refreshFailure", nth: 1 }])
      const { refresh_token } = yield* login(sim)
      const refresh = () => call(sim, "POST", `${api}/token/refresh`, { body: { refreshToken: refresh_token } })
      const refused = yield* refresh()
      assert.deepStrictEqual([refused.status, refused.body.responseMessage], [401, "TOKEN_IS_INVALID"])
      assert.strictEqual((yield* refresh()).status, 401)
    })
  )

  it.effect("licenseExpired hits the chosen company only; faults can be set and cleared at runtime", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const { access_token: token } = yield* login(sim)
      const added = yield* call(sim, "POST", "/__sim/faults", { body: { kind: "licenseExpired", company: "ACME" } })
      assert.deepStrictEqual(added.body, { ids: [1] })
      const expired = yield* put(sim, token, [item("a")])
      assert.deepStrictEqual([expired.status, expired.body.responseMessage], [403, "LICENSE_EXPIRED"])
      assert.strictEqual((yield* put(sim, token, [item("a")], "BETA", "B1")).status, 200)
      const listed = (yield* call(sim, "GET", "/__sim/faults")).body.faults
      assert.deepStrictEqual(
        listed.map((f: { id: number; seen: number; fired: number }) => [f.id, f.seen, f.fired]),
        [[1, 1, 1]]
      )
      assert.strictEqual((yield* call(sim, "DELETE", "/__sim/faults/9")).status, 404)
      assert.deepStrictEqual((yield* call(sim, "DELETE", "/__sim/faults/1")).body, { removed: 1 })
      assert.strictEqual((yield* put(sim, token, [item("a")])).status, 200)
      yield* call(sim, "POST", "/__sim/faults", { body: [{ kind: "licenseExpired" }, { kind: "processing" }] })
      assert.strictEqual((yield* put(sim, token, [item("a")], "BETA", "B1")).status, 403)
      assert.deepStrictEqual((yield* call(sim, "DELETE", "/__sim/faults")).body, { cleared: true })
      assert.strictEqual((yield* put(sim, token, [item("a")], "BETA", "B1")).status, 200)
      const bad = yield* call(sim, "POST", "/__sim/faults", { body: { kind: "error", status: 200 } })
      assert.strictEqual(bad.status, 400)
      assert.isString(bad.body.error)
      assert.strictEqual((yield* Effect.flip(sim.addFaults({ kind: "reject", share: 2 })))._tag, "SimulatorError")
    })
  )
})

describe("ESL simulator faults: batches", () => {
  it.effect("reject refuses chosen ids (with or without articleId in the log) and stores the rest", () =>
    Effect.gen(function* () {
      const sim = yield* start([
        { kind: "reject", articleIds: ["b"], errorText: "EAN_INVALID" },
        { kind: "reject", articleIds: ["c"], omitArticleId: true }
      ])
      const { access_token: token } = yield* login(sim)
      const reply = yield* put(
        sim,
        token,
        ["a", "b", "c"].map((id) => item(id))
      )
      assert.deepStrictEqual([reply.body.validCount, reply.body.invalidCount], [1, 2])
      const log = yield* call(
        sim,
        "GET",
        `${api}/common/articles/validationerror/logs?company=ACME&inputBatchId=${reply.body.customBatchId}`,
        { token }
      )
      assert.deepStrictEqual(log.body.data, [
        { errorIndex: 1, articleId: "b", errorText: "EAN_INVALID" },
        { errorIndex: 2, errorText: "REJECTED_BY_SIMULATOR" }
      ])
      assert.deepStrictEqual(
        (yield* sim.articles("ACME", "S1")).map((a) => a.articleId),
        ["a"]
      )
    })
  )

  it.effect("reject and drop by share follow the seed; dropped articles answer success but are not stored", () =>
    Effect.gen(function* () {
      const outcome = (kind: "reject" | "drop") =>
        Effect.gen(function* () {
          const sim = yield* start([{ kind, share: 0.25 }], 3)
          const { access_token: token } = yield* login(sim)
          const reply = yield* put(
            sim,
            token,
            Array.from({ length: 40 }, (_, i) => item(`id${i}`))
          )
          const held = (yield* sim.articles("ACME", "S1")).map((a) => a.articleId)
          return { reply: reply.body, held }
        })
      const rejected = yield* outcome("reject")
      assert.isAbove(rejected.reply.invalidCount, 0)
      assert.strictEqual(rejected.held.length, 40 - rejected.reply.invalidCount)
      assert.deepStrictEqual((yield* outcome("reject")).held, rejected.held)
      const dropped = yield* outcome("drop")
      assert.deepStrictEqual([dropped.reply.validCount, dropped.reply.invalidCount], [40, 0])
      assert.isBelow(dropped.held.length, 40)
      assert.isAbove(dropped.held.length, 0)
    })
  )

  it.effect("processing keeps the batch PROCESSING in the history; omitBatchId answers like an older server", () =>
    Effect.gen(function* () {
      const sim = yield* start([
        { kind: "processing", nth: 1 },
        { kind: "omitBatchId", nth: 2 }
      ])
      const { access_token: token } = yield* login(sim)
      const first = yield* put(sim, token, [item("a")])
      const history = yield* call(
        sim,
        "GET",
        `${api}/common/articles/history?company=ACME&name=${first.body.customBatchId}`,
        { token }
      )
      assert.strictEqual(history.body.articleFileHistoryList[0].result, "PROCESSING")
      const second = yield* put(sim, token, [item("b")])
      assert.deepStrictEqual(second.body, { responseCode: "200", responseMessage: "SUCCESS" })
      assert.lengthOf(yield* sim.articles("ACME", "S1"), 2)
    })
  )

  it.effect("reset restores the start-up faults with fresh counters", () =>
    Effect.gen(function* () {
      const sim = yield* start([{ kind: "error", route: "POST /token", status: 503, nth: 1 }])
      const token = () => call(sim, "POST", `${api}/token`, { body: { username: "demo", password: "demo" } })
      assert.strictEqual((yield* token()).status, 503)
      assert.strictEqual((yield* token()).status, 200)
      yield* sim.addFaults({ kind: "licenseExpired" })
      yield* sim.reset
      const faults = yield* sim.faults
      assert.deepStrictEqual(
        faults.map((f) => [f.rule.kind, f.seen]),
        [["error", 0]]
      )
      assert.strictEqual((yield* token()).status, 503)
    })
  )
})
