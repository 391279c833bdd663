import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { layerMemory, layerMemoryWith } from "../../layers/run-store/memory.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { runStoreContract } from "./contract.ts"

describe("RunStore in memory", () => {
  runStoreContract(it, layerMemory, { elapse: (ms) => TestClock.adjust(ms) })

  it.effect("a lease runs out exactly at its expiry on the Effect clock", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const lease = Option.getOrThrow(yield* runStore.acquireLock("etl", "replica-a", 1_000))
      assert.strictEqual(lease.expiresAt.getTime(), 1_000)
      yield* TestClock.adjust(999)
      assert.isTrue(Option.isNone(yield* runStore.acquireLock("etl", "replica-b", 1_000)))
      yield* TestClock.adjust(1)
      assert.isTrue(Option.isSome(yield* runStore.acquireLock("etl", "replica-b", 1_000)))
    }).pipe(Effect.provide(layerMemory))
  )

  it.effect("dropping expired leases as they pile up keeps every live one and frees every expired one", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      yield* runStore.acquireLock("long", "replica-a", 60_000)
      for (let i = 0; i < 3_000; i++) yield* runStore.acquireLock(`tick:${i}`, "replica-a", 100)
      yield* TestClock.adjust(200)
      // Enough new leases to set off sweeps while the first 3,000 have expired.
      for (let i = 3_000; i < 6_000; i++) yield* runStore.acquireLock(`tick:${i}`, "replica-a", 60_000)
      assert.isTrue(Option.isNone(yield* runStore.acquireLock("long", "replica-b", 1_000)))
      assert.isTrue(Option.isNone(yield* runStore.acquireLock("tick:5999", "replica-b", 1_000)))
      assert.isTrue(Option.isSome(yield* runStore.acquireLock("tick:0", "replica-b", 1_000)))
      yield* runStore.releaseLock("tick:1", "replica-a")
      assert.isTrue(Option.isSome(yield* runStore.acquireLock("tick:1", "replica-b", 1_000)))
    }).pipe(Effect.provide(layerMemory))
  )

  it.effect("with keepRuns, only the newest finished runs are kept, and a running one is never dropped", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const start = (id: string) => runStore.startRun({ id, tenant: "t", job: "esl_sync", store: "S1" })
      yield* start("r1")
      yield* start("r2")
      yield* start("r3")
      // Three running runs stay, whatever the bound.
      assert.deepStrictEqual((yield* runStore.listRuns({})).map((r) => r.id).sort(), ["r1", "r2", "r3"])
      yield* runStore.finishRun("r1", { status: "succeeded" })
      assert.strictEqual((yield* Effect.flip(runStore.getRun("r1")))._tag, "RunNotFound")
      yield* runStore.finishRun("r2", { status: "succeeded" })
      yield* start("r4")
      assert.deepStrictEqual((yield* runStore.listRuns({})).map((r) => r.id).sort(), ["r3", "r4"])
      assert.strictEqual((yield* runStore.finishRun("r3", { status: "failed", error: "boom" })).status, "failed")
    }).pipe(Effect.provide(layerMemoryWith({ keepRuns: 2 })))
  )

  it.effect("each Layer build starts empty", () =>
    Effect.gen(function* () {
      yield* RunStore.use((store) =>
        store.setWatermark({ tenant: "t", store: "s", source: "x" }, { value: "v", key: "k" })
      ).pipe(Effect.provide(layerMemory))
      const after = yield* RunStore.use((store) => store.getWatermark({ tenant: "t", store: "s", source: "x" })).pipe(
        Effect.provide(layerMemory)
      )
      assert.isTrue(Option.isNone(after))
    })
  )
})
