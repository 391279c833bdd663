import type { Column, Row } from "../../src/services/SourceDb.ts"
import { decimal, type Field, timestampMicros, utf8 } from "./parquet-files.ts"

/** One Parquet file holding every canonical type, its declared columns and the rows it must read back as. */
export const allTypes = { schema: "retail", table: "all_types" }
export const uuid = "0b6f4c52-1f1a-4f7e-9a59-2d7c1e0f3a11"
export const fields: ReadonlyArray<Field> = [
  { element: { name: "i16", type: "INT32", converted_type: "INT_16" }, data: [32767, -32768, null] },
  { element: { name: "i32", type: "INT32" }, data: [2147483647, -1, null] },
  { element: { name: "i64", type: "INT64" }, data: [9223372036854775807n, -9223372036854775808n, null] },
  { element: { name: "f32", type: "FLOAT" }, data: [1.1, -0.5, null] },
  { element: { name: "f64", type: "DOUBLE" }, data: [0.1, 1e300, null] },
  decimal("price", 2, [98765432109876543n, -5n, null]),
  {
    element: {
      name: "wide",
      type: "FIXED_LEN_BYTE_ARRAY",
      type_length: 16,
      converted_type: "DECIMAL",
      precision: 38,
      scale: 10
    },
    data: [12345678901234567890123456780123456789n, -1n, null]
  },
  utf8("unbounded", ["123456789012345678901234567890.123456789", "-0.5", null]),
  utf8("name", ["한글 상품명 🍙", "", null]),
  { element: { name: "flag", type: "BOOLEAN" }, data: [true, false, null] },
  { element: { name: "day", type: "INT32", converted_type: "DATE" }, data: [19782, -719162, null] },
  timestampMicros("seen", [1700000000123456n, -1n, null]),
  timestampMicros("seen_utc", [1700000000000001n, 0n, null], true),
  { element: { name: "doc", type: "BYTE_ARRAY", converted_type: "JSON" }, data: [{ 가: [1, "나"] }, [], null] },
  {
    element: { name: "id", type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, logical_type: { type: "UUID" } },
    data: [uuid, "00000000-0000-0000-0000-000000000000", null]
  },
  { element: { name: "raw", type: "BYTE_ARRAY" }, data: [new Uint8Array([0, 1, 254, 255]), new Uint8Array(), null] }
]
export const columns: ReadonlyArray<Column> = [
  { name: "i16", type: "int16", nullable: true },
  { name: "i32", type: "int32", nullable: true },
  { name: "i64", type: "int64", nullable: true },
  { name: "f32", type: "float32", nullable: true },
  { name: "f64", type: "float64", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 18, scale: 2 },
  { name: "wide", type: "decimal", nullable: true, precision: 38, scale: 10 },
  { name: "unbounded", type: "decimal", nullable: true },
  { name: "name", type: "string", nullable: true },
  { name: "flag", type: "boolean", nullable: true },
  { name: "day", type: "date", nullable: true },
  { name: "seen", type: "timestamp", nullable: true },
  { name: "seen_utc", type: "timestamptz", nullable: true },
  { name: "doc", type: "json", nullable: true },
  { name: "id", type: "uuid", nullable: true },
  { name: "raw", type: "bytes", nullable: true }
]
export const expectedRows: ReadonlyArray<Row> = [
  {
    i16: 32767,
    i32: 2147483647,
    i64: 9223372036854775807n,
    f32: 1.1,
    f64: 0.1,
    price: "987654321098765.43",
    wide: "1234567890123456789012345678.0123456789",
    unbounded: "123456789012345678901234567890.123456789",
    name: "한글 상품명 🍙",
    flag: true,
    day: "2024-02-29",
    seen: "2023-11-14T22:13:20.123456",
    seen_utc: "2023-11-14T22:13:20.000001Z",
    doc: '{"가":[1,"나"]}',
    id: uuid,
    raw: new Uint8Array([0, 1, 254, 255]),
    dt: "2024-03-01"
  },
  {
    i16: -32768,
    i32: -1,
    i64: -9223372036854775808n,
    f32: -0.5,
    f64: 1e300,
    price: "-0.05",
    wide: "-0.0000000001",
    unbounded: "-0.5",
    name: "",
    flag: false,
    day: "0001-01-01",
    seen: "1969-12-31T23:59:59.999999",
    seen_utc: "1970-01-01T00:00:00.000000Z",
    doc: "[]",
    id: "00000000-0000-0000-0000-000000000000",
    raw: new Uint8Array(),
    dt: "2024-03-01"
  },
  Object.fromEntries([...columns.map((column) => [column.name, null]), ["dt", "2024-03-01"]])
]
