import type { Value } from "../services/SourceDb.ts"

/** Why a value cannot be written in the requested format; the row is quarantined with this reason. */
export type FormatResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string }

/** A value `writeValue` cannot write in the requested format, and why. */
export class Unwritable {
  readonly reason: string
  constructor(reason: string) {
    this.reason = reason
  }
}

const ok = (text: string): string => text
const bad = (reason: string): Unwritable => new Unwritable(reason)

const decimalPattern = /^([+-]?)(\d+)(?:\.(\d+))?$/

/** A number as exact decimal text: shortest round-trip form, never exponent notation, no float artifacts. */
const numberText = (n: number): string | undefined => {
  if (!Number.isFinite(n)) return undefined
  // 15 significant digits drop binary artifacts such as 0.30000000000000004.
  const rounded = Number(n.toPrecision(15))
  const text = String(rounded)
  if (!/e/i.test(text)) return text
  if (Number.isInteger(rounded)) return BigInt(rounded).toString()
  return rounded.toFixed(20).replace(/\.?0+$/, "")
}

/** Exact decimal text of a numeric value (decimal strings stay exact), or undefined when it is not a number. */
export const decimalText = (value: Value): string | undefined => {
  if (typeof value === "bigint") return value.toString()
  if (typeof value === "number") return numberText(value)
  if (typeof value === "string") {
    const trimmed = value.trim()
    return decimalPattern.test(trimmed) ? trimmed : undefined
  }
  return undefined
}

/** Digits that fit a double exactly (below 2^53), so rounding can stay in plain number arithmetic. */
const EXACT_DIGITS = 15

const isDigit = (code: number) => code >= 48 && code <= 57

/**
 * Rounds exact decimal text half away from zero to `places` digits after the point, in integer arithmetic. Numbers of
 * up to 15 digits (prices and the like) are read digit by digit into a double, where every step is exact; longer
 * ones go through BigInt.
 */
export const roundDecimal = (text: string, places: number): string => {
  const length = text.length
  const first = text.charCodeAt(0)
  const negative = first === 45
  let i = negative || first === 43 ? 1 : 0
  const wholeStart = i
  while (i < length && isDigit(text.charCodeAt(i))) i++
  const wholeEnd = i
  // -1: no decimal point. The grammar is decimalPattern's: [+-]? digits (. digits)?
  let fractionStart = -1
  if (i < length && text.charCodeAt(i) === 46) {
    fractionStart = ++i
    while (i < length && isDigit(text.charCodeAt(i))) i++
  }
  const wholeDigits = wholeEnd - wholeStart
  const wellFormed = wholeDigits > 0 && i === length && (fractionStart === -1 || i > fractionStart)
  if (!wellFormed || wholeDigits + places + 1 > EXACT_DIGITS) return roundDecimalBig(text, places)
  let digits = 0
  for (let k = wholeStart; k < wholeEnd; k++) digits = digits * 10 + (text.charCodeAt(k) - 48)
  for (let k = 0; k <= places; k++) {
    const at = fractionStart + k
    digits = digits * 10 + (fractionStart !== -1 && at < length ? text.charCodeAt(at) - 48 : 0)
  }
  const shifted = digits + 5
  const rounded = (shifted - (shifted % 10)) / 10
  const scale = 10 ** places
  const fractionPart = rounded % scale
  const intPart = String((rounded - fractionPart) / scale)
  const fracPart = places === 0 ? "" : `.${String(fractionPart).padStart(places, "0")}`
  return `${negative && rounded !== 0 ? "-" : ""}${intPart}${fracPart}`
}

const roundDecimalBig = (text: string, places: number): string => {
  const match = decimalPattern.exec(text)
  if (match === null) return text
  const negative = match[1] === "-"
  const whole = match[2] ?? "0"
  const fraction = match[3] ?? ""
  const digits = BigInt(whole + fraction.padEnd(places + 1, "0").slice(0, places + 1))
  const rounded = (digits + 5n) / 10n
  const scale = 10n ** BigInt(places)
  const intPart = (rounded / scale).toString()
  const fracPart = places === 0 ? "" : `.${(rounded % scale).toString().padStart(places, "0")}`
  const isZero = rounded === 0n
  return `${negative && !isZero ? "-" : ""}${intPart}${fracPart}`
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const zoneFormats = new Map<string, Intl.DateTimeFormat>()

/** One formatter per time zone: building one costs far more than formatting with it. */
const zoneFormat = (timeZone: string): Intl.DateTimeFormat => {
  let format = zoneFormats.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    })
    zoneFormats.set(timeZone, format)
  }
  return format
}

/** Wall-clock parts of a UTC instant in a time zone. */
const zonedParts = (epochMs: number, timeZone: string) => {
  const parts = zoneFormat(timeZone).formatToParts(new Date(epochMs))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0")
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second")
  }
}

const wallTimestampPattern = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?$/
const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?)?(Z)?$/

/**
 * `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD` with `dateOnly`) in the tenant's time zone. A zoned value (`…Z`) is
 * converted; a zone-less timestamp is already wall time in the tenant's zone and is kept as it is.
 */
export const formatDateTime = (value: string, timeZone: string, dateOnly: boolean): string | undefined => {
  const trimmed = value.trim()
  // A zone-less timestamp (what a SourceDb gives for `timestamp`) keeps its wall time: its text is the answer.
  if (wallTimestampPattern.test(trimmed)) {
    return dateOnly ? trimmed.slice(0, 10) : `${trimmed.slice(0, 10)} ${trimmed.slice(11, 19)}`
  }
  const match = timestampPattern.exec(trimmed)
  if (match === null) return undefined
  const [, y, mo, d, h = "00", mi = "00", s = "00", zulu] = match
  let wall = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s)
  }
  if (zulu === "Z") {
    wall = zonedParts(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second), timeZone)
  }
  const date = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`
  return dateOnly ? date : `${date} ${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`
}

export type Format = "text" | "integer" | "decimal" | "price" | "date" | "datetime" | "boolean"

/**
 * Writes a non-null source value in an article `data` format (prices default to 0 decimals): its text, or why it
 * cannot be written. Called for every mapped value of every row, so a success allocates nothing but the text.
 */
export const writeValue = (
  value: Exclude<Value, null>,
  format: Format,
  decimals: number | undefined,
  timeZone: string
): string | Unwritable => {
  switch (format) {
    case "text": {
      if (typeof value === "string") return ok(value)
      if (typeof value === "number") return ok(numberText(value) ?? String(value))
      if (value instanceof Uint8Array) return bad("binary values cannot be written as text")
      return ok(String(value))
    }
    case "integer": {
      const text = decimalText(value)
      if (text === undefined) return bad(`"${String(value)}" is not a number`)
      if (!/^[+-]?\d+(\.0*)?$/.test(text)) return bad(`"${text}" is not a whole number`)
      return ok(roundDecimal(text, 0))
    }
    case "decimal":
    case "price": {
      const text = decimalText(value)
      if (text === undefined) return bad(`"${String(value)}" is not a number`)
      const places = decimals ?? (format === "price" ? 0 : 2)
      return ok(roundDecimal(text, places))
    }
    case "date":
    case "datetime": {
      if (typeof value !== "string") return bad(`"${String(value)}" is not a date`)
      const text = formatDateTime(value, timeZone, format === "date")
      return text === undefined ? bad(`"${value}" is not a date`) : ok(text)
    }
    case "boolean": {
      if (typeof value === "boolean") return ok(value ? "true" : "false")
      const text = String(value).trim().toLowerCase()
      if (["true", "t", "1", "y", "yes"].includes(text)) return ok("true")
      if (["false", "f", "0", "n", "no"].includes(text)) return ok("false")
      return bad(`"${String(value)}" is not a boolean`)
    }
  }
}

/** `writeValue` as a result object. */
export const formatValue = (
  value: Exclude<Value, null>,
  format: Format,
  decimals: number | undefined,
  timeZone: string
): FormatResult => {
  const written = writeValue(value, format, decimals, timeZone)
  return typeof written === "string" ? { ok: true, text: written } : { ok: false, reason: written.reason }
}
