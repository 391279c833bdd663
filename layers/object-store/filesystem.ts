import { randomUUID } from "node:crypto"
import type { Stats } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Layer, Predicate, Stream } from "effect"
import { type ObjectInfo, ObjectNotFound, ObjectStore, ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { bodyFailed, clampRange, compareKeys, validateKey } from "./keys.ts"

type Operation = ObjectStoreError["operation"]

/**
 * Temporary files of in-flight puts start with this; `list` skips them, so a key whose last segment starts with it
 * is never listed (it can still be read by name).
 */
export const tempPrefix = ".storeflow-tmp-"

/** A temporary file untouched this long belongs to a writer that died; the next write in its folder removes it. */
export const abandonedAfterMs = 60 * 60_000

const codeOf = (cause: unknown): string | undefined =>
  Predicate.hasProperty(cause, "code") && Predicate.isString(cause.code) ? cause.code : undefined

// Errors that say "try again later" rather than "this cannot work".
const transient = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "EINTR", "ETIMEDOUT"])
// On a read, a missing file, a directory where the file should be, or a file where a directory should be all mean
// that no object has this key: S3 has no directories.
const missing = new Set(["ENOENT", "ENOTDIR", "EISDIR"])

const storeError = (operation: Operation, key: string, cause: unknown): ObjectStoreError => {
  const code = codeOf(cause)
  return new ObjectStoreError({
    operation,
    key,
    // A missing directory during a put means a concurrent delete pruned it: the put succeeds when repeated.
    retryable: code !== undefined && (transient.has(code) || (operation === "put" && code === "ENOENT")),
    detail: Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause),
    cause
  })
}

const attempt = <A>(operation: Operation, key: string, run: () => Promise<A>): Effect.Effect<A, ObjectStoreError> =>
  Effect.tryPromise({ try: run, catch: (cause) => storeError(operation, key, cause) })

const read = <A>(
  operation: Operation,
  key: string,
  run: () => Promise<A>
): Effect.Effect<A, ObjectNotFound | ObjectStoreError> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) =>
      missing.has(codeOf(cause) ?? "") ? new ObjectNotFound({ key }) : storeError(operation, key, cause)
  })

const infoOf = (key: string, stats: Stats): ObjectInfo => ({ key, size: stats.size, lastModified: stats.mtime })

const writeAll = async (handle: fs.FileHandle, bytes: Uint8Array): Promise<void> => {
  let offset = 0
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    offset += bytesWritten
  }
}

/**
 * Objects are files under `root` (created on the first put), keys map to relative paths. A put writes a temporary
 * file next to the target, flushes it and renames it over the target, so readers see the old or the new object,
 * never a partial one; a streamed body is written chunk by chunk. `getRange` clamps like the memory store; `head`
 * and `list` report the file's mtime. Because a path cannot be both a file and a directory, putting `a` while `a/b`
 * exists (or the reverse) fails with a non-retryable error, unlike on S3; deletes remove emptied directories.
 */
export const layerFileSystem = (root: string): Layer.Layer<ObjectStore> =>
  Layer.sync(ObjectStore, () => {
    const base = path.resolve(root)
    const pathOf = (key: string) => path.join(base, ...key.split("/"))

    const writeTemp = (key: string, temp: string, body: Uint8Array | Stream.Stream<Uint8Array, unknown>) =>
      Effect.acquireUseRelease(
        attempt("put", key, () => fs.open(temp, "wx")),
        (handle) =>
          (body instanceof Uint8Array
            ? attempt("put", key, () => writeAll(handle, body))
            : body.pipe(
                Stream.mapError((cause) => bodyFailed(key, cause)),
                Stream.runForEach((chunk) => attempt("put", key, () => writeAll(handle, chunk)))
              )
          ).pipe(Effect.andThen(attempt("put", key, () => handle.sync()))),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      )

    const syncDirectory = (key: string, directory: string) =>
      Effect.acquireUseRelease(
        attempt("put", key, () => fs.open(directory, "r")),
        (handle) => attempt("put", key, () => handle.sync()),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      )

    // A writer killed mid-put (SIGKILL, power loss) leaves its temporary file behind. Writing into a folder removes
    // the temporary files there that nobody has touched for an hour: long enough that no live upload is cut off.
    const sweepAbandoned = (directory: string) =>
      Effect.promise(async () => {
        const cutoff = Date.now() - abandonedAfterMs
        for (const entry of await fs.readdir(directory).catch(() => [] as Array<string>)) {
          if (!entry.startsWith(tempPrefix)) continue
          const file = path.join(directory, entry)
          const stats = await fs.stat(file).catch(() => undefined)
          if (stats !== undefined && stats.mtimeMs < cutoff) await fs.rm(file, { force: true }).catch(() => undefined)
        }
      })

    const put = Effect.fn("ObjectStore.put")(function* (
      key: string,
      body: Uint8Array | Stream.Stream<Uint8Array, unknown>
    ) {
      yield* validateKey("put", key)
      const target = pathOf(key)
      const directory = path.dirname(target)
      const temp = path.join(directory, `${tempPrefix}${randomUUID()}`)
      yield* attempt("put", key, () => fs.mkdir(directory, { recursive: true }))
      yield* writeTemp(key, temp, body).pipe(
        Effect.andThen(attempt("put", key, () => fs.rename(temp, target))),
        Effect.onError(() => Effect.promise(() => fs.rm(temp, { force: true }).catch(() => undefined)))
      )
      // The rename is durable only once the directory entry is flushed.
      yield* syncDirectory(key, directory)
      yield* sweepAbandoned(directory)
      return infoOf(key, yield* attempt("put", key, () => fs.stat(target)))
    })

    const get = Effect.fn("ObjectStore.get")(function* (key: string) {
      yield* validateKey("get", key)
      const buffer = yield* read("get", key, () => fs.readFile(pathOf(key)))
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    })

    const getRange = Effect.fn("ObjectStore.getRange")(function* (key: string, start: number, end: number) {
      yield* validateKey("get", key)
      return yield* Effect.acquireUseRelease(
        read("get", key, () => fs.open(pathOf(key), "r")),
        (handle) =>
          Effect.gen(function* () {
            const stats = yield* read("get", key, () => handle.stat())
            if (!stats.isFile()) return yield* new ObjectNotFound({ key })
            const [from, to] = yield* clampRange(key, start, end, stats.size)
            const bytes = new Uint8Array(to - from)
            let offset = 0
            while (offset < bytes.length) {
              const { bytesRead } = yield* attempt("get", key, () =>
                handle.read(bytes, offset, bytes.length - offset, from + offset)
              )
              // The file shrank under us: return what is there rather than zeros.
              if (bytesRead === 0) return bytes.slice(0, offset)
              offset += bytesRead
            }
            return bytes
          }),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      )
    })

    const head = Effect.fn("ObjectStore.head")(function* (key: string) {
      yield* validateKey("head", key)
      const stats = yield* read("head", key, () => fs.stat(pathOf(key)))
      if (!stats.isFile()) return yield* new ObjectNotFound({ key })
      return infoOf(key, stats)
    })

    // Collects every file below `directory`, whose key starts with `keyPrefix`; vanished entries are skipped.
    const walk = (
      directory: string,
      keyPrefix: string,
      prefix: string
    ): Effect.Effect<Array<ObjectInfo>, ObjectStoreError> =>
      Effect.gen(function* () {
        // A root not created yet (or a directory deleted meanwhile) holds nothing.
        const entries = yield* attempt("list", prefix, () => fs.readdir(directory, { withFileTypes: true })).pipe(
          Effect.catchIf(
            (error) => codeOf(error.cause) === "ENOENT",
            () => Effect.succeed([])
          )
        )
        const found: Array<ObjectInfo> = []
        for (const entry of entries) {
          const key = keyPrefix + entry.name
          const full = path.join(directory, entry.name)
          if (entry.name.startsWith(tempPrefix)) continue
          if (entry.isDirectory()) {
            // Only directories that can hold a matching key are read.
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`))
              found.push(...(yield* walk(full, `${key}/`, prefix)))
          } else if (entry.isFile() && key.startsWith(prefix)) {
            const stats = yield* read("list", prefix, () => fs.stat(full)).pipe(
              Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
            )
            if (stats !== undefined) found.push(infoOf(key, stats))
          }
        }
        return found
      })

    const list = Effect.fn("ObjectStore.list")(function* (prefix: string) {
      const found = yield* walk(base, "", prefix)
      return found.sort((a, b) => compareKeys(a.key, b.key))
    })

    // Empty parent directories are removed so that a later put of a key named like one of them succeeds, as on S3.
    const prune = async (directory: string): Promise<void> => {
      for (let current = directory; current !== base && current.startsWith(base); current = path.dirname(current)) {
        const removed = await fs.rmdir(current).then(
          () => true,
          () => false
        )
        if (!removed) return
      }
    }

    const remove = Effect.fn("ObjectStore.delete")(function* (keys: ReadonlyArray<string>) {
      for (const key of keys) yield* validateKey("delete", key)
      for (const key of keys) {
        const file = pathOf(key)
        const unlinked = yield* read("delete", key, () => fs.unlink(file)).pipe(
          Effect.as(true),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(false))
        )
        if (unlinked) yield* Effect.promise(() => prune(path.dirname(file)))
      }
    })

    return ObjectStore.of({ put, get, getRange, head, list, delete: remove, uri: pathOf })
  })
