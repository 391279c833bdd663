import type { Row, Value } from "../../src/services/SourceDb.ts"
import type { TrinoColumn } from "./trino-client.ts"

/**
 * Trino's JSON encoding of result values, turned into the canonical representation of `SourceDb`: bigint stays
 * exact (the client parses large integers as bigint), decimals are Trino's own exact text, timestamps get the
 * `T` and exactly six fraction digits, zoned timestamps become UTC with `Z`, varbinary (base64) becomes bytes.
 */

const fraction6 = (digits: string | undefined): string => (digits ?? "").padEnd(6, "0").slice(0, 6)

const wallTime = /^(-?\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/
const zonedTime = /^(-?\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))? (\S+)$/

const timestampText = (text: string): string => {
  const match = wallTime.exec(text)
  return match === null ? text : `${match[1]}T${match[2]}.${fraction6(match[3])}`
}

const offsetPattern = /^(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?(?::?(\d{2}))?$/

/** Milliseconds east of UTC written as `+09:00`, `-0530`, `GMT+9`; undefined for a named zone. */
const fixedOffset = (zone: string): number | undefined => {
  if (zone === "UTC" || zone === "Z" || zone === "GMT" || zone === "UT") return 0
  const match = offsetPattern.exec(zone)
  if (match === null) return undefined
  const millis = ((Number(match[2]) * 60 + Number(match[3] ?? 0)) * 60 + Number(match[4] ?? 0)) * 1000
  return match[1] === "-" ? -millis : millis
}

/** The offset of a named zone at an instant, via Intl (`GMT+09:00`). */
const zoneOffsetAt = (zone: string, epochMillis: number): number | undefined => {
  try {
    const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(epochMillis))
      .find((part) => part.type === "timeZoneName")?.value
    return name === undefined ? undefined : fixedOffset(name)
  } catch {
    return undefined
  }
}

const timestamptzText = (text: string): string => {
  const match = zonedTime.exec(text)
  if (match === null) return text
  const [, date, time, fraction, zone = ""] = match
  const wall = Date.parse(`${date}T${time}Z`)
  if (Number.isNaN(wall)) return text
  let offset = fixedOffset(zone)
  if (offset === undefined) {
    // The offset at the wall time read as UTC, corrected once at the resulting instant (DST edges).
    const guess = zoneOffsetAt(zone, wall)
    offset = guess === undefined ? undefined : (zoneOffsetAt(zone, wall - guess) ?? guess)
  }
  if (offset === undefined) return text
  return `${new Date(wall - offset).toISOString().slice(0, 19)}.${fraction6(fraction)}Z`
}

/** JSON text of an array/map/row value, with big integers written as the numbers they are. */
const jsonText = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `\u0000big:${v}` : v)).replace(
    /"\\u0000big:(-?\d+)"/g,
    "$1"
  )

const baseType = (type: string): string => {
  const lower = type.toLowerCase()
  const paren = lower.indexOf("(")
  return (paren === -1 ? lower : lower.slice(0, paren)).trim()
}

/** One value of a column of Trino type `type` (as Trino names it in `columns[].type`). */
export const canonicalValue = (type: string, value: unknown): Value => {
  if (value === null || value === undefined) return null
  switch (baseType(type)) {
    case "boolean":
      return Boolean(value)
    case "tinyint":
    case "smallint":
    case "integer":
      return Number(value)
    case "bigint":
      return typeof value === "bigint"
        ? value
        : (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value))
          ? BigInt(value)
          : String(value)
    case "real":
    case "double":
      // NaN and the infinities arrive as the strings "NaN", "Infinity", "-Infinity".
      return typeof value === "number" ? value : Number(value)
    case "varbinary":
      return typeof value === "string" ? new Uint8Array(Buffer.from(value, "base64")) : null
    case "timestamp":
      return typeof value !== "string"
        ? String(value)
        : /with time zone$/i.test(type)
          ? timestamptzText(value)
          : timestampText(value)
    case "array":
    case "map":
    case "row":
      return jsonText(value)
    default:
      // decimal, varchar, char, date, time, json, uuid and whatever else Trino sends as text.
      return typeof value === "string" ? value : typeof value === "object" ? jsonText(value) : String(value)
  }
}

export const canonicalRows = (
  columns: ReadonlyArray<TrinoColumn>,
  data: ReadonlyArray<ReadonlyArray<unknown>>
): Array<Row> =>
  data.map((values) =>
    Object.fromEntries(columns.map((column, i) => [column.name, canonicalValue(column.type, values[i])]))
  )
