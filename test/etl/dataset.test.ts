import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { writePartition } from "../../src/etl/dataset.ts"
import { readParquetRows, rowGroupRanges } from "../../src/etl/parquet/read.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Row } from "../../src/services/SourceDb.ts"
import { itemColumns, items } from "./fixtures.ts"

/** The rows as a stream whose chunks have the given sizes, in turn (as a driver or a transform may hand them out). */
const chunked = (rows: ReadonlyArray<Row>, sizes: ReadonlyArray<number>): Stream.Stream<Row> => {
  const chunks: Array<ReadonlyArray<Row>> = []
  for (let at = 0, i = 0; at < rows.length; i++) {
    const size = sizes[i % sizes.length] as number
    chunks.push(rows.slice(at, at + size))
    at += size
  }
  return Stream.fromIterable(chunks).pipe(Stream.flatMap((chunk) => Stream.fromArray(chunk)))
}

const readBack = Effect.fnUntraced(function* (keys: ReadonlyArray<string>) {
  const store = yield* ObjectStore
  const rows: Array<Row> = []
  const groups: Array<number> = []
  for (const key of keys) {
    const bytes = yield* store.get(key)
    for (const [start, end] of rowGroupRanges(bytes)) groups.push(end - start)
    rows.push(...(yield* Effect.promise(() => readParquetRows(bytes, itemColumns))))
  }
  return { rows, groups }
})

describe("writePartition", () => {
  it.effect("splits files at exactly fileRows rows whatever the chunk sizes, keeping every row in order", () =>
    Effect.gen(function* () {
      const input = items(2_345)
      // Single rows, small chunks that must be gathered, and chunks larger than a file.
      const rows = chunked(input, [1, 7, 300, 1_200, 3, 90])
      const manifest = yield* writePartition("acme/items/extract", "latest", "run-1", itemColumns, rows, {
        rowGroupRows: 128,
        fileRows: 1_000
      })
      assert.deepStrictEqual(
        manifest.files.map((f) => f.rows),
        [1_000, 1_000, 345]
      )
      assert.strictEqual(manifest.rows, 2_345)
      const { rows: stored, groups } = yield* readBack(manifest.files.map((f) => f.key))
      assert.deepStrictEqual(stored, [...input])
      // Row groups never straddle files and are full except at a file's end.
      assert.deepStrictEqual(groups.slice(0, 8), [128, 128, 128, 128, 128, 128, 128, 104])
    }).pipe(Effect.provide(objectStoreMemory))
  )

  it.effect("a value that does not fit fails the write and commits nothing", () =>
    Effect.gen(function* () {
      const input: Array<Row> = [...items(500), { item_id: 501n, item_name: "bad", price: "not a number" }]
      const error = yield* writePartition(
        "acme/items/extract",
        "latest",
        "run-1",
        itemColumns,
        chunked(input, [200, 1, 50]),
        { rowGroupRows: 64, fileRows: 300 }
      ).pipe(Effect.flip)
      assert.strictEqual((error as { _tag?: string })._tag, "ParquetEncodeError")
      const store = yield* ObjectStore
      const committed = yield* store.list("acme/items/extract/latest/")
      assert.isFalse(committed.some((o) => o.key.endsWith("_manifest.json")))
    }).pipe(Effect.provide(objectStoreMemory))
  )
})
