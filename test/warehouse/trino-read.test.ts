import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { trinoServer } from "./trino-server.ts"
import { countAnswer, items, provideTrino } from "./trino-support.ts"

describe("Trino warehouse: reading", () => {
  it.live("count and rows filter by the column's text and honour limit (golden SQL)", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(3))
      server.on("SELECT *", { columns: [{ name: "id", type: "bigint" }], rows: [[1], [2]] })
      const [all, day, rows] = yield* provideTrino(server)(
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          return [
            yield* warehouse.count(items),
            yield* warehouse.count(items, { column: "dt", value: "2024-03-01" }),
            yield* warehouse.rows(items, { partition: { column: "dt", value: "2024-03-01" }, limit: 2 })
          ] as const
        })
      )
      assert.strictEqual(all, 3)
      assert.strictEqual(day, 3)
      assert.deepStrictEqual(rows, [{ id: 1n }, { id: 2n }])
      assert.deepStrictEqual(server.sql(), [
        `SELECT count(*) FROM "hive"."sales"."items"`,
        `SELECT count(*) FROM "hive"."sales"."items" WHERE CAST("dt" AS varchar) = '2024-03-01'`,
        `SELECT * FROM "hive"."sales"."items" WHERE CAST("dt" AS varchar) = '2024-03-01' LIMIT 2`
      ])
    })
  )

  it.live("a quote in a value stays inside its literal; a quote in a name is refused", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(0))
      const refused = yield* provideTrino(server)(
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          yield* warehouse.count(items, { column: "dt", value: "x' OR '1'='1" })
          yield* warehouse.count(items, { column: "name", value: "O'Brien\\'; DROP TABLE t; --" })
          return [
            yield* Effect.flip(warehouse.count({ schema: "sales", table: `items" WHERE 1=1 --` })),
            yield* Effect.flip(warehouse.count(items, { column: `dt") = 'x' OR ("dt`, value: "x" })),
            yield* Effect.flip(warehouse.tables("sales' OR '1'='1"))
          ]
        })
      )
      assert.deepStrictEqual(server.sql(), [
        `SELECT count(*) FROM "hive"."sales"."items" WHERE CAST("dt" AS varchar) = 'x'' OR ''1''=''1'`,
        `SELECT count(*) FROM "hive"."sales"."items" WHERE CAST("name" AS varchar) = 'O''Brien\\''; DROP TABLE t; --'`
      ])
      // Each literal is one token: removing its doubled quotes leaves no quote inside it.
      for (const sql of server.sql()) {
        const literal = sql.slice(sql.indexOf(" = '") + 3)
        assert.match(literal, /^'([^']|'')*'$/)
      }
      assert.deepStrictEqual(
        refused.map((error) => error.reason),
        ["QueryFailed", "QueryFailed", "QueryFailed"]
      )
    })
  )

  it.live("values arrive in SourceDb's canonical representation", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      const types: ReadonlyArray<readonly [string, string, unknown]> = [
        ["big", "bigint", 9223372036854775807n],
        ["small", "bigint", 42],
        ["i", "integer", 7],
        ["price", "decimal(20,4)", "12345678901234567.8901"],
        ["ts", "timestamp(3)", "2024-03-01 12:34:56.789"],
        ["ts6", "timestamp(6)", "2024-03-01 00:00:00.000001"],
        ["tz_utc", "timestamp(6) with time zone", "2024-03-01 12:00:00.123456 UTC"],
        ["tz_offset", "timestamp(3) with time zone", "2024-03-01 09:00:00.500 +09:00"],
        ["tz_zone", "timestamp(6) with time zone", "2024-07-01 12:00:00.000000 Europe/Berlin"],
        ["day", "date", "2024-02-29"],
        ["bytes", "varbinary", "AAEC/w=="],
        ["nan", "double", "NaN"],
        ["ratio", "real", 0.5],
        ["flag", "boolean", true],
        ["doc", "json", `{"a":1}`],
        ["tags", "array(bigint)", [1, 9007199254740993n]],
        ["nothing", "varchar", null]
      ]
      server.on("SELECT *", {
        columns: types.map(([name, type]) => ({ name, type })),
        rows: [types.map(([, , value]) => value)]
      })
      const [row] = yield* provideTrino(server)(Warehouse.use((warehouse) => warehouse.rows(items)))
      assert.deepStrictEqual(row, {
        big: 9223372036854775807n,
        small: 42n,
        i: 7,
        price: "12345678901234567.8901",
        ts: "2024-03-01T12:34:56.789000",
        ts6: "2024-03-01T00:00:00.000001",
        tz_utc: "2024-03-01T12:00:00.123456Z",
        tz_offset: "2024-03-01T00:00:00.500000Z",
        tz_zone: "2024-07-01T10:00:00.000000Z",
        day: "2024-02-29",
        bytes: new Uint8Array([0, 1, 2, 255]),
        nan: Number.NaN,
        ratio: 0.5,
        flag: true,
        doc: `{"a":1}`,
        tags: "[1,9007199254740993]",
        nothing: null
      })
    })
  )

  it.live("tables lists a schema's tables sorted, without load staging tables", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT table_name", {
        columns: [{ name: "table_name", type: "varchar" }],
        rows: [["zeta"], ["items__staging_dt_2024_03_01"], ["alpha"], ["stores__staging"], ["mid"]]
      })
      const tables = yield* provideTrino(server)(Warehouse.use((warehouse) => warehouse.tables("sales")))
      assert.deepStrictEqual(tables, ["alpha", "mid", "zeta"])
      assert.deepStrictEqual(server.sql(), [
        `SELECT table_name FROM "hive".information_schema.tables WHERE table_schema = 'sales'`
      ])
    })
  )

  it.live("query runs the SQL as given and maps its rows", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      const sql = "SELECT store, sum(amount) AS total FROM sales.items GROUP BY store"
      server.on(sql, {
        columns: [
          { name: "store", type: "varchar(10)" },
          { name: "total", type: "decimal(38,2)" }
        ],
        rows: [
          ["s1", "10.50"],
          ["s2", "0.00"],
          ["s3", "7.25"]
        ]
      })
      const rows = yield* provideTrino(server)(Warehouse.use((warehouse) => warehouse.query(sql)))
      assert.deepStrictEqual(rows, [
        { store: "s1", total: "10.50" },
        { store: "s2", total: "0.00" },
        { store: "s3", total: "7.25" }
      ])
      assert.deepStrictEqual(server.sql(), [sql])
    })
  )
})
