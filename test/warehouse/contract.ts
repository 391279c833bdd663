import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ObjectStore, ObjectStoreError } from "../../src/services/ObjectStore.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { type LoadRequest, Warehouse, type WarehouseError } from "../../src/services/Warehouse.ts"
import { decimal, int64, parquetFile, utf8 } from "./parquet-files.ts"

/** What the contract needs of a Layer: a fresh, empty warehouse per call, and a fresh, empty store per call. */
export interface WarehouseUnderTest {
  readonly warehouse: () => Layer.Layer<Warehouse, WarehouseError, ObjectStore>
  readonly store: () => Layer.Layer<ObjectStore>
}

export const provideFresh =
  (under: WarehouseUnderTest) =>
  <A, E>(effect: Effect.Effect<A, E, Warehouse | ObjectStore>) =>
    Effect.provide(effect, Layer.fresh(under.warehouse()).pipe(Layer.provideMerge(Layer.fresh(under.store()))))

const dataset = { schema: "sales", table: "items" }
const columns: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 }
]

/** Puts a file of items with these ids (name `item-<id>`, price `<id>.50`) and returns its key. */
export const putItems = (key: string, ids: ReadonlyArray<bigint>) =>
  Effect.as(
    ObjectStore.use((store) =>
      store.put(
        key,
        parquetFile([
          int64("id", ids),
          utf8(
            "name",
            ids.map((id) => `item-${id}`)
          ),
          decimal(
            "price",
            2,
            ids.map((id) => id * 100n + 50n)
          )
        ])
      )
    ),
    key
  )

const request = (files: ReadonlyArray<string>, expectedRows: number, day?: string): LoadRequest => ({
  dataset,
  columns,
  files,
  expectedRows,
  partition: day === undefined ? undefined : { column: "dt", value: day }
})
const partitionOf = (day?: string) => (day === undefined ? undefined : { column: "dt", value: day })

const load = (files: ReadonlyArray<string>, expectedRows: number, day?: string) =>
  Warehouse.use((warehouse) => warehouse.load(request(files, expectedRows, day)))
const count = (day?: string) => Warehouse.use((warehouse) => warehouse.count(dataset, partitionOf(day)))
const ids = (day?: string) =>
  Warehouse.use((warehouse) => warehouse.rows(dataset, { partition: partitionOf(day) })).pipe(
    Effect.map((rows) => rows.map((row) => row.id))
  )

/**
 * The behaviour every Warehouse Layer owes the ETL: partition replace, idempotence, row-count verification, errors
 * that name the file, and reading back. Layer-specific behaviour (schema evolution, SQL) is tested next to each.
 */
export const warehouseContract = (name: string, under: WarehouseUnderTest) =>
  describe(`${name}: Warehouse contract`, () => {
    const run = provideFresh(under)

    it.effect("loads the files of a partition, adds the partition column and counts per partition", () =>
      run(
        Effect.gen(function* () {
          const a = yield* putItems("raw/items/dt=2024-03-01/part-0.parquet", [1n, 2n])
          const b = yield* putItems("raw/items/dt=2024-03-01/part-1.parquet", [3n])
          assert.deepStrictEqual(yield* load([a, b], 3, "2024-03-01"), { rows: 3 })
          assert.strictEqual(yield* count(), 3)
          assert.strictEqual(yield* count("2024-03-01"), 3)
          assert.strictEqual(yield* count("2024-03-02"), 0)
          const rows = yield* Warehouse.use((warehouse) => warehouse.rows(dataset))
          assert.deepStrictEqual(rows[0], { id: 1n, name: "item-1", price: "1.50", dt: "2024-03-01" })
          assert.deepStrictEqual(Object.keys(rows[0] ?? {}), ["id", "name", "price", "dt"])
          assert.deepStrictEqual(yield* Warehouse.use((warehouse) => warehouse.tables("sales")), ["items"])
        })
      )
    )

    it.effect("re-loading a partition replaces it and leaves the other partitions alone", () =>
      run(
        Effect.gen(function* () {
          yield* load([yield* putItems("d1/a.parquet", [1n, 2n, 3n])], 3, "2024-03-01")
          yield* load([yield* putItems("d2/a.parquet", [4n, 5n])], 2, "2024-03-02")
          yield* load([yield* putItems("d1/b.parquet", [6n])], 1, "2024-03-01")
          assert.deepStrictEqual(yield* ids("2024-03-01"), [6n])
          assert.deepStrictEqual(yield* ids("2024-03-02"), [4n, 5n])
          assert.strictEqual(yield* count(), 3)
        })
      )
    )

    it.effect("loading the same request twice leaves the same table", () =>
      run(
        Effect.gen(function* () {
          const file = yield* putItems("d/a.parquet", [1n, 2n])
          yield* load([file], 2, "2024-03-01")
          const first = yield* Warehouse.use((warehouse) => warehouse.rows(dataset))
          yield* load([file], 2, "2024-03-01")
          assert.deepStrictEqual(yield* Warehouse.use((warehouse) => warehouse.rows(dataset)), first)
          yield* load([file], 2)
          yield* load([file], 2)
          assert.deepStrictEqual(yield* ids(), [1n, 2n])
        })
      )
    )

    it.effect("without a partition the whole table is replaced, columns included", () =>
      run(
        Effect.gen(function* () {
          yield* load([yield* putItems("v1.parquet", [1n, 2n, 3n])], 3, "2024-03-01")
          yield* load([yield* putItems("v2.parquet", [7n])], 1)
          assert.deepStrictEqual(yield* ids(), [7n])
          const [row] = yield* Warehouse.use((warehouse) => warehouse.rows(dataset))
          assert.deepStrictEqual(Object.keys(row ?? {}), ["id", "name", "price"])
        })
      )
    )

    it.effect("a row count mismatch fails with RowCountMismatch and replaces nothing", () =>
      run(
        Effect.gen(function* () {
          yield* load([yield* putItems("old.parquet", [1n])], 1, "2024-03-01")
          const error = yield* Effect.flip(load([yield* putItems("new.parquet", [2n, 3n])], 3, "2024-03-01"))
          assert.strictEqual(error.reason, "RowCountMismatch")
          assert.strictEqual(error.dataset, "sales.items")
          assert.include(error.detail, "expected 3 rows, the files hold 2")
          assert.isFalse(error.retryable)
          assert.deepStrictEqual(yield* ids("2024-03-01"), [1n])
          const whole = yield* Effect.flip(load(["new.parquet"], 5))
          assert.strictEqual(whole.reason, "RowCountMismatch")
          assert.deepStrictEqual(yield* ids(), [1n])
          const other = { schema: "sales", table: "never_loaded" }
          yield* Effect.flip(
            Warehouse.use((warehouse) => warehouse.load({ ...request(["new.parquet"], 5), dataset: other }))
          )
          const missing = yield* Effect.flip(Warehouse.use((warehouse) => warehouse.count(other)))
          assert.strictEqual(missing.reason, "NotFound")
        })
      )
    )

    it.effect("a missing file fails with NotFound naming the key and replaces nothing", () =>
      run(
        Effect.gen(function* () {
          const present = yield* putItems("present.parquet", [1n])
          yield* load([present], 1)
          const error = yield* Effect.flip(load([present, "raw/missing.parquet"], 2))
          assert.strictEqual(error.reason, "NotFound")
          assert.strictEqual(error.operation, "load")
          assert.include(error.detail, "raw/missing.parquet")
          assert.include(error.message, "raw/missing.parquet")
          assert.deepStrictEqual(yield* ids(), [1n])
        })
      )
    )

    it.effect("a file that is not Parquet, or lacks a column, fails with QueryFailed naming it", () =>
      run(
        Effect.gen(function* () {
          yield* ObjectStore.use((store) => store.put("junk.parquet", new TextEncoder().encode("id,name\n1,a\n")))
          const junk = yield* Effect.flip(load(["junk.parquet"], 1))
          assert.strictEqual(junk.reason, "QueryFailed")
          assert.include(junk.detail, "junk.parquet")
          yield* ObjectStore.use((store) => store.put("thin.parquet", parquetFile([int64("id", [1n])])))
          const thin = yield* Effect.flip(load(["thin.parquet"], 1))
          assert.strictEqual(thin.reason, "QueryFailed")
          assert.include(thin.detail, "thin.parquet")
          assert.include(thin.detail, `no column "name"`)
        })
      )
    )

    it.effect("an unavailable object store makes the load retryable", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(load(["k.parquet"], 0))
        assert.strictEqual(error.reason, "Unavailable")
        assert.isTrue(error.retryable)
        assert.include(error.detail, "k.parquet")
      }).pipe(
        Effect.provide(
          Layer.fresh(under.warehouse()).pipe(
            Layer.provideMerge(
              Layer.mock(ObjectStore)({
                uri: (key) => `mock://${key}`,
                head: (key) =>
                  Effect.fail(new ObjectStoreError({ operation: "head", key, retryable: true, detail: "503" })),
                get: (key) =>
                  Effect.fail(new ObjectStoreError({ operation: "get", key, retryable: true, detail: "503 Slow Down" }))
              })
            )
          )
        )
      )
    )

    it.effect("the partition layout of a table is fixed by its first load", () =>
      run(
        Effect.gen(function* () {
          const file = yield* putItems("f.parquet", [1n])
          yield* load([file], 1, "2024-03-01")
          const otherColumn = yield* Effect.flip(
            Warehouse.use((warehouse) =>
              warehouse.load({ ...request([file], 1), partition: { column: "store", value: "7" } })
            )
          )
          assert.include(otherColumn.detail, `partitioned by "dt"`)
          const clash = yield* Effect.flip(
            Warehouse.use((warehouse) =>
              warehouse.load({ ...request([file], 1), partition: { column: "name", value: "x" } })
            )
          )
          assert.include(clash.detail, "must not be one of the data columns")
          yield* load([file], 1)
          const unpartitioned = yield* Effect.flip(load([file], 1, "2024-03-01"))
          assert.include(unpartitioned.detail, "not partitioned")
          assert.strictEqual(yield* count(), 1)
        })
      )
    )

    it.effect("no files and zero expected rows create an empty table", () =>
      run(
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* load([], 0, "2024-03-01"), { rows: 0 })
          assert.strictEqual(yield* count(), 0)
          assert.deepStrictEqual(yield* Warehouse.use((warehouse) => warehouse.tables("sales")), ["items"])
        })
      )
    )

    it.effect("count, rows and tables of a missing table or schema", () =>
      run(
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          const missing = { schema: "nope", table: "t" }
          const counted = yield* Effect.flip(warehouse.count(missing))
          assert.strictEqual(counted.reason, "NotFound")
          assert.strictEqual(counted.dataset, "nope.t")
          assert.strictEqual(counted.operation, "count")
          assert.strictEqual((yield* Effect.flip(warehouse.rows(missing))).reason, "NotFound")
          assert.deepStrictEqual(yield* warehouse.tables("nope"), [])
        })
      )
    )

    it.effect("tables lists a schema's tables sorted by name, and only that schema's", () =>
      run(
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          for (const table of ["zeta", "alpha", "mid"]) {
            yield* warehouse.load({ ...request([], 0, "2024-01-01"), dataset: { schema: "s", table } })
          }
          yield* warehouse.load({ ...request([], 0, "2024-01-01"), dataset: { schema: "s_x", table: "hidden" } })
          assert.deepStrictEqual(yield* warehouse.tables("s"), ["alpha", "mid", "zeta"])
        })
      )
    )

    it.effect("rows filters by partition or by a data column's text, and honours limit", () =>
      run(
        Effect.gen(function* () {
          yield* load([yield* putItems("a.parquet", [1n, 2n, 3n])], 3, "2024-03-01")
          yield* load([yield* putItems("b.parquet", [4n])], 1, "2024-03-02")
          const warehouse = yield* Warehouse
          assert.deepStrictEqual(
            (yield* warehouse.rows(dataset, { limit: 2 })).map((row) => row.id),
            [1n, 2n]
          )
          assert.strictEqual((yield* warehouse.rows(dataset, { limit: 0 })).length, 0)
          assert.strictEqual(yield* warehouse.count(dataset, { column: "id", value: "4" }), 1)
          assert.strictEqual(yield* warehouse.count(dataset, { column: "price", value: "2.50" }), 1)
          const unknown = yield* Effect.flip(warehouse.count(dataset, { column: "colour", value: "red" }))
          assert.strictEqual(unknown.reason, "NotFound")
          assert.include(unknown.detail, `"colour"`)
          const badLimit = yield* Effect.flip(warehouse.rows(dataset, { limit: -1 }))
          assert.strictEqual(badLimit.reason, "QueryFailed")
        })
      )
    )
  })
