import { Effect, Layer } from "effect"
import { type Alert, Notifier, type Severity } from "../../src/services/Notifier.ts"

const logAt: Record<Severity, (...message: ReadonlyArray<unknown>) => Effect.Effect<void>> = {
  critical: Effect.logError,
  warning: Effect.logWarning,
  info: Effect.logInfo,
  resolved: Effect.logInfo
}

/**
 * A Notifier that writes each alert as one log line through the current Effect logger (JSON, OTLP, …),
 * at a level matching its severity. Logging cannot fail, so neither does `send`.
 */
export const layerLog: Layer.Layer<Notifier> = Layer.succeed(
  Notifier,
  Notifier.of({
    send: Effect.fn("Notifier.send")(function* (alert: Alert) {
      yield* logAt[alert.severity](alert.text).pipe(
        // Fields flattened under a prefix: readable on one line, and unable to overwrite tenant/severity/title.
        Effect.annotateLogs({
          ...Object.fromEntries(Object.entries(alert.fields).map(([key, value]) => [`field.${key}`, value])),
          tenant: alert.tenant,
          severity: alert.severity,
          title: alert.title
        })
      )
    })
  })
)
