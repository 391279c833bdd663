import { DuckDBTimestampNanosecondsValue, DuckDBTimestampTZValue } from "@duckdb/node-api"
import { assert, describe, it } from "@effect/vitest"
import { identifierProblem, reconcile, storedType } from "../../layers/warehouse/duckdb-sql.ts"
import { classify } from "../../layers/warehouse/duckdb-table.ts"
import { canonicalValue } from "../../layers/warehouse/duckdb-values.ts"

describe("DuckDB warehouse: types and names", () => {
  it("decimals DuckDB cannot hold exactly are stored as text", () => {
    const decimal = (precision?: number, scale?: number) =>
      storedType(
        {
          name: "d",
          type: "decimal",
          nullable: true,
          ...(precision === undefined ? {} : { precision }),
          ...(scale === undefined ? {} : { scale })
        },
        true
      )
    assert.strictEqual(decimal(12, 2), "DECIMAL(12,2)")
    assert.strictEqual(decimal(38, 38), "DECIMAL(38,38)")
    assert.strictEqual(decimal(5), "DECIMAL(5,0)")
    assert.strictEqual(decimal(), "VARCHAR")
    assert.strictEqual(decimal(39, 2), "VARCHAR")
    assert.strictEqual(decimal(2, 5), "VARCHAR")
    assert.strictEqual(decimal(10, -2), "VARCHAR")
    assert.strictEqual(storedType({ name: "j", type: "json", nullable: true }, false), "VARCHAR")
  })

  it("a table column is kept when it holds the new type, widened when it is too narrow, refused otherwise", () => {
    assert.deepStrictEqual(reconcile("BIGINT", "INTEGER"), { keep: "BIGINT" })
    assert.deepStrictEqual(reconcile("SMALLINT", "BIGINT"), { widen: "BIGINT" })
    assert.deepStrictEqual(reconcile("FLOAT", "DOUBLE"), { widen: "DOUBLE" })
    assert.deepStrictEqual(reconcile("DECIMAL(10,2)", "DECIMAL(8,1)"), { keep: "DECIMAL(10,2)" })
    assert.deepStrictEqual(reconcile("DECIMAL(10,2)", "DECIMAL(10,4)"), { widen: "DECIMAL(12,4)" })
    assert.deepStrictEqual(reconcile("VARCHAR", "JSON"), { keep: "VARCHAR" })
    assert.isUndefined(reconcile("DECIMAL(38,0)", "DECIMAL(38,10)"))
    assert.isUndefined(reconcile("INTEGER", "DOUBLE"))
    assert.isUndefined(reconcile("DECIMAL(12,2)", "VARCHAR"))
    assert.isUndefined(reconcile("JSON", "VARCHAR"))
  })

  it("names are letters (any script), digits and _ only", () => {
    assert.isUndefined(identifierProblem("매출_2024", "table"))
    for (const bad of ["", "a b", 'a"b', "a.b", "a-b", "a;b"]) assert.isDefined(identifierProblem(bad, "table"), bad)
  })

  it("DuckDB's messages map to the reasons retry policies read", () => {
    assert.strictEqual(classify("Catalog Error: Table with name x does not exist!"), "NotFound")
    assert.strictEqual(classify('IO Error: No files found that match the pattern "/x"'), "NotFound")
    assert.strictEqual(classify('IO Error: Could not set lock on file "/w.duckdb": Conflicting lock'), "Unavailable")
    assert.strictEqual(classify("TransactionContext Error: Catalog write-write conflict on alter"), "Unavailable")
    assert.strictEqual(classify("IO Error: Cannot open file: Permission denied"), "QueryFailed")
    assert.strictEqual(classify("Conversion Error: Could not convert string 'x' to INT32"), "QueryFailed")
  })

  it("FLOAT values read back as the shortest decimal, nanoseconds floor to microseconds", () => {
    assert.strictEqual(canonicalValue(Math.fround(1.1), true), 1.1)
    assert.strictEqual(canonicalValue(Math.fround(1.1), false), Math.fround(1.1))
    assert.strictEqual(canonicalValue(new DuckDBTimestampNanosecondsValue(-1n)), "1969-12-31T23:59:59.999999")
    assert.strictEqual(canonicalValue(DuckDBTimestampTZValue.PosInf), "infinity")
  })
})
