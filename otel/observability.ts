import { ConfigProvider, Effect, Layer, Logger, Redacted, Tracer } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpLogger, OtlpSerialization, OtlpTracer } from "effect/observability"
import { consoleLogger } from "./logging.ts"
import { makeScrubber, type Scrubber } from "./scrub.ts"
import { type ObservabilitySettings, type OtlpExport, readSettings } from "./settings.ts"

export { consoleLogger, formatJsonLine, formatPrettyLine, traceFields } from "./logging.ts"
export { isSensitiveKey, makeScrubber, REDACTED, type Scrubber } from "./scrub.ts"
export {
  DEFAULT_SERVICE_NAME,
  type LogFormat,
  type ObservabilitySettings,
  type OtelEnv,
  type OtlpExport,
  type OtlpProtocol,
  otelEnvConfig,
  parseKeyValues,
  readSettings,
  resolveSettings
} from "./settings.ts"

type Resource = { readonly serviceName: string; readonly attributes: Readonly<Record<string, string>> }

/** The header values are secrets the scrubber masks wherever they turn up (e.g. an exporter's error report). */
const headerSecrets = (settings: ObservabilitySettings): Array<string> =>
  [settings.traces, settings.logs].flatMap((target) =>
    target === undefined
      ? []
      : Object.values(Redacted.value(target.headers)).flatMap((v) => {
          // `Authorization: Bearer <token>`: the token alone may be quoted elsewhere.
          const credential = v.split(/\s+/).at(-1)
          return credential !== undefined && credential !== v ? [v, credential] : [v]
        })
  )

/** Effect's OTLP serialization for the protocol, with every payload scrubbed before it is encoded. */
const scrubbedSerialization = (target: OtlpExport, scrubber: Scrubber) =>
  Effect.gen(function* () {
    const inner = yield* OtlpSerialization.OtlpSerialization
    return OtlpSerialization.OtlpSerialization.of({
      traces: (data) => inner.traces(scrubber.value(data)),
      logs: (data) => inner.logs(scrubber.value(data)),
      metrics: (data) => inner.metrics(scrubber.value(data))
    })
  }).pipe(
    Effect.provide(target.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf)
  )

/**
 * Runs an exporter constructor with our serialization and an empty ConfigProvider: the resource is already resolved
 * here, and Effect's own `OTEL_RESOURCE_ATTRIBUTES` parsing would turn a badly encoded value into a defect.
 */
const exporterOf = <A, R>(target: OtlpExport, scrubber: Scrubber, make: Effect.Effect<A, never, R>) =>
  Effect.flatMap(scrubbedSerialization(target, scrubber), (serialization) =>
    make.pipe(
      Effect.provideService(OtlpSerialization.OtlpSerialization, serialization),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({}))
    )
  )

const tracerLayer = (target: OtlpExport, resource: Resource, scrubber: Scrubber) =>
  Layer.effect(
    Tracer.Tracer,
    exporterOf(
      target,
      scrubber,
      OtlpTracer.make({ url: target.url, resource, headers: Redacted.value(target.headers) })
    )
  )

const otlpLogger = (target: OtlpExport, resource: Resource, scrubber: Scrubber) =>
  exporterOf(target, scrubber, OtlpLogger.make({ url: target.url, resource, headers: Redacted.value(target.headers) }))

/** The Layer for already resolved settings; `observabilityLayer` reads them from the environment first. */
export const layerFromSettings = (settings: ObservabilitySettings): Layer.Layer<never> => {
  const scrubber = makeScrubber(headerSecrets(settings))
  const resource: Resource = { serviceName: settings.serviceName, attributes: settings.resourceAttributes }
  const console = consoleLogger(settings.logFormat, scrubber, settings.logColors)
  // Both replace the default logger: one line per event on stderr, plus OTLP when logs are exported.
  const consoleOnly = Logger.layer([console], { mergeWithExisting: false })
  const telemetry =
    settings.traces === undefined && settings.logs === undefined
      ? consoleOnly
      : Layer.mergeAll(
          settings.logs === undefined
            ? consoleOnly
            : Logger.layer([console, otlpLogger(settings.logs, resource, scrubber)], { mergeWithExisting: false }),
          settings.traces === undefined ? Layer.empty : tracerLayer(settings.traces, resource, scrubber)
        ).pipe(
          // One Flusher for both exporters: closing the Layer's scope sends what is buffered.
          Layer.provide(OtlpExporter.layerFlusher),
          Layer.provide(FetchHttpClient.layer)
        )
  const announce = Effect.gen(function* () {
    for (const warning of settings.warnings) yield* Effect.logWarning(warning)
    if (settings.traces !== undefined) {
      yield* Effect.logDebug(`exporting traces to ${settings.traces.url} (${settings.traces.protocol})`)
    }
    if (settings.logs !== undefined) {
      yield* Effect.logDebug(`exporting logs to ${settings.logs.url} (${settings.logs.protocol})`)
    }
  })
  return Layer.effectDiscard(announce).pipe(Layer.provideMerge(telemetry))
}

/**
 * Tracer and logger for the whole process, from the standard `OTEL_*` variables and `LOG_FORMAT` read through effect
 * `Config`. Provide it outermost, so every span is exported and closing it flushes what is buffered. Without an
 * endpoint nothing is exported and no exporter or HTTP client is built: only the stderr logger is installed.
 */
export const observabilityLayer: Layer.Layer<never> = Layer.unwrap(Effect.map(readSettings, layerFromSettings))
