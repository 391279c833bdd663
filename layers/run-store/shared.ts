import { Effect } from "effect"
import { RunStoreError } from "../../src/services/RunStore.ts"

/** `RunQuery.limit` when the caller gives none. */
export const defaultRunLimit = 50

export const runLimit = (limit: number | undefined): number => Math.max(0, Math.floor(limit ?? defaultRunLimit))

/**
 * Serializes a caller-supplied value the way a jsonb column stores it, so both Layers accept and return the same
 * values (`undefined` becomes `null`; a value JSON cannot hold, such as a bigint or a cycle, is refused).
 */
export const toJsonText = (operation: string, field: string, value: unknown): Effect.Effect<string, RunStoreError> =>
  Effect.try({
    try: () => JSON.stringify(value ?? null),
    catch: (cause) =>
      new RunStoreError({
        operation,
        detail: `${field} is not JSON-serializable: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })
