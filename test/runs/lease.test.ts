import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { layerMemory } from "../../layers/run-store/memory.ts"
import { keepLeaseAlive } from "../../src/runs/lease.ts"
import { RunStore } from "../../src/services/RunStore.ts"

/** The memory RunStore, counting how often the lease is taken or renewed. */
const counted = (calls: { n: number }) =>
  Layer.effect(
    RunStore,
    Effect.map(RunStore, (store) =>
      RunStore.of({
        ...store,
        acquireLock: (name, owner, ttlMs) =>
          Effect.suspend(() => {
            calls.n += 1
            return store.acquireLock(name, owner, ttlMs)
          })
      })
    )
  ).pipe(Layer.provide(layerMemory))

describe("keepLeaseAlive", () => {
  it.effect("renews a held lease every third of its lifetime (not at once), and stops when interrupted", () => {
    const calls = { n: 0 }
    return Effect.gen(function* () {
      const runStore = yield* RunStore
      assert.isTrue(Option.isSome(yield* runStore.acquireLock("L", "A", 3_000)))
      const heartbeat = yield* keepLeaseAlive("L", "A", 3_000)
      yield* TestClock.adjust(500)
      assert.strictEqual(calls.n, 1, "the caller's own acquire only: no renewal right after taking the lease")

      // Past the first lifetime: renewed at 1 s, 2 s and 3 s, so another owner still cannot take it.
      yield* TestClock.adjust(3_000)
      assert.strictEqual(calls.n, 4)
      assert.isTrue(Option.isNone(yield* runStore.acquireLock("L", "B", 3_000)))

      // Interrupted: no more renewals; the lease runs out 3 s after the last one (at 3 s).
      yield* Fiber.interrupt(heartbeat)
      yield* TestClock.adjust(3_000)
      assert.isTrue(Option.isSome(yield* runStore.acquireLock("L", "B", 3_000)))
    }).pipe(Effect.provide(counted(calls)))
  })
})
