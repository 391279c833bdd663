import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { layerFileSystem } from "../../layers/object-store/filesystem.ts"
import { layerDuckDb } from "../../layers/warehouse/duckdb.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { type Dataset, type LoadRequest, Warehouse } from "../../src/services/Warehouse.ts"
import { type Field, parquetFile } from "./parquet-files.ts"

/** A folder for one test file's databases and objects, removed by `afterAll(cleanup)`. */
export const scratchFolder = (name: string) => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `storeflow-${name}-`))
  return {
    fresh: (prefix: string) => fs.mkdtempSync(path.join(parent, `${prefix}-`)),
    cleanup: () => fs.rmSync(parent, { recursive: true, force: true })
  }
}

/** A DuckDB warehouse in `databaseFile` over a filesystem store in `objects`, both exposed to the test. */
export const duckDbOnFiles = (databaseFile: string, objects: string, schema = "main") => {
  const store = Layer.fresh(layerFileSystem(objects))
  return Layer.fresh(layerDuckDb({ path: databaseFile, schema })).pipe(Layer.provideMerge(store))
}

export const put = (key: string, fields: ReadonlyArray<Field>) =>
  Effect.as(
    ObjectStore.use((store) => store.put(key, parquetFile(fields))),
    key
  )

export const loadInto = (
  dataset: Dataset,
  columns: ReadonlyArray<Column>,
  files: ReadonlyArray<string>,
  expectedRows: number,
  day?: string
) => {
  const request: LoadRequest = {
    dataset,
    columns,
    files,
    expectedRows,
    partition: day === undefined ? undefined : { column: "dt", value: day }
  }
  return Warehouse.use((warehouse) => warehouse.load(request))
}

/** DuckDB's names for the table's column types, in column order. */
export const storedTypes = (dataset: Dataset) =>
  Warehouse.use((warehouse) =>
    warehouse.query(
      `SELECT column_name, data_type FROM duckdb_columns()
       WHERE schema_name = '${dataset.schema}' AND table_name = '${dataset.table}' ORDER BY column_index`
    )
  ).pipe(Effect.map((rows) => Object.fromEntries(rows.map((row) => [String(row.column_name), row.data_type]))))
