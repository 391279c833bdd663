import { Clock, Effect } from "effect"
import { ConfigInvalid } from "../config/errors.ts"
import type { LoadedTenant } from "../config/load.ts"
import type { PipelineConfig, TenantConfig } from "../domain/TenantConfig.ts"
import { LATEST } from "./layout.ts"
import { addDays, todayIn } from "./partitions.ts"
import { type EtlJob, runPipelinePartition } from "./pipeline.ts"
import type { PipelineRunSummary } from "./summary.ts"

/** `daily_etl_job` runs the date-partitioned pipelines; `master_sync_job` the non-partitioned (master data) ones. */
export const pipelinesOf = (tenant: TenantConfig, job: EtlJob): ReadonlyArray<PipelineConfig> =>
  tenant.pipelines.filter((p) => (job === "daily_etl_job") === (p.date_column !== undefined))

export interface JobOptions {
  /** The partition date of `daily_etl_job`; yesterday in the tenant's time zone when absent. */
  readonly date?: string | undefined
  /** Only this pipeline. */
  readonly pipeline?: string | undefined
  /** Pipelines run at once (default 2). */
  readonly concurrency?: number | undefined
}

export interface JobResult {
  readonly tenant: string
  readonly job: EtlJob
  readonly partition: string
  /** `failed` when any pipeline failed; the pipelines say which and why. */
  readonly status: "succeeded" | "failed"
  readonly pipelines: ReadonlyArray<PipelineRunSummary>
}

/** Yesterday in the tenant's time zone: the default partition of the daily job. */
export const yesterday = Effect.fnUntraced(function* (timeZone: string) {
  return addDays(todayIn(yield* Clock.currentTimeMillis, timeZone), -1)
})

/** Picks the job's pipelines, failing with a config error naming the choices when `--pipeline` matches none. */
export const selectPipelines = (tenant: LoadedTenant, job: EtlJob, only: string | undefined) => {
  const candidates = pipelinesOf(tenant.config, job)
  if (only === undefined) return Effect.succeed(candidates)
  const chosen = candidates.filter((p) => p.name === only)
  if (chosen.length > 0) return Effect.succeed(chosen)
  return Effect.fail(
    new ConfigInvalid({
      tenant: tenant.id,
      file: tenant.file,
      issues: [
        {
          path: "pipelines",
          message: `no ${job === "daily_etl_job" ? "date-partitioned" : "non-partitioned"} pipeline "${only}" (${job} runs: ${candidates.map((p) => p.name).join(", ") || "none"})`
        }
      ]
    })
  )
}

/**
 * Runs a job for one partition: every pipeline of the job in parallel with a bound, each extract → transfer? → load?
 * in order. One pipeline's failure does not stop the others.
 */
export const runJob = Effect.fn("etl.job")(function* (tenant: LoadedTenant, job: EtlJob, options: JobOptions = {}) {
  const pipelines = yield* selectPipelines(tenant, job, options.pipeline)
  const partition = job === "master_sync_job" ? LATEST : (options.date ?? (yield* yesterday(tenant.config.timezone)))
  yield* Effect.annotateCurrentSpan({ "tenant.id": tenant.id, "etl.job": job, "etl.partition": partition })
  const results = yield* Effect.forEach(pipelines, (p) => runPipelinePartition(tenant, p, partition, job), {
    concurrency: options.concurrency ?? 2
  })
  return {
    tenant: tenant.id,
    job,
    partition,
    status: results.every((r) => r.status === "succeeded") ? "succeeded" : "failed",
    pipelines: results
  } satisfies JobResult
})
