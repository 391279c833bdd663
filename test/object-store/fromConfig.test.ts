import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { objectStoreLayer } from "../../layers/object-store/fromConfig.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"

const parent = fs.mkdtempSync(path.join(os.tmpdir(), "storeflow-from-config-"))
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }))

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe("objectStoreLayer", () => {
  it.effect(
    "a filesystem store resolves a relative path against the working directory, with the prefix as a folder",
    () => {
      const root = fs.mkdtempSync(path.join(parent, "fs-"))
      return Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("raw/a.txt", bytes("a"))
        const file = path.join(root, "tenant", "one", "raw", "a.txt")
        assert.strictEqual(store.uri("raw/a.txt"), file)
        assert.strictEqual(fs.readFileSync(file, "utf8"), "a")
      }).pipe(
        Effect.provide(
          objectStoreLayer({ type: "filesystem", path: path.relative(process.cwd(), root), prefix: "/tenant//one/" })
        )
      )
    }
  )

  it.effect("a filesystem store without a prefix keeps objects directly under its path", () => {
    const root = fs.mkdtempSync(path.join(parent, "fs-"))
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("k", bytes("v"))
      assert.deepStrictEqual(fs.readdirSync(root), ["k"])
    }).pipe(Effect.provide(objectStoreLayer({ type: "filesystem", path: root, prefix: "" })))
  })

  it.effect("an s3 store addresses its objects as s3://bucket/prefix/key", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.strictEqual(store.uri("raw/t/part-0.parquet"), "s3://lake/acme/raw/t/part-0.parquet")
    }).pipe(
      Effect.provide(
        objectStoreLayer({
          type: "s3",
          bucket: "lake",
          prefix: "acme",
          region: "eu-central-1",
          force_path_style: false
        })
      )
    )
  )
})
