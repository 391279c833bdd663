import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "@effect/vitest"
import { layerFileSystem } from "../../layers/object-store/filesystem.ts"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerDuckDb } from "../../layers/warehouse/duckdb.ts"
import { warehouseContract } from "./contract.ts"
import { warehouseValuesContract } from "./contract-values.ts"

const parent = fs.mkdtempSync(path.join(os.tmpdir(), "storeflow-duckdb-contract-"))
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }))

// A database file and Parquet files DuckDB reads in place, as in the default local setup.
const onFiles = {
  warehouse: () =>
    layerDuckDb({ path: path.join(fs.mkdtempSync(path.join(parent, "db-")), "w.duckdb"), schema: "main" }),
  store: () => layerFileSystem(fs.mkdtempSync(path.join(parent, "objects-")))
}
// An in-memory database over a store whose objects are not local files: every load downloads them.
const downloading = {
  warehouse: () => layerDuckDb({ path: ":memory:", schema: "main" }),
  store: () => objectStoreMemory
}

warehouseContract("duckdb (file database, files read in place)", onFiles)
warehouseValuesContract("duckdb (file database, files read in place)", onFiles)
warehouseContract("duckdb (in memory, files downloaded)", downloading)
warehouseValuesContract("duckdb (in memory, files downloaded)", downloading)
