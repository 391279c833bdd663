import type { ConfigIssue } from "../config/errors.ts"
import type { ScheduledJob } from "./jobs.ts"

/**
 * The last finished run of a job, as `/status` shows it. Its summary is kept serialized: one compact string per job
 * rather than a graph of objects that every run replaces (ten thousand stores' summaries would otherwise pile up in
 * V8's old generation between collections).
 */
export interface LastRun {
  readonly runId: string | undefined
  readonly status: string
  readonly startedAt: number
  readonly durationMs: number
  readonly error: string | undefined
  readonly summaryJson: string
}

const lastRunJson = (run: LastRun) => ({
  runId: run.runId ?? null,
  status: run.status,
  startedAt: new Date(run.startedAt).toISOString(),
  durationMs: run.durationMs,
  error: run.error ?? null,
  summary: JSON.parse(run.summaryJson) as unknown
})

export interface JobStatus {
  readonly job: ScheduledJob
  nextRunAt: number | undefined
  running: boolean
  skippedTicks: number
  lastRun: LastRun | undefined
}

export interface TenantStatus {
  readonly id: string
  name: string
  /** `disabled`: its config is invalid; the other tenants run. */
  status: "enabled" | "disabled"
  errors: ReadonlyArray<ConfigIssue & { readonly file: string }>
  /** Problems of a reload that was refused: the previous config keeps running. */
  reloadErrors: ReadonlyArray<ConfigIssue & { readonly file: string }>
}

/** What the daemon is doing, for `/status`; mutated only by the daemon's own fibers. */
export class DaemonState {
  readonly startedAt = new Date().toISOString()
  readonly tenants = new Map<string, TenantStatus>()
  readonly jobs = new Map<string, JobStatus>()
  lastReload: { readonly at: string; readonly outcome: string } | undefined
  readonly daemonId: string

  constructor(daemonId: string) {
    this.daemonId = daemonId
  }

  toJSON() {
    const jobs = [...this.jobs.values()]
    return {
      daemonId: this.daemonId,
      startedAt: this.startedAt,
      lastReload: this.lastReload ?? null,
      tenants: [...this.tenants.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((t) => ({
          id: t.id,
          name: t.name,
          status: t.status,
          errors: t.errors,
          reloadErrors: t.reloadErrors,
          jobs: jobs
            .filter((j) => j.job.tenant === t.id)
            .map((j) => ({
              key: j.job.key,
              kind: j.job._tag === "EslSync" ? "esl_sync" : j.job.job,
              store: j.job._tag === "EslSync" ? j.job.store.code : null,
              schedule: j.job._tag === "EslSync" ? `every ${j.job.intervalMs} ms` : `${j.job.cron} ${j.job.timeZone}`,
              nextRunAt: j.nextRunAt === undefined ? null : new Date(j.nextRunAt).toISOString(),
              running: j.running,
              skippedTicks: j.skippedTicks,
              lastRun: j.lastRun === undefined ? null : lastRunJson(j.lastRun)
            }))
        }))
    }
  }
}
