import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { layerMemory } from "../../layers/object-store/memory.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import { objectStoreContract } from "./contract.ts"

objectStoreContract("memory", () => Layer.fresh(layerMemory))

describe("ObjectStore memory", () => {
  it.effect("lastModified comes from the Clock, so TestClock controls it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* TestClock.setTime(Date.UTC(2024, 0, 2, 3, 4, 5))
      const first = yield* store.put("k", new Uint8Array([1]))
      assert.strictEqual(first.lastModified.toISOString(), "2024-01-02T03:04:05.000Z")
      yield* TestClock.adjust("1 hour")
      yield* store.put("k", new Uint8Array([2]))
      assert.strictEqual((yield* store.head("k")).lastModified.toISOString(), "2024-01-02T04:04:05.000Z")
    }).pipe(Effect.provide(layerMemory))
  )

  it.effect("the ETag is the quoted MD5 of the body, as S3 gives for a single-part upload", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const body = new TextEncoder().encode("hello")
      const info = yield* store.put("e", body)
      assert.strictEqual(info.etag, `"${createHash("md5").update(body).digest("hex")}"`)
      assert.strictEqual((yield* store.head("e")).etag, info.etag)
    }).pipe(Effect.provide(layerMemory))
  )

  it.effect("uri is memory://<key>", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.strictEqual(store.uri("raw/t/part-0.parquet"), "memory://raw/t/part-0.parquet")
    }).pipe(Effect.provide(layerMemory))
  )

  it.effect("each build of the Layer starts empty", () =>
    Effect.gen(function* () {
      yield* ObjectStore.use((store) => store.put("shared?", new Uint8Array([1]))).pipe(
        Effect.provide(layerMemory, { local: true })
      )
      const listed = yield* ObjectStore.use((store) => store.list("")).pipe(
        Effect.provide(layerMemory, { local: true })
      )
      assert.deepStrictEqual(listed, [])
    })
  )
})
