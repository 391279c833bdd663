import type { RunStatus } from "../domain/Run.ts"
import type { StageName } from "./layout.ts"

export interface StageSummary {
  /** Dagster-style asset key: `<tenant>/<stage>/<pipeline>`. */
  readonly asset: string
  readonly rows: number
  readonly bytes: number
  readonly files: number
  readonly ms: number
}

/** The structured summary every ETL pipeline run records. */
export interface PipelineRunSummary {
  readonly runId: string
  readonly tenant: string
  readonly pipeline: string
  readonly partition: string
  readonly job: "daily_etl_job" | "master_sync_job"
  status: RunStatus
  error: string | undefined
  readonly stages: Partial<Record<StageName, StageSummary>>
  schemaChanges: ReadonlyArray<string>
  durationMs: number
}

export const recordCounts = (summary: PipelineRunSummary): Record<string, number> => {
  const last = summary.stages.load ?? summary.stages.transfer ?? summary.stages.extract
  return {
    rows: summary.stages.extract?.rows ?? 0,
    bytes: (summary.stages.extract?.bytes ?? 0) + (summary.stages.transfer?.bytes ?? 0),
    files: (summary.stages.extract?.files ?? 0) + (summary.stages.transfer?.files ?? 0),
    ...(last === undefined ? {} : { output_rows: last.rows })
  }
}
