import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Logger } from "effect"
import { layerLog } from "../../layers/notifier/log.ts"
import { layerRecording, NotifierRecording } from "../../layers/notifier/memory.ts"
import { type Alert, Notifier, type Severity } from "../../src/services/Notifier.ts"

const alert = (severity: Severity, title = "ESL sync failed"): Alert => ({
  severity,
  tenant: "acme",
  title,
  text: "3 articles were rejected; check the article mapping.",
  fields: { store: "s1", run: "run-42" }
})

describe("Notifier recording layer", () => {
  it.effect("records every alert in order and clears them", () =>
    Effect.gen(function* () {
      const notifier = yield* Notifier
      const recording = yield* NotifierRecording
      assert.deepStrictEqual(yield* recording.sent, [])
      yield* notifier.send(alert("warning", "first"))
      yield* notifier.send(alert("resolved", "second"))
      assert.deepStrictEqual(yield* recording.sent, [alert("warning", "first"), alert("resolved", "second")])
      yield* recording.clear
      assert.deepStrictEqual(yield* recording.sent, [])
    }).pipe(Effect.provide(layerRecording))
  )

  it.effect("failWith makes send fail naming the channel, still recording the alert, until clear", () =>
    Effect.gen(function* () {
      const notifier = yield* Notifier
      const recording = yield* NotifierRecording
      yield* recording.failWith("slack")
      const error = yield* Effect.flip(notifier.send(alert("critical")))
      assert.strictEqual(error._tag, "NotifierError")
      assert.strictEqual(error.channel, "slack")
      assert.match(error.message, /through slack/)
      yield* recording.failWith("email")
      assert.strictEqual((yield* Effect.flip(notifier.send(alert("critical")))).channel, "slack, email")
      assert.lengthOf(yield* recording.sent, 2)
      yield* recording.clear
      yield* notifier.send(alert("info"))
      assert.deepStrictEqual(yield* recording.sent, [alert("info")])
    }).pipe(Effect.provide(layerRecording))
  )

  it.effect("each layer build records separately", () =>
    Effect.gen(function* () {
      const first = yield* Effect.gen(function* () {
        yield* (yield* Notifier).send(alert("info"))
        return yield* (yield* NotifierRecording).sent
      }).pipe(Effect.provide(layerRecording))
      const second = yield* NotifierRecording.use((r) => r.sent).pipe(Effect.provide(layerRecording))
      assert.lengthOf(first, 1)
      assert.lengthOf(second, 0)
    })
  )
})

interface LogLine {
  readonly level: string
  readonly message: unknown
  readonly annotations: Record<string, unknown>
}

/** Runs `send` under a logger that keeps each structured line, replacing the default console logger. */
const captureLogs = (alerts: ReadonlyArray<Alert>) =>
  Effect.gen(function* () {
    const lines: Array<LogLine> = []
    const capture = Logger.make((options) => {
      const { level, message, annotations } = Logger.formatStructured.log(options)
      lines.push({ level, message, annotations })
    })
    const exits = yield* Effect.forEach(alerts, (a) =>
      Notifier.use((notifier) => notifier.send(a)).pipe(Effect.exit)
    ).pipe(Effect.provide([layerLog, Logger.layer([capture])]))
    return { lines, exits }
  })

describe("Notifier log layer", () => {
  it.effect("writes one line per alert at the level of its severity", () =>
    Effect.gen(function* () {
      const severities: ReadonlyArray<Severity> = ["critical", "warning", "info", "resolved"]
      const { lines, exits } = yield* captureLogs(severities.map((s) => alert(s)))
      assert.isTrue(exits.every(Exit.isSuccess))
      assert.deepStrictEqual(
        lines.map((line) => line.level),
        ["ERROR", "WARN", "INFO", "INFO"]
      )
    })
  )

  it.effect("puts tenant, severity, title and fields in the line's annotations and the text in its message", () =>
    Effect.gen(function* () {
      const { lines } = yield* captureLogs([alert("warning", "Slow ESL API")])
      assert.lengthOf(lines, 1)
      const [line] = lines
      assert.deepStrictEqual(line?.message, "3 articles were rejected; check the article mapping.")
      assert.deepStrictEqual(line?.annotations, {
        tenant: "acme",
        severity: "warning",
        title: "Slow ESL API",
        "field.store": "s1",
        "field.run": "run-42"
      })
    })
  )
})
