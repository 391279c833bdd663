import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Column } from "../../src/services/SourceDb.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { duckDbOnFiles, loadInto, put, scratchFolder, storedTypes } from "./duckdb-support.ts"
import { decimal, int64, utf8 } from "./parquet-files.ts"

const scratch = scratchFolder("duckdb-schema")
afterAll(scratch.cleanup)
const fresh = () => duckDbOnFiles(path.join(scratch.fresh("db"), "w.duckdb"), scratch.fresh("objects"))

const dataset = { schema: "sales", table: "items" }
const id: Column = { name: "id", type: "int64", nullable: false }
const name: Column = { name: "name", type: "string", nullable: true }
const colour: Column = { name: "colour", type: "string", nullable: true }
const price: Column = { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 }

const rows = Warehouse.use((warehouse) => warehouse.rows(dataset))

describe("DuckDB warehouse: schema changes between partitions", () => {
  it.effect("a column the table lacks is added; columns a load lacks are NULL in its partition", () =>
    Effect.gen(function* () {
      yield* loadInto(
        dataset,
        [id, name],
        [yield* put("d1.parquet", [int64("id", [1n]), utf8("name", ["가"])])],
        1,
        "d1"
      )
      const withColour = [int64("id", [2n]), utf8("name", ["나"]), utf8("colour", ["빨강"])]
      yield* loadInto(dataset, [id, name, colour], [yield* put("d2.parquet", withColour)], 1, "d2")
      yield* loadInto(dataset, [id], [yield* put("d3.parquet", [int64("id", [3n])])], 1, "d3")
      assert.deepStrictEqual(yield* rows, [
        { id: 1n, name: "가", colour: null, dt: "d1" },
        { id: 2n, name: "나", colour: "빨강", dt: "d2" },
        { id: 3n, name: null, colour: null, dt: "d3" }
      ])
      assert.deepStrictEqual(Object.keys((yield* rows)[0] ?? {}), ["id", "name", "colour", "dt"])
      assert.deepStrictEqual(yield* storedTypes(dataset), {
        id: "BIGINT",
        name: "VARCHAR",
        dt: "VARCHAR",
        colour: "VARCHAR"
      })
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("integer and decimal columns are widened when a load needs more room, never narrowed", () =>
    Effect.gen(function* () {
      const narrow: ReadonlyArray<Column> = [
        { name: "n", type: "int32", nullable: true },
        { name: "amount", type: "decimal", nullable: true, precision: 10, scale: 2 }
      ]
      const first = [{ element: { name: "n", type: "INT32" as const }, data: [7] }, decimal("amount", 2, [150n])]
      yield* loadInto(dataset, narrow, [yield* put("a.parquet", first)], 1, "d1")
      const wide: ReadonlyArray<Column> = [
        { name: "n", type: "int64", nullable: true },
        { name: "amount", type: "decimal", nullable: true, precision: 12, scale: 4 }
      ]
      yield* loadInto(
        dataset,
        wide,
        [yield* put("b.parquet", [int64("n", [2n ** 40n]), decimal("amount", 4, [12345n])])],
        1,
        "d2"
      )
      assert.deepStrictEqual(yield* storedTypes(dataset), { n: "BIGINT", amount: "DECIMAL(12,4)", dt: "VARCHAR" })
      yield* loadInto(dataset, narrow, ["a.parquet"], 1, "d3")
      assert.deepStrictEqual(yield* storedTypes(dataset), { n: "BIGINT", amount: "DECIMAL(12,4)", dt: "VARCHAR" })
      assert.deepStrictEqual(
        (yield* rows).map((row) => [row.n, row.amount]),
        [
          [7n, "1.5000"],
          [2n ** 40n, "1.2345"],
          [7n, "1.5000"]
        ]
      )
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("an incompatible type change fails naming the column and both types, and changes nothing", () =>
    Effect.gen(function* () {
      const file = yield* put("p.parquet", [int64("id", [1n]), decimal("price", 2, [250n])])
      yield* loadInto(dataset, [id, price], [file], 1, "d1")
      const asText = yield* put("t.parquet", [int64("id", [2n]), utf8("price", ["cheap"])])
      const error = yield* Effect.flip(
        loadInto(dataset, [id, { name: "price", type: "string", nullable: true }], [asText], 1, "d2")
      )
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.detail, `column "price" is DECIMAL(12,2) in the table`)
      assert.include(error.detail, "string (VARCHAR)")
      assert.deepStrictEqual(yield* rows, [{ id: 1n, price: "2.50", dt: "d1" }])
      assert.deepStrictEqual(yield* storedTypes(dataset), { id: "BIGINT", price: "DECIMAL(12,2)", dt: "VARCHAR" })
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("a failed load also undoes the columns it added", () =>
    Effect.gen(function* () {
      yield* loadInto(dataset, [id], [yield* put("a.parquet", [int64("id", [1n])])], 1, "d1")
      const file = yield* put("b.parquet", [int64("id", [2n]), utf8("colour", ["red"])])
      const error = yield* Effect.flip(loadInto(dataset, [id, colour], [file], 2, "d2"))
      assert.strictEqual(error.reason, "RowCountMismatch")
      assert.deepStrictEqual(yield* storedTypes(dataset), { id: "BIGINT", dt: "VARCHAR" })
      assert.strictEqual(yield* Warehouse.use((warehouse) => warehouse.count(dataset)), 1)
    }).pipe(Effect.provide(fresh()))
  )
})

describe("DuckDB warehouse: replacing is one transaction", () => {
  // 40000 does not fit a SMALLINT: DuckDB fails halfway through the INSERT, after the DELETE or CREATE OR REPLACE.
  const small: Column = { name: "id", type: "int16", nullable: false }
  const overflowing = put("overflow.parquet", [int64("id", [1n, 40000n])])

  it.effect("a whole-table load failing halfway leaves the old table, rows and columns", () =>
    Effect.gen(function* () {
      yield* loadInto(
        dataset,
        [id, name],
        [yield* put("v1.parquet", [int64("id", [1n, 2n]), utf8("name", ["a", "b"])])],
        2
      )
      const error = yield* Effect.flip(loadInto(dataset, [small], [yield* overflowing], 2))
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.detail, "40000")
      assert.include(error.detail, "overflow.parquet")
      assert.deepStrictEqual(yield* rows, [
        { id: 1n, name: "a" },
        { id: 2n, name: "b" }
      ])
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("a partition load failing halfway leaves the old partition", () =>
    Effect.gen(function* () {
      yield* loadInto(dataset, [small], [yield* put("ok.parquet", [int64("id", [5n])])], 1, "d1")
      yield* Effect.flip(loadInto(dataset, [small], [yield* overflowing], 2, "d1"))
      assert.deepStrictEqual(yield* rows, [{ id: 5, dt: "d1" }])
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("loads and reads issued at once run one after another on the single connection", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      const days = ["d1", "d2", "d3", "d4", "d5", "d6"]
      const files = yield* Effect.forEach(days, (day, i) =>
        put(`${day}.parquet`, [
          int64(
            "id",
            Array.from({ length: i + 1 }, (_, n) => BigInt(n))
          )
        ])
      )
      const loaded = yield* Effect.all(
        days.map((day, i) => loadInto(dataset, [id], [files[i] as string], i + 1, day)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        loaded.map((result) => result.rows),
        [1, 2, 3, 4, 5, 6]
      )
      const counts = yield* Effect.all(
        days.map((day) => warehouse.count(dataset, { column: "dt", value: day })),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(counts, [1, 2, 3, 4, 5, 6])
    }).pipe(Effect.provide(fresh()))
  )

  it.effect("readers running alongside a replacement see the old table or the new one, never a gap", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      yield* loadInto(dataset, [id], [yield* put("old.parquet", [int64("id", [1n, 2n, 3n])])], 3)
      const next = yield* put("new.parquet", [int64("id", [4n, 5n, 6n, 7n, 8n])])
      let loading = true
      const read = Effect.gen(function* () {
        const seen: Array<number> = []
        while (loading || seen.length === 0) seen.push(yield* warehouse.count(dataset))
        return seen
      })
      const replace = loadInto(dataset, [id], [next], 5).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            loading = false
          })
        )
      )
      const [before, , after] = yield* Effect.all([read, replace, read], { concurrency: "unbounded" })
      for (const counted of [...before, ...after]) assert.include([3, 5], counted)
      assert.strictEqual(yield* warehouse.count(dataset), 5)
    }).pipe(Effect.provide(fresh()))
  )
})
