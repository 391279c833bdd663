import { Clock, Effect, Layer } from "effect"
import { layerMemory } from "../layers/run-store/memory.ts"
import type { RunRecord } from "../src/domain/Run.ts"
import {
  type FinishRun,
  RunNotFound,
  type RunQuery,
  RunStore,
  RunStoreError,
  type StartRun
} from "../src/services/RunStore.ts"

/** How many run records stay in the process: the newest ones, for `/status`-like reads. */
export const KEPT_RUNS = 10

/**
 * `layers/run-store/memory.ts` keeping only its newest `KEPT_RUNS` run records. The memory RunStore keeps every run
 * for the life of the Layer, as a database does; in production that history is in PostgreSQL, not in the daemon's
 * process, so a benchmark of the daemon's memory must not count it. Leases, watermarks and ESL state are the memory
 * RunStore's own. Finished runs are still serialized to JSON, as the PostgreSQL RunStore does for its jsonb columns.
 */
export const layerRecentRuns: Layer.Layer<RunStore> = Layer.effect(
  RunStore,
  Effect.gen(function* () {
    const store = yield* RunStore
    const runs = new Map<string, RunRecord>()
    const keep = (record: RunRecord) => {
      runs.delete(record.id)
      runs.set(record.id, record)
      if (runs.size > KEPT_RUNS) runs.delete(runs.keys().next().value as string)
    }
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
        startedAt: new Date(yield* Clock.currentTimeMillis),
        endedAt: null,
        counts: {},
        error: null,
        summary: null
      }
      keep(record)
      return record
    })
    const finishRun = Effect.fn("RunStore.finishRun")(function* (id: string, result: FinishRun) {
      const existing = runs.get(id)
      if (existing === undefined) return yield* new RunNotFound({ id })
      const record: RunRecord = {
        ...existing,
        status: result.status,
        endedAt: new Date(yield* Clock.currentTimeMillis),
        counts: result.counts ?? existing.counts,
        error: result.error ?? null,
        summary: JSON.parse(JSON.stringify(result.summary ?? null))
      }
      keep(record)
      return record
    })
    const getRun = Effect.fn("RunStore.getRun")(function* (id: string) {
      const record = runs.get(id)
      if (record === undefined) return yield* new RunNotFound({ id })
      return record
    })
    // Newest first, unfiltered: the daemon asks only for one run, to answer /readyz.
    const listRuns = Effect.fn("RunStore.listRuns")(function* (query: RunQuery) {
      return [...runs.values()].reverse().slice(0, query.limit ?? 50)
    })
    return RunStore.of({ ...store, startRun, finishRun, getRun, listRuns })
  })
).pipe(Layer.provide(layerMemory))
