import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Column, Row } from "../../src/services/SourceDb.ts"
import { allColumns, allRows, canonicalSelect, duckDb, encode, expectedRows } from "./parquet-support.ts"

const duck = duckDb()
afterAll(() => duck.close())

const query = (sql: string) => Effect.promise(() => duck.json(sql))

/** The file's rows as DuckDB reads them, in the form `expectedRows` gives. */
const readBack = (file: Uint8Array, columns: ReadonlyArray<Column>) =>
  query(`SELECT ${canonicalSelect(columns)} FROM read_parquet(${duck.file(file)})`)

describe("Parquet encoder: DuckDB reads the files exactly", () => {
  it.effect("every type, with NULLs, extremes, Korean text and microseconds", () =>
    Effect.gen(function* () {
      const { file } = encode(allColumns, [allRows])
      assert.deepStrictEqual(yield* readBack(file, allColumns), expectedRows(allColumns, allRows))
    })
  )

  it.effect("columns get DuckDB types that hold their values exactly", () =>
    Effect.gen(function* () {
      const { file } = encode(allColumns, [allRows])
      const types = yield* query(`DESCRIBE SELECT * FROM read_parquet(${duck.file(file)})`)
      assert.deepStrictEqual(Object.fromEntries(types.map((row) => [row.column_name, row.column_type])), {
        small: "SMALLINT",
        int: "INTEGER",
        big: "BIGINT",
        real: "FLOAT",
        double: "DOUBLE",
        price: "DECIMAL(12,2)",
        rate: "DECIMAL(9,9)",
        whole: "DECIMAL(18,0)",
        huge: "DECIMAL(38,6)",
        wide: "DECIMAL(20,4)",
        free: "VARCHAR",
        name: "VARCHAR",
        flag: "BOOLEAN",
        day: "DATE",
        at: "TIMESTAMP",
        atz: "TIMESTAMP WITH TIME ZONE",
        doc: "JSON",
        id: "UUID",
        blob: "BLOB"
      })
    })
  )

  it.effect("non-nullable columns, several row groups written batch by batch, in every codec", () =>
    Effect.gen(function* () {
      const columns = allColumns.map((column) => ({ ...column, nullable: false }))
      const base = allRows.filter((row) => row.small !== null)
      const rows = Array.from({ length: 200 }, (_, i) => ({ ...(base[i % base.length] as Row), int: i }))
      const batches = [rows.slice(0, 45), rows.slice(45, 46), rows.slice(46)]
      for (const compression of ["SNAPPY", "ZSTD", "UNCOMPRESSED"] as const) {
        const { file } = encode(columns, batches, { rowGroupRows: 30, compression })
        const path = duck.file(file)
        assert.deepStrictEqual(yield* readBack(file, columns), expectedRows(columns, rows), compression)
        const groups = yield* query(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${path})`)
        assert.strictEqual(groups[0]?.n, "7")
      }
    })
  )

  it.effect("large pages, plain and dictionary columns, with NULLs between values", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [
        { name: "id", type: "int64", nullable: false },
        { name: "name", type: "string", nullable: true },
        { name: "store", type: "string", nullable: true },
        { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
        { name: "at", type: "timestamp", nullable: true }
      ]
      const rows = Array.from({ length: 120_000 }, (_, i) => ({
        id: BigInt(i),
        name: i % 9 === 0 ? null : `신선한 상품 ${i} ${"가".repeat(i % 30)}`,
        store: i % 4 === 0 ? null : `매장 ${i % 40}`,
        price: i % 6 === 0 ? null : `${(i % 100_000) - 50_000}.${String(i % 100).padStart(2, "0")}`,
        at: i % 10 === 0 ? null : `2024-05-0${1 + (i % 9)}T10:00:00.${String(i).padStart(6, "0")}`
      }))
      const { file } = encode(columns, [rows.slice(0, 70_000), rows.slice(70_000)], { rowGroupRows: 100_000 })
      const path = duck.file(file)
      const [summary] = yield* query(
        `SELECT count(*) AS n, count(name) AS names, count(DISTINCT store) AS stores, sum(price)::VARCHAR AS total,
                max("at")::VARCHAR AS latest FROM read_parquet(${path})`
      )
      const prices = rows.flatMap((row) => (row.price === null ? [] : [Math.round(Number(row.price) * 100)]))
      const total = prices.reduce((sum, cents) => sum + BigInt(cents), 0n)
      const abs = total < 0n ? -total : total
      const latest = rows.reduce((max, row) => (row.at !== null && row.at > max ? row.at : max), "")
      assert.deepStrictEqual(summary, {
        n: "120000",
        names: String(rows.filter((row) => row.name !== null).length),
        stores: String(new Set(rows.map((row) => row.store).filter((store) => store !== null)).size),
        total: `${total < 0n ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`,
        latest: latest.replace("T", " ")
      })
      const sample = [0, 1, 69_999, 70_000, 99_999, 100_000, 119_999]
      const back = yield* query(
        `SELECT ${canonicalSelect(columns)} FROM read_parquet(${path}) WHERE id IN (${sample.join(", ")}) ORDER BY id::BIGINT`
      )
      assert.deepStrictEqual(
        back,
        expectedRows(
          columns,
          sample.map((i) => rows[i] as Row)
        )
      )
      const encodings = yield* query(
        `SELECT path_in_schema AS name, encodings FROM parquet_metadata(${path}) WHERE row_group_id = 0 ORDER BY column_id`
      )
      assert.include(String(encodings.find((row) => row.name === "store")?.encodings), "RLE_DICTIONARY")
      assert.notInclude(String(encodings.find((row) => row.name === "name")?.encodings), "RLE_DICTIONARY")
    })
  )

  it.effect("statistics bound the values, so filters that skip row groups still find every row", () =>
    Effect.gen(function* () {
      const columns: ReadonlyArray<Column> = [
        { name: "id", type: "int64", nullable: false },
        { name: "name", type: "string", nullable: true },
        { name: "price", type: "decimal", nullable: true, precision: 30, scale: 2 },
        { name: "at", type: "timestamptz", nullable: true },
        { name: "day", type: "date", nullable: true },
        { name: "ratio", type: "float64", nullable: true }
      ]
      // Strings whose UTF-16 order differs from UTF-8 (code point) order: U+FFFD sorts below an emoji in Parquet.
      const names = ["\u{1F600} 이모지", "\uFFFD 대체", "가나다", "abc", "\uE000", "𝄞"]
      const rows = Array.from({ length: 60 }, (_, i) => ({
        id: BigInt(i),
        name: i % 7 === 3 ? null : (names[i % names.length] as string),
        price: `${i % 2 === 0 ? "-" : ""}${i}000000000000000000.${String(i).padStart(2, "0")}`,
        at: `20${String(10 + (i % 20)).padStart(2, "0")}-01-01T00:00:00.${String(i).padStart(6, "0")}Z`,
        day: `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`,
        ratio: i % 3 === 0 ? -0 : i / 7
      }))
      const { file } = encode(columns, [rows], { rowGroupRows: 10 })
      const path = duck.file(file)
      const stats = yield* query(
        `SELECT path_in_schema AS name, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
         FROM parquet_metadata(${path}) WHERE row_group_id = 0 AND path_in_schema IN ('id', 'name', 'price') ORDER BY column_id`
      )
      assert.deepStrictEqual(stats, [
        { name: "id", min: "0", max: "9", nulls: "0" },
        { name: "name", min: "abc", max: "\u{1F600} 이모지", nulls: "1" },
        { name: "price", min: "-8000000000000000000.08", max: "9000000000000000000.09", nulls: "0" }
      ])
      // In one row group the names repeat enough for a dictionary, whose bounds are computed apart.
      const single = duck.file(encode(columns, [rows], { rowGroupRows: 100 }).file)
      const dictionary = yield* query(
        `SELECT stats_min_value AS min, stats_max_value AS max, encodings FROM parquet_metadata(${single})
         WHERE path_in_schema = 'name'`
      )
      assert.deepStrictEqual(dictionary, [
        { min: "abc", max: "\u{1F600} 이모지", encodings: "PLAIN, RLE, RLE_DICTIONARY" }
      ])
      for (const row of rows) {
        for (const name of ["name", "price", "at", "day", "ratio"] as const) {
          const value = row[name]
          if (value === null) continue
          const literal =
            name === "price"
              ? `${value}::DECIMAL(30,2)`
              : name === "at"
                ? `'${value}'::TIMESTAMPTZ`
                : name === "day"
                  ? `DATE '${value}'`
                  : name === "ratio"
                    ? `${value}::DOUBLE`
                    : `'${value}'`
          const found = yield* query(
            `SELECT list(id ORDER BY id)::VARCHAR AS ids FROM read_parquet(${path}) WHERE "${name}" = ${literal}`
          )
          const expected = rows.filter((other) =>
            name === "ratio" ? other.ratio === row.ratio : other[name] === value
          )
          assert.strictEqual(
            found[0]?.ids,
            `[${expected.map((other) => String(other.id)).join(", ")}]`,
            `${name} = ${literal}`
          )
        }
      }
    })
  )
})
