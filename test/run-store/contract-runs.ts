import { assert, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { RunStore } from "../../src/services/RunStore.ts"
import { unique } from "./contract-support.ts"

const ids = (runs: ReadonlyArray<{ readonly id: string }>): Array<string> => runs.map((run) => run.id)

/** Watermarks and run records. */
export const runsContract = (it: Vitest.MethodsNonLive<RunStore>): void => {
  it.effect("watermarks round-trip and are replaced by the next commit", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const key = { tenant: unique("t"), store: "0001", source: "prices" }
      assert.isTrue(Option.isNone(yield* runStore.getWatermark(key)))

      const first = yield* runStore.setWatermark(key, { value: "2024-03-01T10:00:00.123456", key: "sku-9" })
      assert.strictEqual(first.value, "2024-03-01T10:00:00.123456")
      assert.strictEqual(first.key, "sku-9")
      assert.instanceOf(first.updatedAt, Date)
      const read = Option.getOrThrow(yield* runStore.getWatermark(key))
      assert.deepStrictEqual([read.value, read.key], ["2024-03-01T10:00:00.123456", "sku-9"])

      yield* runStore.setWatermark(key, { value: "2024-03-02T00:00:00", key: "sku-1" })
      const replaced = Option.getOrThrow(yield* runStore.getWatermark(key))
      assert.deepStrictEqual([replaced.value, replaced.key], ["2024-03-02T00:00:00", "sku-1"])
    })
  )

  it.effect("watermarks are kept per (tenant, store, source)", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const other = unique("t")
      yield* runStore.setWatermark({ tenant, store: "0001", source: "prices" }, { value: "a", key: "1" })
      yield* runStore.setWatermark({ tenant, store: "0002", source: "prices" }, { value: "b", key: "2" })
      yield* runStore.setWatermark({ tenant, store: "0001", source: "articles" }, { value: "c", key: "3" })
      yield* runStore.setWatermark({ tenant: other, store: "0001", source: "prices" }, { value: "d", key: "4" })

      const watermarkValue = (t: string, s: string, source: string) =>
        Effect.map(
          runStore.getWatermark({ tenant: t, store: s, source }),
          Option.map((w) => w.value)
        )
      assert.deepStrictEqual(yield* watermarkValue(tenant, "0001", "prices"), Option.some("a"))
      assert.deepStrictEqual(yield* watermarkValue(tenant, "0002", "prices"), Option.some("b"))
      assert.deepStrictEqual(yield* watermarkValue(tenant, "0001", "articles"), Option.some("c"))
      assert.deepStrictEqual(yield* watermarkValue(other, "0001", "prices"), Option.some("d"))
      assert.deepStrictEqual(yield* watermarkValue(other, "0002", "prices"), Option.none())
    })
  )

  it.effect("a started run is running until finished with its status, counts, error and summary", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const id = unique("run")
      const started = yield* runStore.startRun({ id, tenant, job: "esl_sync", store: "0001" })
      assert.deepStrictEqual(
        { ...started, startedAt: undefined },
        {
          id,
          tenant,
          job: "esl_sync",
          store: "0001",
          pipeline: null,
          partition: null,
          status: "running",
          startedAt: undefined,
          endedAt: null,
          counts: {},
          error: null,
          summary: null
        }
      )
      assert.deepStrictEqual(yield* runStore.getRun(id), started)

      const summary = { batches: [{ size: 500, accepted: true }], note: "partial", retried: null }
      const finished = yield* runStore.finishRun(id, {
        status: "failed",
        counts: { read: 1_000, sent: 500, rejected: 3 },
        error: "ESL API answered 503",
        summary
      })
      assert.strictEqual(finished.status, "failed")
      assert.deepStrictEqual(finished.counts, { read: 1_000, sent: 500, rejected: 3 })
      assert.strictEqual(finished.error, "ESL API answered 503")
      assert.deepStrictEqual(finished.summary, summary)
      assert.isNotNull(finished.endedAt)
      assert.isTrue((finished.endedAt?.getTime() ?? 0) >= started.startedAt.getTime())
      assert.deepStrictEqual(yield* runStore.getRun(id), finished)
    })
  )

  it.effect("finishing without counts keeps the counts; without error or summary stores null", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const id = unique("run")
      yield* runStore.startRun({ id, tenant: unique("t"), job: "daily_etl_job", pipeline: "sales" })
      yield* runStore.finishRun(id, { status: "failed", counts: { rows: 7 }, error: "boom", summary: { a: 1 } })
      const rerun = yield* runStore.finishRun(id, { status: "succeeded" })
      assert.deepStrictEqual([rerun.counts, rerun.error, rerun.summary], [{ rows: 7 }, null, null])
    })
  )

  it.effect("an unknown run id fails with RunNotFound", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const id = unique("missing")
      const onGet = yield* Effect.flip(runStore.getRun(id))
      assert.strictEqual(onGet._tag, "RunNotFound")
      assert.include(onGet.message, id)
      const onFinish = yield* Effect.flip(runStore.finishRun(id, { status: "succeeded" }))
      assert.deepStrictEqual([onFinish._tag, onFinish._tag === "RunNotFound" ? onFinish.id : ""], ["RunNotFound", id])
    })
  )

  it.effect("starting a run with an id already used fails and leaves the first run alone", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const id = unique("run")
      const tenant = unique("t")
      yield* runStore.startRun({ id, tenant, job: "esl_sync" })
      const error = yield* Effect.flip(runStore.startRun({ id, tenant: unique("t"), job: "esl_verify" }))
      assert.strictEqual(error._tag, "RunStoreError")
      assert.strictEqual(error.operation, "startRun")
      assert.include(error.detail, id)
      assert.strictEqual((yield* runStore.getRun(id)).tenant, tenant)
    })
  )

  it.effect("runs are listed newest first, filtered by tenant, job, store, pipeline and status", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const other = unique("t")
      const r1 = yield* runStore.startRun({ id: unique("r1"), tenant, job: "esl_sync", store: "0001" })
      const r2 = yield* runStore.startRun({ id: unique("r2"), tenant, job: "esl_sync", store: "0002" })
      const r3 = yield* runStore.startRun({
        id: unique("r3"),
        tenant,
        job: "daily_etl_job",
        pipeline: "sales",
        partition: "2024-03-01"
      })
      const elsewhere = yield* runStore.startRun({ id: unique("o1"), tenant: other, job: "esl_sync", store: "0001" })
      yield* runStore.finishRun(r2.id, { status: "failed", error: "timeout" })

      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant })), [r3.id, r2.id, r1.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, job: "esl_sync" })), [r2.id, r1.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, store: "0001" })), [r1.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, pipeline: "sales" })), [r3.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, status: "failed" })), [r2.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, status: "running" })), [r3.id, r1.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, limit: 2 })), [r3.id, r2.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant: other })), [elsewhere.id])
      assert.deepStrictEqual(ids(yield* runStore.listRuns({ tenant, job: "master_sync_job" })), [])
      // Without a tenant every tenant's runs are candidates; the newest comes first.
      assert.strictEqual((yield* runStore.listRuns({ limit: 1 }))[0]?.id, elsewhere.id)
    })
  )

  it.effect("listing runs returns at most 50 unless told otherwise", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const started = yield* Effect.forEach(
        Array.from({ length: 55 }, (_, i) => i),
        (i) => runStore.startRun({ id: `${tenant}-${i}`, tenant, job: "esl_verify" })
      )
      const listed = yield* runStore.listRuns({ tenant })
      assert.strictEqual(listed.length, 50)
      assert.strictEqual(listed[0]?.id, started[54]?.id)
      assert.strictEqual((yield* runStore.listRuns({ tenant, limit: 100 })).length, 55)
    })
  )
}
