import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { abandonedAfterMs, layerFileSystem, tempPrefix } from "../../layers/object-store/filesystem.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import { objectStoreContract } from "./contract.ts"

const parent = fs.mkdtempSync(path.join(os.tmpdir(), "storeflow-objects-"))
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }))
const freshRoot = () => fs.mkdtempSync(path.join(parent, "root-"))

objectStoreContract("filesystem", () => layerFileSystem(freshRoot()))

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe("ObjectStore filesystem", () => {
  it.effect("objects are files under the root and uri is their absolute path", () => {
    const root = freshRoot()
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("raw/t/part.parquet", bytes("PAR1"))
      const uri = store.uri("raw/t/part.parquet")
      assert.strictEqual(uri, path.join(root, "raw", "t", "part.parquet"))
      assert.isTrue(path.isAbsolute(uri))
      assert.strictEqual(fs.readFileSync(uri, "utf8"), "PAR1")
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("a relative root is resolved to an absolute one", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.strictEqual(store.uri("k"), path.resolve("relative-root", "k"))
    }).pipe(Effect.provide(layerFileSystem("relative-root")))
  )

  it.effect("files written by others are listed and read; temp files of in-flight puts are not", () => {
    const root = freshRoot()
    fs.mkdirSync(path.join(root, "in", "deep"), { recursive: true })
    fs.writeFileSync(path.join(root, "in", "deep", "a.csv"), "a")
    fs.writeFileSync(path.join(root, "in", `${tempPrefix}1234`), "partial")
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.deepStrictEqual(
        (yield* store.list("in/")).map((info) => info.key),
        ["in/deep/a.csv"]
      )
      assert.strictEqual(new TextDecoder().decode(yield* store.get("in/deep/a.csv")), "a")
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("a failed put leaves no temporary file behind", () => {
    const root = freshRoot()
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("t/keep", bytes("old"))
      yield* Effect.flip(store.put("t/keep", Stream.concat(Stream.make(bytes("x")), Stream.fail("boom"))))
      assert.deepStrictEqual(fs.readdirSync(path.join(root, "t")), ["keep"])
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("a root that does not exist yet lists nothing and is created by the first put", () => {
    const root = path.join(freshRoot(), "not", "yet")
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.deepStrictEqual(yield* store.list(""), [])
      yield* store.put("k", bytes("v"))
      assert.isTrue(fs.existsSync(path.join(root, "k")))
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("a key that is a directory on disk is not an object, and cannot be written while it has children", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("a/b", bytes("child"))
      assert.strictEqual((yield* Effect.flip(store.get("a")))._tag, "ObjectNotFound")
      assert.strictEqual((yield* Effect.flip(store.head("a")))._tag, "ObjectNotFound")
      assert.strictEqual((yield* Effect.flip(store.getRange("a", 0, 1)))._tag, "ObjectNotFound")
      assert.strictEqual((yield* Effect.flip(store.get("a/b/c")))._tag, "ObjectNotFound")
      yield* store.delete(["a"])
      const error = yield* Effect.flip(store.put("a", bytes("file")))
      assert.strictEqual(error.operation, "put")
      assert.isFalse(error.retryable)
      const nested = yield* Effect.flip(store.put("a/b/c", bytes("under a file")))
      assert.isFalse(nested.retryable)
      assert.strictEqual(new TextDecoder().decode(yield* store.get("a/b")), "child")
    }).pipe(Effect.provide(layerFileSystem(freshRoot())))
  )

  it.effect("delete removes emptied directories but keeps the root", () => {
    const root = freshRoot()
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("x/y/z", bytes("1"))
      yield* store.put("x/other", bytes("2"))
      yield* store.delete(["x/y/z"])
      assert.deepStrictEqual(fs.readdirSync(path.join(root, "x")), ["other"])
      yield* store.delete(["x/other"])
      assert.deepStrictEqual(fs.readdirSync(root), [])
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("operating system errors become ObjectStoreError, not ObjectNotFound", () => {
    const root = path.join(freshRoot(), "a-file")
    fs.writeFileSync(root, "not a directory")
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      const put = yield* Effect.flip(store.put("k", bytes("v")))
      assert.strictEqual(put.operation, "put")
      assert.strictEqual(put.key, "k")
      assert.isFalse(put.retryable)
      const list = yield* Effect.flip(store.list(""))
      assert.strictEqual(list.operation, "list")
    }).pipe(Effect.provide(layerFileSystem(root)))
  })

  it.effect("a segment longer than the file system allows is an error, not a missing object", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const key = "x".repeat(300)
      const error = yield* Effect.flip(store.get(key))
      assert.strictEqual(error._tag, "ObjectStoreError")
      const head = yield* Effect.flip(store.head(key))
      assert.strictEqual(head._tag, "ObjectStoreError")
      const put = yield* Effect.flip(store.put(key, bytes("v")))
      assert.include(put.detail, "ENAMETOOLONG")
    }).pipe(Effect.provide(layerFileSystem(freshRoot())))
  )

  it.effect(
    "writing into a folder removes temporary files a dead writer left there an hour ago, not fresh ones",
    () => {
      const root = freshRoot()
      fs.mkdirSync(path.join(root, "part"), { recursive: true })
      const abandoned = path.join(root, "part", `${tempPrefix}dead`)
      const live = path.join(root, "part", `${tempPrefix}live`)
      fs.writeFileSync(abandoned, "half a file")
      fs.writeFileSync(live, "being written")
      const twoHoursAgo = new Date(Date.now() - 2 * abandonedAfterMs)
      fs.utimesSync(abandoned, twoHoursAgo, twoHoursAgo)
      return Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("part/file", bytes("v"))
        assert.isFalse(fs.existsSync(abandoned))
        assert.isTrue(fs.existsSync(live))
      }).pipe(Effect.provide(layerFileSystem(root)))
    }
  )
})
