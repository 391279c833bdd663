import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  footerLength,
  makeParquetEncoder,
  ParquetEncodeError,
  ParquetFooterError,
  readFooter
} from "../../src/etl/parquet/index.ts"
import { readParquetRows } from "../../src/etl/parquet/read.ts"
import type { Column, Row } from "../../src/services/SourceDb.ts"
import { allColumns, allRows, encode } from "./parquet-support.ts"

const read = (file: Uint8Array, columns: ReadonlyArray<Column>) => Effect.promise(() => readParquetRows(file, columns))

const footerOf = (file: Uint8Array) => {
  const length = footerLength(file.subarray(file.length - 8))
  return readFooter(file.subarray(file.length - length))
}

/** Calls `f`, which must throw a ParquetEncodeError, and returns it. */
const encodeError = (f: () => unknown): ParquetEncodeError => {
  try {
    f()
  } catch (error) {
    if (error instanceof ParquetEncodeError) return error
    throw error
  }
  throw new Error("expected a ParquetEncodeError")
}

const items: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
  { name: "at", type: "timestamp", nullable: false }
]

const item = (i: number): Row => ({
  id: BigInt(i),
  name: i % 7 === 0 ? null : `상품 ${i}`,
  price: i % 5 === 0 ? null : `${i}.${String(i % 100).padStart(2, "0")}`,
  at: `2024-03-01T00:00:${String(i % 60).padStart(2, "0")}.${String(i).padStart(6, "0")}`
})

describe("Parquet encoder: values read back exactly (hyparquet)", () => {
  it.effect("every type, with NULLs, extremes, Korean text and microseconds", () =>
    Effect.gen(function* () {
      const { file } = encode(allColumns, [allRows])
      assert.deepStrictEqual(yield* read(file, allColumns), allRows)
    })
  )

  it.effect("non-nullable columns of every type", () =>
    Effect.gen(function* () {
      const columns = allColumns.map((column) => ({ ...column, nullable: false }))
      const rows = allRows.filter((row) => row.small !== null)
      const { file } = encode(columns, [rows])
      assert.deepStrictEqual(yield* read(file, columns), rows)
    })
  )

  it.effect("a decimal with zeros beyond its scale is exact, so it is accepted", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [{ name: "p", type: "decimal", nullable: false, precision: 5, scale: 2 }]
      const { file } = encode(columns, [[{ p: "1.500" }, { p: "-007.1" }, { p: "12" }, { p: "-0.00" }]])
      const values = (yield* read(file, columns)).map((row) => row.p)
      assert.deepStrictEqual(values, ["1.50", "-7.10", "12.00", "0.00"])
    })
  )

  it.effect("an int64 column also takes safe-integer numbers", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [{ name: "n", type: "int64", nullable: false }]
      const { file } = encode(columns, [[{ n: -(2 ** 53) + 1 }, { n: 5n }, { n: 2 ** 40 + 3 }, { n: -1 }]])
      const values = (yield* read(file, columns)).map((row) => row.n)
      assert.deepStrictEqual(values, [-(2n ** 53n) + 1n, 5n, 2n ** 40n + 3n, -1n])
    })
  )

  it.effect("float32 keeps the float32 value", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [{ name: "f", type: "float32", nullable: false }]
      const { file } = encode(columns, [[{ f: 1.1 }, { f: Number.NaN }, { f: Number.NEGATIVE_INFINITY }]])
      const values = (yield* read(file, columns)).map((row) => row.f)
      assert.deepStrictEqual(values, [Math.fround(1.1), Number.NaN, Number.NEGATIVE_INFINITY])
    })
  )

  it.effect("strings in every plane, low and high cardinality (plain and dictionary pages)", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [
        { name: "unique", type: "string", nullable: true },
        { name: "repeated", type: "string", nullable: true },
        { name: "doc", type: "json", nullable: true },
        { name: "amount", type: "decimal", nullable: false }
      ]
      const samples = ["가", "\u{1F600}", "\uFFFD", "\uE000", "a", "", "é", "𝄞 음악"]
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        unique: i % 11 === 0 ? null : `${samples[i % samples.length]}-${i}`,
        repeated: i % 13 === 0 ? null : (samples[i % samples.length] as string),
        doc: i % 17 === 0 ? null : JSON.stringify({ kind: samples[i % 3], n: i % 4 }),
        amount: `${i % 50}.${i % 10}`
      }))
      const { file } = encode(columns, [rows])
      assert.deepStrictEqual(yield* read(file, columns), rows)
    })
  )

  it.effect("columns larger than a page, with NULLs between the values", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [
        { name: "text", type: "string", nullable: true },
        { name: "n", type: "int64", nullable: true },
        { name: "flag", type: "boolean", nullable: true }
      ]
      const rows = Array.from({ length: 150_000 }, (_, i) => ({
        text: i % 3 === 0 ? null : `값 ${i} ${"x".repeat(i % 20)}`,
        n: i % 4 === 0 ? null : BigInt(i) * 1_000_003n,
        flag: i % 5 === 0 ? null : i % 2 === 0
      }))
      const { file } = encode(columns, [rows], { rowGroupRows: 200_000 })
      assert.strictEqual(footerOf(file).rowGroups, 1)
      assert.deepStrictEqual(yield* read(file, columns), rows)
    })
  )

  it.effect("a file without rows is valid", () =>
    Effect.gen(function* () {
      const { file, written } = encode(items, [[]])
      assert.deepStrictEqual(written[0], new Uint8Array(0))
      assert.deepStrictEqual(footerOf(file), { rows: 0, rowGroups: 0, columns: ["id", "name", "price", "at"] })
      assert.deepStrictEqual(yield* read(file, items), [])
    })
  )

  it.effect("UNCOMPRESSED files read back the same", () =>
    Effect.gen(function* () {
      const { file } = encode(allColumns, [allRows], { compression: "UNCOMPRESSED" })
      assert.deepStrictEqual(yield* read(file, allColumns), allRows)
    })
  )
})

describe("Parquet encoder: row groups are handed out as they complete", () => {
  it.effect("write() returns bytes only when a row group is full, and the pieces form one file", () =>
    Effect.gen(function* () {
      const rows = Array.from({ length: 1000 }, (_, i) => item(i))
      const batches = Array.from({ length: 28 }, (_, b) => rows.slice(b * 37, (b + 1) * 37)).filter((b) => b.length)
      const { encoder, written, tail, file } = encode(items, batches, { rowGroupRows: 100 })
      // 37-row batches fill a 100-row group during the 3rd, 6th, 9th… batch.
      assert.deepStrictEqual(
        written.map((bytes) => bytes.length > 0),
        batches.map((_, b) => Math.floor(((b + 1) * 37) / 100) > Math.floor((b * 37) / 100))
      )
      assert.isTrue(tail.length > 0)
      assert.strictEqual(encoder.rows, 1000)
      assert.strictEqual(encoder.bytes, file.length)
      assert.deepStrictEqual(footerOf(file), { rows: 1000, rowGroups: 10, columns: ["id", "name", "price", "at"] })
      assert.deepStrictEqual(yield* read(file, items), rows)
    })
  )

  it.effect("a row group is flushed early once it reaches rowGroupBytes", () =>
    Effect.gen(function* () {
      const rows = Array.from({ length: 2000 }, (_, i) => ({ ...item(i), name: `${"긴 이름 ".repeat(20)}${i}` }))
      const { file, written } = encode(items, [rows], { rowGroupRows: 10_000, rowGroupBytes: 64 * 1024 })
      const footer = footerOf(file)
      assert.isTrue(footer.rowGroups > 2, `expected several row groups, got ${footer.rowGroups}`)
      assert.isTrue((written[0] as Uint8Array).length > 0)
      assert.deepStrictEqual(yield* read(file, items), rows)
    })
  )

  it("the bytes counter follows what was handed out", () => {
    const encoder = makeParquetEncoder(items, { rowGroupRows: 10 })
    let handed = encoder.write(Array.from({ length: 25 }, (_, i) => item(i))).length
    assert.strictEqual(encoder.bytes, handed)
    assert.strictEqual(encoder.rows, 25)
    handed += encoder.finish().length
    assert.strictEqual(encoder.bytes, handed)
    assert.throws(() => encoder.finish(), /already finished/)
  })
})

describe("Parquet footer", () => {
  it("readFooter on the file's tail gives rows, row groups and columns", () => {
    const { file } = encode(allColumns, [allRows, allRows, allRows], { rowGroupRows: 5 })
    const length = footerLength(file.subarray(file.length - 8))
    assert.isTrue(length > 8 && length < file.length)
    assert.deepStrictEqual(readFooter(file.subarray(file.length - length)), {
      rows: 12,
      rowGroups: 3,
      columns: allColumns.map((column) => column.name)
    })
    // Leading bytes before the footer are ignored.
    assert.strictEqual(readFooter(file.subarray(file.length - length - 100)).rows, 12)
  })

  it("bytes that are not a Parquet tail are refused with a ParquetFooterError", () => {
    const { file } = encode(items, [[item(1)]])
    assert.throws(() => footerLength(new TextEncoder().encode("not a parquet file")), ParquetFooterError)
    assert.throws(() => footerLength(file.subarray(0, 4)), ParquetFooterError)
    const length = footerLength(file.subarray(file.length - 8))
    assert.throws(() => readFooter(file.subarray(file.length - length + 10)), ParquetFooterError)
    const garbled = file.slice(file.length - length)
    garbled.fill(0xee, 0, length - 8)
    assert.throws(() => readFooter(garbled), ParquetFooterError)
  })
})

describe("Parquet encoder: values that do not fit name the column and the row", () => {
  const priced: ReadonlyArray<Column> = [
    { name: "id", type: "int64", nullable: false },
    { name: "price", type: "decimal", nullable: true, precision: 6, scale: 2 },
    { name: "day", type: "date", nullable: true }
  ]
  const ok = (i: number): Row => ({ id: BigInt(i), price: "1.00", day: "2024-01-01" })

  it("a decimal with more fraction digits than the scale, in a later batch", () => {
    const encoder = makeParquetEncoder(priced)
    encoder.write([ok(0), ok(1), ok(2)])
    const error = encodeError(() => encoder.write([ok(3), { ...ok(4), price: "1.234" }]))
    assert.strictEqual(error.column, "price")
    assert.strictEqual(error.row, 4)
    assert.include(error.detail, "scale 2")
    assert.include(error.message, '"price"')
    assert.include(error.message, "row 4")
    // The file cannot be completed any more.
    assert.strictEqual(
      encodeError(() => encoder.write([ok(5)])),
      error
    )
    assert.strictEqual(
      encodeError(() => encoder.finish()),
      error
    )
  })

  const cases: ReadonlyArray<readonly [string, Row, string, string]> = [
    ["too many digits", { ...ok(0), price: "12345.00" }, "price", "DECIMAL(6,2)"],
    ["not a number", { ...ok(0), price: "1e5" }, "price", "not a decimal"],
    ["NaN", { ...ok(0), price: "NaN" }, "price", "not a decimal"],
    ["not a date", { ...ok(0), day: "yesterday" }, "day", "not a date"],
    ["an impossible date", { ...ok(0), day: "2023-02-29" }, "day", "not a date"],
    ["a date with a time", { ...ok(0), day: "2023-02-01T00:00:00" }, "day", "not a date"],
    ["a number for a date", { ...ok(0), day: 19_000 }, "day", "not a date"],
    ["NULL in a non-nullable column", { ...ok(0), id: null }, "id", "not nullable"],
    ["a missing value in a non-nullable column", { price: "1.00", day: "2024-01-01" }, "id", "not nullable"],
    ["an int64 beyond 64 bits", { ...ok(0), id: 2n ** 63n }, "id", "64-bit"],
    ["a string for an int64", { ...ok(0), id: "1" }, "id", "64-bit"]
  ]
  for (const [label, row, column, detail] of cases) {
    it(label, () => {
      const error = encodeError(() => makeParquetEncoder(priced).write([ok(0), ok(1), row]))
      assert.strictEqual(error.column, column)
      assert.strictEqual(error.row, 2)
      assert.include(error.detail, detail)
    })
  }

  const typed = (column: Column, value: Row[string]) => () => {
    const encoder = makeParquetEncoder([column], { rowGroupRows: 2 })
    encoder.write([{ [column.name]: null }, { [column.name]: null }, { [column.name]: value }])
    return encoder.finish()
  }
  const typeCases: ReadonlyArray<readonly [Column, Row[string], string]> = [
    [{ name: "n", type: "int16", nullable: true }, 40_000, "[-32768, 32767]"],
    [{ name: "n", type: "int32", nullable: true }, 1.5, "not an integer"],
    [{ name: "t", type: "timestamp", nullable: true }, "2024-01-01T00:00:00", "not a timestamp"],
    [{ name: "t", type: "timestamp", nullable: true }, "2024-01-01T24:00:00.000000", "not a timestamp"],
    [{ name: "t", type: "timestamptz", nullable: true }, "2024-01-01T00:00:00.000000", "not a timestamp"],
    [{ name: "u", type: "uuid", nullable: true }, "123e4567-e89b-12d3-a456-42661417400g", "not a UUID"],
    [{ name: "u", type: "uuid", nullable: true }, "123e4567e89b-12d3-a456-4266141740000", "not a UUID"],
    [{ name: "u", type: "uuid", nullable: true }, 5, "not a UUID"],
    [{ name: "t", type: "timestamp", nullable: true }, 5, "not a timestamp"],
    [{ name: "d", type: "decimal", nullable: true, precision: 4, scale: 1 }, 1.5, "not a decimal"],
    [{ name: "d", type: "decimal", nullable: true, precision: 14, scale: 1 }, 1.5, "not a decimal"],
    [{ name: "d", type: "decimal", nullable: true, precision: 24, scale: 1 }, 1.5, "not a decimal"],
    [{ name: "d", type: "decimal", nullable: true, precision: 24, scale: 1 }, "-", "not a decimal"],
    [{ name: "d", type: "decimal", nullable: true, precision: 24, scale: 1 }, "1.", "not a decimal"],
    [{ name: "day", type: "date", nullable: true }, "2024-13-01", "not a date"],
    [{ name: "day", type: "date", nullable: true }, "2024/01/01", "not a date"],
    [{ name: "s", type: "string", nullable: true }, 5, "not a string"],
    [{ name: "s", type: "string", nullable: true }, "broken \uD800 pair", "unpaired surrogate"],
    [{ name: "b", type: "bytes", nullable: true }, "text", "not a Uint8Array"],
    [{ name: "f", type: "float64", nullable: true }, 1n, "not a number"],
    [{ name: "x", type: "boolean", nullable: true }, 1, "not a boolean"],
    [{ name: "d", type: "decimal", nullable: true }, "Infinity", "not a decimal"],
    [{ name: "d", type: "decimal", nullable: true, precision: 30, scale: 2 }, "1.001", "scale 2"]
  ]
  for (const [column, value, detail] of typeCases) {
    it(`${column.type} ${JSON.stringify(String(value))}`, () => {
      const error = encodeError(typed(column, value))
      assert.strictEqual(error.column, column.name)
      assert.strictEqual(error.row, 2)
      assert.include(error.detail, detail)
    })
  }

  it("options and columns are checked", () => {
    assert.throws(() => makeParquetEncoder(items, { rowGroupRows: 0 }), /rowGroupRows/)
    assert.throws(() => makeParquetEncoder(items, { rowGroupBytes: 1.5 }), /rowGroupBytes/)
    assert.throws(() => makeParquetEncoder([]), /at least one column/)
    assert.throws(() => makeParquetEncoder([...items, ...items]), /unique/)
  })
})
