/**
 * ESL sync benchmark: 100,000 changed rows delivered by one `esl sync` pass against the ceiling of a bare fetch loop,
 * no-change passes over a 1,000,000-row table, and the peak RSS of the storeflow process. Each measured part runs in a
 * fresh child process; the simulator runs in a process of its own, as the vendor's API would.
 */
import { Effect, Redacted } from "effect"
import type { CeilingJob, CeilingResult } from "./esl-ceiling.ts"
import {
  COMPANY,
  changeIndex,
  createTable,
  insertRows,
  plainIndex,
  STORE_COUNT,
  STORES,
  tenantYaml
} from "./esl-data.ts"
import { type EslFigures, eslSection } from "./esl-section.ts"
import type { CliPass, IdleJob, IdleResult, SyncJob } from "./esl-worker.ts"
import type { BenchModule } from "./module.ts"
import { imageNodeFlags } from "./node-flags.ts"
import { benchDatabase, execute, query } from "./postgres.ts"
import { runWorker, simulatorProcess } from "./processes.ts"
import { load as loadAverage } from "./report.ts"
import { scratchTenants, timed } from "./tenants.ts"
import type { Memory } from "./worker.ts"

export const ROWS_PER_STORE = 10_000
export const BIG_ROWS_PER_STORE = 100_000
/** The tenant defaults the sync runs with (src/domain/TenantConfig.ts), matched by the ceiling loop. */
export const DEFAULTS = { batchSize: 500, perStore: 4, storeConcurrency: 8 } as const
const IDLE_ROUNDS = { plain: 2, indexed: 5 } as const
const DELIVERY_ROUNDS = 5
const RESET_STATE = "TRUNCATE storeflow_article_hashes, storeflow_watermarks, storeflow_requeue, storeflow_alert_states"

const companies = `${COMPANY}:${STORES.join(",")}`

/** The delivery tenant and the no-change tenant. */
const tenantsFolder = scratchTenants("storeflow-bench-", [
  ["bench", tenantYaml("bench", "esl_items")],
  ["bench_big", tenantYaml("bench_big", "esl_items_big")]
])

export const eslBenchmark: BenchModule = {
  id: "esl",
  title: "ESL sync",
  run: (context) =>
    Effect.gen(function* () {
      const { log } = context
      const date = new Date()
      const loadStart = loadAverage()
      const url = yield* benchDatabase(context.server, "esl")
      const dbName = new URL(Redacted.value(url)).pathname.slice(1)
      yield* execute(url, [`ALTER DATABASE "${dbName}" SET timezone = 'Asia/Seoul'`])
      const [collation] = yield* query<{ collation: string }>(
        url,
        "SELECT datcollate AS collation FROM pg_database WHERE datname = current_database()"
      )
      const tenantsDir = yield* tenantsFolder
      // storeflow runs with the container image's Node flags, as deployed; the ceiling loop with Node's defaults.
      const flags = imageNodeFlags()
      const env = (simUrl: string) => ({
        BENCH_SOURCE_DB_URL: Redacted.value(url),
        BENCH_ESL_URL: simUrl,
        BENCH_ESL_USERNAME: "demo",
        BENCH_ESL_PASSWORD: "demo"
      })
      const common = (simUrl: string, tenant: string) => ({
        tenantsDir,
        tenant,
        env: env(simUrl),
        stateUrl: Redacted.value(url)
      })

      log(`loading ${(ROWS_PER_STORE * STORE_COUNT).toLocaleString("en-US")} rows`)
      const load = yield* timed(
        execute(url, [
          createTable("esl_items"),
          insertRows("esl_items", ROWS_PER_STORE),
          changeIndex("esl_items"),
          "ANALYZE esl_items"
        ])
      )

      // One delivery pass of every store from empty state: no hash, watermark or alert state from a pass before (the
      // first pass creates the state tables).
      let delivered = false
      const deliver = (nodeFlags: ReadonlyArray<string>) =>
        Effect.scoped(
          Effect.gen(function* () {
            if (delivered) yield* execute(url, [RESET_STATE])
            delivered = true
            const sim = yield* simulatorProcess(companies)
            const job: SyncJob = { mode: "sync", ...common(sim.url, "bench") }
            const cpuBefore = sim.cpuMs()
            const pass = yield* runWorker<CliPass & { memory: Memory }>("esl-worker.ts", job, nodeFlags)
            const stats = yield* Effect.promise(() => sim.stats())
            return { pass, stats, simulatorCpuMs: sim.cpuMs() - cpuBefore }
          })
        )

      // Other work on a shared machine takes cores at random: delivery and ceiling alternate, and each keeps its best.
      const endToEnd: Array<EslFigures["endToEnd"][number]> = []
      const ceiling: Array<EslFigures["ceiling"][number]> = []
      for (let round = 1; round <= DELIVERY_ROUNDS; round++) {
        log(`round ${round}/${DELIVERY_ROUNDS}: one esl sync pass of every store`)
        endToEnd.push(yield* deliver(flags))
        log(`round ${round}/${DELIVERY_ROUNDS}: the same articles in a plain fetch loop`)
        ceiling.push(
          yield* Effect.scoped(
            Effect.gen(function* () {
              const sim = yield* simulatorProcess(companies)
              const job: CeilingJob = { ...common(sim.url, "bench"), ...DEFAULTS }
              const cpuBefore = sim.cpuMs()
              const result = yield* runWorker<CeilingResult & { memory: Memory }>("esl-ceiling.ts", job)
              const stats = yield* Effect.promise(() => sim.stats())
              return { result, stats, simulatorCpuMs: sim.cpuMs() - cpuBefore }
            })
          )
        )
      }

      log("one more delivery pass, with Node's default flags, for comparison")
      const defaults = yield* deliver([])

      log(`loading ${(BIG_ROWS_PER_STORE * STORE_COUNT).toLocaleString("en-US")} rows for the no-change passes`)
      const bigLoad = yield* timed(
        execute(url, [
          createTable("esl_items_big"),
          insertRows("esl_items_big", BIG_ROWS_PER_STORE),
          plainIndex("esl_items_big"),
          "ANALYZE esl_items_big"
        ])
      )
      const idle = (rounds: number) =>
        Effect.scoped(
          Effect.gen(function* () {
            const sim = yield* simulatorProcess(companies)
            const job: IdleJob = { mode: "idle", rounds, ...common(sim.url, "bench_big") }
            return yield* runWorker<IdleResult & { memory: Memory }>("esl-worker.ts", job, flags)
          })
        )
      log("no-change passes with only a default-collation index")
      const plain = yield* idle(IDLE_ROUNDS.plain)
      log("no-change passes with the recommended index")
      const indexBuild = yield* timed(execute(url, [changeIndex("esl_items_big"), "ANALYZE esl_items_big"]))
      const indexed = yield* idle(IDLE_ROUNDS.indexed)

      const figures: EslFigures = {
        date,
        loads: { start: loadStart, end: loadAverage() },
        collation: collation?.collation ?? "unknown",
        command: context.command,
        server: context.server,
        loadMs: load.ms,
        bigLoadMs: bigLoad.ms,
        indexBuildMs: indexBuild.ms,
        rows: ROWS_PER_STORE * STORE_COUNT,
        bigRows: BIG_ROWS_PER_STORE * STORE_COUNT,
        flags,
        endToEnd,
        defaults,
        ceiling,
        plain,
        indexed
      }
      return eslSection(figures)
    })
}
