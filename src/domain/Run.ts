import { Schema } from "effect"

/** What a run ended as. `skipped`: nothing to do (no change), recorded without touching any API. */
export const RunStatus = Schema.Literals(["running", "succeeded", "failed", "skipped", "interrupted"])
export type RunStatus = typeof RunStatus.Type

export const JobName = Schema.Literals(["esl_sync", "esl_verify", "daily_etl_job", "master_sync_job"])
export type JobName = typeof JobName.Type

/** Figures a run reports in its record: rows read, sent, accepted, rejected, bytes, … */
export const RunCounts = Schema.Record(Schema.String, Schema.Number)
export type RunCounts = typeof RunCounts.Type

export const RunRecord = Schema.Struct({
  id: Schema.String,
  tenant: Schema.String,
  job: JobName,
  store: Schema.NullOr(Schema.String),
  pipeline: Schema.NullOr(Schema.String),
  partition: Schema.NullOr(Schema.String),
  status: RunStatus,
  startedAt: Schema.Date,
  endedAt: Schema.NullOr(Schema.Date),
  counts: RunCounts,
  error: Schema.NullOr(Schema.String),
  summary: Schema.Unknown
})
export type RunRecord = typeof RunRecord.Type

/** A change-detection high-water mark: the last (change value, key) whose row is fully handled. */
export interface Watermark {
  readonly value: string
  readonly key: string
  readonly updatedAt: Date
}

export interface WatermarkKey {
  readonly tenant: string
  readonly store: string
  readonly source: string
}

/** One committed partition (or `latest` for non-partitioned data) of an ETL pipeline stage. */
export interface Materialization {
  readonly tenant: string
  readonly pipeline: string
  readonly partition: string
  readonly runId: string
  readonly rows: number
  readonly bytes: number
  readonly schemaHash: string
  readonly objectKeys: ReadonlyArray<string>
  readonly durationMs: number
  readonly materializedAt: Date
}
