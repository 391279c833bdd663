/**
 * ETL extract benchmark: a 2,000,000-row retail item table extracted (`etl run --job master_sync_job`, extract only)
 * to Parquet on an S3-compatible server, against the ceiling of a bare `COPY (SELECT …) TO STDOUT` of the same columns
 * in the same run; the SourceDb read alone and the bare encoder as the parts; peak RSS at 500,000 and 2,000,000 rows.
 * Each measured part runs in a fresh child process; s3rver runs in a process of its own.
 */
import { Effect, Redacted, Result } from "effect"
import { buildSelect, tableColumnsSql } from "../layers/source-db/postgres-sql.ts"
import { type CatalogRow, catalogColumns } from "../layers/source-db/postgres-types.ts"
import {
  BUCKET,
  createSmallTable,
  createTable,
  insertRows,
  SMALL_TABLE,
  SMALL_YOUNG_GENERATION,
  TABLE,
  tenantYaml
} from "./etl-data.ts"
import { psqlCopy, s3Process } from "./etl-processes.ts"
import { type EtlFigures, etlSection } from "./etl-section.ts"
import type { EncodeResult, ExtractJob, ExtractResult, StreamResult } from "./etl-worker.ts"
import type { BenchModule } from "./module.ts"
import { benchDatabase, execute, query } from "./postgres.ts"
import { runWorker } from "./processes.ts"
import { load as loadAverage } from "./report.ts"
import { scratchTenants, timed } from "./tenants.ts"
import type { Memory } from "./worker.ts"

export const ROWS = 2_000_000
export const SMALL_ROWS = 500_000
const ROUNDS = 3
/** The in-memory rows (the small table) are encoded this many times: as many rows as the big extract. */
const ENCODE_PASSES = ROWS / SMALL_ROWS

const TENANTS = { big: "etl_big", small: "etl_small" } as const

/** One tenant per table. */
const tenantsFolder = scratchTenants("storeflow-bench-etl-", [
  [TENANTS.big, tenantYaml(TENANTS.big, TABLE)],
  [TENANTS.small, tenantYaml(TENANTS.small, SMALL_TABLE)]
])

/** The very SELECT the PostgreSQL SourceDb sends for the whole table (canonical conversions included). */
const sourceSelect = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const catalog = yield* query<CatalogRow>(url, tableColumnsSql, ["public", TABLE])
    const columns = catalogColumns(catalog)
    const built = buildSelect({ _tag: "Table", schema: "public", table: TABLE }, columns, {
      source: { _tag: "Table", table: TABLE }
    })
    if (Result.isFailure(built)) return yield* Effect.die(new Error(built.failure.detail))
    return built.success.sql
  })

export const etlBenchmark: BenchModule = {
  id: "etl",
  title: "ETL extract",
  run: (context) =>
    Effect.gen(function* () {
      const { log } = context
      const date = new Date()
      const loadStart = loadAverage()
      const url = yield* benchDatabase(context.server, "etl")
      const tenantsDir = yield* tenantsFolder

      log(`loading ${ROWS.toLocaleString("en-US")} rows`)
      const load = yield* timed(execute(url, [createTable, insertRows(ROWS)]))
      yield* execute(url, [...createSmallTable(SMALL_ROWS), `VACUUM ANALYZE ${TABLE}`, `VACUUM ANALYZE ${SMALL_TABLE}`])
      const [size] = yield* query<{ bytes: string }>(url, "SELECT pg_total_relation_size($1)::text AS bytes", [TABLE])
      const select = yield* sourceSelect(url)

      const extract = (tenant: string, flags = "") =>
        Effect.scoped(
          Effect.gen(function* () {
            const s3 = yield* s3Process(BUCKET)
            const job: ExtractJob = {
              mode: "extract",
              tenantsDir,
              tenant,
              env: { BENCH_SOURCE_DB_URL: Redacted.value(url), BENCH_S3_ENDPOINT: s3.endpoint },
              stateUrl: Redacted.value(url)
            }
            const cpuBefore = s3.cpuMs()
            const load = loadAverage()
            const result = yield* runWorker<ExtractResult & { memory: Memory }>(
              "etl-worker.ts",
              job,
              flags === "" ? [] : [flags]
            )
            return { result, s3CpuMs: s3.cpuMs() - cpuBefore, load }
          })
        )

      // The first run also creates storeflow's state tables in the fresh database.
      log(`extract of ${SMALL_ROWS.toLocaleString("en-US")} rows (peak RSS at the smaller size)`)
      const small = yield* extract(TENANTS.small)

      // Other work on a shared machine takes cores at random: the measurements alternate, each keeps its best.
      const rounds: Array<EtlFigures["rounds"][number]> = []
      for (let round = 1; round <= ROUNDS; round++) {
        log(`round ${round}/${ROUNDS}: COPY … TO STDOUT through psql`)
        const copyLoad = loadAverage()
        const copy = yield* psqlCopy(Redacted.value(url), select)
        log(`round ${round}/${ROUNDS}: the SourceDb's rows read and dropped`)
        const stream = yield* runWorker<StreamResult & { memory: Memory }>("etl-worker.ts", {
          mode: "stream",
          sourceUrl: Redacted.value(url),
          table: TABLE
        })
        log(`round ${round}/${ROUNDS}: etl run --job master_sync_job (extract to S3)`)
        const big = yield* extract(TENANTS.big)
        rounds.push({ copy: { ...copy, load: copyLoad }, stream, extract: big })
      }

      // V8 grows its young generation over the first seconds of sustained allocation: a short run ends before it is
      // full grown. With the young generation capped, both sizes compare the memory storeflow itself holds.
      log(`both extracts once more, with ${SMALL_YOUNG_GENERATION}`)
      const capped = {
        small: yield* extract(TENANTS.small, SMALL_YOUNG_GENERATION),
        big: yield* extract(TENANTS.big, SMALL_YOUNG_GENERATION)
      }

      log(`encoding ${SMALL_ROWS.toLocaleString("en-US")} rows held in memory, ${ENCODE_PASSES} times`)
      const encode = yield* runWorker<EncodeResult & { memory: Memory }>("etl-worker.ts", {
        mode: "encode",
        sourceUrl: Redacted.value(url),
        table: SMALL_TABLE,
        passes: ENCODE_PASSES
      })

      const figures: EtlFigures = {
        date,
        loads: { start: loadStart, end: loadAverage() },
        command: context.command,
        server: context.server,
        rows: ROWS,
        smallRows: SMALL_ROWS,
        tableBytes: Number(size?.bytes ?? Number.NaN),
        loadMs: load.ms,
        select,
        rounds,
        small,
        capped,
        encode
      }
      return etlSection(figures)
    })
}
