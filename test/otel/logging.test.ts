import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Layer, Redacted } from "effect"
import { TestConsole } from "effect/testing"
import { observabilityWith } from "./receiver.ts"

interface JsonLine {
  readonly level: string
  readonly message: unknown
  readonly timestamp: string
  readonly trace_id?: string
  readonly span_id?: string
  readonly [annotation: string]: unknown
}

/** Runs `effect` under the observability Layer (no endpoint) and returns what it wrote to stderr and stdout. */
const captured = <A, E>(env: Record<string, string>, effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const result = yield* effect.pipe(Effect.provide(observabilityWith(env)))
    const stderr = (yield* TestConsole.errorLines).map(String)
    const stdout = yield* TestConsole.logLines
    return { result, stderr, stdout }
    // Fresh: v4 memoizes Layers by identity, and a second call would read the first one's lines.
  }).pipe(Effect.provide(Layer.fresh(TestConsole.layer)))

describe("log lines", () => {
  it.effect("LOG_FORMAT=json: one JSON object per line, with trace_id and span_id inside a span", () =>
    Effect.gen(function* () {
      const {
        result: span,
        stderr,
        stdout
      } = yield* captured(
        { LOG_FORMAT: "json" },
        Effect.gen(function* () {
          yield* Effect.logInfo("before any span")
          return yield* Effect.gen(function* () {
            yield* Effect.logWarning("inside").pipe(Effect.annotateLogs({ tenant: "acme", rows: 3 }))
            return yield* Effect.currentSpan
          }).pipe(Effect.withSpan("esl.send"))
        })
      )
      assert.deepStrictEqual(stdout, [], "stdout is left to command output")
      const [outside, inside] = stderr.map((l) => JSON.parse(l) as JsonLine)
      assert.strictEqual(outside?.message, "before any span")
      assert.isUndefined(outside?.trace_id)
      assert.isUndefined(outside?.span_id)
      assert.strictEqual(inside?.level, "WARN")
      assert.strictEqual(inside?.message, "inside")
      assert.strictEqual(inside?.trace_id, span.traceId)
      assert.strictEqual(inside?.span_id, span.spanId)
      assert.match(inside?.trace_id ?? "", /^[0-9a-f]{32}$/)
      assert.strictEqual(inside?.tenant, "acme")
      assert.strictEqual(inside?.rows, 3)
      assert.isFalse(Number.isNaN(Date.parse(inside?.timestamp ?? "")))
    })
  )

  it.effect("LOG_FORMAT=pretty: trace_id and span_id are appended to the line", () =>
    Effect.gen(function* () {
      const { result: span, stderr } = yield* captured(
        { LOG_FORMAT: "pretty" },
        Effect.logInfo("sent chunk").pipe(
          Effect.annotateLogs({ store: "S001", note: "two words" }),
          Effect.andThen(Effect.currentSpan),
          Effect.withSpan("esl.send")
        )
      )
      assert.strictEqual(stderr.length, 1)
      const line = stderr[0] ?? ""
      assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}sent chunk store=S001 note="two words" /)
      assert.isTrue(line.endsWith(` trace_id=${span.traceId} span_id=${span.spanId}`), line)
      assert.notInclude(line, "\x1b[", "no colours off a terminal")
    })
  )

  it.effect("masks secrets in lines: sensitive annotations, Redacted values, credentials in text", () =>
    Effect.gen(function* () {
      const { stderr } = yield* captured(
        { LOG_FORMAT: "json" },
        Effect.logError("cannot connect to postgres://app:hunter22@db:5432/acme").pipe(
          Effect.annotateLogs({ password: "hunter22", apiKey: "k-123456", secret: Redacted.make("hunter22") })
        )
      )
      const line = JSON.parse(stderr[0] ?? "{}") as JsonLine
      assert.strictEqual(line.message, "cannot connect to postgres://app:***@db:5432/acme")
      assert.strictEqual(line.password, "<redacted>")
      assert.strictEqual(line.apiKey, "<redacted>")
      assert.strictEqual(line.secret, "<redacted>")
      assert.notInclude(stderr.join("\n"), "hunter22")
    })
  )

  it.effect("a logged cause is kept: a cause field in JSON, indented lines in pretty", () =>
    Effect.gen(function* () {
      const cause = Cause.fail(new Error("boom at db:5432"))
      const json = yield* captured({ LOG_FORMAT: "json" }, Effect.logError("run failed", cause))
      const line = JSON.parse(json.stderr[0] ?? "{}") as JsonLine
      assert.strictEqual(line.message, "run failed")
      assert.include(String(line.cause), "boom at db:5432")
      const pretty = yield* captured({ LOG_FORMAT: "pretty" }, Effect.logError("run failed", cause))
      const [head, ...rest] = (pretty.stderr[0] ?? "").split("\n")
      assert.match(head ?? "", /ERROR run failed$/)
      assert.match(rest[0] ?? "", /^ {2}Error: boom at db:5432/)
    })
  )
})
