import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { layerHttp } from "../../layers/esl-api/http.ts"
import { messageOf, reasonFor, retryAfterOf } from "../../layers/esl-api/http-answer.ts"
import { parseCompanies } from "../../src/esl/simulator/index.ts"
import { EslApi } from "../../src/services/EslApi.ts"

/** An EslApi over a fake server: `answer` gets `METHOD /path` (below the API base) and gives status and body. */
const withServer = (answer: (route: string) => { status: number; body: unknown; headers?: Record<string, string> }) => {
  const client = HttpClient.make((request, url) => {
    const route = `${request.method} ${url.pathname.replace("/c1/common/api/v2", "")}`
    const { status, body, headers } = answer(route)
    const text = typeof body === "string" ? body : JSON.stringify(body)
    return Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        new Response(status === 204 ? null : text, { status, ...(headers ? { headers } : {}) })
      )
    )
  })
  const layer = layerHttp({
    baseUrl: "https://esl.example/",
    clusterPrefix: "/c1",
    username: "u",
    password: Redacted.make("p")
  }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
  return Effect.map(Layer.build(layer), (context) => Context.get(context, EslApi))
}

const tokenAnswer = {
  status: 200,
  body: {
    responseCode: 200,
    responseMessage: { access_token: "t", expires_in: "3600", refresh_token: "r", scope: "x" },
    serverTime: 1
  }
}

describe("EslApi over HTTP: answers from other servers", () => {
  it.effect("ignores unknown fields and takes numeric codes, numeric expires_in and non-string data values", () =>
    Effect.gen(function* () {
      const api = yield* withServer((route) =>
        route === "POST /token"
          ? tokenAnswer
          : {
              status: 200,
              body: {
                responseCode: "200",
                responseMessage: "SUCCESS",
                totalArticleCnt: 1,
                articleList: [
                  {
                    articleId: "a",
                    articleName: "A",
                    data: { PRICE: 1.5, ON_SALE: true, NAME: "x" },
                    lastUpdated: "2030-01-01",
                    stationCode: "S1",
                    eans: null
                  }
                ],
                paging: {}
              }
            }
      )
      const page = yield* api.listArticles("acme", "s1", 0, 10)
      assert.deepStrictEqual(page, {
        total: 1,
        articles: [
          {
            articleId: "a",
            articleName: "A",
            data: { PRICE: "1.5", ON_SALE: "true", NAME: "x" },
            lastUpdated: "2030-01-01"
          }
        ]
      })
    })
  )

  it.effect("an error code inside a 200 envelope is treated as that status", () =>
    Effect.gen(function* () {
      const api = yield* withServer((route) =>
        route === "POST /token"
          ? tokenAnswer
          : { status: 200, body: { responseCode: "403", responseMessage: "LICENSE_EXPIRED" } }
      )
      const error = yield* Effect.flip(api.deleteArticles("acme", "s1", ["a"]))
      assert.deepStrictEqual([error.reason, error.status, error.responseMessage], ["Forbidden", 403, "LICENSE_EXPIRED"])
    })
  )

  it.effect("a success without an envelope, or a log without articleId and errorIndex, still gives typed answers", () =>
    Effect.gen(function* () {
      const api = yield* withServer((route) =>
        route === "POST /token"
          ? tokenAnswer
          : route === "PUT /common/articles"
            ? { status: 200, body: { customBatchId: 7, validCount: 1, invalidCount: 1 } }
            : { status: 200, body: { responseCode: "200", data: [{ errorText: null }] } }
      )
      const error = yield* Effect.flip(
        api.upsertArticles("acme", "s1", [{ articleId: "a", articleName: "A", data: {} }])
      )
      assert.deepStrictEqual([error.reason, error.status], ["UnexpectedResponse", 200])
      assert.match(error.responseMessage, /not an article batch answer/)
      const logged = yield* withServer((route) =>
        route === "POST /token"
          ? tokenAnswer
          : route === "POST /common/articles"
            ? { status: 200, body: { responseCode: "200", customBatchId: 7, invalidCount: 1 } }
            : { status: 200, body: { responseCode: "200", data: [{ errorIndex: 1, errorText: null }] } }
      )
      const result = yield* logged.upsertArticles(
        "acme",
        "s1",
        [
          { articleId: "a", articleName: "A", data: {} },
          { articleId: "b", articleName: "B", data: {} }
        ],
        "replace"
      )
      assert.deepStrictEqual(result, {
        customBatchId: "7",
        validCount: 1,
        invalidCount: 1,
        rejected: [{ articleId: "b", errorText: "rejected by the ESL server" }]
      })
    })
  )
})

describe("EslApi over HTTP: answer helpers", () => {
  it("maps statuses to reasons (405 is the vendor's invalid parameter)", () => {
    assert.deepStrictEqual([400, 401, 403, 404, 405, 409, 429, 500, 502, 503, 504].map(reasonFor), [
      "InvalidRequest",
      "AuthFailed",
      "Forbidden",
      "UnexpectedResponse",
      "InvalidRequest",
      "UnexpectedResponse",
      "Throttled",
      "ServerError",
      "ServerError",
      "ServerError",
      "ServerError"
    ])
  })

  it("reads Retry-After as seconds or an HTTP date, never negative", () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0)
    const millis = (value: string | undefined) => {
      const duration = retryAfterOf(value, now)
      return duration === undefined ? undefined : Duration.toMillis(duration)
    }
    assert.strictEqual(millis(" 12 "), 12_000)
    assert.strictEqual(millis("Tue, 01 Jan 2030 12:01:00 GMT"), 60_000)
    assert.strictEqual(millis("Mon, 31 Dec 2029 12:00:00 GMT"), 0)
    assert.isUndefined(millis("soon"))
    assert.isUndefined(millis(undefined))
  })

  it("takes the server's message from the envelope, else the body, else the status", () => {
    const answer = (body: unknown, text: string) => ({ status: 502, headers: {}, body, text })
    assert.strictEqual(messageOf(answer({ responseMessage: "BUSY" }, "")), "BUSY")
    assert.strictEqual(messageOf(answer({ responseMessage: { code: 1 } }, "")), `{"code":1}`)
    assert.strictEqual(messageOf(answer(undefined, "<h1>Bad\n  Gateway</h1>")), "<h1>Bad Gateway</h1>")
    assert.strictEqual(messageOf(answer(undefined, "")), "HTTP 502")
  })

  it("parses --companies lists", () => {
    assert.deepStrictEqual(parseCompanies("ACME:S001,S002; OTHER:X1;"), { ACME: ["S001", "S002"], OTHER: ["X1"] })
    assert.deepStrictEqual(parseCompanies("A:1;A:2"), { A: ["1", "2"] })
    assert.strictEqual(parseCompanies("A:1:2"), `"A:1:2" is not COMPANY:STORE[,STORE…]`)
  })
})
