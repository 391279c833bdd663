/**
 * The measured storeflow process of the ETL benchmark (run by bench/etl.ts through `runWorker`):
 * - `extract`: one `etl run --job master_sync_job --tenant <id> --json` through the CLI's own entry, as
 *   `storeflow etl run` runs it (PostgreSQL SourceDb and RunStore, the S3 ObjectStore);
 * - `stream`: the PostgreSQL SourceDb's rows read and dropped: the driver and the canonical conversion alone;
 * - `encode`: rows read into memory first (untimed), then encoded with `makeParquetEncoder` as the extract does.
 */
import { Effect, Redacted, Stream } from "effect"
import { layerPostgres as layerSourceDb } from "../layers/source-db/postgres.ts"
import { defaultWriteOptions } from "../src/etl/dataset.ts"
import { makeParquetEncoder } from "../src/etl/parquet/index.ts"
import type { PipelineRunSummary } from "../src/etl/summary.ts"
import { type Row, SourceDb } from "../src/services/SourceDb.ts"
import { cliPass } from "./cli-pass.ts"
import { serveJob } from "./worker.ts"

export interface ExtractJob {
  readonly mode: "extract"
  readonly tenantsDir: string
  readonly tenant: string
  readonly env: Record<string, string>
  readonly stateUrl: string
}
export interface StreamJob {
  readonly mode: "stream"
  readonly sourceUrl: string
  readonly table: string
}
export interface EncodeJob {
  readonly mode: "encode"
  readonly sourceUrl: string
  readonly table: string
  /** Times the rows in memory are encoded, each into a new file. */
  readonly passes: number
}
export type EtlJob = ExtractJob | StreamJob | EncodeJob

export interface ExtractResult {
  readonly wallMs: number
  readonly code: number
  readonly pipeline: Pick<PipelineRunSummary, "status" | "error" | "stages" | "durationMs"> | undefined
  readonly stderrTail: string
}
export interface StreamResult {
  readonly wallMs: number
  readonly rows: number
}
export interface EncodeResult {
  readonly readMs: number
  readonly rows: number
  /** Chunks the driver handed out, fed to the encoder one `write` each. */
  readonly chunks: number
  readonly passes: ReadonlyArray<{ readonly ms: number; readonly bytes: number }>
}

const extract = (job: ExtractJob) =>
  Effect.gen(function* () {
    const { wallMs, code, stdout, stderr } = yield* cliPass(
      ["--tenants-dir", job.tenantsDir, "etl", "run", "--job", "master_sync_job", "--tenant", job.tenant, "--json"],
      job.env,
      job.stateUrl
    )
    let pipeline: ExtractResult["pipeline"]
    try {
      const [first] = JSON.parse(stdout).pipelines as ReadonlyArray<PipelineRunSummary>
      pipeline =
        first === undefined
          ? undefined
          : { status: first.status, error: first.error, stages: first.stages, durationMs: first.durationMs }
    } catch {
      pipeline = undefined
    }
    return { wallMs, code, pipeline, stderrTail: stderr.slice(-10).join("\n") } satisfies ExtractResult
  })

const sourceLayer = (url: string) =>
  layerSourceDb({
    tenant: "bench",
    source: { url: Redacted.make(url), port: 5432, sslmode: "disable", schema: "public", max_connections: 2 }
  })

const stream = (job: StreamJob) =>
  Effect.gen(function* () {
    const db = yield* SourceDb
    const start = performance.now()
    let rows = 0
    yield* db.stream({ source: { _tag: "Table", table: job.table } }).pipe(
      Stream.runForEachArray((chunk) =>
        Effect.sync(() => {
          rows += chunk.length
        })
      )
    )
    return { wallMs: performance.now() - start, rows } satisfies StreamResult
  }).pipe(Effect.provide(sourceLayer(job.sourceUrl)))

const encode = (job: EncodeJob) =>
  Effect.gen(function* () {
    const db = yield* SourceDb
    const source = { _tag: "Table", table: job.table } as const
    const columns = yield* db.columns(source)
    const readStart = performance.now()
    // The chunks as the driver hands them out: the batches writePartition feeds the encoder.
    const chunks: Array<ReadonlyArray<Row>> = []
    yield* db.stream({ source }).pipe(Stream.runForEachArray((chunk) => Effect.sync(() => void chunks.push(chunk))))
    const readMs = performance.now() - readStart
    const passes: Array<EncodeResult["passes"][number]> = []
    for (let pass = 0; pass < job.passes; pass++) {
      const start = performance.now()
      const encoder = makeParquetEncoder(columns, { rowGroupRows: defaultWriteOptions.rowGroupRows })
      let bytes = 0
      for (const chunk of chunks) bytes += encoder.write(chunk).length
      bytes += encoder.finish().length
      passes.push({ ms: performance.now() - start, bytes })
    }
    const rows = chunks.reduce((n, chunk) => n + chunk.length, 0)
    return { readMs, rows, chunks: chunks.length, passes } satisfies EncodeResult
  }).pipe(Effect.provide(sourceLayer(job.sourceUrl)))

serveJob((job: EtlJob) => {
  const program: Effect.Effect<unknown, unknown> =
    job.mode === "extract" ? extract(job) : job.mode === "stream" ? stream(job) : encode(job)
  return Effect.runPromise(program)
})
