import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type Condition, type Row, SourceDb, type SourceDbError, type Value } from "../../src/services/SourceDb.ts"
import { TestDatabase } from "../support/database.ts"
import { buildSource, execute, readAll, SourceOnFixture, sourceConfig, sql, table } from "./postgres-support.ts"

layer(SourceOnFixture, { excludeTestServices: true, timeout: "120 seconds" })("SourceDb on PostgreSQL", (it) => {
  it.effect("describes a table's columns in order, with types, nullability and numeric precision", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      assert.deepStrictEqual(yield* db.columns(table("everything")), [
        { name: "id", type: "int32", nullable: false },
        { name: "small", type: "int16", nullable: true },
        { name: "big", type: "int64", nullable: true },
        { name: "ratio", type: "float32", nullable: true },
        { name: "score", type: "float64", nullable: true },
        { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
        { name: "amount", type: "decimal", nullable: true, precision: 14, scale: 0 },
        { name: "name", type: "string", nullable: false },
        { name: "code", type: "string", nullable: true },
        { name: "flag", type: "string", nullable: true },
        { name: "active", type: "boolean", nullable: true },
        { name: "sale_day", type: "date", nullable: true },
        { name: "changed_at", type: "timestamp", nullable: true },
        { name: "synced_at", type: "timestamptz", nullable: true },
        { name: "doc", type: "json", nullable: true },
        { name: "attrs", type: "json", nullable: true },
        { name: "ref", type: "uuid", nullable: true },
        { name: "blob", type: "bytes", nullable: true },
        { name: "span", type: "string", nullable: true }
      ])
    })
  )

  it.effect("streams every type in its canonical representation, NULLs as null", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const rows = yield* readAll(db, { source: table("everything"), orderBy: ["id"] })
      assert.deepStrictEqual(rows, [
        {
          id: 1,
          small: 7,
          big: 9007199254740993n,
          ratio: 1.1,
          score: 0.1,
          price: "1234.50",
          amount: "15000",
          name: "사과 (부사) 1.5kg",
          code: "A-001",
          flag: "ab ",
          active: true,
          sale_day: "2024-02-29",
          changed_at: "2024-03-01T09:15:30.123456",
          synced_at: "2024-03-01T00:15:30.123456Z",
          doc: '{"b": 1,  "a": [1,2]}',
          attrs: '{"a": [1, 2], "b": 1}',
          ref: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
          blob: new Uint8Array([0, 255, 16]),
          span: "1 day 02:03:04"
        },
        {
          id: 2,
          small: null,
          big: null,
          ratio: null,
          score: null,
          price: null,
          amount: null,
          name: "배",
          code: null,
          flag: null,
          active: null,
          sale_day: null,
          changed_at: null,
          synced_at: null,
          doc: null,
          attrs: null,
          ref: null,
          blob: null,
          span: null
        }
      ])
    })
  )

  it.effect("compares timestamps, timestamptz and numerics as their type, to the microsecond and exactly", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const ids = (where: Condition) =>
        Effect.map(readAll(db, { source: table("everything"), columns: ["id"], where: [where] }), (rows) =>
          rows.map((row) => row.id)
        )
      assert.deepStrictEqual(
        yield* ids({ _tag: "Compare", column: "changed_at", op: ">", value: "2024-03-01T09:15:30.123455" }),
        [1]
      )
      assert.deepStrictEqual(
        yield* ids({ _tag: "Compare", column: "changed_at", op: ">", value: "2024-03-01T09:15:30.123456" }),
        []
      )
      assert.deepStrictEqual(
        yield* ids({ _tag: "Compare", column: "synced_at", op: "=", value: "2024-03-01T00:15:30.123456Z" }),
        [1]
      )
      assert.deepStrictEqual(yield* ids({ _tag: "Compare", column: "sale_day", op: ">=", value: "2024-02-29" }), [1])
      assert.deepStrictEqual(yield* ids({ _tag: "Compare", column: "big", op: "=", value: 9007199254740993n }), [1])
      assert.deepStrictEqual(yield* ids({ _tag: "Compare", column: "ratio", op: "=", value: 1.1 }), [1])
      assert.deepStrictEqual(yield* ids({ _tag: "Compare", column: "name", op: "=", value: "배" }), [2])
      // 10.005 must not be rounded to the column's scale (10.01) before comparing.
      for (const value of ["10.005", 10.005]) {
        const skus = yield* readAll(db, {
          source: table("changes"),
          columns: ["sku"],
          where: [{ _tag: "Compare", column: "price", op: ">", value }],
          orderBy: ["price"],
          limit: 2
        })
        assert.deepStrictEqual(
          skus.map((row) => row.sku),
          ["B", "c"]
        )
      }
    })
  )

  it.effect("pages through equal change times with After, in code point order, without repeating or skipping", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const ordered = ["changed_at", "sku"]
      const all = yield* readAll(db, { source: table("changes"), columns: ordered, orderBy: ordered })
      assert.deepStrictEqual(
        all.map((row) => row.sku),
        ["B", "a", "c", "가", "d", "e", "f", "g"]
      )
      assert.deepStrictEqual(all[0], { changed_at: "2024-03-01T10:00:00.000001", sku: "B" })
      const seen: Array<Row> = []
      let last: Row | undefined
      for (let page = 0; page < 10; page++) {
        const rows: Array<Row> = yield* readAll(db, {
          source: table("changes"),
          columns: ordered,
          where:
            last === undefined
              ? [{ _tag: "IsNotNull", column: "changed_at" }]
              : [
                  { _tag: "After", columns: ["changed_at", "sku"], values: [last.changed_at ?? null, last.sku ?? null] }
                ],
          orderBy: ordered,
          limit: 2
        })
        if (rows.length === 0) break
        seen.push(...rows)
        last = rows.at(-1)
      }
      assert.deepStrictEqual(
        seen.map((row) => row.sku),
        ["B", "a", "c", "가", "d", "e", "f"]
      )
    })
  )

  it.effect("In matches any listed value, compared as the column's type", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const ids = (column: string, values: ReadonlyArray<Value>) =>
        Effect.map(
          readAll(db, { source: table("everything"), columns: ["id"], where: [{ _tag: "In", column, values }] }),
          (rows) => rows.map((row) => row.id)
        )
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<Value>, ReadonlyArray<Value>]> = [
        ["id", [2, 3, null], [2]],
        ["small", [7], [1]],
        ["big", [9007199254740993n, 1], [1]],
        ["ratio", [1.1], [1]],
        ["price", ["1234.5"], [1]],
        ["name", ["배", "사과"], [2]],
        ["flag", ["ab"], [1]],
        ["flag", ["ab "], [1]],
        ["active", [true], [1]],
        ["sale_day", ["2024-02-29"], [1]],
        ["changed_at", ["2024-03-01T09:15:30.123456", "2024-03-01T09:15:30.123457"], [1]],
        ["synced_at", ["2024-03-01T00:15:30.123456Z"], [1]],
        ["attrs", ['{"a": [1, 2], "b": 1}'], [1]],
        ["ref", ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], [1]],
        ["blob", [new Uint8Array([0, 255, 16])], [1]],
        ["span", ["1 day 02:03:04"], [1]],
        ["id", [], []],
        ["id", [null], []]
      ]
      for (const [column, values, expected] of cases) {
        assert.deepStrictEqual(
          yield* ids(column, values),
          [...expected],
          `${column} in ${values.map(String).join(", ")}`
        )
      }
    })
  )

  it.effect("exists answers whether a row matches", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const after = (changed: string, sku: string) =>
        [{ _tag: "After", columns: ["changed_at", "sku"], values: [changed, sku] }] as const
      assert.isTrue(yield* db.exists({ source: table("changes") }))
      assert.isTrue(yield* db.exists({ source: table("changes"), where: after("2024-03-01T10:00:00.000999", "e") }))
      assert.isFalse(yield* db.exists({ source: table("changes"), where: after("2024-03-01T10:00:00.001000", "f") }))
      assert.isFalse(
        yield* db.exists({ source: table("changes"), where: [{ _tag: "Compare", column: "sku", op: "=", value: "z" }] })
      )
      assert.isFalse(yield* db.exists({ source: table("changes"), limit: 0 }))
      assert.isTrue(yield* db.exists({ source: sql("SELECT * FROM changes WHERE price > 14") }))
    })
  )

  it.effect("reads reuse what columns last said of the source; columns asks the catalog again", () =>
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      yield* execute(url, ["CREATE TABLE described (a int)", "INSERT INTO described VALUES (1)"])
      const db = yield* buildSource(sourceConfig(url))
      assert.deepStrictEqual(
        (yield* db.columns(table("described"))).map((c) => c.name),
        ["a"]
      )
      yield* execute(url, ["ALTER TABLE described ADD COLUMN b text DEFAULT 'x'"])
      // Within a pass, reads go by the description its columns call found.
      assert.deepStrictEqual(yield* readAll(db, { source: table("described") }), [{ a: 1 }])
      const unknown = yield* Effect.flip(readAll(db, { source: table("described"), columns: ["b"] }))
      assert.include(unknown.detail, '"b"')
      assert.deepStrictEqual(
        (yield* db.columns(table("described"))).map((c) => c.name),
        ["a", "b"]
      )
      assert.deepStrictEqual(yield* readAll(db, { source: table("described") }), [{ a: 1, b: "x" }])
    })
  )

  it.effect("reads a table named without a schema from the configured one, keeping the name's case", () =>
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      const db = yield* buildSource(sourceConfig(url, { schema: "shop" }))
      assert.deepStrictEqual(yield* readAll(db, { source: table("Items") }), [{ sku: "from shop" }])
      const elsewhere = yield* readAll(db, { source: table("changes", "public"), columns: ["sku"], limit: 1 })
      assert.strictEqual(elsewhere.length, 1)
      const missing = yield* Effect.flip(db.columns(table("changes")))
      assert.strictEqual(missing.reason, "NotFound")
      assert.include(missing.detail, "shop.changes")
    })
  )

  it.effect("reads a query source: columns from its result, filtered, ordered and limited as a sub-select", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const source = sql("SELECT sku, price, changed_at, count(*) OVER () AS n FROM changes;")
      assert.deepStrictEqual(yield* db.columns(source), [
        { name: "sku", type: "string", nullable: true },
        { name: "price", type: "decimal", nullable: true },
        { name: "changed_at", type: "timestamp", nullable: true },
        { name: "n", type: "int64", nullable: true }
      ])
      const rows = yield* readAll(db, {
        source,
        where: [{ _tag: "Compare", column: "price", op: ">=", value: "12" }],
        orderBy: ["price"],
        limit: 2
      })
      assert.deepStrictEqual(rows, [
        { sku: "d", price: "12.00", changed_at: "2024-03-01T10:00:00.000002", n: 8n },
        { sku: "e", price: "13.00", changed_at: "2024-03-01T10:00:00.000999", n: 8n }
      ])
    })
  )

  it.effect("a missing table, schema, column or relation in a query is NotFound naming it", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const failures: Array<[SourceDbError, string]> = [
        [yield* Effect.flip(db.columns(table("nope"))), "public.nope"],
        [yield* Effect.flip(db.columns(table("changes", "nowhere"))), "nowhere.changes"],
        [yield* Effect.flip(readAll(db, { source: table("nope") })), "public.nope"],
        [yield* Effect.flip(db.exists({ source: table("nope") })), "public.nope"],
        [yield* Effect.flip(readAll(db, { source: table("changes"), columns: ["sku", "colour"] })), '"colour"'],
        [yield* Effect.flip(db.columns(sql("SELECT * FROM missing_table"))), '"missing_table"'],
        [yield* Effect.flip(readAll(db, { source: sql("SELECT colour FROM changes") })), '"colour"']
      ]
      for (const [error, name] of failures) {
        assert.strictEqual(error.reason, "NotFound", error.message)
        assert.strictEqual(error.tenant, "acme")
        assert.include(error.detail, name)
        assert.isFalse(error.retryable)
      }
      assert.deepStrictEqual(
        failures.map(([error]) => error.operation),
        ["columns", "columns", "stream", "exists", "stream", "columns", "stream"]
      )
    })
  )

  it.effect("a broken query or a query failing while rows stream is QueryFailed", () =>
    Effect.gen(function* () {
      const db = yield* SourceDb
      const syntax = yield* Effect.flip(db.columns(sql("SELEC sku FROM changes")))
      assert.strictEqual(syntax.reason, "QueryFailed")
      assert.include(syntax.detail, "syntax error")
      const duplicate = yield* Effect.flip(db.columns(sql("SELECT sku, sku FROM changes")))
      assert.strictEqual(duplicate.reason, "QueryFailed")
      assert.include(duplicate.detail, '"sku" more than once')
      // Planned fine, fails on the row with price 15.
      const midway = yield* Effect.flip(
        readAll(db, { source: sql("SELECT sku, 1 / (15 - price::int) AS x FROM changes"), orderBy: ["sku"] })
      )
      assert.strictEqual(midway.reason, "QueryFailed")
      assert.include(midway.detail, "division by zero")
    })
  )
})
