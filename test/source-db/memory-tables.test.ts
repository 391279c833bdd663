import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { layerMemory, MemorySourceTables, type MemoryTables } from "../../layers/source-db/memory.ts"
import { type Column, type Row, SourceDb } from "../../src/services/SourceDb.ts"
import { ids, read, table, where, withTables } from "./fixtures.ts"

describe("MemorySourceTables: changing rows after construction", () => {
  it.effect("inserted, updated and deleted rows are what the next read sees", () =>
    withTables(
      Effect.gen(function* () {
        const tables = yield* MemorySourceTables
        yield* tables.insert("items", [{ id: 10n, name: "fig", price: "2.00" }])
        assert.deepStrictEqual((yield* read({ columns: ["id", "qty"] })).at(-1), {
          id: 10n,
          qty: null
        })
        const raised = yield* tables.update("items", (row) => row.id === 1n || row.id === 10n, { price: "11.00" })
        assert.strictEqual(raised, 2)
        const renamed = yield* tables.update(
          "public.items",
          (row) => row.name === "fig",
          (row) => ({ ...row, name: "FIG" })
        )
        assert.strictEqual(renamed, 1)
        assert.deepStrictEqual(yield* ids(where({ _tag: "Compare", column: "price", op: "=", value: "11" })), [1n, 10n])
        assert.strictEqual(yield* tables.delete("items", (row) => row.id === 2n || row.id === 3n), 2)
        assert.deepStrictEqual(yield* ids(), [1n, 9007199254740993n, 5n, 10n])
        assert.deepStrictEqual(
          (yield* tables.rows("items")).map((row) => row.name),
          ["apple", null, "émile", "FIG"]
        )
        yield* tables.insert("sales.orders", [{ order_id: 2 }])
        const orders = yield* SourceDb.use((db) =>
          Stream.runCollect(db.stream({ source: { _tag: "Table", schema: "sales", table: "orders" } }))
        )
        assert.deepStrictEqual(orders, [{ order_id: 1 }, { order_id: 2 }])
      })
    )
  )

  it.effect("a running stream reads the rows as they were when it started", () =>
    withTables(
      Effect.gen(function* () {
        const tables = yield* MemorySourceTables
        const db = yield* SourceDb
        const seen: Array<Row> = []
        yield* db.stream({ source: table(), columns: ["id"] }).pipe(
          Stream.runForEach((row) =>
            Effect.andThen(
              tables.insert("items", [{ id: 100n + BigInt(seen.push(row)) }]),
              tables.delete("items", () => true)
            )
          )
        )
        assert.strictEqual(seen.length, 5)
      })
    )
  )

  it.effect("an invalid row changes nothing and says what is wrong", () =>
    withTables(
      Effect.gen(function* () {
        const tables = yield* MemorySourceTables
        const wrongType = yield* Effect.flip(tables.insert("items", [{ id: 20n }, { id: 21 }]))
        assert.strictEqual(wrongType.reason, "QueryFailed")
        assert.strictEqual(wrongType.operation, "insert")
        assert.include(wrongType.detail, `column "id" (int64) cannot hold 21`)
        const unknown = yield* Effect.flip(tables.insert("items", [{ id: 20n, colour: "red" }]))
        assert.strictEqual(unknown.reason, "NotFound")
        assert.include(unknown.detail, `"colour"`)
        const notNull = yield* Effect.flip(tables.update("items", () => true, { id: null }))
        assert.include(notNull.detail, "not nullable")
        const missing = yield* Effect.flip(tables.delete("nope", () => true))
        assert.strictEqual(missing.reason, "NotFound")
        assert.strictEqual((yield* Effect.flip(tables.rows("a.b.c"))).reason, "NotFound")
        assert.deepStrictEqual(yield* ids(), [1n, 2n, 3n, 9007199254740993n, 5n])
      })
    )
  )

  it.effect.each<[string, Column["type"], Row[string]]>([
    ["int16 out of range", "int16", 40000],
    ["int32 fraction", "int32", 1.5],
    ["int64 as number", "int64", 1],
    ["int64 out of range", "int64", 2n ** 63n],
    ["float as string", "float64", "1.0"],
    ["decimal as number", "decimal", 1.5],
    ["boolean as number", "boolean", 1],
    ["date with time", "date", "2024-01-01T00:00:00"],
    ["timestamp in milliseconds", "timestamp", "2024-01-01T00:00:00.000"],
    ["timestamptz without zone", "timestamptz", "2024-01-01T00:00:00.000000"],
    ["json that does not parse", "json", "{"],
    ["uuid malformed", "uuid", "not-a-uuid"],
    ["bytes as string", "bytes", "abc"],
    ["string as number", "string", 1]
  ])("a non-canonical value fails the build: %s", ([, type, value]) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          SourceDb.use((db) => db.columns(table("t"))),
          layerMemory({ t: { columns: [{ name: "v", type, nullable: true }], rows: [{ v: value }] } })
        )
      )
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.detail, `(${type}) cannot hold`)
    })
  )

  it.effect("canonical values of every type are accepted", () =>
    Effect.gen(function* () {
      const values: Record<string, [Column["type"], Row[string]]> = {
        a: ["int16", -32768],
        b: ["float32", 1.25],
        c: ["date", "2024-02-29"],
        d: ["timestamptz", "2024-01-01T00:00:00.000001Z"],
        e: ["json", '{"a":[1]}'],
        f: ["uuid", "123e4567-e89b-12d3-a456-426614174000"]
      }
      const layer = layerMemory({
        t: {
          columns: Object.entries(values).map(([name, [type]]) => ({ name, type, nullable: false })),
          rows: [Object.fromEntries(Object.entries(values).map(([name, [, value]]) => [name, value]))]
        }
      })
      const rows = yield* Effect.provide(read({ source: table("t") }), layer)
      assert.deepStrictEqual(rows[0]?.d, "2024-01-01T00:00:00.000001Z")
      const later = yield* Effect.provide(
        read({
          source: table("t"),
          columns: ["c"],
          where: [{ _tag: "Compare", column: "d", op: ">", value: "2023-12-31T23:59:59.999999Z" }]
        }),
        layer
      )
      assert.strictEqual(later.length, 1)
    })
  )

  it.effect.each<[string, MemoryTables]>([
    ["a table name with two dots", { "a.b.c": { columns: [] } }],
    ["an empty schema", { ".t": { columns: [] } }],
    ["a table defined twice", { t: { columns: [] }, "public.t": { columns: [] } }],
    [
      "a column declared twice",
      {
        t: {
          columns: [
            { name: "x", type: "string", nullable: true },
            { name: "x", type: "int32", nullable: true }
          ]
        }
      }
    ]
  ])("an invalid definition fails the build: %s", ([, definition]) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          SourceDb.use((db) => db.exists({ source: table("t") })),
          layerMemory(definition)
        )
      )
      assert.strictEqual(error.reason, "QueryFailed")
      assert.strictEqual(error.operation, "layerMemory")
    })
  )
})
