import { Config, Effect, Option, Redacted } from "effect"

/**
 * What the observability Layer does, resolved from the OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/) plus `LOG_FORMAT`.
 *
 * Unlike Effect's `Otlp.layerFromConfig`, this follows the spec's defaults: `otlp` is the default exporter (an endpoint
 * alone turns export on) and `http/protobuf` the default protocol. As the spec asks, a value storeflow does not
 * support is reported as a warning and ignored: telemetry settings never stop the daemon.
 */
export interface ObservabilitySettings {
  readonly serviceName: string
  /** From `OTEL_RESOURCE_ATTRIBUTES`, percent-decoded, without `service.name` (that is `serviceName`). */
  readonly resourceAttributes: Readonly<Record<string, string>>
  /** Where spans go; `undefined`: no trace exporter is built. */
  readonly traces: OtlpExport | undefined
  /** Where log records go; `undefined`: no log exporter is built. */
  readonly logs: OtlpExport | undefined
  readonly logFormat: LogFormat
  /** ANSI colours in pretty logs: only on a terminal, and never with `NO_COLOR`. */
  readonly logColors: boolean
  /** Settings that were ignored and why; logged once the logger is up. Never contain a header value. */
  readonly warnings: ReadonlyArray<string>
}

export type LogFormat = "json" | "pretty"

/** The OTLP/HTTP encodings storeflow speaks. OTLP over gRPC is not supported (no gRPC client in the stack). */
export type OtlpProtocol = "http/protobuf" | "http/json"

export interface OtlpExport {
  /** The full URL posted to, e.g. `http://collector:4318/v1/traces`. */
  readonly url: string
  readonly protocol: OtlpProtocol
  /** Request headers (often an API key): unwrapped only when the exporter is built. */
  readonly headers: Redacted.Redacted<Readonly<Record<string, string>>>
}

/** The raw variables; empty strings count as unset (the spec's rule). Header variables are secrets. */
export interface OtelEnv {
  readonly OTEL_SDK_DISABLED?: string | undefined
  readonly OTEL_SERVICE_NAME?: string | undefined
  readonly OTEL_RESOURCE_ATTRIBUTES?: string | undefined
  readonly OTEL_TRACES_EXPORTER?: string | undefined
  readonly OTEL_LOGS_EXPORTER?: string | undefined
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined
  readonly OTEL_EXPORTER_OTLP_LOGS_ENDPOINT?: string | undefined
  readonly OTEL_EXPORTER_OTLP_PROTOCOL?: string | undefined
  readonly OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string | undefined
  readonly OTEL_EXPORTER_OTLP_LOGS_PROTOCOL?: string | undefined
  readonly OTEL_EXPORTER_OTLP_HEADERS?: Redacted.Redacted<string> | undefined
  readonly OTEL_EXPORTER_OTLP_TRACES_HEADERS?: Redacted.Redacted<string> | undefined
  readonly OTEL_EXPORTER_OTLP_LOGS_HEADERS?: Redacted.Redacted<string> | undefined
  readonly LOG_FORMAT?: string | undefined
  readonly NO_COLOR?: string | undefined
}

export const DEFAULT_SERVICE_NAME = "storeflow"

const set = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/**
 * Parses the spec's `key=value,key2=value2` lists (W3C Baggage octets), percent-decoding keys and values. Problems
 * name the variable and the entry's position, never its text: for headers the text is a secret.
 */
export const parseKeyValues = (
  text: string,
  variable: string
): { readonly values: Record<string, string>; readonly problems: ReadonlyArray<string> } => {
  const values: Record<string, string> = {}
  const problems: Array<string> = []
  text.split(",").forEach((entry, index) => {
    if (entry.trim() === "") return
    const eq = entry.indexOf("=")
    const key = eq < 0 ? undefined : decode(entry.slice(0, eq).trim())
    const value = eq < 0 ? undefined : decode(entry.slice(eq + 1).trim())
    if (key === undefined || key === "" || value === undefined) {
      problems.push(`${variable}: entry ${index + 1} is not a percent-encoded key=value pair; ignored`)
      return
    }
    values[key] = value
  })
  return { values, problems }
}

/** Appends `/v1/<signal>` to the generic endpoint's path (`http://c:4318/` and `http://c:4318` alike). */
const signalUrl = (base: URL, signal: "traces" | "logs"): string => {
  const url = new URL(base.href)
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/${signal}`
  return url.href
}

const parseUrl = (text: string, variable: string, warn: (w: string) => void): URL | undefined => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    warn(`${variable} is not a URL; nothing is exported to it`)
    return undefined
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    warn(`${variable} must be an http:// or https:// URL (OTLP/HTTP); nothing is exported to it`)
    return undefined
  }
  return url
}

const PROTOCOLS: ReadonlyArray<string> = ["http/protobuf", "http/json"]

const resolveProtocol = (
  signalVariable: string,
  signalValue: string | undefined,
  genericValue: string | undefined,
  warn: (w: string) => void
): OtlpProtocol => {
  const [variable, value] =
    signalValue !== undefined
      ? [signalVariable, signalValue]
      : ["OTEL_EXPORTER_OTLP_PROTOCOL", genericValue ?? "http/protobuf"]
  const protocol = value.toLowerCase()
  if (PROTOCOLS.includes(protocol)) return protocol as OtlpProtocol
  if (protocol === "grpc") {
    warn(
      `${variable}=grpc is not supported (storeflow exports OTLP over HTTP only); using http/protobuf instead. ` +
        "Point the endpoint at the collector's OTLP/HTTP port (usually 4318), not its gRPC port (4317)"
    )
  } else {
    warn(`${variable}=${value} is not a known protocol (http/protobuf, http/json); using http/protobuf`)
  }
  return "http/protobuf"
}

/** Whether the signal's exporter list selects OTLP. The spec's default is `otlp`; `none` turns the signal off. */
const selectsOtlp = (variable: string, value: string | undefined, warn: (w: string) => void): boolean => {
  const names = (value ?? "otlp")
    .split(",")
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== "")
  if (names.includes("none")) return false
  for (const name of names) {
    if (name !== "otlp") warn(`${variable}: exporter "${name}" is not supported (only otlp and none); ignored`)
  }
  return names.includes("otlp")
}

interface SignalEnv {
  readonly signal: "traces" | "logs"
  readonly exporter: readonly [variable: string, value: string | undefined]
  readonly endpoint: readonly [variable: string, value: string | undefined]
  readonly protocol: readonly [variable: string, value: string | undefined]
  readonly headers: readonly [variable: string, value: Redacted.Redacted<string> | undefined]
}

const resolveSignal = (env: OtelEnv, signal: SignalEnv, warn: (w: string) => void): OtlpExport | undefined => {
  const specific = set(signal.endpoint[1])
  const generic = set(env.OTEL_EXPORTER_OTLP_ENDPOINT)
  // No endpoint: nothing to export to, and nothing worth a warning (the default for local runs).
  if (specific === undefined && generic === undefined) return undefined
  if (!selectsOtlp(signal.exporter[0], set(signal.exporter[1]), warn)) return undefined
  // The signal's own endpoint is used as written, as the spec says; the generic one gets `/v1/<signal>`.
  const base = parseUrl(
    specific ?? generic ?? "",
    specific === undefined ? "OTEL_EXPORTER_OTLP_ENDPOINT" : signal.endpoint[0],
    warn
  )
  if (base === undefined) return undefined
  const url = specific ?? signalUrl(base, signal.signal)
  const protocol = resolveProtocol(
    signal.protocol[0],
    set(signal.protocol[1]),
    set(env.OTEL_EXPORTER_OTLP_PROTOCOL),
    warn
  )
  const [headersVariable, headersValue] =
    signal.headers[1] !== undefined && set(Redacted.value(signal.headers[1])) !== undefined
      ? signal.headers
      : (["OTEL_EXPORTER_OTLP_HEADERS", env.OTEL_EXPORTER_OTLP_HEADERS] as const)
  const parsed =
    headersValue === undefined
      ? { values: {}, problems: [] }
      : parseKeyValues(Redacted.value(headersValue), headersVariable)
  parsed.problems.forEach(warn)
  return { url, protocol, headers: Redacted.make(parsed.values) }
}

/** Resolves the settings from the raw variables. Pure: `isTty` says whether stderr (where logs go) is a terminal. */
export const resolveSettings = (env: OtelEnv, options: { readonly isTty: boolean }): ObservabilitySettings => {
  const warnings: Array<string> = []
  const warn = (w: string) => {
    if (!warnings.includes(w)) warnings.push(w)
  }

  const format = set(env.LOG_FORMAT)?.toLowerCase()
  let logFormat: LogFormat = options.isTty ? "pretty" : "json"
  if (format === "json" || format === "pretty") logFormat = format
  else if (format !== undefined) warn(`LOG_FORMAT=${env.LOG_FORMAT} is not json or pretty; using ${logFormat}`)

  const attributes = parseKeyValues(set(env.OTEL_RESOURCE_ATTRIBUTES) ?? "", "OTEL_RESOURCE_ATTRIBUTES")
  attributes.problems.forEach(warn)
  const { "service.name": attributeName, ...resourceAttributes } = attributes.values
  const serviceName = set(env.OTEL_SERVICE_NAME) ?? set(attributeName) ?? DEFAULT_SERVICE_NAME

  const disabled = set(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true"
  const signal = (name: "traces" | "logs"): OtlpExport | undefined => {
    if (disabled) return undefined
    const upper = name.toUpperCase()
    const variable = (suffix: string) => `OTEL_EXPORTER_OTLP_${upper}_${suffix}`
    return resolveSignal(
      env,
      {
        signal: name,
        exporter: [`OTEL_${upper}_EXPORTER`, name === "traces" ? env.OTEL_TRACES_EXPORTER : env.OTEL_LOGS_EXPORTER],
        endpoint: [
          variable("ENDPOINT"),
          name === "traces" ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT : env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT
        ],
        protocol: [
          variable("PROTOCOL"),
          name === "traces" ? env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL : env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL
        ],
        headers: [
          variable("HEADERS"),
          name === "traces" ? env.OTEL_EXPORTER_OTLP_TRACES_HEADERS : env.OTEL_EXPORTER_OTLP_LOGS_HEADERS
        ]
      },
      warn
    )
  }

  return {
    serviceName,
    resourceAttributes,
    traces: signal("traces"),
    logs: signal("logs"),
    logFormat,
    logColors: logFormat === "pretty" && options.isTty && env.NO_COLOR === undefined,
    warnings
  }
}

const plain = [
  "OTEL_SDK_DISABLED",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_TRACES_EXPORTER",
  "OTEL_LOGS_EXPORTER",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
  "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
  "LOG_FORMAT",
  "NO_COLOR"
] as const
const secret = [
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
  "OTEL_EXPORTER_OTLP_LOGS_HEADERS"
] as const

/** The variables through effect `Config` (so a test's `ConfigProvider` decides); headers are read as `Redacted`. */
export const otelEnvConfig: Config.Config<OtelEnv> = Config.all([
  Config.all(plain.map((name) => Config.option(Config.String(name)))),
  Config.all(secret.map((name) => Config.option(Config.Redacted(name))))
]).pipe(
  Config.map(([plainValues, secretValues]) => {
    const env: Record<string, unknown> = {}
    plain.forEach((name, i) => {
      env[name] = Option.getOrUndefined(plainValues[i] ?? Option.none())
    })
    secret.forEach((name, i) => {
      env[name] = Option.getOrUndefined(secretValues[i] ?? Option.none())
    })
    return env as OtelEnv
  })
)

/** Reads and resolves the settings. A provider that cannot be read leaves telemetry off, with a warning. */
export const readSettings: Effect.Effect<ObservabilitySettings> = Effect.map(otelEnvConfig, (env) =>
  resolveSettings(env, { isTty: process.stderr.isTTY === true })
).pipe(
  Effect.catch((error) =>
    Effect.succeed({
      ...resolveSettings({}, { isTty: process.stderr.isTTY === true }),
      warnings: [`cannot read the OTEL_* settings (${error.message}); telemetry export is off`]
    })
  )
)
