import type { PipelineConfig } from "../domain/TenantConfig.ts"

/** The partition of non-partitioned (master) data. */
export const LATEST = "latest"

export const MANIFEST = "_manifest.json"

export type StageName = "extract" | "transfer" | "load"

/** Asset names as Dagster users know them: `<tenant>/<stage>/<pipeline>`. */
export const assetKey = (tenant: string, stage: StageName, pipeline: string): string => `${tenant}/${stage}/${pipeline}`

/** The stages a pipeline runs, in order. */
export const stagesOf = (pipeline: PipelineConfig): ReadonlyArray<StageName> => [
  "extract",
  ...(pipeline.transfer === false ? [] : (["transfer"] as const)),
  ...(pipeline.load ? (["load"] as const) : [])
]

/**
 * Where a stage's Parquet goes, relative to the tenant's object store root (which already includes its prefix):
 * extract output at `<tenant>/<pipeline>/`, transfer output at `<tenant>/<pipeline>/_transfer/` (a leading `_`
 * keeps Hive-style readers of the extract folder from mistaking it for data).
 */
export const datasetRoot = (tenant: string, pipeline: string, stage: "extract" | "transfer"): string =>
  stage === "extract" ? `${tenant}/${pipeline}` : `${tenant}/${pipeline}/_transfer`

/** `dt=YYYY-MM-DD` for a daily partition, `latest` for master data. */
export const partitionFolder = (partition: string): string => (partition === LATEST ? LATEST : `dt=${partition}`)

export const partitionPrefix = (root: string, partition: string): string => `${root}/${partitionFolder(partition)}/`

export const partFile = (root: string, partition: string, runId: string, index: number): string =>
  `${partitionPrefix(root, partition)}part-${runId}-${String(index).padStart(5, "0")}.parquet`

export const manifestKey = (root: string, partition: string): string => `${partitionPrefix(root, partition)}${MANIFEST}`
