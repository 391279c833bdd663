import { formatDateTime } from "../esl/format.ts"
import type { Column, Condition } from "../services/SourceDb.ts"

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

export const isDate = (text: string): boolean => {
  const match = datePattern.exec(text)
  if (match === null) return false
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === text
}

export const addDays = (date: string, days: number): string => {
  const [y, m, d] = date.split("-").map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10)
}

/** Every date from `from` to `to`, both included. */
export const dateRange = (from: string, to: string): ReadonlyArray<string> => {
  const dates: Array<string> = []
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date)
  return dates
}

/** Today's date in a time zone. */
export const todayIn = (epochMs: number, timeZone: string): string =>
  formatDateTime(`${new Date(epochMs).toISOString().slice(0, 19)}Z`, timeZone, true) as string

/** The UTC instant at which a wall-clock time in `timeZone` happens (DST gaps resolve forward). */
const zonedInstant = (date: string, timeZone: string): string => {
  const guess = Date.parse(`${date}T00:00:00Z`)
  // The offset at the guess, applied once, then corrected if the offset differs at the result (DST edges).
  const offsetAt = (ms: number) => {
    const wall = formatDateTime(`${new Date(ms).toISOString().slice(0, 19)}Z`, timeZone, false) as string
    return Date.parse(`${wall.replace(" ", "T")}Z`) - ms
  }
  let instant = guess - offsetAt(guess)
  instant = guess - offsetAt(instant)
  return `${new Date(instant).toISOString().slice(0, 19)}.000000Z`
}

/**
 * The rows of one day in the tenant's time zone: `[day, next day)` on the date column. A `date` column compares to
 * the date; a zone-less `timestamp` holds wall time in the tenant's zone; a `timestamptz` compares to the UTC instants
 * at which the day starts and ends there.
 */
export const dayConditions = (column: Column, date: string, timeZone: string): ReadonlyArray<Condition> => {
  const next = addDays(date, 1)
  switch (column.type) {
    case "date":
      return [{ _tag: "Compare", column: column.name, op: "=", value: date }]
    case "timestamptz":
      return [
        { _tag: "Compare", column: column.name, op: ">=", value: zonedInstant(date, timeZone) },
        { _tag: "Compare", column: column.name, op: "<", value: zonedInstant(next, timeZone) }
      ]
    default:
      return [
        { _tag: "Compare", column: column.name, op: ">=", value: `${date}T00:00:00.000000` },
        { _tag: "Compare", column: column.name, op: "<", value: `${next}T00:00:00.000000` }
      ]
  }
}
