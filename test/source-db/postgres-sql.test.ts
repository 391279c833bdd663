import { PgTypes } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import {
  buildExists,
  buildSelect,
  describeQuerySql,
  type From,
  type Problem,
  quote,
  type Statement
} from "../../layers/source-db/postgres-sql.ts"
import { type SourceColumn, sourceColumn } from "../../layers/source-db/postgres-types.ts"
import type { ReadRequest } from "../../src/services/SourceDb.ts"

const { OID } = PgTypes

// numeric(12,2): PostgreSQL packs the modifier as ((precision << 16) | scale) + 4.
const numeric12x2 = ((12 << 16) | 2) + 4

const columns: ReadonlyArray<SourceColumn> = [
  sourceColumn("sku", OID.text, false),
  sourceColumn("qty", OID.int4, true),
  sourceColumn("price", OID.numeric, true, numeric12x2),
  sourceColumn("weight", OID.float4, true),
  sourceColumn("changed_at", OID.timestamp, false),
  sourceColumn("synced_at", OID.timestamptz, true),
  sourceColumn("sale_day", OID.date, true),
  sourceColumn("attrs", OID.jsonb, true),
  sourceColumn("ip", 869, true)
]
const table: From = { _tag: "Table", schema: "public", table: "items" }
const request = (rest: Omit<ReadRequest, "source"> = {}): ReadRequest => ({
  source: { _tag: "Table", table: "items" },
  ...rest
})

const built = (result: Result.Result<Statement, Problem>): Statement => {
  if (Result.isFailure(result)) throw new Error(`expected SQL, got ${result.failure.reason}: ${result.failure.detail}`)
  return result.success
}
const problem = (result: Result.Result<Statement, Problem>): Problem => {
  if (Result.isSuccess(result)) throw new Error(`expected a problem, got ${result.success.sql}`)
  return result.failure
}

describe("SourceDb PostgreSQL: SQL builder", () => {
  it("selects every column in its canonical form from a quoted table", () => {
    const { sql, params } = built(buildSelect(table, columns, request()))
    assert.strictEqual(
      sql,
      [
        `SELECT s."sku" AS "sku", s."qty" AS "qty", s."price"::text AS "price", s."weight"::text::float8 AS "weight", ` +
          `to_char(s."changed_at", 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "changed_at", ` +
          `to_char(s."synced_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "synced_at", ` +
          `to_char(s."sale_day", 'YYYY-MM-DD') AS "sale_day", s."attrs"::text AS "attrs", s."ip"::text AS "ip"`,
        `FROM "public"."items" AS s`
      ].join("\n")
    )
    assert.deepStrictEqual(params, [])
  })

  it("binds every value as a parameter, casting it to the column's base type", () => {
    const hostile = "x'; DROP TABLE items; --"
    const { sql, params } = built(
      buildSelect(
        table,
        columns,
        request({
          columns: ["sku"],
          where: [
            { _tag: "Compare", column: "sku", op: "=", value: hostile },
            { _tag: "Compare", column: "price", op: ">", value: 10.005 },
            { _tag: "Compare", column: "changed_at", op: ">=", value: "2024-03-01T09:15:30.123456" },
            { _tag: "Compare", column: "qty", op: "<", value: 5 },
            { _tag: "IsNull", column: "synced_at" },
            { _tag: "IsNotNull", column: "sale_day" }
          ],
          limit: 100
        })
      )
    )
    assert.notInclude(sql, "DROP")
    assert.strictEqual(
      sql,
      [
        `SELECT s."sku" AS "sku"`,
        `FROM "public"."items" AS s`,
        `WHERE s."sku" COLLATE "C" = $1`,
        // numeric, not numeric(12,2): the bound 10.005 must not be rounded to 10.01 before comparing.
        `  AND s."price" > $2::numeric`,
        `  AND s."changed_at" >= $3::timestamp`,
        `  AND s."qty" < $4`,
        `  AND s."synced_at" IS NULL`,
        `  AND s."sale_day" IS NOT NULL`,
        `LIMIT $5`
      ].join("\n")
    )
    // The number travels as its exact digits, never through float8.
    assert.deepStrictEqual(params, [hostile, "10.005", "2024-03-01T09:15:30.123456", 5, 100])
  })

  it("pages with a row-value comparison and orders ascending with NULLs last, text in code point order", () => {
    const { sql, params } = built(
      buildSelect(
        table,
        columns,
        request({
          columns: ["sku", "changed_at"],
          where: [{ _tag: "After", columns: ["changed_at", "sku"], values: ["2024-03-01T09:15:30.000001", "A-7"] }],
          orderBy: ["changed_at", "sku"],
          limit: 2
        })
      )
    )
    assert.include(sql, `WHERE (s."changed_at", s."sku" COLLATE "C") > ($1::timestamp, $2)`)
    // Qualified: ORDER BY must sort the timestamp, not the text of the select-list column with the same name.
    assert.include(sql, `ORDER BY s."changed_at" ASC NULLS LAST, s."sku" COLLATE "C" ASC NULLS LAST\nLIMIT $3`)
    assert.deepStrictEqual(params, ["2024-03-01T09:15:30.000001", "A-7", 2])
  })

  it("wraps a query as a sub-select, dropping a trailing semicolon and surviving a trailing comment", () => {
    const from: From = { _tag: "Query", sql: "  SELECT sku FROM items -- active only\n ;  " }
    const { sql } = built(buildSelect(from, [sourceColumn("sku", OID.text, true)], request()))
    assert.strictEqual(sql, `SELECT s."sku" AS "sku"\nFROM (\nSELECT sku FROM items -- active only\n) AS s`)
    assert.strictEqual(describeQuerySql("SELECT 1;"), "SELECT * FROM (\nSELECT 1\n) AS s LIMIT 0")
  })

  it("binds an In list as one array parameter read as the column's type; an empty or all-NULL list matches nothing", () => {
    const { sql, params } = built(
      buildSelect(
        table,
        columns,
        request({
          columns: ["sku"],
          where: [
            { _tag: "In", column: "qty", values: [1, 2n, null] },
            { _tag: "In", column: "price", values: ["10.50", 0.1] },
            { _tag: "In", column: "sku", values: ["A-1", "가"] },
            { _tag: "In", column: "ip", values: ["10.0.0.1"] },
            { _tag: "In", column: "synced_at", values: [] },
            { _tag: "In", column: "sale_day", values: [null] }
          ]
        })
      )
    )
    assert.strictEqual(
      sql,
      [
        `SELECT s."sku" AS "sku"`,
        `FROM "public"."items" AS s`,
        `WHERE s."qty" = ANY ($1::int8[])`,
        `  AND s."price" = ANY ($2::numeric[])`,
        `  AND s."sku" COLLATE "C" = ANY ($3::text[])`,
        // A type read as its text form is matched on that text.
        `  AND s."ip"::text = ANY ($4::text[])`,
        `  AND FALSE`,
        `  AND FALSE`
      ].join("\n")
    )
    assert.deepStrictEqual(params, [["1", "2"], ["10.50", "0.1"], ["A-1", "가"], ["10.0.0.1"]])
    const wrong = problem(
      buildSelect(table, columns, request({ where: [{ _tag: "In", column: "changed_at", values: ["yesterday"] }] }))
    )
    assert.strictEqual(wrong.reason, "QueryFailed")
  })

  it("asks EXISTS with the same conditions and no ordering", () => {
    const { sql, params } = built(
      buildExists(
        table,
        columns,
        request({
          where: [{ _tag: "Compare", column: "synced_at", op: ">", value: "2024-03-01T00:00:00.000000Z" }],
          orderBy: ["changed_at"]
        })
      )
    )
    assert.strictEqual(
      sql,
      `SELECT EXISTS (SELECT 1 FROM "public"."items" AS s\nWHERE s."synced_at" > $1::timestamptz) AS "exists"`
    )
    assert.deepStrictEqual(params, ["2024-03-01T00:00:00.000000Z"])
  })

  it("refuses names that are not identifiers and names the source of an unknown column", () => {
    const injected = problem(buildSelect(table, columns, request({ columns: ['sku" FROM pg_shadow --'] })))
    assert.strictEqual(injected.reason, "QueryFailed")
    assert.include(injected.detail, "not a valid identifier")
    const unknown = problem(buildSelect(table, columns, request({ orderBy: ["nope"] })))
    assert.deepStrictEqual(unknown, { reason: "NotFound", detail: `column "nope" does not exist in public.items` })
    const inExists = problem(buildExists(table, columns, request({ where: [{ _tag: "IsNull", column: "gone" }] })))
    assert.strictEqual(inExists.reason, "NotFound")
  })

  it("refuses values that do not fit the column and a negative or fractional limit", () => {
    const wrong = problem(
      buildSelect(table, columns, request({ where: [{ _tag: "Compare", column: "changed_at", op: ">", value: 5 }] }))
    )
    assert.strictEqual(wrong.reason, "QueryFailed")
    assert.include(wrong.detail, "changed_at")
    for (const limit of [-1, 1.5]) {
      assert.strictEqual(problem(buildSelect(table, columns, request({ limit }))).reason, "QueryFailed")
    }
  })

  it("doubles quotes inside catalog names", () => {
    assert.strictEqual(quote('odd"name'), '"odd""name"')
  })
})

describe("SourceDb PostgreSQL: type mapping", () => {
  it("maps PostgreSQL types onto column types, with numeric precision and scale when declared", () => {
    assert.deepStrictEqual(
      columns.map((source) => source.column),
      [
        { name: "sku", type: "string", nullable: false },
        { name: "qty", type: "int32", nullable: true },
        { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
        { name: "weight", type: "float32", nullable: true },
        { name: "changed_at", type: "timestamp", nullable: false },
        { name: "synced_at", type: "timestamptz", nullable: true },
        { name: "sale_day", type: "date", nullable: true },
        { name: "attrs", type: "json", nullable: true },
        { name: "ip", type: "string", nullable: true }
      ]
    )
    assert.deepStrictEqual(sourceColumn("n", OID.numeric, true).column, { name: "n", type: "decimal", nullable: true })
    // PostgreSQL 15 allows a negative scale: numeric(5,-2) rounds to hundreds.
    const negative = sourceColumn("n", OID.numeric, true, ((5 << 16) | (-2 & 0x7ff)) + 4).column
    assert.deepStrictEqual([negative.precision, negative.scale], [5, -2])
  })
})
