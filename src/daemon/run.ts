import { Clock, type Context, Effect, type Layer, type Scope } from "effect"
import type { LoadedTenant } from "../config/load.ts"
import { syncStore } from "../esl/sync.ts"
import { backfill } from "../etl/backfill.ts"
import { runJob, yesterday } from "../etl/jobs.ts"
import { addDays, todayIn } from "../etl/partitions.ts"
import type { EslApi } from "../services/EslApi.ts"
import type { Notifier } from "../services/Notifier.ts"
import type { ObjectStore } from "../services/ObjectStore.ts"
import type { SourceDb } from "../services/SourceDb.ts"
import type { Warehouse } from "../services/Warehouse.ts"
import type { ScheduledJob } from "./jobs.ts"
import type { Metrics } from "./metrics.ts"
import type { LastRun } from "./state.ts"
import { previousCronTick } from "./ticks.ts"

export interface TenantLayers {
  /**
   * The tenant's ESL services, retained for the scope. A context rather than a Layer: an ESL tick is frequent and
   * tiny, and providing a Layer would build one (memo map, scope) for every run.
   */
  readonly esl: Effect.Effect<Context.Context<SourceDb | EslApi | Notifier>, unknown, Scope.Scope>
  readonly etl: Layer.Layer<SourceDb | ObjectStore | Warehouse, unknown>
}

/** A finished run as one readable line: tenant, job or store, status, counts, duration. */
export interface RunLine {
  readonly tenant: string
  readonly what: string
  readonly status: string
  readonly counts: string
  readonly durationMs: number
  readonly error: string | undefined
}

export const formatRunLine = (line: RunLine): string =>
  `${line.tenant} ${line.what} ${line.status}${line.counts === "" ? "" : ` ${line.counts}`} (${line.durationMs < 1000 ? `${Math.round(line.durationMs)}ms` : `${(line.durationMs / 1000).toFixed(1)}s`})${line.error === undefined ? "" : `: ${line.error}`}`

const errorType = (error: string | undefined): string => {
  if (error === undefined) return "unknown"
  const match = /^(ESL|source database|object store|warehouse|state database)/i.exec(error)
  return match?.[1]?.toLowerCase().replace(" ", "_") ?? "other"
}

/** Runs one tick of a job and reports it: never fails (failures are in the run's own record and summary). */
export const runScheduled = Effect.fnUntraced(function* (
  job: ScheduledJob,
  tenant: LoadedTenant,
  layers: TenantLayers,
  metrics: Metrics
) {
  const started = yield* Clock.currentTimeMillis
  if (job._tag === "EslSync") {
    const result = yield* Effect.scoped(
      Effect.flatMap(layers.esl, (services) =>
        syncStore(tenant.config, job.store).pipe(Effect.provideContext(services))
      )
    )
    const s = result.summary
    const labels = { job: "esl_sync", tenant: tenant.id }
    metrics.inc("storeflow_runs_total", { ...labels, status: s.status })
    metrics.inc("storeflow_records_synced_total", { tenant: tenant.id, store: job.store.code }, s.counts.accepted)
    metrics.observe("storeflow_job_duration_seconds", labels, s.durationMs / 1000)
    if (s.latencyMs.calls > 0) {
      for (const ms of [s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.max]) {
        metrics.observe(
          "storeflow_esl_api_latency_seconds",
          { tenant: tenant.id, operation: "upsertArticles" },
          ms / 1000
        )
      }
    }
    if (s.status === "failed") metrics.inc("storeflow_errors_total", { ...labels, type: errorType(s.error) })
    const c = s.counts
    const line: RunLine = {
      tenant: tenant.id,
      what: `esl ${job.store.code}`,
      status: s.status,
      counts:
        s.status === "skipped"
          ? ""
          : `extracted=${c.extracted} sent=${c.sent} accepted=${c.accepted} rejected=${c.rejected} invalid=${c.invalid}`,
      durationMs: s.durationMs,
      error: s.error
    }
    const last: LastRun = {
      runId: s.runId,
      status: s.status,
      startedAt: started,
      durationMs: s.durationMs,
      error: s.error,
      summaryJson: JSON.stringify(s)
    }
    return { line, last }
  }
  const result = yield* runJob(tenant, job.job).pipe(Effect.provide(layers.etl))
  const durationMs = (yield* Clock.currentTimeMillis) - started
  const labels = { job: job.job, tenant: tenant.id }
  metrics.inc("storeflow_runs_total", { ...labels, status: result.status })
  metrics.observe("storeflow_job_duration_seconds", labels, durationMs / 1000)
  const failed = result.pipelines.filter((p) => p.status !== "succeeded")
  for (const p of failed) metrics.inc("storeflow_errors_total", { ...labels, type: errorType(p.error) })
  const rows = result.pipelines.reduce((n, p) => n + (p.stages.extract?.rows ?? 0), 0)
  const line: RunLine = {
    tenant: tenant.id,
    what: `${job.job} [${result.partition}]`,
    status: result.status,
    counts: `pipelines=${result.pipelines.length} rows=${rows}${failed.length > 0 ? ` failed=${failed.map((p) => p.pipeline).join(",")}` : ""}`,
    durationMs,
    error: failed[0]?.error
  }
  const last: LastRun = {
    runId: undefined,
    status: result.status,
    startedAt: started,
    durationMs,
    error: failed[0]?.error,
    summaryJson: JSON.stringify(result, (_, v) => (typeof v === "bigint" ? v.toString() : v))
  }
  return { line, last }
})

/**
 * After downtime, the daily job's missed partitions: `latest` runs the partition of the last tick that should have
 * happened, `all` every missing or failed one of the last 31 days, `none` nothing. Only what is not materialized runs.
 */
export const catchUp = Effect.fnUntraced(function* (
  job: Extract<ScheduledJob, { _tag: "Etl" }>,
  tenant: LoadedTenant,
  layers: TenantLayers
) {
  if (job.job !== "daily_etl_job" || job.catchup === "none") return undefined
  const now = yield* Clock.currentTimeMillis
  const lastTick = previousCronTick(job.cron, job.timeZone, now)
  if (lastTick === undefined) return undefined
  const to = addDays(todayIn(lastTick, tenant.config.timezone), -1)
  const from = job.catchup === "latest" ? to : addDays(to, -30)
  const newest = yield* yesterday(tenant.config.timezone)
  return yield* backfill(tenant, { from, to: to > newest ? newest : to }).pipe(Effect.provide(layers.etl))
})
