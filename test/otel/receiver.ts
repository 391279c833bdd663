import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { ConfigProvider, Effect, Layer } from "effect"
import { observabilityLayer } from "../../otel/observability.ts"

export interface Received {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface Receiver {
  /** `http://127.0.0.1:<port>`: what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  readonly url: string
  /** Every POST so far, in arrival order. */
  readonly requests: ReadonlyArray<Received>
}

/** A local OTLP/HTTP collector stand-in that records every POST and answers 200 (closed with the scope). */
export const receiver = Effect.acquireRelease(
  Effect.callback<{ readonly receiver: Receiver; readonly close: (done: () => void) => void }>((resume) => {
    const requests: Array<Received> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        if (req.method === "POST")
          requests.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) })
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(
        Effect.succeed({
          receiver: { url: `http://127.0.0.1:${port}`, requests },
          close: (done) => {
            server.closeAllConnections()
            server.close(() => done())
          }
        })
      )
    })
  }),
  ({ close }) => Effect.callback<void>((resume) => close(() => resume(Effect.void)))
).pipe(Effect.map(({ receiver }) => receiver))

export const posts = (r: Receiver, path: "/v1/traces" | "/v1/logs") => r.requests.filter((q) => q.path === path)

export interface JsonAnyValue {
  readonly stringValue?: string
  readonly intValue?: number | string
  readonly boolValue?: boolean
  readonly doubleValue?: number
}
export interface JsonKeyValue {
  readonly key: string
  readonly value: JsonAnyValue
}
export interface JsonSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<JsonKeyValue>
  readonly status: { readonly code: number; readonly message?: string }
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: ReadonlyArray<JsonKeyValue> }>
}
export interface JsonLogRecord {
  readonly body?: JsonAnyValue
  readonly severityText?: string
  readonly traceId?: string
  readonly spanId?: string
  readonly attributes: ReadonlyArray<JsonKeyValue>
}

/** Every span of every http/json trace export. */
export const jsonSpans = (r: Receiver): Array<JsonSpan> =>
  posts(r, "/v1/traces").flatMap((q) =>
    (
      JSON.parse(q.body.toString("utf8")) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<JsonSpan> }> }>
      }
    ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
  )

/** Every record of every http/json log export. */
export const jsonLogRecords = (r: Receiver): Array<JsonLogRecord> =>
  posts(r, "/v1/logs").flatMap((q) =>
    (
      JSON.parse(q.body.toString("utf8")) as {
        resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<JsonLogRecord> }> }>
      }
    ).resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))
  )

/** The attribute's value as a JS value (OTLP/JSON writes 64-bit integers as strings or numbers). */
export const attribute = (attributes: ReadonlyArray<JsonKeyValue>, key: string): unknown => {
  const value = attributes.find((a) => a.key === key)?.value
  if (value === undefined) return undefined
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.stringValue ?? value.boolValue ?? value.doubleValue
}

/** The resource attributes of the first trace export. */
export const resourceAttributes = (r: Receiver): ReadonlyArray<JsonKeyValue> => {
  const first = posts(r, "/v1/traces")[0]
  if (first === undefined) return []
  const data = JSON.parse(first.body.toString("utf8")) as {
    resourceSpans: Array<{ resource: { attributes: Array<JsonKeyValue> } }>
  }
  return data.resourceSpans[0]?.resource.attributes ?? []
}

/** Whether `span` sits below `ancestor` in the tree formed by `spans`. */
export const isDescendant = (spans: ReadonlyArray<JsonSpan>, span: JsonSpan, ancestor: JsonSpan): boolean => {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  let parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
  while (parent !== undefined) {
    if (parent.spanId === ancestor.spanId) return true
    parent = parent.parentSpanId === undefined ? undefined : byId.get(parent.parentSpanId)
  }
  return false
}

/** `observabilityLayer` reading `env` instead of the process environment. */
export const observabilityWith = (env: Record<string, string>) =>
  observabilityLayer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))
