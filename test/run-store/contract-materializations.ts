import { assert, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Materialization } from "../../src/domain/Run.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { unique } from "./contract-support.ts"

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

/** Materializations: exact round trips, replacement, listing order and bounds. */
export const materializationsContract = (it: Vitest.MethodsNonLive<RunStore>): void => {
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
}
