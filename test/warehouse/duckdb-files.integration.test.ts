import * as fs from "node:fs"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerDuckDb } from "../../layers/warehouse/duckdb.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { allTypes, columns, fields } from "./duckdb-fixtures.ts"
import { duckDbOnFiles, loadInto, put, scratchFolder } from "./duckdb-support.ts"
import { int64, utf8 } from "./parquet-files.ts"

const scratch = scratchFolder("duckdb-files")
afterAll(scratch.cleanup)
const onFiles = () => {
  const folder = scratch.fresh("case")
  const file = path.join(folder, "db", "warehouse.duckdb")
  return { file, objects: path.join(folder, "objects"), layer: duckDbOnFiles(file, path.join(folder, "objects")) }
}

describe("DuckDB warehouse: files and the database file", () => {
  it.effect("files rewritten under the same path are read anew (DuckDB's file cache is off)", () => {
    const { layer, objects } = onFiles()
    const dataset = { schema: "retail", table: "same" }
    const idColumn: ReadonlyArray<Column> = [{ name: "id", type: "int64", nullable: false }]
    return Effect.gen(function* () {
      const key = yield* put("latest/items.parquet", [int64("id", [1n, 2n])])
      yield* loadInto(dataset, idColumn, [key], 2)
      yield* put(key, [int64("id", [3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n])])
      assert.strictEqual(
        fs
          .readFileSync(path.join(objects, "latest", "items.parquet"))
          .subarray(0, 4)
          .toString(),
        "PAR1"
      )
      yield* loadInto(dataset, idColumn, [key], 8)
      const ids = (yield* Warehouse.use((warehouse) => warehouse.rows(dataset))).map((row) => row.id)
      assert.deepStrictEqual(ids, [3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n])
    }).pipe(Effect.provide(layer))
  })

  it.effect("downloaded files are removed after the load, also after a failed one", () => {
    const tmp = scratch.fresh("tmp")
    const previous = process.env.TMPDIR
    process.env.TMPDIR = tmp
    const dataset = { schema: "retail", table: "downloaded" }
    const idColumn: ReadonlyArray<Column> = [{ name: "id", type: "int64", nullable: false }]
    return Effect.gen(function* () {
      const key = yield* put("a/b.parquet", [int64("id", [1n])])
      yield* loadInto(dataset, idColumn, [key], 1)
      assert.deepStrictEqual(fs.readdirSync(tmp), [])
      yield* Effect.flip(loadInto(dataset, idColumn, [key], 2))
      assert.deepStrictEqual(fs.readdirSync(tmp), [])
    }).pipe(
      Effect.provide(layerDuckDb({ path: ":memory:", schema: "main" }).pipe(Layer.provideMerge(objectStoreMemory))),
      Effect.ensuring(Effect.sync(() => (process.env.TMPDIR = previous)))
    )
  })

  it.effect("the database file is queryable by a fresh DuckDB once the Layer is closed, and loads continue", () => {
    const { file, layer } = onFiles()
    return Effect.gen(function* () {
      yield* Effect.gen(function* () {
        yield* loadInto(allTypes, columns, [yield* put("all/part-0.parquet", fields)], 3, "2024-03-01")
        const rest = [utf8("name", ["두 번째"])]
        yield* loadInto(allTypes, [columns[8] as Column], [yield* put("all/part-1.parquet", rest)], 1, "2024-03-02")
      }).pipe(Effect.provide(layer))

      const rows = yield* Effect.promise(async () => {
        const instance = await DuckDBInstance.create(file)
        const connection = await instance.connect()
        const reader = await connection.runAndReadAll(
          "SELECT dt, name, price::VARCHAR AS price, seen::VARCHAR AS seen FROM retail.all_types ORDER BY dt, i16 DESC NULLS LAST"
        )
        const found = reader.getRowObjectsJson()
        connection.closeSync()
        instance.closeSync()
        return found
      })
      assert.deepStrictEqual(rows[0], {
        dt: "2024-03-01",
        name: "한글 상품명 🍙",
        price: "987654321098765.43",
        seen: "2023-11-14 22:13:20.123456"
      })
      assert.deepStrictEqual(rows[3], { dt: "2024-03-02", name: "두 번째", price: null, seen: null })

      // A new Layer on the same file still knows the table is partitioned by dt.
      yield* Effect.gen(function* () {
        const warehouse = yield* Warehouse
        assert.strictEqual(yield* warehouse.count(allTypes, { column: "dt", value: "2024-03-01" }), 3)
        const other = yield* Effect.flip(
          warehouse.load({
            dataset: allTypes,
            columns,
            files: [],
            expectedRows: 0,
            partition: { column: "store", value: "1" }
          })
        )
        assert.include(other.detail, `partitioned by "dt"`)
        yield* loadInto(allTypes, columns, [], 0, "2024-03-02")
        assert.strictEqual(yield* warehouse.count(allTypes), 3)
      }).pipe(Effect.provide(duckDbOnFiles(file, scratch.fresh("objects"))))
    })
  })

  it.effect("two Layers on one database file share it, and closing one leaves the other working", () => {
    const folder = scratch.fresh("shared")
    const file = path.join(folder, "w.duckdb")
    const dataset = { schema: "retail", table: "shared" }
    const idColumn: ReadonlyArray<Column> = [{ name: "id", type: "int64", nullable: false }]
    return Effect.gen(function* () {
      const firstScope = yield* Scope.make()
      const first = yield* Layer.buildWithScope(duckDbOnFiles(file, path.join(folder, "a")), firstScope)
      const second = yield* Layer.build(duckDbOnFiles(file, path.join(folder, "b")))
      const key = yield* put("k.parquet", [int64("id", [1n, 2n])]).pipe(Effect.provideContext(first))
      yield* loadInto(dataset, idColumn, [key], 2, "d1").pipe(Effect.provideContext(first))
      const count = Warehouse.use((warehouse) => warehouse.count(dataset))
      assert.strictEqual(yield* count.pipe(Effect.provideContext(second)), 2)
      yield* Scope.close(firstScope, Exit.void)
      const again = yield* put("k.parquet", [int64("id", [3n])]).pipe(Effect.provideContext(second))
      yield* loadInto(dataset, idColumn, [again], 1, "d2").pipe(Effect.provideContext(second))
      assert.strictEqual(yield* count.pipe(Effect.provideContext(second)), 3)
    })
  })

  it.effect("a file that is not a DuckDB database fails the Layer with the reason, not a defect", () =>
    Effect.gen(function* () {
      const file = path.join(scratch.fresh("bad"), "not-a-db.duckdb")
      fs.writeFileSync(file, "this is not a database ".repeat(500))
      const error = yield* Effect.flip(Layer.build(layerDuckDb({ path: file, schema: "main" })).pipe(Effect.scoped))
      if (error._tag !== "WarehouseError") return assert.fail(String(error))
      assert.strictEqual(error.operation, "open")
      assert.include(error.detail, file)
      const schema = yield* Effect.flip(
        Layer.build(layerDuckDb({ path: ":memory:", schema: "x-y" })).pipe(Effect.scoped)
      )
      assert.include(schema.detail, `schema name "x-y"`)
    }).pipe(Effect.provide(objectStoreMemory))
  )
})
