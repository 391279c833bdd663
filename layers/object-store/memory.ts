import { createHash } from "node:crypto"
import { Clock, Effect, Layer, Stream } from "effect"
import { type ObjectInfo, ObjectNotFound, ObjectStore, type ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { bodyFailed, clampRange, compareKeys, validateKey } from "./keys.ts"

interface StoredObject {
  readonly bytes: Uint8Array
  readonly info: ObjectInfo
}

const collect = (key: string, body: Stream.Stream<Uint8Array, unknown>): Effect.Effect<Uint8Array, ObjectStoreError> =>
  Stream.runFold(
    body,
    () => [] as Array<Uint8Array>,
    (chunks, chunk) => {
      // The caller may reuse its buffer after handing it over, as with a network socket.
      chunks.push(chunk.slice())
      return chunks
    }
  ).pipe(
    Effect.mapError((cause) => bodyFailed(key, cause)),
    Effect.map((chunks) => {
      const bytes = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.length
      }
      return bytes
    })
  )

/**
 * An in-memory object store with S3 semantics, for tests: validated keys, atomic puts (a failing body stream leaves
 * the previous object in place), byte-ordered listing, idempotent deletes, an MD5 ETag like a single-part S3 upload,
 * and `lastModified` from the Effect `Clock` (so `TestClock` controls it). `getRange` clamps like an HTTP Range:
 * `end` past the object is cut to its size and a range starting at or past the end is empty. Every build starts
 * empty.
 */
export const layerMemory: Layer.Layer<ObjectStore> = Layer.effect(
  ObjectStore,
  Effect.sync(() => {
    const objects = new Map<string, StoredObject>()

    const find = (key: string): Effect.Effect<StoredObject, ObjectNotFound> => {
      const found = objects.get(key)
      return found === undefined ? Effect.fail(new ObjectNotFound({ key })) : Effect.succeed(found)
    }

    const put = Effect.fn("ObjectStore.put")(function* (
      key: string,
      body: Uint8Array | Stream.Stream<Uint8Array, unknown>
    ) {
      yield* validateKey("put", key)
      const bytes = body instanceof Uint8Array ? body.slice() : yield* collect(key, body)
      const now = yield* Clock.currentTimeMillis
      const info: ObjectInfo = {
        key,
        size: bytes.length,
        lastModified: new Date(now),
        etag: `"${createHash("md5").update(bytes).digest("hex")}"`
      }
      // Replaced only now, after the whole body arrived: readers never see a partial object.
      objects.set(key, { bytes, info })
      return info
    })

    const get = Effect.fn("ObjectStore.get")(function* (key: string) {
      yield* validateKey("get", key)
      const object = yield* find(key)
      return object.bytes.slice()
    })

    const getRange = Effect.fn("ObjectStore.getRange")(function* (key: string, start: number, end: number) {
      yield* validateKey("get", key)
      const object = yield* find(key)
      const [from, to] = yield* clampRange(key, start, end, object.bytes.length)
      return object.bytes.slice(from, to)
    })

    const head = Effect.fn("ObjectStore.head")(function* (key: string) {
      yield* validateKey("head", key)
      return (yield* find(key)).info
    })

    const list = Effect.fn("ObjectStore.list")(function* (prefix: string) {
      return Array.from(objects.values(), (object) => object.info)
        .filter((info) => info.key.startsWith(prefix))
        .sort((a, b) => compareKeys(a.key, b.key))
    })

    const remove = Effect.fn("ObjectStore.delete")(function* (keys: ReadonlyArray<string>) {
      // All keys are checked first, so an invalid key deletes nothing.
      for (const key of keys) yield* validateKey("delete", key)
      for (const key of keys) objects.delete(key)
    })

    return ObjectStore.of({ put, get, getRange, head, list, delete: remove, uri: (key) => `memory://${key}` })
  })
)
