import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { layerMemory } from "../../layers/run-store/memory.ts"
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
