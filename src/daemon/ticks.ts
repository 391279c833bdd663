import { createHash } from "node:crypto"
import { Cron, Result } from "effect"

/**
 * A stable offset in `[0, jitterMs)` for a job key: every replica computes the same tick instants for a job (so a
 * per-tick lease makes each tick run once), while different stores fire at different moments.
 */
export const stableOffset = (key: string, jitterMs: number): number => {
  if (jitterMs <= 0) return 0
  const digest = createHash("sha256").update(key).digest()
  return digest.readUInt32BE(0) % Math.floor(jitterMs)
}

/** The next tick strictly after `nowMs` of a job that runs every `intervalMs`, shifted by its stable offset. */
export const nextIntervalTick = (nowMs: number, intervalMs: number, offsetMs: number): number => {
  const interval = Math.max(1, Math.floor(intervalMs))
  const offset = offsetMs % interval
  const k = Math.floor((nowMs - offset) / interval) + 1
  return k * interval + offset
}

const parseCron = (expression: string, timeZone: string) => {
  const parsed = Cron.parse(expression, timeZone)
  if (Result.isFailure(parsed)) throw new Error(`invalid cron ${expression}: ${parsed.failure.message}`)
  return parsed.success
}

/** The next time strictly after `nowMs` that a cron expression fires in a time zone. */
export const nextCronTick = (expression: string, timeZone: string, nowMs: number): number =>
  Cron.next(parseCron(expression, timeZone), new Date(nowMs + 1)).getTime()

/**
 * The last time at or before `nowMs` that a cron expression fired, searching back at most `horizonMs`. The window
 * grows from a minute, so a cron firing every few seconds is not walked tick by tick over days.
 */
export const previousCronTick = (
  expression: string,
  timeZone: string,
  nowMs: number,
  horizonMs = 8 * 86_400_000
): number | undefined => {
  const cron = parseCron(expression, timeZone)
  for (let window = 60_000; ; window = Math.min(window * 4, horizonMs)) {
    let last: number | undefined
    for (let next = Cron.next(cron, new Date(nowMs - window)).getTime(); next <= nowMs; ) {
      last = next
      next = Cron.next(cron, new Date(next + 1)).getTime()
    }
    if (last !== undefined || window >= horizonMs) return last
  }
}
