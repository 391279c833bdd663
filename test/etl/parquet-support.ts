import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { type EncoderOptions, makeParquetEncoder } from "../../src/etl/parquet/index.ts"
import type { Column, Row, Value } from "../../src/services/SourceDb.ts"

/** One column of every type (all nullable), with precision/scale where the type has them. */
export const allColumns: ReadonlyArray<Column> = [
  { name: "small", type: "int16", nullable: true },
  { name: "int", type: "int32", nullable: true },
  { name: "big", type: "int64", nullable: true },
  { name: "real", type: "float32", nullable: true },
  { name: "double", type: "float64", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
  { name: "rate", type: "decimal", nullable: true, precision: 9, scale: 9 },
  { name: "whole", type: "decimal", nullable: true, precision: 18, scale: 0 },
  { name: "huge", type: "decimal", nullable: true, precision: 38, scale: 6 },
  { name: "wide", type: "decimal", nullable: true, precision: 20, scale: 4 },
  { name: "free", type: "decimal", nullable: true },
  { name: "name", type: "string", nullable: true },
  { name: "flag", type: "boolean", nullable: true },
  { name: "day", type: "date", nullable: true },
  { name: "at", type: "timestamp", nullable: true },
  { name: "atz", type: "timestamptz", nullable: true },
  { name: "doc", type: "json", nullable: true },
  { name: "id", type: "uuid", nullable: true },
  { name: "blob", type: "bytes", nullable: true }
]

/** Canonical rows covering the edges: extremes, negatives, Korean, microseconds on both sides of the epoch. */
export const allRows: ReadonlyArray<Row> = [
  {
    small: -32768,
    int: -2147483648,
    big: -9223372036854775808n,
    real: 1.5,
    double: -0.1,
    price: "-9999999999.99",
    rate: "0.999999999",
    whole: "-999999999999999999",
    huge: "-99999999999999999999999999999999.999999",
    wide: "-0.0001",
    free: "-123456789012345678901234567890.000000000000000000001",
    name: "안녕하세요, 세계! 가나다라 🙂",
    flag: true,
    day: "0001-01-01",
    at: "1969-12-31T23:59:59.999999",
    atz: "1900-01-01T00:00:00.000001Z",
    doc: '{"이름":"사과","tags":[1,2.5,null],"nested":{"ok":true}}',
    id: "123e4567-e89b-12d3-a456-426614174000",
    blob: new Uint8Array([0, 1, 127, 128, 255])
  },
  {
    small: null,
    int: null,
    big: null,
    real: null,
    double: null,
    price: null,
    rate: null,
    whole: null,
    huge: null,
    wide: null,
    free: null,
    name: null,
    flag: null,
    day: null,
    at: null,
    atz: null,
    doc: null,
    id: null,
    blob: null
  },
  {
    small: 32767,
    int: 2147483647,
    big: 9223372036854775807n,
    real: -3.4028234663852886e38,
    double: 1.7976931348623157e308,
    price: "9999999999.99",
    rate: "-0.000000001",
    whole: "999999999999999999",
    huge: "99999999999999999999999999999999.999999",
    wide: "9999999999999999.9999",
    free: "0.5",
    name: "",
    flag: false,
    day: "9999-12-31",
    at: "9999-12-31T23:59:59.999999",
    atz: "2262-04-11T23:47:16.854775Z",
    doc: "[]",
    id: "ffffffff-ffff-ffff-ffff-ffffffffffff",
    blob: new Uint8Array(0)
  },
  {
    small: 0,
    int: 7,
    big: 0n,
    real: 0,
    double: 0,
    price: "0.00",
    rate: "0.000000000",
    whole: "0",
    huge: "0.000001",
    wide: "12345.6789",
    free: "42",
    name: "서울특별시 강남구 테헤란로 123 (역삼동) — 1+1 행사",
    flag: true,
    day: "2024-02-29",
    at: "2024-02-29T12:34:56.000001",
    atz: "1970-01-01T00:00:00.000000Z",
    doc: '"just a string"',
    id: "00000000-0000-0000-0000-000000000001",
    blob: new TextEncoder().encode("바이트")
  }
]

/** Encodes `batches` with one encoder, returning each write's bytes, the finish bytes and the whole file. */
export const encode = (
  columns: ReadonlyArray<Column>,
  batches: ReadonlyArray<ReadonlyArray<Row>>,
  options?: EncoderOptions
) => {
  const encoder = makeParquetEncoder(columns, options)
  const written = batches.map((batch) => encoder.write(batch))
  const tail = encoder.finish()
  const chunks = [...written, tail]
  const file = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    file.set(chunk, at)
    at += chunk.length
  }
  return { encoder, written, tail, file }
}

/** A DuckDB in-memory database for one test file, with a fresh path per Parquet file (DuckDB caches by path). */
export const duckDb = () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "storeflow-parquet-"))
  let files = 0
  const instance = DuckDBInstance.create(":memory:").then(async (db) => {
    const connection = await db.connect()
    await connection.run("SET TimeZone = 'UTC'")
    return { db, connection }
  })
  return {
    /** Writes `bytes` to a new file and returns its path, quoted for SQL. */
    file: (bytes: Uint8Array): string => {
      const file = path.join(folder, `f${files++}.parquet`)
      fs.writeFileSync(file, bytes)
      return `'${file}'`
    },
    json: async (sql: string) => (await (await instance).connection.runAndReadAll(sql)).getRowObjectsJson(),
    close: async () => {
      const { db, connection } = await instance
      connection.closeSync()
      db.closeSync()
      fs.rmSync(folder, { recursive: true, force: true })
    }
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex").toUpperCase()

/**
 * A SELECT list turning each column into what `expectedJson` gives for its canonical value: text in DuckDB's own
 * rendering (DECIMAL keeps its scale, UUID is lower case) or an explicit format (timestamps with microseconds),
 * and numbers for floats.
 */
export const canonicalSelect = (columns: ReadonlyArray<Column>): string =>
  columns
    .map((column) => {
      const name = `"${column.name}"`
      switch (column.type) {
        case "timestamp":
          return `strftime(${name}, '%Y-%m-%dT%H:%M:%S.%f') AS ${name}`
        case "timestamptz":
          return `strftime(${name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${name}`
        case "bytes":
          return `hex(${name}) AS ${name}`
        case "float32":
        case "float64":
          return `${name}::DOUBLE AS ${name}`
        case "decimal":
          // getRowObjectsJson renders DECIMAL exactly with its scale; `::VARCHAR` would drop a leading "0".
          return name
        default:
          return `${name}::VARCHAR AS ${name}`
      }
    })
    .join(", ")

export const expectedJson = (column: Column, value: Value | undefined): string | number | null => {
  if (value === null || value === undefined) return null
  if (value instanceof Uint8Array) return hex(value)
  if (column.type === "float32") return Math.fround(value as number)
  if (column.type === "float64") return value as number
  return String(value)
}

/** `rows` as `canonicalSelect` reads them from DuckDB. */
export const expectedRows = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<Row>) =>
  rows.map((row) => Object.fromEntries(columns.map((column) => [column.name, expectedJson(column, row[column.name])])))
