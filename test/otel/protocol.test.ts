import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References, Tracer } from "effect"
import { TestConsole } from "effect/testing"
import { decodeLogs, decodeTraces } from "./protobuf.ts"
import { jsonLogRecords, observabilityWith, posts, receiver } from "./receiver.ts"

/** A parent span with a child that logs: the smallest trace worth exporting. */
const work = Effect.logInfo("inside the child").pipe(
  Effect.withSpan("child"),
  Effect.withSpan("parent", { attributes: { "tenant.id": "acme", "esl.articles": 3 } })
)

describe("OTLP export settings in effect", () => {
  it.live("http/protobuf is the default: protobuf bodies that decode to the span tree and the log record", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      yield* work.pipe(Effect.provide(observabilityWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `${r.url}/` })))
      const traces = posts(r, "/v1/traces")
      assert.isAbove(traces.length, 0)
      for (const q of [...traces, ...posts(r, "/v1/logs")]) {
        assert.strictEqual(q.headers["content-type"], "application/x-protobuf")
        assert.isAbove(q.body.length, 0)
      }
      const spans = traces.flatMap((q) => decodeTraces(q.body))
      const parent = spans.find((s) => s.name === "parent")
      const child = spans.find((s) => s.name === "child")
      assert.isDefined(parent)
      assert.strictEqual(child?.parentSpanId, parent?.spanId)
      assert.strictEqual(child?.traceId, parent?.traceId)
      assert.isUndefined(parent?.parentSpanId)
      assert.deepStrictEqual(parent?.attributes, { "tenant.id": "acme", "esl.articles": 3 })
      const record = posts(r, "/v1/logs")
        .flatMap((q) => decodeLogs(q.body))
        .find((l) => l.body === "inside the child")
      assert.strictEqual(record?.traceId, child?.traceId)
      assert.strictEqual(record?.spanId, child?.spanId)
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.live("OTEL_TRACES_EXPORTER=none sends no spans while logs still go out", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      yield* work.pipe(
        Effect.provide(
          observabilityWith({
            OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
            OTEL_TRACES_EXPORTER: "none"
          })
        )
      )
      assert.deepStrictEqual(posts(r, "/v1/traces"), [])
      assert.isTrue(jsonLogRecords(r).some((l) => l.body?.stringValue === "inside the child"))
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.live("without an endpoint no OTLP tracer is installed", () =>
    Effect.gen(function* () {
      const before = yield* Tracer.Tracer
      const inside = yield* Tracer.Tracer.pipe(Effect.provide(observabilityWith({ OTEL_TRACES_EXPORTER: "otlp" })))
      assert.strictEqual(inside, before)
      const r = yield* receiver
      const withEndpoint = yield* Tracer.Tracer.pipe(
        Effect.provide(observabilityWith({ OTEL_EXPORTER_OTLP_ENDPOINT: r.url }))
      )
      assert.notStrictEqual(withEndpoint, before)
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.live("sends OTEL_EXPORTER_OTLP_HEADERS on every request and masks their values in logs", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      const key = "k3y-9a8b7c6d"
      yield* Effect.gen(function* () {
        yield* work
        // As if some code echoed the exporter's configuration.
        yield* Effect.logWarning(`collector said: bad key ${key}`)
      }).pipe(
        Effect.provide(
          observabilityWith({
            OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
            OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${key},authorization=Bearer%20tok-0123456789`,
            LOG_FORMAT: "json"
          }).pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "All")))
        )
      )
      assert.isAbove(r.requests.length, 0)
      for (const q of r.requests) {
        assert.strictEqual(q.headers["x-api-key"], key)
        assert.strictEqual(q.headers.authorization, "Bearer tok-0123456789")
      }
      const sent = r.requests.map((q) => q.body.toString("utf8")).join("\n")
      assert.include(sent, "collector said: bad key ***")
      assert.notInclude(sent, key)
      const lines = (yield* TestConsole.errorLines).map(String).join("\n")
      assert.include(lines, "exporting traces to") // the Debug announcement, with the URL only
      assert.include(lines, "collector said: bad key ***")
      assert.notInclude(lines, key)
      assert.notInclude(lines, "tok-0123456789")
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.live("grpc is reported once and exported as http/protobuf", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      yield* work.pipe(
        Effect.provide(
          observabilityWith({
            OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            LOG_FORMAT: "json"
          })
        )
      )
      assert.isTrue(posts(r, "/v1/traces").every((q) => q.headers["content-type"] === "application/x-protobuf"))
      const warnings = (yield* TestConsole.errorLines)
        .map((l) => JSON.parse(String(l)) as { level: string; message: string })
        .filter((l) => l.level === "WARN")
      assert.strictEqual(warnings.length, 1)
      assert.match(warnings[0]?.message ?? "", /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/)
    }).pipe(Effect.provide(TestConsole.layer))
  )
})
