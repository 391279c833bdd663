import { randomUUID } from "node:crypto"
import { assert, type Vitest } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { Materialization } from "../../src/domain/Run.ts"
import { RunStore } from "../../src/services/RunStore.ts"

export interface ContractOptions {
  /** Lets `ms` pass on the clock the store judges lock expiry by. */
  readonly elapse: (ms: number) => Effect.Effect<void>
}

// Tests share one store per block, so each works in its own tenant / lock names.
const unique = (prefix: string): string => `${prefix}-${randomUUID()}`

const ids = (runs: ReadonlyArray<{ readonly id: string }>): Array<string> => runs.map((run) => run.id)

const materialization = (overrides: Partial<Materialization> & Pick<Materialization, "tenant">): Materialization => ({
  pipeline: "sales",
  partition: "2024-03-01",
  runId: "run-1",
  rows: 1_200,
  // Beyond 32 bits, so an int8 column that comes back as bigint would show.
  bytes: 12_345_678_901,
  schemaHash: "sha256:abc",
  objectKeys: ["tenant/sales/dt=2024-03-01/part-0.parquet", "tenant/sales/dt=2024-03-01/part-1.parquet"],
  durationMs: 5_321,
  materializedAt: new Date("2024-03-02T04:05:06.789Z"),
  ...overrides
})

/** The behaviour every `RunStore` Layer must have. Registers one block of tests sharing `store`. */
export const runStoreContract = <E, R>(
  it: Vitest.MethodsNonLive<R>,
  store: Layer.Layer<RunStore, E, R>,
  options: ContractOptions
): void =>
  it.layer(store)("RunStore contract", (it) => {
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

    it.effect("a materialization round-trips exactly and is replaced by a re-run of its partition", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const tenant = unique("t")
        const first = materialization({ tenant })
        yield* runStore.putMaterialization(first)
        assert.deepStrictEqual(yield* runStore.getMaterialization(tenant, "sales", "2024-03-01"), Option.some(first))

        const rerun = materialization({
          tenant,
          runId: "run-2",
          rows: 1_300,
          bytes: 9_000_000_000,
          schemaHash: "sha256:def",
          objectKeys: ["tenant/sales/dt=2024-03-01/part-0-v2.parquet"],
          durationMs: 4_000,
          materializedAt: new Date("2024-03-03T00:00:00.001Z")
        })
        yield* runStore.putMaterialization(rerun)
        assert.deepStrictEqual(yield* runStore.getMaterialization(tenant, "sales", "2024-03-01"), Option.some(rerun))
        assert.strictEqual((yield* runStore.listMaterializations({ tenant })).length, 1)
        assert.isTrue(Option.isNone(yield* runStore.getMaterialization(tenant, "sales", "2024-03-02")))
        assert.isTrue(Option.isNone(yield* runStore.getMaterialization(unique("t"), "sales", "2024-03-01")))
      })
    )

    it.effect("materializations are listed by pipeline then partition, within inclusive bounds", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const tenant = unique("t")
        // Put out of order, so the listing's order is the store's doing.
        for (const [pipeline, partition] of [
          ["sales", "2024-03-03"],
          ["stock", "latest"],
          ["sales", "2024-03-01"],
          ["sales", "2024-02-29"],
          ["sales", "2024-03-02"]
        ] as const) {
          yield* runStore.putMaterialization(materialization({ tenant, pipeline, partition }))
        }
        yield* runStore.putMaterialization(materialization({ tenant: unique("t") }))
        const keys = (query: { pipeline?: string; from?: string; to?: string }) =>
          Effect.map(runStore.listMaterializations({ tenant, ...query }), (ms) =>
            ms.map((m) => `${m.pipeline}/${m.partition}`)
          )

        assert.deepStrictEqual(yield* keys({}), [
          "sales/2024-02-29",
          "sales/2024-03-01",
          "sales/2024-03-02",
          "sales/2024-03-03",
          "stock/latest"
        ])
        assert.deepStrictEqual(yield* keys({ pipeline: "stock" }), ["stock/latest"])
        assert.deepStrictEqual(yield* keys({ pipeline: "sales", from: "2024-03-01" }), [
          "sales/2024-03-01",
          "sales/2024-03-02",
          "sales/2024-03-03"
        ])
        assert.deepStrictEqual(yield* keys({ pipeline: "sales", to: "2024-03-01" }), [
          "sales/2024-02-29",
          "sales/2024-03-01"
        ])
        assert.deepStrictEqual(yield* keys({ pipeline: "sales", from: "2024-03-01", to: "2024-03-02" }), [
          "sales/2024-03-01",
          "sales/2024-03-02"
        ])
        assert.deepStrictEqual(yield* keys({ pipeline: "sales", from: "2024-04-01" }), [])
      })
    )

    it.effect("a free lock is taken; while held, another owner gets None", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const name = unique("lock")
        const lease = Option.getOrThrow(yield* runStore.acquireLock(name, "replica-a", 60_000))
        assert.deepStrictEqual([lease.name, lease.owner], [name, "replica-a"])
        assert.instanceOf(lease.expiresAt, Date)
        assert.isTrue(Option.isNone(yield* runStore.acquireLock(name, "replica-b", 60_000)))
        // Locks are independent by name.
        assert.isTrue(Option.isSome(yield* runStore.acquireLock(unique("lock"), "replica-b", 60_000)))
      })
    )

    it.effect("the owner re-acquiring extends its lease past the original expiry", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const name = unique("lock")
        const first = Option.getOrThrow(yield* runStore.acquireLock(name, "replica-a", 200))
        yield* options.elapse(100)
        const renewed = Option.getOrThrow(yield* runStore.acquireLock(name, "replica-a", 1_000))
        assert.strictEqual(renewed.owner, "replica-a")
        assert.isTrue(renewed.expiresAt.getTime() > first.expiresAt.getTime())
        yield* options.elapse(200)
        assert.isTrue(Option.isNone(yield* runStore.acquireLock(name, "replica-b", 1_000)))
      })
    )

    it.effect("an expired lock is taken over by another owner", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const name = unique("lock")
        yield* runStore.acquireLock(name, "replica-a", 100)
        yield* options.elapse(300)
        const taken = Option.getOrThrow(yield* runStore.acquireLock(name, "replica-b", 60_000))
        assert.strictEqual(taken.owner, "replica-b")
        assert.isTrue(Option.isNone(yield* runStore.acquireLock(name, "replica-a", 60_000)))
      })
    )

    it.effect("only the owner can release a lock", () =>
      Effect.gen(function* () {
        const runStore = yield* RunStore
        const name = unique("lock")
        yield* runStore.acquireLock(name, "replica-a", 60_000)
        yield* runStore.releaseLock(name, "replica-b")
        assert.isTrue(Option.isNone(yield* runStore.acquireLock(name, "replica-b", 60_000)))
        yield* runStore.releaseLock(name, "replica-a")
        assert.isTrue(Option.isSome(yield* runStore.acquireLock(name, "replica-b", 60_000)))
        // Releasing a lock nobody holds is harmless.
        yield* runStore.releaseLock(unique("lock"), "replica-a")
      })
    )
  })
