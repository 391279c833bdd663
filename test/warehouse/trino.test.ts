import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { trinoServer } from "./trino-server.ts"
import { columns, columnsAnswer, countAnswer, dayRequest, items, provideTrino, putFiles } from "./trino-support.ts"

const partFiles = [
  "acme/items/dt=2024-03-01/part-run1-00000.parquet",
  "acme/items/dt=2024-03-01/part-run1-00001.parquet"
]
const load = (request: Parameters<Warehouse["Service"]["load"]>[0]) => Warehouse.use((w) => w.load(request))

const hivePartitionStatements = [
  `CREATE SCHEMA IF NOT EXISTS "hive"."sales"`,
  `SELECT column_name FROM "hive".information_schema.columns WHERE table_schema = 'sales' AND table_name = 'items' ORDER BY ordinal_position`,
  `CREATE TABLE IF NOT EXISTS "hive"."sales"."items" ("id" bigint, "name" varchar, "price" decimal(12,2), "dt" varchar) WITH (external_location = 's3://lake/acme/items/', format = 'PARQUET', partitioned_by = ARRAY['dt'])`,
  `CALL "hive".system.unregister_partition(schema_name => 'sales', table_name => 'items', partition_columns => ARRAY['dt'], partition_values => ARRAY['2024-03-01'])`,
  `CALL "hive".system.register_partition(schema_name => 'sales', table_name => 'items', partition_columns => ARRAY['dt'], partition_values => ARRAY['2024-03-01'], location => 's3://lake/acme/items/dt=2024-03-01')`,
  `SELECT count(*) FROM "hive"."sales"."items" WHERE "dt" = '2024-03-01'`
]

describe("Trino warehouse: loads (golden SQL)", () => {
  it.live("a partitioned Hive load registers exactly the partition folder and verifies its count", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(3))
      // The first load of a day: there is no partition to unregister yet.
      server.on("CALL", (sql) =>
        sql.includes("unregister_partition")
          ? {
              error: {
                errorName: "NOT_FOUND",
                errorType: "USER_ERROR",
                message: "Partition 'dt=2024-03-01' does not exist"
              }
            }
          : {}
      )
      const result = yield* provideTrino(server)(
        Effect.gen(function* () {
          const files = yield* putFiles(...partFiles, "acme/items/dt=2024-03-01/_manifest.json")
          return yield* load(dayRequest(files.slice(0, 2), 3))
        })
      )
      assert.deepStrictEqual(result, { rows: 3 })
      assert.deepStrictEqual(server.sql(), hivePartitionStatements)
    })
  )

  it.live("re-loading the same partition sends the same statements (idempotent)", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(3))
      yield* provideTrino(server)(
        Effect.gen(function* () {
          const files = yield* putFiles(...partFiles)
          yield* load(dayRequest(files, 3))
          // Now the table and the partition exist.
          server.on("SELECT column_name", columnsAnswer("id", "name", "price", "dt"))
          yield* load(dayRequest(files, 3))
        })
      )
      assert.deepStrictEqual(server.sql(), [...hivePartitionStatements, ...hivePartitionStatements])
    })
  )

  it.live("a count that differs from expectedRows fails with RowCountMismatch", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(2))
      const error = yield* provideTrino(server)(
        Effect.flip(Effect.flatMap(putFiles(...partFiles), (f) => load(dayRequest(f, 3))))
      )
      assert.strictEqual(error.reason, "RowCountMismatch")
      assert.strictEqual(error.dataset, "sales.items")
      assert.include(
        error.detail,
        "expected 3 rows, partition dt=2024-03-01 reads 2 from s3://lake/acme/items/dt=2024-03-01/"
      )
      assert.isFalse(error.retryable)
    })
  )

  it.live("a folder holding files of another run, or a missing file, stops the load before any statement", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      const [stale, missing] = yield* provideTrino(server)(
        Effect.gen(function* () {
          const files = yield* putFiles(...partFiles, "acme/items/dt=2024-03-01/part-run0-00000.parquet")
          return [
            yield* Effect.flip(load(dayRequest(files.slice(0, 2), 3))),
            yield* Effect.flip(load(dayRequest([...files.slice(0, 2), "acme/items/dt=2024-03-01/gone.parquet"], 3)))
          ] as const
        })
      )
      assert.strictEqual(stale.reason, "QueryFailed")
      assert.include(stale.detail, "part-run0-00000.parquet")
      assert.strictEqual(missing.reason, "NotFound")
      assert.include(missing.detail, "acme/items/dt=2024-03-01/gone.parquet")
      assert.deepStrictEqual(server.sql(), [])
    })
  )

  it.live("a partitioned table whose columns differ is refused, not silently read with the old ones", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT column_name", columnsAnswer("id", "name", "dt"))
      const error = yield* provideTrino(server)(
        Effect.flip(Effect.flatMap(putFiles(...partFiles), (f) => load(dayRequest(f, 3))))
      )
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.detail, "the table has columns (id, name, dt), the load has (id, name, price, dt)")
      assert.strictEqual(server.sql().length, 2)
    })
  )

  it.live("a non-partitioned Hive table is an external table on its folder, redefined when its columns change", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(1))
      server.on("SELECT column_name", columnsAnswer("id", "name"))
      yield* provideTrino(server)(
        Effect.flatMap(putFiles("acme/items/latest/part-run2-00000.parquet"), (files) =>
          load({ dataset: items, columns, files, expectedRows: 1 })
        )
      )
      assert.deepStrictEqual(server.sql().slice(2), [
        `DROP TABLE IF EXISTS "hive"."sales"."items"`,
        `CREATE TABLE IF NOT EXISTS "hive"."sales"."items" ("id" bigint, "name" varchar, "price" decimal(12,2)) WITH (external_location = 's3://lake/acme/items/latest/', format = 'PARQUET')`,
        `SELECT count(*) FROM "hive"."sales"."items"`
      ])
    })
  )

  it.live("a non-partitioned Iceberg load swaps the table atomically from a staging table it then forgets", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(2))
      const result = yield* provideTrino(server, { catalog: "lake", tableFormat: "iceberg" })(
        Effect.flatMap(putFiles("acme/items/latest/part-run2-00000.parquet"), (files) =>
          load({ dataset: items, columns, files, expectedRows: 2 })
        )
      )
      assert.deepStrictEqual(result, { rows: 2 })
      const staging = `"lake"."sales"."items__staging"`
      const unregister = `CALL "lake".system.unregister_table(schema_name => 'sales', table_name => 'items__staging')`
      assert.deepStrictEqual(server.sql(), [
        `CREATE SCHEMA IF NOT EXISTS "lake"."sales"`,
        unregister,
        `CREATE TABLE ${staging} ("id" bigint, "name" varchar, "price" decimal(12,2)) WITH (format = 'PARQUET')`,
        `ALTER TABLE ${staging} EXECUTE add_files(location => 's3://lake/acme/items/latest', format => 'PARQUET')`,
        `SELECT count(*) FROM ${staging}`,
        `CREATE OR REPLACE TABLE "lake"."sales"."items" WITH (format = 'PARQUET') AS SELECT "id", "name", "price" FROM ${staging}`,
        `SELECT count(*) FROM "lake"."sales"."items"`,
        unregister
      ])
    })
  )

  it.live("an Iceberg partition is replaced by delete + insert from staging; a wrong count replaces nothing", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(3))
      const provide = provideTrino(server, { catalog: "lake", tableFormat: "iceberg" })
      yield* provide(Effect.flatMap(putFiles(...partFiles), (files) => load(dayRequest(files, 3))))
      const staging = `"lake"."sales"."items__staging_dt_2024_03_01"`
      const unregister = `CALL "lake".system.unregister_table(schema_name => 'sales', table_name => 'items__staging_dt_2024_03_01')`
      assert.deepStrictEqual(server.sql().slice(2), [
        `CREATE TABLE IF NOT EXISTS "lake"."sales"."items" ("id" bigint, "name" varchar, "price" decimal(12,2), "dt" varchar) WITH (format = 'PARQUET', partitioning = ARRAY['dt'])`,
        unregister,
        `CREATE TABLE ${staging} ("id" bigint, "name" varchar, "price" decimal(12,2)) WITH (format = 'PARQUET')`,
        `ALTER TABLE ${staging} EXECUTE add_files(location => 's3://lake/acme/items/dt=2024-03-01', format => 'PARQUET')`,
        `SELECT count(*) FROM ${staging}`,
        `DELETE FROM "lake"."sales"."items" WHERE "dt" = '2024-03-01'`,
        `INSERT INTO "lake"."sales"."items" ("id", "name", "price", "dt") SELECT "id", "name", "price", '2024-03-01' FROM ${staging}`,
        `SELECT count(*) FROM "lake"."sales"."items" WHERE "dt" = '2024-03-01'`,
        unregister
      ])

      server.statements.length = 0
      const error = yield* provide(
        Effect.flip(Effect.flatMap(putFiles(...partFiles), (files) => load(dayRequest(files, 4))))
      )
      assert.strictEqual(error.reason, "RowCountMismatch")
      assert.include(error.detail, "expected 4 rows, the files hold 3; the table was left as it was")
      assert.isFalse(server.sql().some((sql) => sql.startsWith("DELETE") || sql.startsWith("INSERT")))
      assert.strictEqual(server.sql().at(-1), unregister)
    })
  )

  it.live("an empty Iceberg day empties the partition without staging", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      server.on("SELECT count(*)", countAnswer(0))
      const result = yield* provideTrino(server, { catalog: "lake", tableFormat: "iceberg" })(load(dayRequest([], 0)))
      assert.deepStrictEqual(result, { rows: 0 })
      assert.deepStrictEqual(server.sql().slice(3), [
        `DELETE FROM "lake"."sales"."items" WHERE "dt" = '2024-03-01'`,
        `SELECT count(*) FROM "lake"."sales"."items" WHERE "dt" = '2024-03-01'`
      ])
    })
  )

  it.live("invalid names and misplaced files are refused before any statement", () =>
    Effect.gen(function* () {
      const server = yield* trinoServer
      const errors = yield* provideTrino(server)(
        Effect.gen(function* () {
          const files = yield* putFiles(...partFiles, "root.parquet", "acme/other/x.parquet")
          return yield* Effect.forEach(
            [
              { ...dayRequest(files.slice(0, 2), 3), dataset: { schema: `sales"; DROP TABLE x; --`, table: "items" } },
              { ...dayRequest(files.slice(0, 2), 3), partition: { column: "name", value: "x" } },
              dayRequest(["root.parquet"], 1),
              dayRequest([partFiles[0] ?? "", "acme/other/x.parquet"], 1)
            ],
            (request) => Effect.flip(load(request))
          )
        })
      )
      assert.deepStrictEqual(
        errors.map((error) => error.reason),
        ["QueryFailed", "QueryFailed", "QueryFailed", "QueryFailed"]
      )
      assert.include(errors[0]?.detail, "is not a valid identifier")
      assert.include(errors[1]?.detail, "must not be one of the data columns")
      assert.deepStrictEqual(server.sql(), [])
    })
  )
})
