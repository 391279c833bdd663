import { Effect } from "effect"
import type { LoadedTenant } from "../config/load.ts"
import type { RunRecord } from "../domain/Run.ts"
import { RunStore } from "../services/RunStore.ts"
import { LATEST } from "./layout.ts"
import { dateRange } from "./partitions.ts"

export type PartitionState = "materialized" | "failed" | "running" | "missing"

export interface PartitionStatus {
  readonly pipeline: string
  readonly partition: string
  readonly state: PartitionState
  readonly rows: number | undefined
  readonly materializedAt: Date | undefined
  readonly lastRun:
    | { readonly id: string; readonly status: string; readonly at: Date; readonly error: string | null }
    | undefined
}

/**
 * The state of each partition, like Dagster's partition view: materialized (committed, and no newer run failed),
 * failed (its latest run failed, or was interrupted, after any materialization), running, or missing.
 */
export const partitionStatuses = Effect.fn("etl.status")(function* (
  tenant: LoadedTenant,
  options: { readonly pipeline?: string | undefined; readonly from: string; readonly to: string }
) {
  const runStore = yield* RunStore
  const pipelines = tenant.config.pipelines.filter((p) => options.pipeline === undefined || p.name === options.pipeline)
  const statuses: Array<PartitionStatus> = []
  for (const pipeline of pipelines) {
    const partitions = pipeline.date_column === undefined ? [LATEST] : dateRange(options.from, options.to)
    const materialized = new Map(
      (yield* runStore.listMaterializations({ tenant: tenant.id, pipeline: pipeline.name }))
        .filter((m) => partitions.includes(m.partition))
        .map((m) => [m.partition, m])
    )
    const latestRun = new Map<string, RunRecord>()
    for (const run of yield* runStore.listRuns({ tenant: tenant.id, pipeline: pipeline.name, limit: 10_000 })) {
      if (run.partition !== null && !latestRun.has(run.partition)) latestRun.set(run.partition, run)
    }
    for (const partition of partitions) {
      const m = materialized.get(partition)
      const run = latestRun.get(partition)
      const newerFailure =
        run !== undefined &&
        (run.status === "failed" || run.status === "interrupted") &&
        (m === undefined || run.startedAt > m.materializedAt)
      const state: PartitionState =
        run?.status === "running" ? "running" : newerFailure ? "failed" : m !== undefined ? "materialized" : "missing"
      statuses.push({
        pipeline: pipeline.name,
        partition,
        state,
        rows: m?.rows,
        materializedAt: m?.materializedAt,
        lastRun: run === undefined ? undefined : { id: run.id, status: run.status, at: run.startedAt, error: run.error }
      })
    }
  }
  return statuses
})
