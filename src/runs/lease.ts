import { Duration, Effect } from "effect"
import { RunStore } from "../services/RunStore.ts"

/**
 * Leases on run locks are short and renewed while the run lives: a process that crashes (or is killed) holds its
 * lock only until the lease runs out, not for as long as the longest run could take.
 */
export const LEASE_TTL_MS = 2 * 60_000

/**
 * Renews a held lease every third of its lifetime until interrupted; a failed renewal is retried on the next beat.
 * The first renewal is a third of the lifetime away: the caller has just taken the lease.
 */
export const keepLeaseAlive = (name: string, owner: string, ttlMs: number = LEASE_TTL_MS) =>
  Effect.gen(function* () {
    const runStore = yield* RunStore
    const beat = Duration.millis(Math.max(1, Math.floor(ttlMs / 3)))
    return yield* Effect.forkDetach(
      Effect.sleep(beat).pipe(
        Effect.andThen(runStore.acquireLock(name, owner, ttlMs).pipe(Effect.ignore)),
        Effect.forever
      )
    )
  })
