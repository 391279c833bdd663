import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { layerMemory } from "../../layers/source-db/memory.ts"
import { type Condition, type ReadRequest, type Row, SourceDb, type Value } from "../../src/services/SourceDb.ts"
import { columns, ids, read, table, tables, ts, where, withTables } from "./fixtures.ts"

describe("SourceDb memory: tables and columns", () => {
  it.effect("columns are returned in declared order; a bare name is in schema public", () =>
    withTables(
      Effect.gen(function* () {
        const db = yield* SourceDb
        assert.deepStrictEqual(yield* db.columns(table()), columns)
        assert.deepStrictEqual(yield* db.columns({ _tag: "Table", schema: "public", table: "items" }), columns)
        const orders = yield* db.columns({ _tag: "Table", schema: "sales", table: "orders" })
        assert.deepStrictEqual(
          orders.map((column) => column.name),
          ["order_id"]
        )
      })
    )
  )

  it.effect("an unknown table or schema is NotFound, naming it and the tenant", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const missing = yield* Effect.flip(db.columns(table("nope")))
      assert.strictEqual(missing.reason, "NotFound")
      assert.strictEqual(missing.tenant, "acme")
      assert.strictEqual(missing.operation, "columns")
      assert.include(missing.message, "nope")
      assert.isFalse(missing.retryable)
      const schema = yield* Effect.flip(db.columns({ _tag: "Table", schema: "other", table: "items" }))
      assert.strictEqual(schema.reason, "NotFound")
      assert.include(schema.detail, "other.items")
      const streamed = yield* Effect.flip(Stream.runCollect(db.stream({ source: table("orders") })))
      assert.strictEqual(streamed.reason, "NotFound")
    }).pipe(Effect.provide(layerMemory(tables, { tenant: "acme" })))
  )

  it.effect("a Query source fails with QueryFailed saying memory sources serve tables only", () =>
    withTables(
      Effect.gen(function* () {
        const db = yield* SourceDb
        const query = { _tag: "Query", sql: "select 1" } as const
        const errors = [
          yield* Effect.flip(db.columns(query)),
          yield* Effect.flip(Stream.runCollect(db.stream({ source: query }))),
          yield* Effect.flip(db.exists({ source: query }))
        ]
        for (const error of errors) {
          assert.strictEqual(error.reason, "QueryFailed")
          assert.strictEqual(error.tenant, "memory")
          assert.include(error.detail, "tables only")
        }
        assert.deepStrictEqual(
          errors.map((error) => error.operation),
          ["columns", "stream", "exists"]
        )
      })
    )
  )

  it.effect("unknown columns in the projection, conditions or order are NotFound naming the column", () =>
    withTables(
      Effect.gen(function* () {
        const requests: Array<[string, Partial<ReadRequest>]> = [
          ["ghost", { columns: ["id", "ghost"] }],
          ["w", where({ _tag: "IsNull", column: "w" })],
          ["c2", where({ _tag: "After", columns: ["id", "c2"], values: [1n, 1n] })],
          ["o", { orderBy: ["id", "o"] }]
        ]
        for (const [column, request] of requests) {
          const error = yield* Effect.flip(read(request))
          assert.strictEqual(error.reason, "NotFound")
          assert.include(error.detail, `"${column}"`)
          const exists = yield* Effect.flip(SourceDb.use((db) => db.exists({ source: table(), ...request })))
          assert.strictEqual(exists.reason, "NotFound")
        }
      })
    )
  )
})

describe("SourceDb memory: stream", () => {
  it.effect("without options every row arrives with every column, in insertion order", () =>
    withTables(
      Effect.gen(function* () {
        const rows = yield* read()
        assert.strictEqual(rows.length, 5)
        assert.deepStrictEqual(
          Object.keys(rows[1] ?? {}),
          columns.map((column) => column.name)
        )
        assert.strictEqual(rows[1]?.image, null)
        assert.deepStrictEqual(
          rows.map((row) => row.id),
          [1n, 2n, 3n, 9007199254740993n, 5n]
        )
      })
    )
  )

  it.effect("the projection returns the requested columns in the requested order", () =>
    withTables(
      Effect.gen(function* () {
        const [first] = yield* read({ columns: ["price", "id"], limit: 1 })
        assert.deepStrictEqual(Object.keys(first ?? {}), ["price", "id"])
        assert.deepStrictEqual(first, { price: "9.50", id: 1n })
      })
    )
  )

  it.effect("comparisons follow each type: bigints, exact decimals, timestamps, code point text, booleans", () =>
    withTables(
      Effect.gen(function* () {
        const compare = (column: string, op: "=" | "<" | "<=" | ">" | ">=", value: Row[string]) =>
          ids(where({ _tag: "Compare", column, op, value }))
        assert.deepStrictEqual(yield* compare("id", ">", 9007199254740992n), [9007199254740993n])
        assert.deepStrictEqual(yield* compare("id", "<=", 2), [1n, 2n])
        assert.deepStrictEqual(yield* compare("price", ">", "9.6"), [2n])
        assert.deepStrictEqual(yield* compare("price", "=", "1.50"), [9007199254740993n])
        assert.deepStrictEqual(yield* compare("price", "<", 0), [5n])
        assert.deepStrictEqual(yield* compare("price", ">=", 10n), [2n])
        assert.deepStrictEqual(yield* compare("updated_at", ">=", ts(2)), [2n, 3n])
        assert.deepStrictEqual(yield* compare("updated_at", "<", ts(2)), [1n, 5n])
        assert.deepStrictEqual(yield* compare("name", "<", "apple"), [2n])
        assert.deepStrictEqual(yield* compare("name", ">", "zebra"), [5n])
        assert.deepStrictEqual(yield* compare("active", "=", false), [2n])
        assert.deepStrictEqual(yield* compare("active", ">", false), [1n, 3n])
        assert.deepStrictEqual(yield* compare("image", "=", new Uint8Array([1])), [1n])
      })
    )
  )

  it.effect("comparisons with NULL are false; IsNull and IsNotNull find them", () =>
    withTables(
      Effect.gen(function* () {
        for (const op of ["=", "<", "<=", ">", ">="] as const) {
          assert.notInclude(yield* ids(where({ _tag: "Compare", column: "qty", op, value: 0 })), 2n)
          assert.deepStrictEqual(yield* ids(where({ _tag: "Compare", column: "qty", op, value: null })), [])
        }
        assert.deepStrictEqual(yield* ids(where({ _tag: "IsNull", column: "price" })), [3n])
        assert.deepStrictEqual(yield* ids(where({ _tag: "IsNotNull", column: "active" })), [1n, 2n, 3n])
        assert.deepStrictEqual(
          yield* ids(
            where({ _tag: "IsNotNull", column: "qty" }, { _tag: "Compare", column: "qty", op: ">", value: 4 })
          ),
          [1n, 3n]
        )
      })
    )
  )

  it.effect("After is SQL's row-value comparison, with NULLs never after anything", () =>
    withTables(
      Effect.gen(function* () {
        const rowsAfter = (values: readonly [Row[string], Row[string]]) =>
          ids(where({ _tag: "After", columns: ["updated_at", "id"], values }))
        assert.deepStrictEqual(yield* rowsAfter([ts(1), 1n]), [2n, 3n, 5n])
        assert.deepStrictEqual(yield* rowsAfter([ts(2), 2n]), [3n])
        assert.deepStrictEqual(yield* rowsAfter([ts(2), 3n]), [])
        assert.deepStrictEqual(yield* rowsAfter([null, 1n]), [])
        assert.deepStrictEqual(yield* rowsAfter([ts(1), null]), [2n, 3n])
      })
    )
  )

  it.effect("keyset pagination with After, orderBy and limit visits every non-NULL row once", () =>
    withTables(
      Effect.gen(function* () {
        const seen: Array<Value | undefined> = []
        let watermark: readonly [Value, Value] | undefined
        for (let page = 0; page < 10; page++) {
          const rows = yield* read({
            columns: ["updated_at", "id"],
            orderBy: ["updated_at", "id"],
            limit: 2,
            ...(watermark ? where({ _tag: "After", columns: ["updated_at", "id"], values: watermark }) : {})
          })
          const last = rows.at(-1)
          if (last === undefined) break
          seen.push(...rows.map((row) => row.id))
          watermark = [last.updated_at ?? null, last.id ?? null]
        }
        assert.deepStrictEqual(seen, [1n, 5n, 2n, 3n])
      })
    )
  )

  it.effect("orderBy is ascending with NULLs last, by each column in turn", () =>
    withTables(
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* ids({ orderBy: ["price"] }), [5n, 9007199254740993n, 1n, 2n, 3n])
        assert.deepStrictEqual(yield* ids({ orderBy: ["updated_at", "qty"] }), [5n, 1n, 3n, 2n, 9007199254740993n])
        assert.deepStrictEqual(yield* ids({ orderBy: ["active", "id"] }), [2n, 1n, 3n, 5n, 9007199254740993n])
        assert.deepStrictEqual(yield* ids({ orderBy: ["name"] }), [2n, 1n, 3n, 5n, 9007199254740993n])
        assert.deepStrictEqual(yield* ids({ orderBy: ["id"] }), [1n, 2n, 3n, 5n, 9007199254740993n])
      })
    )
  )

  it.effect("limit keeps the first rows after ordering; a bad limit is QueryFailed", () =>
    withTables(
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* ids({ orderBy: ["id"], limit: 2 }), [1n, 2n])
        assert.deepStrictEqual(yield* ids({ limit: 0 }), [])
        for (const limit of [-1, 1.5]) {
          const error = yield* Effect.flip(read({ limit }))
          assert.strictEqual(error.reason, "QueryFailed")
          assert.include(error.detail, "limit")
        }
      })
    )
  )

  it.effect("a bound value of the wrong type is QueryFailed", () =>
    withTables(
      Effect.gen(function* () {
        const conditions: Array<Condition> = [
          { _tag: "Compare", column: "qty", op: "=", value: "5" },
          { _tag: "Compare", column: "updated_at", op: ">", value: "2024-03-01" },
          { _tag: "Compare", column: "price", op: ">", value: "ten" },
          { _tag: "After", columns: ["updated_at", "id"], values: [ts(1), "1"] }
        ]
        for (const condition of conditions) {
          const error = yield* Effect.flip(read(where(condition)))
          assert.strictEqual(error.reason, "QueryFailed")
          assert.include(error.detail, "must be")
        }
      })
    )
  )

  it.effect("rows handed out do not share memory with the table", () =>
    withTables(
      Effect.gen(function* () {
        const [first] = yield* read({ limit: 1 })
        ;(first?.image as Uint8Array)[0] = 99
        const [again] = yield* read({ limit: 1 })
        assert.deepStrictEqual(again?.image, new Uint8Array([1]))
      })
    )
  )
})

describe("SourceDb memory: exists", () => {
  it.effect("tells whether any row matches", () =>
    withTables(
      Effect.gen(function* () {
        const db = yield* SourceDb
        assert.isTrue(yield* db.exists({ source: table() }))
        assert.isTrue(
          yield* db.exists({ source: table(), where: [{ _tag: "Compare", column: "qty", op: ">", value: 6 }] })
        )
        assert.isFalse(
          yield* db.exists({ source: table(), where: [{ _tag: "Compare", column: "qty", op: ">", value: 7 }] })
        )
        assert.isFalse(yield* db.exists({ source: table(), limit: 0 }))
      })
    )
  )
})
