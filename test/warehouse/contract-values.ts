import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column, ColumnType, Row } from "../../src/services/SourceDb.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { provideFresh, type WarehouseUnderTest } from "./contract.ts"
import { decimal, type Field, int64, parquetFile, timestampMicros, utf8 } from "./parquet-files.ts"

const dataset = { schema: "s", table: "t" }
const column = (rows: ReadonlyArray<Row>, name: string) => rows.map((row) => row[name])

/** Values read back are canonical (see `SourceDb`), whatever physical Parquet type held them. */
export const warehouseValuesContract = (name: string, under: WarehouseUnderTest) =>
  describe(`${name}: values read back are canonical`, () => {
    const run = provideFresh(under)

    /** Loads one file with these fields, declared with these types (decimals without precision), and reads it back. */
    const roundTrip = (fields: ReadonlyArray<Field>, types: ReadonlyArray<ColumnType>) =>
      run(
        Effect.gen(function* () {
          yield* ObjectStore.use((store) => store.put("f.parquet", parquetFile(fields)))
          const columns = fields.map(
            (field, i): Column => ({ name: field.element.name, type: types[i] ?? "string", nullable: true })
          )
          const warehouse = yield* Warehouse
          yield* warehouse.load({ dataset, columns, files: ["f.parquet"], expectedRows: fields[0]?.data.length ?? 0 })
          return yield* warehouse.rows(dataset)
        })
      )

    it.effect("decimals are exact, beyond what a float holds, whatever the physical type", () =>
      Effect.gen(function* () {
        const rows = yield* roundTrip(
          [
            decimal("big", 2, [98765432109876543n, -5n, 0n, null]),
            {
              element: { name: "small", type: "INT32", converted_type: "DECIMAL", precision: 9, scale: 3 },
              data: [1234n, -1n, 0n, 5n]
            },
            {
              element: {
                name: "fixed",
                type: "FIXED_LEN_BYTE_ARRAY",
                type_length: 9,
                converted_type: "DECIMAL",
                precision: 20,
                scale: 4
              },
              data: [123456789012345678901n, -1n, 10000n, null]
            },
            utf8("text", ["1.10", "-2", null, "3"])
          ],
          ["decimal", "decimal", "decimal", "decimal"]
        )
        assert.deepStrictEqual(column(rows, "big"), ["987654321098765.43", "-0.05", "0.00", null])
        assert.deepStrictEqual(column(rows, "small"), ["1.234", "-0.001", "0.000", "0.005"])
        assert.deepStrictEqual(column(rows, "fixed"), ["12345678901234567.8901", "-0.0001", "1.0000", null])
        assert.deepStrictEqual(column(rows, "text"), ["1.10", "-2", null, "3"])
      })
    )

    it.effect("timestamps keep their microseconds; timestamptz is UTC with a Z", () =>
      Effect.gen(function* () {
        const rows = yield* roundTrip(
          [
            timestampMicros("wall", [1700000000123456n, -1n, null]),
            timestampMicros("utc", [1700000000123456n, 0n, 86_400_000_000n], true),
            {
              element: { name: "millis", type: "INT64", converted_type: "TIMESTAMP_MILLIS" },
              data: [1700000000123n, 0n, null]
            },
            utf8("text", ["2024-01-01T00:00:00.000000", null, null])
          ],
          ["timestamp", "timestamptz", "timestamp", "timestamp"]
        )
        assert.deepStrictEqual(column(rows, "wall"), ["2023-11-14T22:13:20.123456", "1969-12-31T23:59:59.999999", null])
        assert.deepStrictEqual(column(rows, "utc"), [
          "2023-11-14T22:13:20.123456Z",
          "1970-01-01T00:00:00.000000Z",
          "1970-01-02T00:00:00.000000Z"
        ])
        assert.deepStrictEqual(column(rows, "millis"), [
          "2023-11-14T22:13:20.123000",
          "1970-01-01T00:00:00.000000",
          null
        ])
        assert.deepStrictEqual(column(rows, "text"), ["2024-01-01T00:00:00.000000", null, null])
      })
    )

    it.effect("integers, floats, booleans, dates, text, json, uuid and bytes", () =>
      Effect.gen(function* () {
        const uuid = "123e4567-e89b-12d3-a456-426614174000"
        const rows = yield* roundTrip(
          [
            int64("i64", [1n, 9007199254740993n]),
            { element: { name: "i32", type: "INT32" }, data: [7, -7] },
            { element: { name: "i32_from_i64", type: "INT64" }, data: [5n, null] },
            { element: { name: "i64_from_i32", type: "INT32" }, data: [5, 6] },
            { element: { name: "f64", type: "DOUBLE" }, data: [1.5, null] },
            { element: { name: "flag", type: "BOOLEAN" }, data: [true, false] },
            { element: { name: "day", type: "INT32", converted_type: "DATE" }, data: [19782, -1] },
            utf8("day_text", ["2024-02-29", null]),
            { element: { name: "plain", type: "BYTE_ARRAY" }, data: [new TextEncoder().encode("héllo"), null] },
            { element: { name: "doc", type: "BYTE_ARRAY", converted_type: "JSON" }, data: [{ a: [1, 2] }, null] },
            {
              element: { name: "id", type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, logical_type: { type: "UUID" } },
              data: [uuid, null]
            },
            { element: { name: "blob", type: "BYTE_ARRAY" }, data: [new Uint8Array([0, 255]), null] },
            utf8("blob_text", ["ab", null])
          ],
          [
            "int64",
            "int32",
            "int32",
            "int64",
            "float64",
            "boolean",
            "date",
            "date",
            "string",
            "json",
            "uuid",
            "bytes",
            "bytes"
          ]
        )
        assert.deepStrictEqual(rows[0], {
          i64: 1n,
          i32: 7,
          i32_from_i64: 5,
          i64_from_i32: 5n,
          f64: 1.5,
          flag: true,
          day: "2024-02-29",
          day_text: "2024-02-29",
          plain: "héllo",
          doc: '{"a":[1,2]}',
          id: uuid,
          blob: new Uint8Array([0, 255]),
          blob_text: new TextEncoder().encode("ab")
        })
        assert.deepStrictEqual(column(rows, "i64"), [1n, 9007199254740993n])
        assert.deepStrictEqual(column(rows, "day"), ["2024-02-29", "1969-12-31"])
        assert.deepStrictEqual(column(rows, "doc"), ['{"a":[1,2]}', null])
        assert.deepStrictEqual(column(rows, "blob"), [new Uint8Array([0, 255]), null])
      })
    )

    it.effect("a value the declared type cannot hold fails the load, naming the column", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [Field, ColumnType]> = [
          [{ element: { name: "c", type: "DOUBLE" }, data: [1.5] }, "int64"],
          [{ element: { name: "c", type: "DOUBLE" }, data: [1e21] }, "decimal"],
          [{ element: { name: "c", type: "INT64" }, data: [5n] }, "timestamp"],
          [{ element: { name: "c", type: "INT32" }, data: [5] }, "date"],
          [{ element: { name: "c", type: "INT32" }, data: [1] }, "boolean"],
          [{ element: { name: "c", type: "BOOLEAN" }, data: [true] }, "string"],
          [{ element: { name: "c", type: "DOUBLE" }, data: [1] }, "bytes"],
          [{ element: { name: "c", type: "BOOLEAN" }, data: [true] }, "int32"]
        ]
        for (const [field, type] of cases) {
          const error = yield* Effect.flip(roundTrip([field], [type]))
          if (error._tag !== "WarehouseError") return assert.fail(String(error))
          assert.strictEqual(error.reason, "QueryFailed", type)
          assert.include(error.detail, `column "c" (${type}) cannot hold`)
        }
      })
    )

    it.effect("a decimal column stored as a float loads when the float prints as a plain decimal", () =>
      Effect.gen(function* () {
        const rows = yield* roundTrip([{ element: { name: "c", type: "DOUBLE" }, data: [12.5, 0.1] }], ["decimal"])
        assert.deepStrictEqual(column(rows, "c"), ["12.5", "0.1"])
      })
    )

    it.effect("a load that declares no data columns still counts the file's rows", () =>
      run(
        Effect.gen(function* () {
          yield* ObjectStore.use((store) => store.put("f.parquet", parquetFile([int64("id", [1n, 2n])])))
          const warehouse = yield* Warehouse
          const partition = { column: "dt", value: "2024-01-01" }
          yield* warehouse.load({ dataset, columns: [], partition, files: ["f.parquet"], expectedRows: 2 })
          assert.deepStrictEqual(yield* warehouse.rows(dataset), [{ dt: "2024-01-01" }, { dt: "2024-01-01" }])
        })
      )
    )
  })
