import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerDuckDb } from "../../layers/warehouse/duckdb.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { allTypes, columns, expectedRows, fields } from "./duckdb-fixtures.ts"
import { duckDbOnFiles, loadInto, put, scratchFolder, storedTypes } from "./duckdb-support.ts"

const scratch = scratchFolder("duckdb")
afterAll(scratch.cleanup)
describe("DuckDB warehouse: types and values", () => {
  it.effect("every canonical type round-trips exactly, NULLs included, in the DuckDB type it maps to", () =>
    Effect.gen(function* () {
      yield* loadInto(allTypes, columns, [yield* put("all/part-0.parquet", fields)], 3, "2024-03-01")
      assert.deepStrictEqual(yield* Warehouse.use((warehouse) => warehouse.rows(allTypes)), expectedRows)
      assert.deepStrictEqual(yield* storedTypes(allTypes), {
        i16: "SMALLINT",
        i32: "INTEGER",
        i64: "BIGINT",
        f32: "FLOAT",
        f64: "DOUBLE",
        price: "DECIMAL(18,2)",
        wide: "DECIMAL(38,10)",
        unbounded: "VARCHAR",
        name: "VARCHAR",
        flag: "BOOLEAN",
        day: "DATE",
        seen: "TIMESTAMP",
        seen_utc: "TIMESTAMP WITH TIME ZONE",
        doc: "JSON",
        id: "UUID",
        raw: "BLOB",
        dt: "VARCHAR"
      })
    }).pipe(Effect.provide(duckDbOnFiles(path.join(scratch.fresh("db"), "w.duckdb"), scratch.fresh("objects"))))
  )

  it.effect("query returns canonical values, resolves unqualified names in the configured schema", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      yield* loadInto(allTypes, columns, [yield* put("all/part-0.parquet", fields)], 3, "2024-03-01")
      const [row] = yield* warehouse.query(
        "SELECT price * 2 AS doubled, seen, i64 + 0 AS big, name FROM all_types WHERE i16 = 32767"
      )
      assert.deepStrictEqual(row, {
        doubled: "1975308642197530.86",
        seen: "2023-11-14T22:13:20.123456",
        big: 9223372036854775807n,
        name: "한글 상품명 🍙"
      })
      yield* warehouse.query("CREATE TABLE retail.summary AS SELECT dt, count(*) AS n FROM all_types GROUP BY dt")
      assert.deepStrictEqual(yield* warehouse.tables("retail"), ["all_types", "summary"])
      assert.deepStrictEqual(yield* warehouse.query("SELECT * FROM summary"), [{ dt: "2024-03-01", n: 3n }])
    }).pipe(Effect.provide(duckDbOnFiles(path.join(scratch.fresh("q"), "w.duckdb"), scratch.fresh("o"), "retail")))
  )

  it.effect("query failures keep DuckDB's message: missing table NotFound, bad SQL QueryFailed", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      const missing = yield* Effect.flip(warehouse.query("SELECT * FROM nowhere"))
      assert.strictEqual(missing.reason, "NotFound")
      assert.include(missing.detail, "nowhere")
      assert.include(missing.detail, "does not exist")
      const syntax = yield* Effect.flip(warehouse.query("SELEC 1"))
      assert.strictEqual(syntax.reason, "QueryFailed")
      assert.include(syntax.detail, "syntax error")
      const two = yield* Effect.flip(warehouse.query("SELECT 1; SELECT 2"))
      assert.include(two.detail, "exactly one SQL statement, got 2")
      // The extensions DuckDB lacks are never fetched from the network.
      const [setting] = yield* warehouse.query("SELECT current_setting('autoinstall_known_extensions') AS on")
      assert.deepStrictEqual(setting, { on: false })
    }).pipe(Effect.provide(layerDuckDb({ path: ":memory:", schema: "main" }).pipe(Layer.provide(objectStoreMemory))))
  )

  it.effect("names are validated before any SQL runs", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      const injected = { schema: "retail", table: `x"; DROP TABLE y; --` }
      const error = yield* Effect.flip(warehouse.count(injected))
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.detail, "use only letters, digits and _")
      const load = yield* Effect.flip(
        loadInto(allTypes, [{ name: "bad name", type: "string", nullable: true }], [], 0, "2024-03-01")
      )
      assert.include(load.detail, `column name "bad name" is not allowed`)
      assert.strictEqual((yield* Effect.flip(warehouse.tables("a.b"))).reason, "QueryFailed")
    }).pipe(Effect.provide(layerDuckDb({ path: ":memory:", schema: "main" }).pipe(Layer.provide(objectStoreMemory))))
  )
})
