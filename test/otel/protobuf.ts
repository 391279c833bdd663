/**
 * Just enough of the protobuf wire format to read OTLP bodies back (effect ships an encoder only): spans with their
 * ids, names and attributes, log records with their body and trace context.
 */
interface Field {
  readonly no: number
  readonly value: bigint | Uint8Array
}

const fields = (buf: Uint8Array): Array<Field> => {
  let i = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = buf[i++]
      if (byte === undefined) throw new Error("truncated varint")
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }
  const bytes = (n: number) => {
    const value = buf.subarray(i, i + n)
    i += n
    return value
  }
  const out: Array<Field> = []
  while (i < buf.length) {
    const tag = Number(varint())
    const no = tag >>> 3
    const wire = tag & 7
    if (wire === 0) out.push({ no, value: varint() })
    else if (wire === 1) out.push({ no, value: bytes(8) })
    else if (wire === 2) out.push({ no, value: bytes(Number(varint())) })
    else if (wire === 5) out.push({ no, value: bytes(4) })
    else throw new Error(`unsupported wire type ${wire}`)
  }
  return out
}

const messages = (buf: Uint8Array, no: number): Array<Uint8Array> =>
  fields(buf).flatMap((f) => (f.no === no && f.value instanceof Uint8Array ? [f.value] : []))
const first = (buf: Uint8Array, no: number): Uint8Array | undefined => messages(buf, no)[0]
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))
const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("hex"))

type Scalar = string | number | boolean | undefined

const anyValue = (buf: Uint8Array): Scalar => {
  for (const f of fields(buf)) {
    if (f.no === 1 && f.value instanceof Uint8Array) return text(f.value)
    if (f.no === 2 && typeof f.value === "bigint") return f.value !== 0n
    if (f.no === 3 && typeof f.value === "bigint") return Number(f.value)
    if (f.no === 4 && f.value instanceof Uint8Array) return Buffer.from(f.value).readDoubleLE(0)
  }
  return undefined
}

const attributes = (buf: Uint8Array, no: number): Record<string, Scalar> =>
  Object.fromEntries(
    messages(buf, no).map((kv) => {
      const value = first(kv, 2)
      return [text(first(kv, 1)) ?? "", value === undefined ? undefined : anyValue(value)]
    })
  )

export interface DecodedSpan {
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly parentSpanId: string | undefined
  readonly name: string | undefined
  readonly attributes: Record<string, Scalar>
}

/** TracesData → ResourceSpans(1) → ScopeSpans(2) → Span(2). */
export const decodeTraces = (body: Uint8Array): Array<DecodedSpan> =>
  messages(body, 1).flatMap((rs) =>
    messages(rs, 2).flatMap((ss) =>
      messages(ss, 2).map((span) => ({
        traceId: hex(first(span, 1)),
        spanId: hex(first(span, 2)),
        parentSpanId: hex(first(span, 4)),
        name: text(first(span, 5)),
        attributes: attributes(span, 9)
      }))
    )
  )

export interface DecodedLogRecord {
  readonly body: Scalar
  readonly traceId: string | undefined
  readonly spanId: string | undefined
}

/** LogsData → ResourceLogs(1) → ScopeLogs(2) → LogRecord(2). */
export const decodeLogs = (body: Uint8Array): Array<DecodedLogRecord> =>
  messages(body, 1).flatMap((rl) =>
    messages(rl, 2).flatMap((sl) =>
      messages(sl, 2).map((record) => {
        const value = first(record, 5)
        return {
          body: value === undefined ? undefined : anyValue(value),
          traceId: hex(first(record, 9)),
          spanId: hex(first(record, 10))
        }
      })
    )
  )
