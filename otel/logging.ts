import { Formatter, Logger } from "effect"
import type { Scrubber } from "./scrub.ts"
import type { LogFormat } from "./settings.ts"

/** The ids of the span the line was logged in, as exported over OTLP (so a line can be looked up in the trace). */
export const traceFields = (
  options: Logger.Options<unknown>
): { readonly trace_id: string; readonly span_id: string } | undefined => {
  const span = options.fiber.cache.span
  return span === undefined ? undefined : { trace_id: span.traceId.padStart(32, "0"), span_id: span.spanId }
}

/** Fields of a JSON line that annotations cannot override. */
const RESERVED = new Set(["timestamp", "level", "message", "trace_id", "span_id", "spans", "cause"])

interface Structured {
  readonly message: unknown
  readonly level: string
  readonly timestamp: string
  readonly cause: string | undefined
  readonly annotations: Readonly<Record<string, unknown>>
  readonly spans: Readonly<Record<string, number>>
}

const structured = (options: Logger.Options<unknown>, scrubber: Scrubber): Structured =>
  scrubber.value(Logger.formatStructured.log(options))

/** One JSON object per line: timestamp, level, message, trace_id/span_id inside a span, then the annotations. */
export const formatJsonLine = (options: Logger.Options<unknown>, scrubber: Scrubber): string => {
  const s = structured(options, scrubber)
  const line: Record<string, unknown> = { timestamp: s.timestamp, level: s.level, message: s.message }
  Object.assign(line, traceFields(options))
  for (const [key, value] of Object.entries(s.annotations)) if (!RESERVED.has(key)) line[key] = value
  if (Object.keys(s.spans).length > 0) line.spans = s.spans
  if (s.cause !== undefined) line.cause = s.cause
  return Formatter.formatJson(line)
}

const LEVEL_COLORS: Readonly<Record<string, string>> = {
  TRACE: "\x1b[2m",
  DEBUG: "\x1b[34m",
  INFO: "\x1b[32m",
  WARN: "\x1b[33m",
  ERROR: "\x1b[31m",
  FATAL: "\x1b[1;31m"
}
const DIM = "\x1b[2m"
const RESET = "\x1b[0m"

const text = (value: unknown): string => (typeof value === "string" ? value : Formatter.formatJson(value))
const fieldValue = (value: unknown): string => {
  const t = text(value)
  return /[\s="]/.test(t) || t === "" ? JSON.stringify(t) : t
}
const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/**
 * `12:03:04.567 INFO  message key=value … trace_id=… span_id=…` in local time, then the cause (if any) indented
 * below. One line per event where possible, so `grep` and `tail` stay useful.
 */
export const formatPrettyLine = (options: Logger.Options<unknown>, scrubber: Scrubber, colors: boolean): string => {
  const s = structured(options, scrubber)
  const paint = (code: string | undefined, t: string) => (colors && code !== undefined ? `${code}${t}${RESET}` : t)
  const d = options.date
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  const message = Array.isArray(s.message) ? s.message.map(text).join(" ") : text(s.message)
  const fields = [
    ...Object.entries(s.spans).map(([label, ms]) => `${label}=${ms}ms`),
    ...Object.entries(s.annotations).map(([key, value]) => `${key}=${fieldValue(value)}`)
  ]
  const trace = traceFields(options)
  const ids = trace === undefined ? "" : ` ${paint(DIM, `trace_id=${trace.trace_id} span_id=${trace.span_id}`)}`
  const head = `${paint(DIM, time)} ${paint(LEVEL_COLORS[s.level], s.level.padEnd(5))} ${message}`
  const line = `${head}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}${ids}`
  const cause = s.cause === undefined ? "" : `\n${s.cause.replace(/^/gm, "  ")}`
  return scrubber.text(`${line}${cause}`)
}

/** Writes every log event to stderr (stdout carries command output) in the chosen format, scrubbed. */
export const consoleLogger = (format: LogFormat, scrubber: Scrubber, colors: boolean): Logger.Logger<unknown, void> =>
  Logger.withConsoleError(
    Logger.make((options) =>
      format === "json" ? formatJsonLine(options, scrubber) : formatPrettyLine(options, scrubber, colors)
    )
  )
