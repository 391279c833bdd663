import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { TestConsole } from "effect/testing"
import type { TenantConfig } from "../../src/domain/TenantConfig.ts"
import { storeSpecs } from "../../src/esl/stores.ts"
import { syncStore } from "../../src/esl/sync.ts"
import { runJob } from "../../src/etl/jobs.ts"
import { SourceDb, SourceDbError } from "../../src/services/SourceDb.ts"
import { layers as eslLayers, item, tenantConfig } from "../esl/fixtures.ts"
import { layers as etlLayers, tenant as etlTenant, sale, tables } from "../etl/fixtures.ts"
import {
  attribute,
  isDescendant,
  type JsonSpan,
  jsonLogRecords,
  jsonSpans,
  observabilityWith,
  posts,
  type Receiver,
  receiver,
  resourceAttributes
} from "./receiver.ts"

/** Put in every secret of the test tenants: it must not appear in anything that leaves the process. */
const MARKER = "Zq7marker81f3"
const sourceUrl = `postgres://app:${MARKER}@db.internal:5432/acme`

const eslTenant = ((): TenantConfig => {
  const base = tenantConfig({ api: { base_url: "http://esl.invalid", username: "u", password: `esl-${MARKER}` } })
  return { ...base, source: { ...base.source, url: Redacted.make(sourceUrl) } }
})()
const S001 = storeSpecs(eslTenant.esl ?? (undefined as never))[0] ?? (undefined as never)
const etl = etlTenant({
  source: { url: sourceUrl },
  pipelines: [{ name: "sales", source: { table: "sales" }, date_column: "sold_at", transfer: true, load: true }]
})

const ESL_STAGES = [
  "esl.detect_changes",
  "esl.get_token",
  "esl.extract",
  "esl.validate",
  "esl.transform",
  "esl.send",
  "esl.commit",
  "esl.record",
  "esl.notify"
]

/** The observability Layer configured as an operator would: the receiver as endpoint, http/json, JSON logs. */
const otel = (r: Receiver) =>
  observabilityWith({
    OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "storeflow-test",
    OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test",
    LOG_FORMAT: "json"
  })

const named = (spans: ReadonlyArray<JsonSpan>, name: string, traceId?: string) => {
  const span = spans.find((s) => s.name === name && (traceId === undefined || s.traceId === traceId))
  assert.isDefined(span, `span ${name} was not exported`)
  return span as JsonSpan
}

/** The memory source, except that `exists` fails as some drivers do: the error text quotes the connection string. */
const unreachableOnExists = Layer.effect(
  SourceDb,
  Effect.map(Effect.service(SourceDb), (real) =>
    SourceDb.of({
      ...real,
      exists: () =>
        Effect.fail(
          new SourceDbError({
            tenant: "acme",
            operation: "exists",
            reason: "Unavailable",
            detail: `connect ECONNREFUSED 10.0.0.7:5432 (${sourceUrl})`
          })
        )
    })
  )
)

const everythingSent = (r: Receiver) => r.requests.map((q) => q.body.toString("utf8")).join("\n")

describe("OTLP export of real runs", () => {
  it.live("an ESL sync pass and an ETL job arrive as span trees, without their secrets", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      const [esl, job] = yield* Effect.gen(function* () {
        const esl = yield* syncStore(eslTenant, S001).pipe(
          Effect.provide(eslLayers([item("A1", "S001", 1), item("A2", "S001", 2), item("B1", "S002", 1)]))
        )
        const job = yield* runJob(etl, "daily_etl_job", { date: "2026-01-01" }).pipe(
          Effect.provide(
            etlLayers(tables(1, [sale(1, "2026-01-01T09:00:00.000000"), sale(2, "2026-01-01T18:30:00.000000")]))
          )
        )
        yield* Effect.logInfo("runs finished").pipe(
          Effect.annotateLogs({ tenant: "acme" }),
          Effect.withSpan("test.report")
        )
        return [esl, job] as const
      }).pipe(Effect.provide(otel(r)))
      // The Layer's scope is closed: everything buffered has been posted.
      assert.strictEqual(esl.summary.status, "succeeded", esl.summary.error)
      assert.strictEqual(job.status, "succeeded")

      const spans = jsonSpans(r)
      assert.deepStrictEqual(
        posts(r, "/v1/traces").map((q) => q.headers["content-type"]),
        posts(r, "/v1/traces").map(() => "application/json")
      )
      assert.strictEqual(attribute(resourceAttributes(r), "service.name"), "storeflow-test")
      assert.strictEqual(attribute(resourceAttributes(r), "deployment.environment"), "test")

      const sync = named(spans, "esl.sync")
      assert.isUndefined(sync.parentSpanId, "esl.sync is a root span")
      assert.strictEqual(attribute(sync.attributes, "tenant.id"), "acme")
      assert.strictEqual(attribute(sync.attributes, "esl.store"), "S001")
      for (const stage of ESL_STAGES) {
        assert.isTrue(isDescendant(spans, named(spans, stage, sync.traceId), sync), `${stage} is below esl.sync`)
      }
      const send = named(spans, "esl.send", sync.traceId)
      assert.strictEqual(attribute(send.attributes, "esl.articles"), 2)
      assert.strictEqual(attribute(named(spans, "esl.validate", sync.traceId).attributes, "esl.rows"), 2)

      const root = named(spans, "etl.job")
      assert.isUndefined(root.parentSpanId, "etl.job is a root span")
      assert.notStrictEqual(root.traceId, sync.traceId)
      assert.strictEqual(attribute(root.attributes, "tenant.id"), "acme")
      assert.strictEqual(attribute(root.attributes, "etl.partition"), "2026-01-01")
      const pipeline = named(spans, "etl.pipeline", root.traceId)
      assert.strictEqual(pipeline.parentSpanId, root.spanId)
      assert.strictEqual(attribute(pipeline.attributes, "etl.pipeline"), "sales")
      assert.strictEqual(attribute(pipeline.attributes, "etl.partition"), "2026-01-01")
      for (const stage of ["etl.extract", "etl.transfer", "etl.load"]) {
        const span = named(spans, stage, root.traceId)
        assert.strictEqual(span.parentSpanId, pipeline.spanId, `${stage} is a child of etl.pipeline`)
        assert.strictEqual(attribute(span.attributes, "etl.rows"), 2, `${stage} row count`)
        assert.strictEqual(attribute(span.attributes, "etl.partition"), "2026-01-01")
      }
      assert.isAbove(Number(attribute(named(spans, "etl.extract", root.traceId).attributes, "etl.bytes")), 0)

      const report = named(spans, "test.report")
      const record = jsonLogRecords(r).find((l) => l.body?.stringValue === "runs finished")
      assert.strictEqual(record?.traceId, report.traceId)
      assert.strictEqual(record?.spanId, report.spanId)

      assert.notInclude(everythingSent(r), MARKER)
      const lines = (yield* TestConsole.errorLines).map(String)
      assert.isTrue(lines.some((l) => l.includes("runs finished")))
      assert.notInclude(lines.join("\n"), MARKER)
      assert.deepStrictEqual(yield* TestConsole.logLines, [], "nothing is logged to stdout")
    }).pipe(Effect.provide(TestConsole.layer))
  )

  it.live("a failure whose text carries the source URL is exported with the password masked", () =>
    Effect.gen(function* () {
      const r = yield* receiver
      const { summary } = yield* syncStore(eslTenant, S001).pipe(
        // What the daemon does with a failed run; the annotation named `password` is caught by its key.
        Effect.tap(({ summary }) =>
          Effect.logError("ESL sync failed").pipe(Effect.annotateLogs({ error: summary.error, password: MARKER }))
        ),
        Effect.withSpan("daemon.run"),
        Effect.provide(unreachableOnExists),
        Effect.provide(eslLayers([item("A1", "S001", 1)])),
        Effect.provide(otel(r))
      )
      assert.strictEqual(summary.status, "failed")
      assert.include(summary.error ?? "", MARKER, "the failure really carried the secret")

      const spans = jsonSpans(r)
      const detect = named(spans, "esl.detect_changes")
      assert.strictEqual(detect.status.code, 2)
      assert.include(detect.status.message ?? "", "db.internal:5432")
      const record = jsonLogRecords(r).find((l) => l.body?.stringValue === "ESL sync failed")
      assert.include(String(attribute(record?.attributes ?? [], "error")), "postgres://app:***@db.internal")
      assert.strictEqual(attribute(record?.attributes ?? [], "password"), "<redacted>")
      assert.notInclude(everythingSent(r), MARKER)
      const lines = (yield* TestConsole.errorLines).map(String).join("\n")
      assert.include(lines, "postgres://app:***@db.internal")
      assert.notInclude(lines, MARKER)
    }).pipe(Effect.provide(TestConsole.layer))
  )
})
