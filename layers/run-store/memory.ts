import { Clock, Effect, Layer, Option } from "effect"
import type { Materialization, RunRecord, Watermark, WatermarkKey } from "../../src/domain/Run.ts"
import {
  type FinishRun,
  type Lease,
  type MaterializationQuery,
  RunNotFound,
  type RunQuery,
  RunStore,
  RunStoreError,
  type StartRun
} from "../../src/services/RunStore.ts"
import { makeEslStateMemory } from "./memory-esl.ts"
import { compareText, keyOf, runLimit, toJsonText } from "./shared.ts"

/** Round-trips a value through JSON, as a jsonb column would. */
const asJson = (operation: string, field: string, value: unknown) =>
  Effect.map(toJsonText(operation, field, value), (text): unknown => JSON.parse(text))

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

export interface MemoryOptions {
  /**
   * Keep at most this many finished run records (the oldest go first; a running one is never dropped). Unbounded when
   * omitted, as a database is: a long-lived process that only needs recent runs (a benchmark of the daemon's memory)
   * bounds it.
   */
  readonly keepRuns?: number | undefined
}

/**
 * `RunStore` in process memory, with the same behaviour as the PostgreSQL Layer. Times come from the Effect `Clock`,
 * so tests move lock expiry forward with `TestClock`. State lives as long as the Layer.
 */
export const layerMemoryWith = (options: MemoryOptions = {}): Layer.Layer<RunStore> =>
  Layer.effect(
    RunStore,
    Effect.sync(() => makeMemory(options))
  )

export const layerMemory: Layer.Layer<RunStore> = layerMemoryWith()

const makeMemory = (options: MemoryOptions) => {
  const watermarks = new Map<string, Watermark>()
  // Insertion order breaks ties between runs started at the same instant, like the Postgres `seq` column.
  const runs = new Map<string, RunRecord>()
  const keepRuns = options.keepRuns ?? Number.POSITIVE_INFINITY
  const dropFinishedBeyondKeep = () => {
    for (const [id, run] of runs) {
      if (runs.size <= keepRuns) return
      if (run.status !== "running") runs.delete(id)
    }
  }
  const materializations = new Map<string, Materialization>()
  const locks = new Map<string, Lease>()
  // Leases nobody releases (the daemon's per-tick leases) would pile up forever: expired ones are dropped whenever
  // the map has doubled since the last sweep, which keeps the cost per acquisition constant.
  let sweepAt = 1024
  const sweepExpired = (millis: number) => {
    if (locks.size < sweepAt) return
    for (const [name, lease] of locks) if (lease.expiresAt.getTime() <= millis) locks.delete(name)
    sweepAt = Math.max(1024, locks.size * 2)
  }

  const getWatermark = Effect.fn("RunStore.getWatermark")(function* (key: WatermarkKey) {
    return Option.fromNullishOr(watermarks.get(keyOf(key.tenant, key.store, key.source)))
  })

  const setWatermark = Effect.fn("RunStore.setWatermark")(function* (
    key: WatermarkKey,
    value: { readonly value: string; readonly key: string }
  ) {
    const watermark: Watermark = { value: value.value, key: value.key, updatedAt: yield* now }
    watermarks.set(keyOf(key.tenant, key.store, key.source), watermark)
    return watermark
  })

  const startRun = Effect.fn("RunStore.startRun")(function* (run: StartRun) {
    if (runs.has(run.id)) {
      return yield* new RunStoreError({ operation: "startRun", detail: `a run with id ${run.id} already exists` })
    }
    const record: RunRecord = {
      id: run.id,
      tenant: run.tenant,
      job: run.job,
      store: run.store ?? null,
      pipeline: run.pipeline ?? null,
      partition: run.partition ?? null,
      status: "running",
      startedAt: yield* now,
      endedAt: null,
      counts: {},
      error: null,
      summary: null
    }
    runs.set(record.id, record)
    dropFinishedBeyondKeep()
    return record
  })

  const finishRun = Effect.fn("RunStore.finishRun")(function* (id: string, result: FinishRun) {
    const existing = runs.get(id)
    if (existing === undefined) return yield* new RunNotFound({ id })
    const counts =
      result.counts === undefined
        ? existing.counts
        : ((yield* asJson("finishRun", "counts", result.counts)) as RunRecord["counts"])
    const record: RunRecord = {
      ...existing,
      status: result.status,
      endedAt: yield* now,
      counts,
      error: result.error ?? null,
      summary: yield* asJson("finishRun", "summary", result.summary)
    }
    runs.set(id, record)
    dropFinishedBeyondKeep()
    return record
  })

  const getRun = Effect.fn("RunStore.getRun")(function* (id: string) {
    const record = runs.get(id)
    if (record === undefined) return yield* new RunNotFound({ id })
    return record
  })

  const listRuns = Effect.fn("RunStore.listRuns")(function* (query: RunQuery) {
    return Array.from(runs.values())
      .filter(
        (run) =>
          (query.tenant === undefined || run.tenant === query.tenant) &&
          (query.job === undefined || run.job === query.job) &&
          (query.store === undefined || run.store === query.store) &&
          (query.pipeline === undefined || run.pipeline === query.pipeline) &&
          (query.status === undefined || run.status === query.status)
      )
      .reverse()
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
      .slice(0, runLimit(query.limit))
  })

  const putMaterialization = Effect.fn("RunStore.putMaterialization")(function* (m: Materialization) {
    materializations.set(keyOf(m.tenant, m.pipeline, m.partition), { ...m, objectKeys: [...m.objectKeys] })
  })

  const getMaterialization = Effect.fn("RunStore.getMaterialization")(function* (
    tenant: string,
    pipeline: string,
    partition: string
  ) {
    return Option.fromNullishOr(materializations.get(keyOf(tenant, pipeline, partition)))
  })

  const listMaterializations = Effect.fn("RunStore.listMaterializations")(function* (query: MaterializationQuery) {
    return Array.from(materializations.values())
      .filter(
        (m) =>
          m.tenant === query.tenant &&
          (query.pipeline === undefined || m.pipeline === query.pipeline) &&
          (query.from === undefined || m.partition >= query.from) &&
          (query.to === undefined || m.partition <= query.to)
      )
      .sort((a, b) => compareText(a.pipeline, b.pipeline) || compareText(a.partition, b.partition))
  })

  const acquireLock = Effect.fn("RunStore.acquireLock")(function* (name: string, owner: string, ttlMs: number) {
    const millis = yield* Clock.currentTimeMillis
    const held = locks.get(name)
    if (held !== undefined && held.owner !== owner && held.expiresAt.getTime() > millis) return Option.none()
    const lease: Lease = { name, owner, expiresAt: new Date(millis + ttlMs) }
    sweepExpired(millis)
    locks.set(name, lease)
    return Option.some(lease)
  })

  const releaseLock = Effect.fn("RunStore.releaseLock")(function* (name: string, owner: string) {
    if (locks.get(name)?.owner === owner) locks.delete(name)
  })

  return RunStore.of({
    getWatermark,
    setWatermark,
    startRun,
    finishRun,
    getRun,
    listRuns,
    putMaterialization,
    getMaterialization,
    listMaterializations,
    acquireLock,
    releaseLock,
    ...makeEslStateMemory()
  })
}
