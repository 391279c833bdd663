/**
 * The measured storeflow process of the ESL benchmark (run by bench/esl.ts through `runWorker`):
 * - `sync`: one `esl sync --tenant <id> --json` through the in-process CLI, as `storeflow esl sync` runs it;
 * - `idle`: passes that find nothing to do, each store on its own, with Layers built once (as the daemon keeps
 *   them), then one whole-tenant CLI pass, then EXPLAIN of the detect query built for the first store.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Context, Effect, Layer, Redacted, Result } from "effect"
import { layerPostgres as layerRunStore } from "../layers/run-store/postgres.ts"
import { buildExists, tableColumnsSql } from "../layers/source-db/postgres-sql.ts"
import { type CatalogRow, catalogColumns } from "../layers/source-db/postgres-types.ts"
import { eslTenantLayer } from "../layers/tenant.ts"
import { loadTenantById } from "../src/config/load.ts"
import { planChanges } from "../src/esl/extract.ts"
import { eslSource, storeSpecs } from "../src/esl/stores.ts"
import type { EslRunSummary } from "../src/esl/summary.ts"
import { syncStore, watermarkSource } from "../src/esl/sync.ts"
import { RunStore } from "../src/services/RunStore.ts"
import { cliPass } from "./cli-pass.ts"
import { query } from "./postgres.ts"
import { serveJob } from "./worker.ts"

interface Common {
  readonly tenantsDir: string
  readonly tenant: string
  readonly env: Record<string, string>
  readonly stateUrl: string
}
export interface SyncJob extends Common {
  readonly mode: "sync"
}
export interface IdleJob extends Common {
  readonly mode: "idle"
  readonly rounds: number
}

export type StoreOutcome = Pick<EslRunSummary, "store" | "status" | "error" | "counts" | "durationMs" | "stageMs">

export interface CliPass {
  readonly wallMs: number
  readonly code: number
  readonly stores: ReadonlyArray<StoreOutcome>
  readonly stderrTail: string
}

export interface PlanNode {
  readonly type: string
  readonly index: string | undefined
  readonly cond: string | undefined
}

export interface IdleResult {
  readonly passes: ReadonlyArray<{
    readonly store: string
    readonly ms: number
    readonly status: string
    readonly detectMs: number
  }>
  readonly cli: CliPass
  readonly explain: {
    readonly sql: string
    readonly nodes: ReadonlyArray<PlanNode>
    readonly executionMs: number
  }
}

/** `esl sync` through the CLI's own entry, its stdout captured; timed from the call to the exit code. */
const eslSyncPass = (job: Common, ...args: ReadonlyArray<string>) =>
  Effect.map(
    cliPass(
      ["--tenants-dir", job.tenantsDir, "esl", "sync", "--tenant", job.tenant, "--json", ...args],
      job.env,
      job.stateUrl
    ),
    ({ wallMs, code, stdout, stderr }) => {
      let summaries: ReadonlyArray<EslRunSummary> = []
      try {
        summaries = JSON.parse(stdout).stores
      } catch {
        summaries = []
      }
      return {
        wallMs,
        code,
        stores: summaries.map(({ store, status, error, counts, durationMs, stageMs }) => ({
          store,
          status,
          error,
          counts,
          durationMs,
          stageMs
        })),
        stderrTail: stderr.slice(-10).join("\n")
      } satisfies CliPass
    }
  )

const planNodes = (plan: Record<string, unknown>): Array<PlanNode> => {
  const index = plan["Index Cond"]
  const filter = plan.Filter
  const cond = [index === undefined ? "" : `index: ${index}`, filter === undefined ? "" : `filter: ${filter}`]
    .filter((part) => part !== "")
    .join("; ")
  const own: PlanNode = {
    type: String(plan["Node Type"]),
    index: typeof plan["Index Name"] === "string" ? plan["Index Name"] : undefined,
    cond: cond === "" ? undefined : cond
  }
  const children = Array.isArray(plan.Plans) ? (plan.Plans as Array<Record<string, unknown>>) : []
  return [own, ...children.flatMap(planNodes)]
}

const idle = (job: IdleJob) =>
  Effect.gen(function* () {
    const loaded = yield* loadTenantById(job.tenantsDir, job.tenant, job.env).pipe(Effect.provide(NodeServices.layer))
    const tenant = loaded.config
    const esl = tenant.esl
    if (esl === undefined) return yield* Effect.die(new Error(`tenant ${tenant.id} has no esl section`))
    const source = eslSource(esl, tenant.source.schema)
    if (source._tag !== "Table") return yield* Effect.die(new Error("the idle benchmark reads a table"))
    const sourceName = watermarkSource(source)
    const sourceUrl = Redacted.make(job.env.BENCH_SOURCE_DB_URL ?? "")
    const context = yield* Layer.build(
      Layer.mergeAll(eslTenantLayer(tenant), layerRunStore({ url: Redacted.make(job.stateUrl) }))
    )
    const specs = storeSpecs(esl)

    // Nothing left to do: every store's watermark at its last row, as after a full delivery.
    const last = yield* query<{ store: string; value: string; key: string }>(
      sourceUrl,
      `SELECT DISTINCT ON (store_code) store_code AS store,
         to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS value, item_code AS key
       FROM ${source.table} WHERE updated_at IS NOT NULL
       ORDER BY store_code, updated_at DESC, item_code COLLATE "C" DESC`
    )
    const runStore = Context.get(context, RunStore)
    for (const row of last) {
      yield* runStore.setWatermark(
        { tenant: tenant.id, store: row.store, source: sourceName },
        { value: row.value, key: row.key }
      )
    }

    const passes: Array<IdleResult["passes"][number]> = []
    for (let round = 0; round < job.rounds; round++) {
      for (const spec of specs) {
        const start = performance.now()
        const { summary } = yield* Effect.provide(syncStore(tenant, spec), context)
        passes.push({
          store: spec.code,
          ms: performance.now() - start,
          status: summary.status,
          detectMs: summary.stageMs.detect_changes
        })
      }
    }
    const cli = yield* eslSyncPass(job)

    const [first] = specs
    if (first === undefined) return yield* Effect.die(new Error("no store"))
    const plan = yield* Effect.provide(
      planChanges(tenant.id, tenant.timezone, esl, source, first, sourceName, false),
      context
    )
    const schema = source.schema ?? tenant.source.schema
    const catalog = yield* query<CatalogRow>(sourceUrl, tableColumnsSql, [schema, source.table])
    const columns = catalogColumns(catalog)
    const built = buildExists({ _tag: "Table", schema, table: source.table }, columns, { source, where: plan.changed })
    if (Result.isFailure(built)) return yield* Effect.die(new Error(built.failure.detail))
    const statement = built.success
    const [explained] = yield* query<{ "QUERY PLAN": unknown }>(
      sourceUrl,
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`,
      statement.params
    )
    const document = explained?.["QUERY PLAN"]
    const parsed = (typeof document === "string" ? JSON.parse(document) : document) as Array<{
      Plan: Record<string, unknown>
      "Execution Time": number
    }>
    const root = parsed[0]
    return {
      passes,
      cli,
      explain: {
        sql: statement.sql,
        nodes: root === undefined ? [] : planNodes(root.Plan),
        executionMs: root?.["Execution Time"] ?? Number.NaN
      }
    } satisfies IdleResult
  }).pipe(Effect.scoped)

serveJob(
  (job: SyncJob | IdleJob): Promise<CliPass | IdleResult> =>
    job.mode === "sync" ? Effect.runPromise(eslSyncPass(job)) : Effect.runPromise(idle(job))
)
