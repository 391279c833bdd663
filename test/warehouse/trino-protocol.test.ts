import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Tracer } from "effect"
import { type Dataset, Warehouse, type WarehouseError } from "../../src/services/Warehouse.ts"
import { trinoServer } from "./trino-server.ts"
import { countAnswer, items, password, provideTrino } from "./trino-support.ts"

const count = (dataset: Dataset = items) => Warehouse.use((warehouse) => warehouse.count(dataset))
const basic = `Basic ${Buffer.from(`etl:${password}`).toString("base64")}`

describe("Trino warehouse: client protocol", () => {
  it.live("every request carries user, source, catalog, schema, session and Basic auth", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(5))
      assert.strictEqual(yield* provideTrino(server)(count()), 5)
      assert.deepStrictEqual(
        server.requests.map((request) => `${request.method} ${request.path}`),
        ["POST /v1/statement", "GET /v1/statement/executing/q0001/0", "GET /v1/statement/executing/q0001/1"]
      )
      for (const { headers } of server.requests) {
        assert.strictEqual(headers["x-trino-user"], "etl")
        assert.strictEqual(headers["x-trino-source"], "storeflow-test")
        assert.strictEqual(headers["x-trino-catalog"], "hive")
        assert.strictEqual(headers["x-trino-schema"], "sales")
        assert.strictEqual(headers["x-trino-session"], "hive.timestamp_precision=MICROSECONDS")
        assert.strictEqual(headers.authorization, basic)
      }
    })
  )

  it.live("a 503 on a poll is retried after 50-100 ms; the POST is never repeated", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", { ...countAnswer(4), running: 2, unavailablePolls: [1, 2] })
      assert.strictEqual(yield* provideTrino(server)(count()), 4)
      assert.deepStrictEqual(
        server.requests.map((request) => `${request.method} ${request.path.replace("/v1/statement/executing/", "")}`),
        ["POST /v1/statement", "GET q0001/0", "GET q0001/0", "GET q0001/1", "GET q0001/1", "GET q0001/2"]
      )
      const at = server.requests.map((request) => request.at)
      for (const [failed, repeated] of [
        [1, 2],
        [3, 4]
      ] as const) {
        const wait = (at[repeated] ?? 0) - (at[failed] ?? 0)
        assert.isAtLeast(wait, 45)
        assert.isBelow(wait, 1000)
      }
    })
  )

  it.live("a 503 on the POST is not retried: the statement may already be running", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", { postStatus: 503 })
      const error = yield* provideTrino(server)(Effect.flip(count()))
      assert.strictEqual(error.reason, "Unavailable")
      assert.isTrue(error.retryable)
      assert.include(error.detail, "HTTP 503")
      assert.strictEqual(server.requests.length, 1)
    })
  )

  it.live("a statement past the query timeout is cancelled with DELETE nextUri", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", { hang: true })
      const error = yield* provideTrino(server, { queryTimeout: "300 millis" })(Effect.flip(count()))
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "within 300ms; the query was cancelled")
      assert.deepStrictEqual(server.cancellations, ["q0001"])
      const deleted = server.requests.find((request) => request.method === "DELETE")
      assert.match(deleted?.path ?? "", /^\/v1\/statement\/executing\/q0001\/\d+$/)
      assert.strictEqual(deleted?.headers.authorization, basic)
    })
  )

  it.live("interrupting a statement cancels it too", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", { hang: true })
      yield* provideTrino(server)(
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(count())
          while (server.requests.length < 3) yield* Effect.sleep("10 millis")
          yield* Fiber.interrupt(fiber)
        })
      )
      assert.deepStrictEqual(server.cancellations, ["q0001"])
    })
  )

  it.live("concurrent statements never share session state, whatever the server sets", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", (sql) => ({
        ...countAnswer(1),
        running: 3,
        pollDelay: 20,
        postHeaders: sql.includes("evil")
          ? {
              "X-Trino-Set-Catalog": "evil",
              "X-Trino-Set-Schema": "evil",
              "X-Trino-Set-Session": "query_max_run_time=1s"
            }
          : {}
      }))
      yield* provideTrino(server)(
        Effect.andThen(
          Effect.all([count({ schema: "sales", table: "evil" }), count(), count()], { concurrency: "unbounded" }),
          count()
        )
      )
      const byQuery = (id: string) => server.requests.filter((request) => request.queryId === id)
      // They overlapped: the last one started before the first one finished.
      assert.isBelow(
        server.requests.indexOf(byQuery("q0003")[0] as never),
        server.requests.indexOf(byQuery("q0001").at(-1) as never)
      )
      assert.strictEqual(server.statements.length, 4)
      for (const { headers } of server.requests) {
        assert.strictEqual(headers["x-trino-catalog"], "hive")
        assert.strictEqual(headers["x-trino-schema"], "sales")
        assert.strictEqual(headers["x-trino-session"], "hive.timestamp_precision=MICROSECONDS")
      }
    })
  )

  it.live("Trino errors map to Unavailable, NotFound or QueryFailed with Trino's message", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      const cases: ReadonlyArray<readonly [string, string, WarehouseError["reason"]]> = [
        ["TABLE_NOT_FOUND", "USER_ERROR", "NotFound"],
        ["SCHEMA_NOT_FOUND", "USER_ERROR", "NotFound"],
        ["SYNTAX_ERROR", "USER_ERROR", "QueryFailed"],
        ["PERMISSION_DENIED", "USER_ERROR", "QueryFailed"],
        ["EXCEEDED_GLOBAL_MEMORY_LIMIT", "INSUFFICIENT_RESOURCES", "Unavailable"],
        ["HIVE_METASTORE_ERROR", "EXTERNAL", "Unavailable"],
        ["NO_NODES_AVAILABLE", "INTERNAL_ERROR", "Unavailable"]
      ]
      for (const [errorName, errorType] of cases) {
        server.on(`SELECT count(*) FROM "hive"."sales"."${errorName.toLowerCase()}"`, {
          error: { errorName, errorType, message: `line 1:1: ${errorName} happened` }
        })
      }
      const errors = yield* provideTrino(server)(
        Effect.forEach(cases, ([errorName]) => Effect.flip(count({ schema: "sales", table: errorName.toLowerCase() })))
      )
      errors.forEach((error, i) => {
        const [errorName, , reason] = cases[i] ?? []
        assert.strictEqual(error.reason, reason, errorName)
        assert.strictEqual(error.operation, "count")
        assert.strictEqual(error.detail, `${errorName}: line 1:1: ${errorName} happened`)
      })
    })
  )

  it.live("transport failures and gateway errors are Unavailable; 401 is not", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", { postStatus: 401 })
      const refused = yield* provideTrino(server, { url: "http://127.0.0.1:1" })(Effect.flip(count()))
      assert.strictEqual(refused.reason, "Unavailable")
      assert.include(refused.detail, "http://127.0.0.1:1")
      const unauthorized = yield* provideTrino(server)(Effect.flip(count()))
      assert.strictEqual(unauthorized.reason, "QueryFailed")
      assert.include(unauthorized.detail, "HTTP 401")
    })
  )

  it.live("the password appears in no error, cause, log text or span attribute", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const server = yield* trinoServer
      server.on("SELECT count(*)", { error: { errorName: "SYNTAX_ERROR", errorType: "USER_ERROR", message: "bad" } })
      server.on("SELECT *", { hang: true })
      const traced = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provideService(self, Tracer.Tracer, tracer)
      const exits: ReadonlyArray<Exit.Exit<unknown, unknown>> = yield* traced(
        Effect.all([
          provideTrino(server)(Effect.exit(count())),
          provideTrino(server, { queryTimeout: "100 millis" })(Effect.exit(Warehouse.use((w) => w.rows(items)))),
          // Credentials written into the URL are dropped, never quoted.
          provideTrino(server, { url: `http://etl:${password}@127.0.0.1:1` })(Effect.exit(count()))
        ])
      )
      const texts = exits.flatMap((exit) => {
        assert.isTrue(Exit.isFailure(exit))
        if (!Exit.isFailure(exit)) return []
        const error = Cause.squash(exit.cause)
        return [String(error), (error as Error).message, JSON.stringify(error), Cause.pretty(exit.cause)]
      })
      texts.push(...spans.flatMap((span) => [...span.attributes.entries()].map(([k, v]) => `${k}=${String(v)}`)))
      assert.isAbove(spans.length, 5)
      for (const text of texts) {
        assert.notInclude(text, password)
        assert.notInclude(text, basic.slice("Basic ".length))
      }
    })
  )
})
