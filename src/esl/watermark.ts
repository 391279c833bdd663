import type { ColumnType, Value } from "../services/SourceDb.ts"
import { formatDateTime } from "./format.ts"

/** Canonical text of a change or key value, as stored in the watermark. */
export const valueText = (value: Value): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value === null ? "" : String(value)

/** The watermark's text back as a value of the column's type, to bind as a query parameter. */
export const textValue = (text: string, type: ColumnType): Value => {
  switch (type) {
    case "int16":
    case "int32":
    case "float32":
    case "float64":
      return Number(text)
    case "int64":
      return BigInt(text)
    case "boolean":
      return text === "true"
    default:
      return text
  }
}

const canonicalUtc = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/

/** Epoch microseconds of canonical `timestamptz` text. */
export const utcMicros = (text: string): bigint | undefined => {
  const match = canonicalUtc.exec(text)
  if (match === null) return undefined
  const millis = Date.parse(`${match[1]}Z`)
  return BigInt(millis) * 1000n + BigInt((match[2] ?? "").padEnd(6, "0"))
}

const microsText = (micros: bigint): { readonly seconds: string; readonly fraction: string } => {
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n
  const millis = Number((micros - fraction) / 1000n)
  return { seconds: new Date(millis).toISOString().slice(0, 19), fraction: fraction.toString().padStart(6, "0") }
}

/**
 * The exclusive upper bound on change values a pass may read: rows at or after it may still be joined by rows from
 * transactions open now (or, with `lagMs`, from writers whose clocks lag). Defined for timestamp change columns;
 * for other types there is no bound (their writers must assign values at commit).
 */
export const changeBound = (
  horizon: { readonly now: string; readonly oldestOpenTransaction: string | undefined },
  lagMs: number,
  type: ColumnType,
  timeZone: string
): string | undefined => {
  if (type !== "timestamp" && type !== "timestamptz") return undefined
  const now = utcMicros(horizon.now)
  if (now === undefined) return undefined
  const open = horizon.oldestOpenTransaction === undefined ? undefined : utcMicros(horizon.oldestOpenTransaction)
  const lagged = now - BigInt(Math.round(lagMs * 1000))
  const bound = open !== undefined && open < lagged ? open : lagged
  const { seconds, fraction } = microsText(bound)
  if (type === "timestamptz") return `${seconds}.${fraction}Z`
  const wall = formatDateTime(`${seconds}Z`, timeZone, false)
  return wall === undefined ? undefined : `${wall.replace(" ", "T")}.${fraction}`
}
