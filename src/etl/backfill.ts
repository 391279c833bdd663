import { Effect } from "effect"
import { ConfigInvalid } from "../config/errors.ts"
import type { LoadedTenant } from "../config/load.ts"
import { pipelinesOf } from "./jobs.ts"
import { runPipelinePartition } from "./pipeline.ts"
import { partitionStatuses } from "./status.ts"
import type { PipelineRunSummary } from "./summary.ts"

export interface BackfillOptions {
  readonly from: string
  readonly to: string
  readonly pipeline?: string | undefined
  /** Partitions run at once (default 2). */
  readonly concurrency?: number | undefined
  /** Re-run materialized partitions too. */
  readonly force?: boolean | undefined
  /** Called after each partition finishes, with how many are done of how many. */
  readonly onProgress?: ((done: number, total: number, last: PipelineRunSummary) => Effect.Effect<void>) | undefined
}

export interface BackfillResult {
  readonly planned: number
  /** Partitions already materialized and left alone (without `--force`). */
  readonly skipped: number
  readonly runs: ReadonlyArray<PipelineRunSummary>
}

/**
 * Materializes the missing or failed daily partitions of a date range (all of them with `force`). Resumable: what is
 * materialized is read from the state store each time, so running it again after a crash continues with the rest.
 */
export const backfill = Effect.fn("etl.backfill")(function* (tenant: LoadedTenant, options: BackfillOptions) {
  const candidates = pipelinesOf(tenant.config, "daily_etl_job").filter(
    (p) => options.pipeline === undefined || p.name === options.pipeline
  )
  if (candidates.length === 0) {
    return yield* new ConfigInvalid({
      tenant: tenant.id,
      file: tenant.file,
      issues: [
        {
          path: "pipelines",
          message:
            options.pipeline === undefined
              ? "no pipeline has a date_column, so there is nothing to backfill"
              : `no date-partitioned pipeline "${options.pipeline}"`
        }
      ]
    })
  }
  const statuses = yield* partitionStatuses(tenant, { pipeline: options.pipeline, from: options.from, to: options.to })
  const names = new Set(candidates.map((p) => p.name))
  const inRange = statuses.filter((s) => names.has(s.pipeline))
  const todo = inRange.filter((s) => options.force === true || s.state === "missing" || s.state === "failed")
  let done = 0
  const runs = yield* Effect.forEach(
    todo,
    (s) =>
      Effect.gen(function* () {
        const pipeline = candidates.find((p) => p.name === s.pipeline)
        if (pipeline === undefined) return yield* Effect.die(new Error(`unknown pipeline ${s.pipeline}`))
        const summary = yield* runPipelinePartition(tenant, pipeline, s.partition, "daily_etl_job")
        done += 1
        if (options.onProgress !== undefined) yield* options.onProgress(done, todo.length, summary)
        return summary
      }),
    { concurrency: options.concurrency ?? 2 }
  )
  return { planned: todo.length, skipped: inRange.length - todo.length, runs } satisfies BackfillResult
})
