import { Effect } from "effect"
import { type RunStore, RunStoreError } from "../../src/services/RunStore.ts"

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

/** The `RunStore` methods that keep ESL sync state, built apart from the rest in each Layer. */
export type EslState = Pick<
  (typeof RunStore)["Service"],
  | "hasArticleHashes"
  | "getArticleHashes"
  | "putArticleHashes"
  | "clearArticleHashes"
  | "requeue"
  | "requeued"
  | "dequeue"
  | "alertStates"
  | "putAlertState"
>

// JSON-encoded tuples, so keys cannot collide whatever characters the parts contain.
export const keyOf = (...parts: ReadonlyArray<string>): string => JSON.stringify(parts)

/** Orders text by code unit, as PostgreSQL's `COLLATE "C"` does (both agree but for characters beyond the BMP). */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
