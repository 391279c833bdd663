import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { TestClock } from "effect/testing"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { api, articles, call, item, login } from "./sim-client.ts"

const companies = { ACME: ["S1", "S2"], BETA: ["B1"] }
const start = () => startSimulator({ companies, tokenTtlSeconds: 120 })

describe("ESL simulator: tokens", () => {
  it.effect("POST /token answers the token envelope on both cluster prefixes; a wrong password gets text", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      for (const prefix of ["", "/c1"]) {
        const reply = yield* call(sim, "POST", `${prefix}${api}/token`, {
          body: { username: "demo", password: "demo", extra: "ignored" }
        })
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.body.responseCode, "200")
        const token = reply.body.responseMessage
        assert.deepStrictEqual([token.token_type, token.expires_in], ["Bearer", 120])
        assert.isString(token.access_token)
        assert.isString(token.refresh_token)
      }
      const wrong = yield* call(sim, "POST", `${api}/token`, { body: { username: "demo", password: "nope" } })
      assert.strictEqual(wrong.status, 200)
      assert.isString(wrong.body.responseMessage)
      assert.notInclude(wrong.text, "access_token")
      assert.strictEqual((yield* call(sim, "POST", `${api}/token`, { body: { username: "demo" } })).status, 405)
      assert.strictEqual((yield* call(sim, "POST", `${api}/token`)).status, 405)
      const stats = yield* sim.stats
      assert.deepStrictEqual([stats.logins, stats.failedLogins, stats.tokensIssued], [2, 1, 2])
    })
  )

  it.effect("POST /token/refresh hands out a new pair; a refresh token works once", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const first = yield* login(sim)
      const refreshed = yield* call(sim, "POST", `${api}/token/refresh`, {
        body: { refreshToken: first.refresh_token }
      })
      assert.strictEqual(refreshed.status, 200)
      assert.notStrictEqual(refreshed.body.responseMessage.access_token, first.access_token)
      const again = yield* call(sim, "POST", `${api}/token/refresh`, { body: { refreshToken: first.refresh_token } })
      assert.deepStrictEqual([again.status, again.body.responseMessage], [401, "TOKEN_IS_INVALID"])
      assert.strictEqual((yield* call(sim, "POST", `${api}/token/refresh`, { body: {} })).status, 405)
      assert.strictEqual((yield* sim.stats).refreshes, 1)
    })
  )

  it.effect("article calls need a valid bearer token: 401 with the reason", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const list = `${api}/common/config/article/info?company=ACME&store=S1`
      const missing = yield* call(sim, "GET", list)
      assert.deepStrictEqual(
        [missing.status, missing.body],
        [401, { responseCode: "401", responseMessage: "TOKEN_NOT_FOUND_IN_REQUEST" }]
      )
      const invalid = yield* call(sim, "GET", list, { token: "made-up" })
      assert.deepStrictEqual([invalid.status, invalid.body.responseMessage], [401, "TOKEN_IS_INVALID"])
      const { access_token } = yield* login(sim)
      assert.strictEqual((yield* call(sim, "GET", list, { token: access_token })).status, 204)
      yield* TestClock.adjust("119 seconds")
      assert.strictEqual((yield* call(sim, "GET", list, { token: access_token })).status, 204)
      yield* TestClock.adjust("1 second")
      const expired = yield* call(sim, "GET", list, { token: access_token })
      assert.deepStrictEqual([expired.status, expired.body.responseMessage], [401, "TOKEN_EXPIRED"])
    })
  )
})

describe("ESL simulator: articles", () => {
  it.effect("PUT merges, POST replaces; writes are recorded with their time and count", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      yield* TestClock.setTime(Date.UTC(2030, 0, 1))
      const { access_token: token } = yield* login(sim)
      const put = yield* call(sim, "PUT", articles("ACME", "S1"), {
        token,
        body: [
          { ...item("a", { PRICE: "1", NAME: "Milk" }), nfcUrl: "https://n/a", eans: ["400"], unknown: "dropped" },
          item("b", { PRICE: "2" })
        ]
      })
      assert.strictEqual(put.status, 200)
      assert.deepStrictEqual(
        [put.body.responseCode, put.body.responseMessage, put.body.validCount, put.body.invalidCount],
        ["200", "SUCCESS", 2, 0]
      )
      assert.isString(put.body.customBatchId)
      yield* TestClock.adjust("1 minute")
      yield* call(sim, "PUT", articles("ACME", "S1", "/c1"), { token, body: [item("a", { PRICE: "1.5" })] })
      yield* call(sim, "POST", articles("ACME", "S1"), { token, body: [item("b", { OTHER: "x" })] })
      const held = yield* call(sim, "GET", "/__sim/articles?company=ACME&store=S1")
      assert.deepStrictEqual(held.body, {
        company: "ACME",
        store: "S1",
        total: 2,
        articles: [
          {
            articleId: "a",
            articleName: "name a",
            nfcUrl: "https://n/a",
            eans: ["400"],
            data: { PRICE: "1.5", NAME: "Milk" },
            lastUpdated: "2030-01-01T00:01:00.000Z",
            writes: 2
          },
          {
            articleId: "b",
            articleName: "name b",
            data: { OTHER: "x" },
            lastUpdated: "2030-01-01T00:01:00.000Z",
            writes: 2
          }
        ]
      })
      assert.deepStrictEqual((yield* call(sim, "GET", "/__sim/articles?company=ACME&store=S2")).body.articles, [])
      assert.strictEqual((yield* sim.stats).articleWrites, 4)
    })
  )

  it.effect("company, store and body are checked: 403 COMPANY_NOT_FOUND, 405 STORE_CODE_NOT_FOUND / bad body", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const { access_token: token } = yield* login(sim)
      const message = (reply: { body: { responseMessage: unknown }; status: number }) => [
        reply.status,
        reply.body.responseMessage
      ]
      const invalid = [405, "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST"]
      assert.deepStrictEqual(message(yield* call(sim, "PUT", articles("GHOST", "S1"), { token, body: [item("a")] })), [
        403,
        "COMPANY_NOT_FOUND"
      ])
      assert.deepStrictEqual(
        message(yield* call(sim, "GET", `${api}/common/articles/history?company=GHOST`, { token })),
        [403, "COMPANY_NOT_FOUND"]
      )
      assert.deepStrictEqual(message(yield* call(sim, "PUT", articles("ACME", "B1"), { token, body: [item("a")] })), [
        405,
        "STORE_CODE_NOT_FOUND"
      ])
      assert.deepStrictEqual(
        message(yield* call(sim, "PUT", `${api}/common/articles?company=ACME`, { token, body: [item("a")] })),
        [405, "STORE_CODE_NOT_FOUND"]
      )
      assert.deepStrictEqual(message(yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: [] })), invalid)
      assert.deepStrictEqual(
        message(yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: { a: 1 } })),
        invalid
      )
      assert.deepStrictEqual(message(yield* call(sim, "POST", articles("ACME", "S1"), { token })), invalid)
      const many = Array.from({ length: 1001 }, (_, i) => item(`x${i}`))
      assert.deepStrictEqual(message(yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: many })), invalid)
      assert.deepStrictEqual(
        message(yield* call(sim, "DELETE", articles("ACME", "S1"), { token, body: { articleDeleteList: [] } })),
        invalid
      )
      assert.deepStrictEqual(
        message(yield* call(sim, "DELETE", articles("ACME", "S1"), { token, body: { articleDeleteList: [1] } })),
        invalid
      )
      assert.deepStrictEqual(
        message(yield* call(sim, "DELETE", articles("ACME", "S1"), { token, body: ["a"] })),
        invalid
      )
      assert.strictEqual((yield* sim.stats).articleWrites, 0)
    })
  )

  it.effect("partial rejection: invalidCount, a validation-error log by position, and the history", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const { access_token: token } = yield* login(sim)
      const body = [item("ok"), item(""), { articleId: "bad", articleName: "B", data: { N: 1 } }, "junk", item("x")]
      const put = yield* call(sim, "PUT", articles("ACME", "S1"), { token, body })
      assert.deepStrictEqual([put.body.validCount, put.body.invalidCount], [2, 3])
      const batch = put.body.customBatchId
      const log = yield* call(
        sim,
        "GET",
        `${api}/common/articles/validationerror/logs?company=ACME&inputBatchId=${batch}`,
        { token }
      )
      const entries = log.body.data as Array<{ errorIndex: number; articleId?: string; errorText: string }>
      assert.deepStrictEqual(
        entries.map((e) => [e.errorIndex, e.articleId]),
        [
          [1, ""],
          [2, "bad"],
          [3, undefined]
        ]
      )
      assert.match(entries[0]?.errorText ?? "", /articleId is required/)
      assert.match(entries[2]?.errorText ?? "", /INVALID_ARTICLE/)
      const unknownBatch = yield* call(
        sim,
        "GET",
        `${api}/common/articles/validationerror/logs?company=ACME&inputBatchId=nope`,
        { token }
      )
      assert.deepStrictEqual(unknownBatch.body.data, [])
      yield* call(sim, "DELETE", articles("ACME", "S1"), { token, body: { articleDeleteList: ["ok", "never-held"] } })
      yield* call(sim, "PUT", articles("ACME", "S2"), { token, body: [item("")] })
      const history = yield* call(sim, "GET", `${api}/common/articles/history?company=ACME`, { token })
      assert.deepStrictEqual(
        history.body.articleFileHistoryList.map(
          (h: { result: string; total: number; success: number; fail: number }) => [
            h.result,
            h.total,
            h.success,
            h.fail
          ]
        ),
        [
          ["PARTIAL_SUCCESS", 5, 2, 3],
          ["SUCCESS", 2, 2, 0],
          ["FAIL", 1, 0, 1]
        ]
      )
      const one = yield* call(sim, "GET", `${api}/common/articles/history?company=ACME&name=${batch}`, { token })
      assert.deepStrictEqual(one.body.articleFileHistoryList, [
        { name: batch, result: "PARTIAL_SUCCESS", total: 5, success: 2, fail: 3 }
      ])
      assert.deepStrictEqual(
        (yield* sim.articles("ACME", "S1")).map((a) => a.articleId),
        ["x"]
      )
    })
  )

  it.effect("GET article info pages by id, defaults to page 0 / size 500, answers 204 for an empty store", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const { access_token: token } = yield* login(sim)
      const info = (query: string) =>
        call(sim, "GET", `${api}/common/config/article/info?company=ACME&store=S1${query}`, { token })
      const empty = yield* info("&page=0&size=10")
      assert.deepStrictEqual([empty.status, empty.text], [204, ""])
      yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: ["c", "a", "b"].map((id) => item(id)) })
      const page1 = yield* info("&page=1&size=2")
      assert.strictEqual(page1.body.totalArticleCnt, 3)
      assert.deepStrictEqual(
        page1.body.articleList.map((a: { articleId: string }) => a.articleId),
        ["c"]
      )
      assert.notProperty(page1.body.articleList[0], "writes")
      assert.lengthOf((yield* info("")).body.articleList, 3)
      assert.deepStrictEqual((yield* info("&page=5&size=2")).body.articleList, [])
      for (const query of ["&page=0&size=501", "&page=-1&size=1", "&page=x&size=1", "&size=0"]) {
        const bad = yield* info(query)
        assert.strictEqual(bad.status, 405, query)
        assert.match(bad.body.responseMessage, /INVALID_PAGE_OR_SIZE/)
      }
    })
  )
})

describe("ESL simulator: introspection and lifecycle", () => {
  it.effect("stats count calls per route and status; reset forgets articles, tokens and counts", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const { access_token: token } = yield* login(sim)
      yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: [item("a")] })
      yield* call(sim, "PUT", articles("ACME", "S9"), { token, body: [item("a")] })
      yield* call(sim, "PUT", articles("ACME", "S1"))
      const stats = (yield* call(sim, "GET", "/__sim/stats")).body
      assert.deepStrictEqual(stats.routes["PUT /common/articles"], {
        calls: 3,
        statuses: { "200": 1, "405": 1, "401": 1 }
      })
      assert.deepStrictEqual([stats.tokensIssued, stats.logins, stats.inFlight], [1, 1, 0])
      assert.deepStrictEqual((yield* call(sim, "POST", "/__sim/reset")).body, { reset: true })
      assert.deepStrictEqual(yield* sim.articles("ACME", "S1"), [])
      const after = (yield* call(sim, "GET", "/__sim/stats")).body
      assert.deepStrictEqual([after.routes, after.tokensIssued], [{}, 0])
      const stale = yield* call(sim, "PUT", articles("ACME", "S1"), { token, body: [item("a")] })
      assert.deepStrictEqual([stale.status, stale.body.responseMessage], [401, "TOKEN_IS_INVALID"])
    })
  )

  it.effect("an unknown path answers a 404 envelope", () =>
    Effect.gen(function* () {
      const sim = yield* start()
      const reply = yield* call(sim, "GET", "/c2/common/api/v2/common/articles")
      assert.deepStrictEqual([reply.status, reply.body], [404, { responseCode: "404", responseMessage: "NOT_FOUND" }])
    })
  )

  it.effect("invalid options and a taken port are SimulatorErrors; the server closes with its scope", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(startSimulator({ companies, tokenTtlSeconds: -1 }))
      assert.strictEqual(bad._tag, "SimulatorError")
      assert.match(bad.message, /invalid simulator options/)
      const scope = yield* Scope.make()
      const sim = yield* startSimulator({ companies }).pipe(Scope.provide(scope))
      assert.strictEqual(sim.url, `http://127.0.0.1:${sim.port}`)
      assert.strictEqual(sim.baseUrl("/c1"), `${sim.url}/c1/common/api/v2`)
      const taken = yield* Effect.flip(startSimulator({ companies, port: sim.port }))
      assert.match(taken.message, /could not listen/)
      yield* Scope.close(scope, Exit.void)
      const closed = yield* Effect.flip(call(sim, "GET", "/__sim/stats"))
      assert.instanceOf(closed, Error)
    })
  )
})
