import { Effect, Predicate } from "effect"
import { isValidKey, ObjectStoreError } from "../../src/services/ObjectStore.ts"

type Operation = ObjectStoreError["operation"]

/** Fails with a non-retryable `ObjectStoreError` naming the key when it is not a valid object key. */
export const validateKey = (operation: Operation, key: string): Effect.Effect<void, ObjectStoreError> =>
  isValidKey(key)
    ? Effect.void
    : Effect.fail(
        new ObjectStoreError({
          operation,
          key,
          retryable: false,
          detail: `invalid key ${JSON.stringify(key)}: keys are 1-1024 characters, not starting with "/", without empty, "." or ".." segments`
        })
      )

const encoder = new TextEncoder()

/** S3 lists keys in UTF-8 byte order, which differs from JS string order for characters outside the BMP. */
export const compareKeys = (a: string, b: string): number => {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  const length = Math.min(x.length, y.length)
  for (let i = 0; i < length; i++) {
    const d = (x[i] as number) - (y[i] as number)
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * Checks a `getRange` request and clamps it to the object's size, like an HTTP Range on S3: `end` past the end of the
 * object is cut to its size, and a range starting at or past the end is empty (S3 would answer 416; an empty range
 * is the useful answer for a caller reading "whatever is there").
 */
export const clampRange = (
  key: string,
  start: number,
  end: number,
  size: number
): Effect.Effect<readonly [number, number], ObjectStoreError> =>
  Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start
    ? Effect.succeed([Math.min(start, size), Math.min(end, size)] as const)
    : Effect.fail(
        new ObjectStoreError({
          operation: "get",
          key,
          retryable: false,
          detail: `invalid range [${start}, ${end}): start and end must be integers with 0 <= start <= end`
        })
      )

/** A failing body stream fails the put; its own `retryable` flag (e.g. a `SourceDbError`'s) decides the retry. */
export const bodyFailed = (key: string, cause: unknown): ObjectStoreError =>
  new ObjectStoreError({
    operation: "put",
    key,
    retryable: Predicate.hasProperty(cause, "retryable") && cause.retryable === true,
    detail: `the body stream failed: ${Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause)}`,
    cause
  })
