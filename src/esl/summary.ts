import type { RunStatus } from "../domain/Run.ts"
import type { Quarantined } from "./articles.ts"

/** How many invalid rows and rejected articles a run record lists by name; the counts are always complete. */
export const LISTED_MAX = 100

export const STAGES = [
  "detect_changes",
  "get_token",
  "extract",
  "validate",
  "transform",
  "send",
  "commit",
  "record",
  "notify"
] as const
export type Stage = (typeof STAGES)[number]

export interface Rejection {
  readonly articleId: string
  readonly errorText: string
}

/** The structured summary every ESL run records, whatever its outcome. */
export interface EslRunSummary {
  readonly runId: string
  readonly tenant: string
  readonly store: string
  readonly company: string
  readonly full: boolean
  status: RunStatus
  error: string | undefined
  readonly counts: {
    extracted: number
    invalid: number
    unchanged: number
    sent: number
    accepted: number
    rejected: number
    retries: number
    tokenFetches: number
    nullChange: number
    requeued: number
    chunks: number
  }
  readonly invalid: Array<Quarantined>
  readonly rejected: Array<Rejection>
  latencyMs: { calls: number; p50: number; p95: number; max: number }
  readonly stageMs: Record<Stage, number>
  readonly watermark: { before: { value: string; key: string } | null; after: { value: string; key: string } | null }
  /** Upper bound on change values this pass read (open transactions / safety lag), when one applied. */
  changeBound: string | null
  durationMs: number
}

export const emptySummary = (
  runId: string,
  tenant: string,
  store: string,
  company: string,
  full: boolean
): EslRunSummary => ({
  runId,
  tenant,
  store,
  company,
  full,
  status: "running",
  error: undefined,
  counts: {
    extracted: 0,
    invalid: 0,
    unchanged: 0,
    sent: 0,
    accepted: 0,
    rejected: 0,
    retries: 0,
    tokenFetches: 0,
    nullChange: 0,
    requeued: 0,
    chunks: 0
  },
  invalid: [],
  rejected: [],
  latencyMs: { calls: 0, p50: 0, p95: 0, max: 0 },
  stageMs: Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>,
  watermark: { before: null, after: null },
  changeBound: null,
  durationMs: 0
})

/** Nearest-rank percentile of sorted samples. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? 0
}

export const latencyStats = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    calls: sorted.length,
    p50: Math.round(percentile(sorted, 50)),
    p95: Math.round(percentile(sorted, 95)),
    max: Math.round(sorted.at(-1) ?? 0)
  }
}

/** The counts a run record stores as columns-worth figures (the summary keeps the rest). */
export const recordCounts = (summary: EslRunSummary): Record<string, number> => ({ ...summary.counts })
