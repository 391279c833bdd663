import type { Value } from "../../services/SourceDb.ts"

// Parsers for the canonical text forms. They walk char codes instead of using regexes and `Date`: they run once per
// value of every row, and `Date` would lose microseconds. Each returns the parsed value or a string saying what is
// wrong with the input.

export const describe = (value: Value): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === "bigint") return `${value}n`
  if (value instanceof Uint8Array) return `${value.length} bytes`
  return `${typeof value} ${String(value)}`
}

/** 10^n for n ≤ 22, all exact doubles. */
const powersOfTen = Array.from({ length: 23 }, (_, n) => 10 ** n)

/** A number is exact up to 2^53 ≈ 9.007e15: unscaled values of at most 15 digits never need a bigint. */
const SAFE_DIGITS = 15

/**
 * The unscaled integer of a canonical decimal (`-12.30` with scale 2 is -1230), as a number when it has at most 15
 * digits and a bigint otherwise. Fraction digits beyond the scale are accepted only when they are zeros: anything
 * else would be rounded.
 */
export const parseDecimal = (text: string, precision: number, scale: number): number | bigint | string => {
  const length = text.length
  const negative = length > 0 && text.charCodeAt(0) === 45
  let i = negative ? 1 : 0
  const intStart = i
  while (i < length && isDigit(text.charCodeAt(i))) i++
  const intEnd = i
  let fracStart = i
  let fracEnd = i
  if (i < length && text.charCodeAt(i) === 46) {
    fracStart = ++i
    while (i < length && isDigit(text.charCodeAt(i))) i++
    fracEnd = i
    if (fracEnd === fracStart) return notDecimal(text)
  }
  if (intEnd === intStart || i !== length) return notDecimal(text)
  let significant = intStart
  while (significant < intEnd - 1 && text.charCodeAt(significant) === 48) significant++
  const intDigits = intEnd - significant === 1 && text.charCodeAt(significant) === 48 ? 0 : intEnd - significant
  const fracDigits = Math.min(fracEnd - fracStart, scale)
  for (let k = fracStart + fracDigits; k < fracEnd; k++) {
    if (text.charCodeAt(k) !== 48) {
      return `${describe(text)} has more fraction digits than the column's scale ${scale} (it would be rounded)`
    }
  }
  if (intDigits > precision - scale) {
    return `${describe(text)} has more digits than DECIMAL(${precision},${scale}) holds`
  }
  if (intDigits + scale <= SAFE_DIGITS) {
    let unscaled = 0
    for (let k = significant; k < intEnd; k++) unscaled = unscaled * 10 + (text.charCodeAt(k) - 48)
    for (let k = fracStart; k < fracStart + fracDigits; k++) unscaled = unscaled * 10 + (text.charCodeAt(k) - 48)
    unscaled *= powersOfTen[scale - fracDigits] as number
    return negative && unscaled !== 0 ? -unscaled : unscaled
  }
  const digits =
    text.slice(significant, intEnd) + text.slice(fracStart, fracStart + fracDigits) + "0".repeat(scale - fracDigits)
  const unscaled = BigInt(digits)
  return negative ? -unscaled : unscaled
}

const notDecimal = (text: string): string => `${describe(text)} is not a decimal number like "-1234.50"`

const decimalPattern = /^-?\d+(\.\d+)?$/

/** What is wrong with a text-backed decimal: it must be a plain number (no exponent, `NaN` or `Infinity`). */
export const decimalTextProblem = (text: string): string | undefined =>
  decimalPattern.test(text) ? undefined : notDecimal(text)

const isDigit = (code: number): boolean => code >= 48 && code <= 57

/** The number in `text[start, start + count)`, or -1 when one of those is not a digit. */
const digitsAt = (text: string, start: number, count: number): number => {
  let value = 0
  for (let k = start; k < start + count; k++) {
    const digit = text.charCodeAt(k) - 48
    if (!(digit >= 0 && digit <= 9)) return -1
    value = value * 10 + digit
  }
  return value
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/** Days since the epoch of the `YYYY-MM-DD` at the start of `text`, or -Infinity when it is not a real date. */
const dateAt = (text: string): number => {
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) {
    return Number.NEGATIVE_INFINITY
  }
  const lastDay = month === 2 && isLeapYear(year) ? 29 : (monthDays[month - 1] as number)
  return day > lastDay ? Number.NEGATIVE_INFINITY : daysFromCivil(year, month, day)
}

/** Days since 1970-01-01 of a canonical `YYYY-MM-DD`. */
export const parseDate = (text: string): number | string => {
  const days = text.length === 10 ? dateAt(text) : Number.NEGATIVE_INFINITY
  return days === Number.NEGATIVE_INFINITY ? `${describe(text)} is not a date "YYYY-MM-DD"` : days
}

/** Microseconds of whole seconds below this stay under 2^53, so a number holds them exactly. */
const SAFE_SECONDS = 9_000_000_000

/**
 * Microseconds since 1970-01-01T00:00:00 of a canonical `YYYY-MM-DDTHH:MM:SS.ffffff` (`…Z` when `utc`): a number
 * for years up to about 2255, a bigint beyond.
 */
export const parseTimestamp = (text: string, utc: boolean): number | bigint | string => {
  const days = text.length === (utc ? 27 : 26) ? dateAt(text) : Number.NEGATIVE_INFINITY
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  const second = digitsAt(text, 17, 2)
  const micros = digitsAt(text, 20, 6)
  if (
    days === Number.NEGATIVE_INFINITY ||
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 ||
    (utc && text.charCodeAt(26) !== 90) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    micros < 0
  ) {
    return `${describe(text)} is not a timestamp "YYYY-MM-DDTHH:MM:SS.ffffff${utc ? "Z" : ""}"`
  }
  const seconds = days * 86_400 + hour * 3600 + minute * 60 + second
  return Math.abs(seconds) < SAFE_SECONDS ? seconds * 1_000_000 + micros : BigInt(seconds) * 1_000_000n + BigInt(micros)
}

const hexValue = (code: number): number => {
  if (code >= 48 && code <= 57) return code - 48
  const lower = code | 0x20
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}

/** Writes the 16 bytes of a hyphenated UUID into `out` at `offset`; returns what is wrong, if anything. */
export const writeUuid = (text: string, out: Uint8Array, offset: number): string | undefined => {
  if (
    text.length !== 36 ||
    text.charCodeAt(8) !== 45 ||
    text.charCodeAt(13) !== 45 ||
    text.charCodeAt(18) !== 45 ||
    text.charCodeAt(23) !== 45
  ) {
    return `${describe(text)} is not a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`
  }
  let position = 0
  for (let byte = 0; byte < 16; byte++) {
    if (position === 8 || position === 13 || position === 18 || position === 23) position++
    const high = hexValue(text.charCodeAt(position))
    const low = hexValue(text.charCodeAt(position + 1))
    if (high < 0 || low < 0) return `${describe(text)} is not a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`
    out[offset + byte] = (high << 4) | low
    position += 2
  }
  return undefined
}
