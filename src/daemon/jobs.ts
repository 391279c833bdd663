import { Duration } from "effect"
import type { LoadedTenant } from "../config/load.ts"
import { type StoreSpec, storeSpecs } from "../esl/stores.ts"
import { pipelinesOf } from "../etl/jobs.ts"
import { nextCronTick, nextIntervalTick, stableOffset } from "./ticks.ts"

/** One scheduled job of the daemon: an ESL sync of one store, or an ETL job of a tenant. */
export type ScheduledJob =
  | {
      readonly _tag: "EslSync"
      readonly key: string
      readonly tenant: string
      readonly store: StoreSpec
      readonly intervalMs: number
      readonly offsetMs: number
    }
  | {
      readonly _tag: "Etl"
      readonly key: string
      readonly tenant: string
      readonly job: "daily_etl_job" | "master_sync_job"
      readonly cron: string
      readonly timeZone: string
      readonly catchup: "latest" | "all" | "none"
    }

/** Every job a tenant schedules: ESL per store on its interval (with a stable jitter), ETL jobs on their cron. */
export const scheduledJobs = (tenant: LoadedTenant): ReadonlyArray<ScheduledJob> => {
  const config = tenant.config
  const jobs: Array<ScheduledJob> = []
  const esl = config.esl
  if (esl?.enabled === true) {
    const intervalMs = Duration.toMillis(esl.schedule.every)
    const jitterMs = Math.min(Duration.toMillis(esl.schedule.jitter), intervalMs)
    for (const store of storeSpecs(esl)) {
      const key = `esl:${tenant.id}:${store.code}`
      jobs.push({ _tag: "EslSync", key, tenant: tenant.id, store, intervalMs, offsetMs: stableOffset(key, jitterMs) })
    }
  }
  for (const job of ["daily_etl_job", "master_sync_job"] as const) {
    const schedule = config.jobs[job]
    if (schedule === undefined || !schedule.enabled || pipelinesOf(config, job).length === 0) continue
    jobs.push({
      _tag: "Etl",
      key: `etl:${tenant.id}:${job}`,
      tenant: tenant.id,
      job,
      cron: schedule.cron,
      timeZone: schedule.timezone ?? config.timezone,
      catchup: schedule.catchup
    })
  }
  return jobs
}

export const nextTick = (job: ScheduledJob, nowMs: number): number =>
  job._tag === "EslSync"
    ? nextIntervalTick(nowMs, job.intervalMs, job.offsetMs)
    : nextCronTick(job.cron, job.timeZone, nowMs)

/**
 * The tick to sleep to after the tick `lastMs`: past both now and the last tick, so a timer that fired a millisecond
 * early (Node's timers may) does not run the same tick twice.
 */
export const tickAfter = (job: ScheduledJob, nowMs: number, lastMs: number): number =>
  nextTick(job, Math.max(nowMs, lastMs))

/** How long a tick's lease lives: long enough that no replica runs the same tick again, short enough to expire. */
export const tickLeaseMs = (job: ScheduledJob): number =>
  job._tag === "EslSync" ? Math.max(job.intervalMs, 60_000) : 24 * 60 * 60_000
