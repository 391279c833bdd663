import { Duration, Effect, Schedule } from "effect"
import { RunStore } from "../services/RunStore.ts"

/**
 * Leases on run locks are short and renewed while the run lives: a process that crashes (or is killed) holds its
 * lock only until the lease runs out, not for as long as the longest run could take.
 */
export const LEASE_TTL_MS = 2 * 60_000

/** Renews a held lease every third of its lifetime until interrupted; a failed renewal is retried on the next beat. */
export const keepLeaseAlive = (name: string, owner: string, ttlMs: number = LEASE_TTL_MS) =>
  Effect.gen(function* () {
    const runStore = yield* RunStore
    return yield* Effect.forkDetach(
      runStore
        .acquireLock(name, owner, ttlMs)
        .pipe(Effect.ignore, Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(ttlMs / 3))))))
    )
  })
