import { randomUUID } from "node:crypto"
import { Cause, Clock, Effect, Exit, Fiber, Stream } from "effect"
import type { LoadedTenant } from "../config/load.ts"
import type { PipelineConfig } from "../domain/TenantConfig.ts"
import { keepLeaseAlive, LEASE_TTL_MS } from "../runs/lease.ts"
import { unsuccessfulOutcome } from "../runs/outcome.ts"
import { type ObjectNotFound, ObjectStore, type ObjectStoreError } from "../services/ObjectStore.ts"
import { RunStore } from "../services/RunStore.ts"
import { type Row, type Source, SourceDb } from "../services/SourceDb.ts"
import { Warehouse } from "../services/Warehouse.ts"
import { type Manifest, readManifest, writePartition } from "./dataset.ts"
import { EtlError, SchemaChanged } from "./errors.ts"
import { assetKey, datasetRoot, LATEST } from "./layout.ts"
import { readParquetRows, rowGroupRanges } from "./parquet/read.ts"
import { dayConditions } from "./partitions.ts"
import { describeDiff, diffColumns, incompatibleChanges } from "./schema-change.ts"
import type { PipelineRunSummary } from "./summary.ts"
import { recordCounts } from "./summary.ts"

export type EtlJob = PipelineRunSummary["job"]

export const partitionLock = (tenant: string, pipeline: string, partition: string) =>
  `etl:${tenant}:${pipeline}:${partition}`

const sourceOf = (tenant: LoadedTenant, pipeline: PipelineConfig): Source =>
  pipeline.source.query !== undefined
    ? { _tag: "Query", sql: pipeline.source.query }
    : {
        _tag: "Table",
        schema: pipeline.source.schema ?? tenant.config.source.schema,
        table: pipeline.source.table ?? ""
      }

/** The columns of the most recent materialization of the pipeline (any partition), from its extract manifest. */
const previousColumns = Effect.fnUntraced(function* (tenant: string, pipeline: string) {
  const runStore = yield* RunStore
  const all = yield* runStore.listMaterializations({ tenant, pipeline })
  const latest = all.toSorted((a, b) => b.materializedAt.getTime() - a.materializedAt.getTime())[0]
  if (latest === undefined) return undefined
  const manifest = yield* readManifest(datasetRoot(tenant, pipeline, "extract"), latest.partition)
  return manifest?.columns
})

/** Extract: the partition's rows from the source, encoded to Parquet and committed under the pipeline's folder. */
const extract = Effect.fn("etl.extract")(function* (
  tenant: LoadedTenant,
  pipeline: PipelineConfig,
  partition: string,
  runId: string,
  summary: PipelineRunSummary
) {
  yield* Effect.annotateCurrentSpan({
    "tenant.id": tenant.id,
    "etl.pipeline": pipeline.name,
    "etl.partition": partition
  })
  const db = yield* SourceDb
  const source = sourceOf(tenant, pipeline)
  const columns = yield* db.columns(source)
  const previous = yield* previousColumns(tenant.id, pipeline.name)
  if (previous !== undefined) {
    const diff = diffColumns(previous, columns)
    summary.schemaChanges = describeDiff(diff)
    const incompatible = incompatibleChanges(diff)
    if (incompatible.length > 0) {
      return yield* new SchemaChanged({ tenant: tenant.id, pipeline: pipeline.name, changes: incompatible })
    }
  }
  let where: ReadonlyArray<ReturnType<typeof dayConditions>[number]> = []
  if (pipeline.date_column !== undefined) {
    const dateColumn = columns.find((c) => c.name === pipeline.date_column)
    if (dateColumn === undefined) {
      return yield* new EtlError({
        tenant: tenant.id,
        pipeline: pipeline.name,
        partition,
        stage: "extract",
        detail: `date_column ${pipeline.date_column} is not a column of the source (columns: ${columns.map((c) => c.name).join(", ")})`
      })
    }
    where = dayConditions(dateColumn, partition, tenant.config.timezone)
  }
  const manifest = yield* writePartition(
    datasetRoot(tenant.id, pipeline.name, "extract"),
    partition,
    runId,
    columns,
    db.stream({ source, where })
  )
  yield* Effect.annotateCurrentSpan({ "etl.rows": manifest.rows, "etl.bytes": manifest.bytes })
  return manifest
})

/** The rows of a committed dataset, one row group at a time: memory holds one file's bytes and one group's rows. */
const manifestRows = (
  where: { readonly tenant: string; readonly pipeline: string; readonly partition: string },
  manifest: Manifest
): Stream.Stream<Row, EtlError | ObjectNotFound | ObjectStoreError, ObjectStore> =>
  Stream.fromIterable(manifest.files).pipe(
    Stream.flatMap((file) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const bytes = yield* store.get(file.key)
          const unreadable = (cause: unknown) =>
            new EtlError({ ...where, stage: "transfer", detail: `cannot read ${file.key}: ${String(cause)}`, cause })
          const ranges = yield* Effect.try({ try: () => rowGroupRanges(bytes), catch: unreadable })
          return Stream.fromIterable(ranges).pipe(
            Stream.mapEffect((range) =>
              Effect.tryPromise({ try: () => readParquetRows(bytes, manifest.columns, range), catch: unreadable })
            ),
            Stream.flatMap((rows) => Stream.fromIterable(rows))
          )
        })
      )
    )
  )

/** Transfer: the tenant's transform over the extracted rows, written and committed like extract. */
const transfer = Effect.fn("etl.transfer")(function* (
  tenant: LoadedTenant,
  pipeline: PipelineConfig,
  partition: string,
  runId: string,
  input: Manifest
) {
  yield* Effect.annotateCurrentSpan({
    "tenant.id": tenant.id,
    "etl.pipeline": pipeline.name,
    "etl.partition": partition
  })
  const fn = tenant.transfers.get(pipeline.name)
  if (fn === undefined) return input
  const columns = fn.columns(input.columns)
  const rows = fn.rows(manifestRows({ tenant: tenant.id, pipeline: pipeline.name, partition }, input), {
    tenant: tenant.id,
    pipeline: pipeline.name,
    partition: partition === LATEST ? undefined : partition,
    timezone: tenant.config.timezone
  })
  const manifest = yield* writePartition(
    datasetRoot(tenant.id, pipeline.name, "transfer"),
    partition,
    runId,
    columns,
    rows
  )
  yield* Effect.annotateCurrentSpan({ "etl.rows": manifest.rows, "etl.bytes": manifest.bytes })
  return manifest
})

/** Load: the committed dataset into the warehouse table, replacing the partition; row counts must agree. */
const load = Effect.fn("etl.load")(function* (
  tenant: LoadedTenant,
  pipeline: PipelineConfig,
  partition: string,
  data: Manifest
) {
  yield* Effect.annotateCurrentSpan({
    "tenant.id": tenant.id,
    "etl.pipeline": pipeline.name,
    "etl.partition": partition
  })
  const warehouse = yield* Warehouse
  const schema = tenant.config.warehouse.type === "none" ? "main" : tenant.config.warehouse.schema
  const loaded = yield* warehouse.load({
    dataset: { schema, table: pipeline.table ?? pipeline.name },
    columns: data.columns,
    partition: partition === LATEST ? undefined : { column: "dt", value: partition },
    files: data.files.map((f) => f.key),
    expectedRows: data.rows
  })
  yield* Effect.annotateCurrentSpan({ "etl.rows": loaded.rows })
  return loaded
})

const stageSummary = (
  tenant: string,
  stage: "extract" | "transfer" | "load",
  pipeline: string,
  m: Manifest,
  ms: number
) => ({
  asset: assetKey(tenant, stage, pipeline),
  rows: m.rows,
  bytes: m.bytes,
  files: m.files.length,
  ms: Math.round(ms)
})

/**
 * One pipeline for one partition (a date, or `latest`): extract → transfer? → load?, locked, recorded with a run
 * record and, once every stage succeeded, a materialization. Never fails: the outcome is in the summary.
 */
export const runPipelinePartition = Effect.fn("etl.pipeline")(function* (
  tenant: LoadedTenant,
  pipeline: PipelineConfig,
  partition: string,
  job: EtlJob
) {
  const runStore = yield* RunStore
  const runId = `etl-${randomUUID()}`
  const started = yield* Clock.currentTimeMillis
  const summary: PipelineRunSummary = {
    runId,
    tenant: tenant.id,
    pipeline: pipeline.name,
    partition,
    job,
    status: "running",
    error: undefined,
    stages: {},
    schemaChanges: [],
    durationMs: 0
  }
  yield* Effect.annotateCurrentSpan({
    "tenant.id": tenant.id,
    "etl.pipeline": pipeline.name,
    "etl.partition": partition,
    "run.id": runId
  })
  const lock = partitionLock(tenant.id, pipeline.name, partition)
  // A partition is written by one run at a time, also across processes.
  if ((yield* runStore.acquireLock(lock, runId, LEASE_TTL_MS))._tag === "None") {
    summary.status = "skipped"
    summary.error = "another run of this partition is in progress"
    return summary
  }
  const heartbeat = yield* keepLeaseAlive(lock, runId)
  yield* runStore
    .startRun({ id: runId, tenant: tenant.id, job, pipeline: pipeline.name, partition })
    .pipe(Effect.onError(() => Fiber.interrupt(heartbeat)))

  const stages = Effect.gen(function* () {
    let t = performance.now()
    const extracted = yield* extract(tenant, pipeline, partition, runId, summary)
    summary.stages.extract = stageSummary(tenant.id, "extract", pipeline.name, extracted, performance.now() - t)
    let final = extracted
    if (pipeline.transfer !== false) {
      t = performance.now()
      final = yield* transfer(tenant, pipeline, partition, runId, extracted)
      summary.stages.transfer = stageSummary(tenant.id, "transfer", pipeline.name, final, performance.now() - t)
    }
    if (pipeline.load) {
      t = performance.now()
      const loaded = yield* load(tenant, pipeline, partition, final)
      summary.stages.load = {
        ...stageSummary(tenant.id, "load", pipeline.name, final, performance.now() - t),
        rows: loaded.rows
      }
    }
    yield* runStore.putMaterialization({
      tenant: tenant.id,
      pipeline: pipeline.name,
      partition,
      runId,
      rows: final.rows,
      bytes: final.bytes,
      schemaHash: final.schemaHash,
      objectKeys: final.files.map((f) => f.key),
      durationMs: Math.round((yield* Clock.currentTimeMillis) - started),
      materializedAt: new Date(yield* Clock.currentTimeMillis)
    })
    summary.status = "succeeded"
  })

  const finish = (exit: Exit.Exit<unknown, unknown>) =>
    Effect.gen(function* () {
      if (Exit.isFailure(exit)) {
        const outcome = unsuccessfulOutcome(exit.cause)
        summary.status = outcome.status
        summary.error = outcome.error
      }
      summary.durationMs = (yield* Clock.currentTimeMillis) - started
      yield* runStore.finishRun(runId, {
        status: summary.status === "running" ? "failed" : summary.status,
        counts: recordCounts(summary),
        error: summary.error,
        summary
      })
    }).pipe(
      Effect.catch((error) =>
        Effect.sync(() => {
          summary.status = "failed"
          summary.error = `could not record the run: ${error.message}`
        })
      ),
      Effect.ensuring(Fiber.interrupt(heartbeat).pipe(Effect.andThen(runStore.releaseLock(lock, runId)), Effect.ignore))
    )

  const exit = yield* stages.pipe(Effect.onExit(finish), Effect.exit)
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
  return summary
})
