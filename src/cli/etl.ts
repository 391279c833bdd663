import { Console, Effect, type Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { ConfigInvalid } from "../config/errors.ts"
import { type LoadedTenant, loadTenantById } from "../config/load.ts"
import { addDays, isDate } from "../etl/partitions.ts"
import { partitionStatuses } from "../etl/status.ts"
import type { PipelineRunSummary } from "../etl/summary.ts"
import type { ObjectStore } from "../services/ObjectStore.ts"
import type { RunStore } from "../services/RunStore.ts"
import type { SourceDb } from "../services/SourceDb.ts"
import type { Warehouse } from "../services/Warehouse.ts"
import { formatTable } from "./runs.ts"
import { CliEnv, ExitCode, jsonFlag, root } from "./shared.ts"

/** The services an ETL run needs for one tenant, built from its config. */
export type EtlTenantLayer = (tenant: LoadedTenant) => Layer.Layer<SourceDb | ObjectStore | Warehouse, unknown>

const tenantFlag = Flag.String("tenant").pipe(Flag.withDescription("Tenant id (see storeflow tenants list)"))
const pipelineFlag = Flag.String("pipeline").pipe(Flag.withDescription("Only this pipeline"), Flag.optional)
const dateFlag = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.filterMap(
      (text) => (isDate(text) ? Option.some(text) : Option.none()),
      (text) => `--${name} must be a date YYYY-MM-DD, got "${text}"`
    )
  )

// The pipeline code (Parquet writer and reader, transfer, load) loads when an ETL command runs, not with the CLI.
const loadJobs = Effect.promise(() => import("../etl/jobs.ts"))
const loadBackfill = Effect.promise(() => import("../etl/backfill.ts"))

const loadTenant = Effect.fnUntraced(function* (id: string) {
  const { tenantsDir } = yield* root
  const env = yield* CliEnv
  const tenant = yield* loadTenantById(tenantsDir, id, env.vars)
  if (tenant.config.pipelines.length === 0) {
    return yield* new ConfigInvalid({
      tenant: id,
      file: tenant.file,
      issues: [{ path: "pipelines", message: "this tenant has no ETL pipelines" }]
    })
  }
  return tenant
})

const ms = (n: number) => (n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`)

export const formatPipelineRun = (s: PipelineRunSummary): string => {
  const stages = (["extract", "transfer", "load"] as const)
    .flatMap((stage) => {
      const st = s.stages[stage]
      return st === undefined
        ? []
        : [`${stage} ${st.rows} rows${stage === "load" ? "" : ` ${st.files} files ${st.bytes} B`} ${ms(st.ms)}`]
    })
    .join(", ")
  const lines = [
    `${s.pipeline} [${s.partition}]  ${s.status.padEnd(9)}  ${stages}  (${ms(s.durationMs)}, run ${s.runId})`
  ]
  if (s.schemaChanges.length > 0) lines.push(`  schema: ${s.schemaChanges.join("; ")}`)
  if (s.error !== undefined) lines.push(`  error: ${s.error}`)
  return lines.join("\n")
}

const progressBar = (done: number, total: number, failed: number): string => {
  const width = 30
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} partitions${failed > 0 ? `, ${failed} failed` : ""}`
}

export const etlCommand = (tenantLayer: EtlTenantLayer, runStore: Layer.Layer<RunStore, unknown>) => {
  const run = Command.make(
    "run",
    {
      tenant: tenantFlag,
      job: Flag.Literals("job", ["daily_etl_job", "master_sync_job"]).pipe(Flag.withDescription("Which job to run")),
      date: dateFlag("date", "Partition date for daily_etl_job (default: yesterday in the tenant's time zone)").pipe(
        Flag.optional
      ),
      pipeline: pipelineFlag,
      json: jsonFlag
    },
    ({ tenant, job, date, pipeline, json }) =>
      Effect.gen(function* () {
        const loaded = yield* loadTenant(tenant)
        const { runJob } = yield* loadJobs
        const result = yield* runJob(loaded, job, {
          date: Option.getOrUndefined(date),
          pipeline: Option.getOrUndefined(pipeline)
        }).pipe(Effect.provide(tenantLayer(loaded)), Effect.provide(runStore))
        if (json) yield* Console.log(JSON.stringify(result, null, 2))
        else {
          yield* Console.log(`${result.tenant} ${result.job} [${result.partition}]: ${result.status}`)
          for (const p of result.pipelines) yield* Console.log(formatPipelineRun(p))
        }
        if (result.status !== "succeeded") return yield* new ExitCode({ code: 1 })
      })
  ).pipe(Command.withDescription("Run daily_etl_job or master_sync_job once: extract → transfer → load per pipeline"))

  const backfillCommand = Command.make(
    "backfill",
    {
      tenant: tenantFlag,
      from: dateFlag("from", "First date (YYYY-MM-DD)"),
      to: dateFlag("to", "Last date, included (YYYY-MM-DD)"),
      pipeline: pipelineFlag,
      concurrency: Flag.Int("concurrency").pipe(Flag.withDescription("Partitions at once"), Flag.withDefault(2)),
      force: Flag.Boolean("force").pipe(
        Flag.withDescription("Re-run materialized partitions too"),
        Flag.withDefault(false)
      ),
      json: jsonFlag
    },
    ({ tenant, from, to, pipeline, concurrency, force, json }) =>
      Effect.gen(function* () {
        if (from > to) {
          yield* Console.error(`--from ${from} is after --to ${to}`)
          return yield* new ExitCode({ code: 2 })
        }
        const loaded = yield* loadTenant(tenant)
        const { backfill } = yield* loadBackfill
        let failed = 0
        const tty = process.stderr.isTTY === true
        const result = yield* backfill(loaded, {
          from,
          to,
          pipeline: Option.getOrUndefined(pipeline),
          concurrency: Math.max(1, concurrency),
          force,
          onProgress: (done, total, last) => {
            if (last.status !== "succeeded") failed += 1
            const bar = progressBar(done, total, failed)
            return tty
              ? Effect.sync(() => process.stderr.write(`\r${bar}${done === total ? "\n" : ""}`))
              : Console.error(`${bar}  ${last.pipeline} ${last.partition} ${last.status}`)
          }
        }).pipe(Effect.provide(tenantLayer(loaded)), Effect.provide(runStore))
        if (json) yield* Console.log(JSON.stringify(result, null, 2))
        else {
          const rows = result.runs.map((r) => [
            r.pipeline,
            r.partition,
            r.status,
            String(r.stages.extract?.rows ?? ""),
            ms(r.durationMs),
            r.error ?? ""
          ])
          if (rows.length > 0)
            yield* Console.log(formatTable(["pipeline", "partition", "status", "rows", "took", "error"], rows))
          const ok = result.runs.filter((r) => r.status === "succeeded").length
          yield* Console.log(
            `${result.planned} partitions run: ${ok} succeeded, ${result.planned - ok} failed; ${result.skipped} already materialized${force ? "" : " (use --force to re-run them)"}`
          )
        }
        if (result.runs.some((r) => r.status !== "succeeded")) return yield* new ExitCode({ code: 1 })
      })
  ).pipe(Command.withDescription("Materialize the missing or failed daily partitions of a date range (resumable)"))

  const status = Command.make(
    "status",
    {
      tenant: tenantFlag,
      pipeline: pipelineFlag,
      from: dateFlag("from", "First date (default: 14 days before --to)").pipe(Flag.optional),
      to: dateFlag("to", "Last date (default: yesterday in the tenant's time zone)").pipe(Flag.optional),
      json: jsonFlag
    },
    ({ tenant, pipeline, from, to, json }) =>
      Effect.gen(function* () {
        const loaded = yield* loadTenant(tenant)
        const { yesterday } = yield* loadJobs
        const last = Option.getOrUndefined(to) ?? (yield* yesterday(loaded.config.timezone))
        const first = Option.getOrUndefined(from) ?? addDays(last, -13)
        const statuses = yield* partitionStatuses(loaded, {
          pipeline: Option.getOrUndefined(pipeline),
          from: first,
          to: last
        }).pipe(Effect.provide(runStore))
        if (json) return yield* Console.log(JSON.stringify(statuses, null, 2))
        const rows = statuses.map((s) => [
          s.pipeline,
          s.partition,
          s.state,
          s.rows === undefined ? "" : String(s.rows),
          s.materializedAt?.toISOString().replace("T", " ").slice(0, 19) ?? "",
          s.state === "failed" ? (s.lastRun?.error ?? "") : ""
        ])
        yield* Console.log(formatTable(["pipeline", "partition", "state", "rows", "materialized (UTC)", "error"], rows))
      })
  ).pipe(Command.withDescription("Per-partition state (materialized / failed / missing) of a tenant's pipelines"))

  return Command.make("etl").pipe(
    Command.withDescription("Lakehouse ETL: extract tables to Parquet, transfer, load into the warehouse"),
    Command.withSubcommands([run, backfillCommand, status])
  )
}
