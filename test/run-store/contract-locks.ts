import { assert, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { RunStore } from "../../src/services/RunStore.ts"
import type { ContractOptions } from "./contract.ts"
import { unique } from "./contract-support.ts"

/** Leases on named locks. */
export const locksContract = (it: Vitest.MethodsNonLive<RunStore>, options: ContractOptions): void => {
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
}
