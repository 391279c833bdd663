import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer, Stream } from "effect"
import { type ObjectNotFound, ObjectStore, type ObjectStoreError } from "../../src/services/ObjectStore.ts"

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (data: Uint8Array): string => new TextDecoder().decode(data)

const invalidKeys = ["", "/abs", "a//b", "a/./b", "a/../b", "..", "a/", "x".repeat(1025)]

/**
 * The behaviour every ObjectStore Layer owes its users. `makeLayer` is called once per test and must return an
 * empty store.
 */
export interface ContractOptions {
  /**
   * Whether the server behind the Layer replaces objects atomically under concurrent writers. Real S3 does; s3rver,
   * the S3-compatible test server, writes an object's file in place, so two concurrent puts can interleave there.
   */
  readonly atomicConcurrentPuts?: boolean
}

export const objectStoreContract = (
  name: string,
  makeLayer: () => Layer.Layer<ObjectStore>,
  options: ContractOptions = {}
) =>
  describe(`${name}: ObjectStore contract`, () => {
    const test = (title: string, body: (store: ObjectStore["Service"]) => Effect.Effect<void, unknown>) =>
      it.effect(title, () => ObjectStore.use(body).pipe(Effect.provide(makeLayer())))

    test("get returns the bytes of the last put", (store) =>
      Effect.gen(function* () {
        const first = yield* store.put("data/a.txt", bytes("first"))
        assert.strictEqual(first.key, "data/a.txt")
        assert.strictEqual(first.size, 5)
        yield* store.put("data/a.txt", bytes("second version"))
        assert.strictEqual(text(yield* store.get("data/a.txt")), "second version")
        assert.strictEqual((yield* store.head("data/a.txt")).size, 14)
      }))

    test("a streamed body is stored as the concatenation of its chunks", (store) =>
      Effect.gen(function* () {
        const info = yield* store.put("s/one", Stream.make(bytes("ab"), bytes(""), bytes("cde")))
        assert.strictEqual(info.size, 5)
        assert.strictEqual(text(yield* store.get("s/one")), "abcde")
        const empty = yield* store.put("s/empty", Stream.empty)
        assert.strictEqual(empty.size, 0)
        assert.strictEqual((yield* store.get("s/empty")).length, 0)
      }))

    test("a large streamed body arrives intact", (store) =>
      Effect.gen(function* () {
        const chunk = new Uint8Array(64 * 1024).map((_, i) => i % 251)
        const info = yield* store.put("big/file.bin", Stream.range(1, 48).pipe(Stream.map(() => chunk)))
        assert.strictEqual(info.size, 48 * chunk.length)
        const tail = yield* store.getRange("big/file.bin", info.size - 10, info.size)
        assert.deepStrictEqual(Array.from(tail), Array.from(chunk.subarray(chunk.length - 10)))
      }))

    test("a failing body stream leaves the previous object untouched", (store) =>
      Effect.gen(function* () {
        yield* store.put("atomic/key", bytes("old"))
        const failing = Stream.concat(Stream.make(bytes("new partial")), Stream.fail(new Error("source closed")))
        const error = yield* Effect.flip(store.put("atomic/key", failing))
        assert.strictEqual(error._tag, "ObjectStoreError")
        assert.strictEqual(error.operation, "put")
        assert.strictEqual(error.key, "atomic/key")
        assert.isFalse(error.retryable)
        assert.include(error.detail, "source closed")
        assert.strictEqual(text(yield* store.get("atomic/key")), "old")
        yield* Effect.flip(store.put("atomic/fresh", failing))
        assert.strictEqual((yield* Effect.flip(store.head("atomic/fresh")))._tag, "ObjectNotFound")
        assert.deepStrictEqual(
          (yield* store.list("atomic/")).map((info) => info.key),
          ["atomic/key"]
        )
      }))

    test("a body stream failing with a retryable error makes the put retryable", (store) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(store.put("r/key", Stream.fail({ retryable: true, message: "db busy" })))
        assert.isTrue(error.retryable)
        assert.include(error.detail, "db busy")
      }))

    test("the stored object does not share memory with the caller's buffers", (store) =>
      Effect.gen(function* () {
        const body = bytes("abc")
        yield* store.put("iso/key", body)
        body[0] = 120
        const read = yield* store.get("iso/key")
        read[1] = 120
        assert.strictEqual(text(yield* store.get("iso/key")), "abc")
      }))

    test("missing keys fail with ObjectNotFound naming the key", (store) =>
      Effect.gen(function* () {
        yield* store.put("present/x", bytes("x"))
        const attempts: Array<Effect.Effect<unknown, ObjectNotFound | ObjectStoreError>> = [
          store.get("present"),
          store.getRange("present", 0, 1),
          store.head("present")
        ]
        for (const attempt of attempts) {
          const error = yield* Effect.flip(attempt)
          assert.strictEqual(error._tag, "ObjectNotFound")
          assert.strictEqual(error.key, "present")
          assert.include(error.message, "present")
        }
        assert.strictEqual((yield* Effect.flip(store.get("nope/x")))._tag, "ObjectNotFound")
      }))

    test("getRange returns [start, end) clamped to the object like an HTTP Range", (store) =>
      Effect.gen(function* () {
        yield* store.put("range/key", bytes("0123456789"))
        const range = (start: number, end: number) => Effect.map(store.getRange("range/key", start, end), text)
        assert.strictEqual(yield* range(0, 3), "012")
        assert.strictEqual(yield* range(6, 10), "6789")
        assert.strictEqual(yield* range(7, 1000), "789")
        assert.strictEqual(yield* range(4, 4), "")
        assert.strictEqual(yield* range(10, 20), "")
        assert.strictEqual(yield* range(50, 60), "")
      }))

    test("getRange rejects negative, reversed and fractional ranges", (store) =>
      Effect.gen(function* () {
        yield* store.put("range/bad", bytes("0123456789"))
        for (const [start, end] of [
          [-1, 3],
          [5, 4],
          [0.5, 2],
          [0, Number.POSITIVE_INFINITY]
        ] as const) {
          const error = (yield* Effect.flip(store.getRange("range/bad", start, end))) as ObjectStoreError
          assert.strictEqual(error._tag, "ObjectStoreError")
          assert.isFalse(error.retryable)
          assert.strictEqual(error.key, "range/bad")
        }
      }))

    test("list returns the keys under a prefix in ascending byte order", (store) =>
      Effect.gen(function* () {
        const keys = ["b/2", "a/z", "a/b/c", "a/B", "a/é", "a/\u{1F600}", "a/\uFFFD", "a.txt", "a.txt.bak", "ab/1", "c"]
        for (const key of keys) yield* store.put(key, bytes(key))
        const listed = (prefix: string) => Effect.map(store.list(prefix), (infos) => infos.map((info) => info.key))
        assert.deepStrictEqual(yield* listed(""), [
          "a.txt",
          "a.txt.bak",
          "a/B",
          "a/b/c",
          "a/z",
          "a/é",
          "a/\uFFFD",
          "a/\u{1F600}",
          "ab/1",
          "b/2",
          "c"
        ])
        assert.deepStrictEqual(yield* listed("a/"), ["a/B", "a/b/c", "a/z", "a/é", "a/\uFFFD", "a/\u{1F600}"])
        assert.deepStrictEqual(yield* listed("a"), [
          "a.txt",
          "a.txt.bak",
          "a/B",
          "a/b/c",
          "a/z",
          "a/é",
          "a/\uFFFD",
          "a/\u{1F600}",
          "ab/1"
        ])
        assert.deepStrictEqual(yield* listed("a/b"), ["a/b/c"])
        assert.deepStrictEqual(yield* listed("a/b/c"), ["a/b/c"])
        assert.deepStrictEqual(yield* listed("zzz"), [])
        assert.deepStrictEqual(yield* listed("../"), [])
      }))

    test("list reports each object's size and modification time as head does", (store) =>
      Effect.gen(function* () {
        yield* store.put("info/one", bytes("12345"))
        const [listed] = yield* store.list("info/")
        const head = yield* store.head("info/one")
        assert.strictEqual(listed?.size, 5)
        assert.strictEqual(listed?.lastModified.getTime(), head.lastModified.getTime())
        assert.strictEqual(head.key, "info/one")
      }))

    test("delete removes the keys and succeeds for missing ones", (store) =>
      Effect.gen(function* () {
        for (const key of ["d/1", "d/2", "d/sub/3"]) yield* store.put(key, bytes(key))
        yield* store.delete(["d/1", "d/sub/3", "d/missing", "never/was"])
        yield* store.delete([])
        assert.deepStrictEqual(
          (yield* store.list("d/")).map((info) => info.key),
          ["d/2"]
        )
        assert.strictEqual((yield* Effect.flip(store.get("d/1")))._tag, "ObjectNotFound")
        yield* store.delete(["d/1"])
      }))

    test("after deleting everything below a prefix, that prefix can be a key", (store) =>
      Effect.gen(function* () {
        yield* store.put("dir/inner/x", bytes("x"))
        yield* store.delete(["dir/inner/x"])
        yield* store.put("dir", bytes("file"))
        assert.strictEqual(text(yield* store.get("dir")), "file")
        assert.deepStrictEqual(
          (yield* store.list("dir")).map((info) => info.key),
          ["dir"]
        )
      }))

    test("an invalid key in a delete batch deletes nothing", (store) =>
      Effect.gen(function* () {
        yield* store.put("keep/me", bytes("x"))
        const error = yield* Effect.flip(store.delete(["keep/me", "bad//key"]))
        assert.strictEqual(error.operation, "delete")
        assert.strictEqual(error.key, "bad//key")
        assert.strictEqual((yield* store.head("keep/me")).size, 1)
      }))

    test("invalid keys fail every operation with a non-retryable error naming the key", (store) =>
      Effect.gen(function* () {
        for (const key of invalidKeys) {
          const attempts = [
            ["put", store.put(key, bytes("x"))],
            ["put", store.put(key, Stream.make(bytes("x")))],
            ["get", store.get(key)],
            ["get", store.getRange(key, 0, 1)],
            ["head", store.head(key)],
            ["delete", store.delete([key])]
          ] as const
          for (const [operation, attempt] of attempts) {
            const error = (yield* Effect.flip(attempt as Effect.Effect<unknown, ObjectStoreError>)) as ObjectStoreError
            assert.strictEqual(error._tag, "ObjectStoreError", `${operation} ${JSON.stringify(key)}`)
            assert.strictEqual(error.operation, operation)
            assert.strictEqual(error.key, key)
            assert.isFalse(error.retryable)
            assert.include(error.message, JSON.stringify(key))
          }
        }
        assert.deepStrictEqual(yield* store.list(""), [])
      }))

    if (options.atomicConcurrentPuts !== false)
      test("concurrent puts to one key leave one whole body", (store) =>
        Effect.gen(function* () {
          const a = new Uint8Array(200_000).fill(97)
          const b = new Uint8Array(100_000).fill(98)
          yield* Effect.all([store.put("race/key", a), store.put("race/key", Stream.make(b, b))], {
            concurrency: "unbounded"
          })
          const read = yield* store.get("race/key")
          assert.strictEqual(read.length, 200_000)
          assert.isTrue(read.every((byte) => byte === read[0]))
          assert.deepStrictEqual(
            (yield* store.list("race/")).map((info) => info.key),
            ["race/key"]
          )
        }))

    test("uri names the key", (store) =>
      Effect.sync(() => {
        assert.isTrue(store.uri("x/y.parquet").endsWith("x/y.parquet"))
        assert.notStrictEqual(store.uri("x/a"), store.uri("x/b"))
      }))
  })
