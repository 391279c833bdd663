import { assert, describe, it } from "@effect/vitest"
import { parquetTypeOf, schemaHash } from "../../src/etl/parquet/index.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { allColumns } from "./parquet-support.ts"

const base: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
  { name: "name", type: "string", nullable: true }
]

describe("schemaHash", () => {
  it("is stable for equal column lists", () => {
    const copy = base.map((column) => ({ ...column }))
    assert.strictEqual(schemaHash(base), schemaHash(copy))
    assert.strictEqual(schemaHash(base), schemaHash(base))
    assert.match(schemaHash(base), /^[0-9a-f]{64}$/)
  })

  it("changes when a column is added, removed, retyped, renamed, reordered or changes nullability or digits", () => {
    const [id, price, name] = base as [Column, Column, Column]
    const variants: Record<string, ReadonlyArray<Column>> = {
      added: [...base, { name: "stock", type: "int32", nullable: true }],
      removed: [id, price],
      retyped: [id, price, { ...name, type: "json" }],
      renamed: [id, price, { ...name, name: "title" }],
      reordered: [id, name, price],
      nullability: [{ ...id, nullable: true }, price, name],
      precision: [id, { ...price, precision: 14 }, name],
      scale: [id, { ...price, scale: 3 }, name],
      unconstrained: [id, { name: "price", type: "decimal", nullable: true }, name]
    }
    const hashes = new Set([schemaHash(base), ...Object.values(variants).map(schemaHash)])
    assert.strictEqual(hashes.size, Object.keys(variants).length + 1)
  })
})

describe("parquetTypeOf", () => {
  it("names the Parquet physical and logical type of each column", () => {
    assert.deepStrictEqual(Object.fromEntries(allColumns.map((column) => [column.name, parquetTypeOf(column)])), {
      small: "INT32 INT(16, signed)",
      int: "INT32",
      big: "INT64",
      real: "FLOAT",
      double: "DOUBLE",
      price: "INT64 DECIMAL(12,2)",
      rate: "INT32 DECIMAL(9,9)",
      whole: "INT64 DECIMAL(18,0)",
      huge: "FIXED_LEN_BYTE_ARRAY(16) DECIMAL(38,6)",
      wide: "FIXED_LEN_BYTE_ARRAY(9) DECIMAL(20,4)",
      free: "BYTE_ARRAY STRING",
      name: "BYTE_ARRAY STRING",
      flag: "BOOLEAN",
      day: "INT32 DATE",
      at: "INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false)",
      atz: "INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true)",
      doc: "BYTE_ARRAY JSON",
      id: "FIXED_LEN_BYTE_ARRAY(16) UUID",
      blob: "BYTE_ARRAY"
    })
  })

  it("keeps decimals no DECIMAL(p,s) can hold exactly as text", () => {
    const decimal = (precision?: number, scale?: number): Column => ({
      name: "d",
      type: "decimal",
      nullable: true,
      ...(precision === undefined ? {} : { precision }),
      ...(scale === undefined ? {} : { scale })
    })
    assert.strictEqual(parquetTypeOf(decimal()), "BYTE_ARRAY STRING")
    assert.strictEqual(parquetTypeOf(decimal(39, 2)), "BYTE_ARRAY STRING")
    assert.strictEqual(parquetTypeOf(decimal(10, -2)), "BYTE_ARRAY STRING")
    assert.strictEqual(parquetTypeOf(decimal(3, 5)), "BYTE_ARRAY STRING")
    assert.strictEqual(parquetTypeOf(decimal(7)), "INT32 DECIMAL(7,0)")
  })
})
