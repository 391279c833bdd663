import { Effect } from "effect"
import type { Dataset, WarehouseError } from "../../src/services/Warehouse.ts"
import type { DuckDbSession } from "./duckdb-connection.ts"
import { partitionComment } from "./duckdb-sql.ts"

/** DuckDB compares names without regard to case, quoted or not. */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

export interface TableInfo {
  /** In the table's order, with DuckDB's names for the types. */
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly partitionColumn: string | undefined
}

/** The table's columns and partition column, or `undefined` when there is no such table (or view). */
export const describeTable = (db: DuckDbSession, dataset: Dataset) =>
  db
    .select(
      `SELECT column_name, data_type, comment FROM duckdb_columns()
       WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)
       ORDER BY column_index`,
      [dataset.schema, dataset.table]
    )
    .pipe(
      Effect.map((result): TableInfo | undefined => {
        if (result.rows.length === 0) return undefined
        const columns = result.rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }))
        const marked = result.rows.find((row) => row[2] === partitionComment)
        return { columns, partitionColumn: marked === undefined ? undefined : String(marked[0]) }
      })
    )

// IO errors that say "not now" rather than "never": another process holds the file, the disk is full or busy.
const transientIo = /lock|No space left|Resource temporarily unavailable|Too many open files|Input\/output error/i

/**
 * The reason for a DuckDB error message: a missing object is NotFound; a file lock, a full disk or a write conflict
 * with another connection to the same database (another Layer on the file) is Unavailable, as a retry can succeed.
 */
export const classify = (message: string): WarehouseError["reason"] => {
  if (/does not exist|not found|No files found/i.test(message)) return "NotFound"
  if (/^IO Error/.test(message) && transientIo.test(message)) return "Unavailable"
  if (/^TransactionContext Error: .*conflict/i.test(message)) return "Unavailable"
  return "QueryFailed"
}
