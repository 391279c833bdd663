import { Effect } from "effect"
import type { ObjectStore } from "../../src/services/ObjectStore.ts"
import { datasetName, type LoadRequest, type LoadResult, WarehouseError } from "../../src/services/Warehouse.ts"
import type { TrinoFailure, TrinoResult } from "./trino-client.ts"
import { objectStoreFailure, warehouseError } from "./trino-errors.ts"
import * as Sql from "./trino-sql.ts"

/**
 * How a load replaces data in Trino, and why.
 *
 * Common to all: the files of one load lie in one folder (`…/dt=YYYY-MM-DD/` or `…/latest/`), and Trino reads whole
 * folders (skipping names that start with `_` or `.`, like `_manifest.json`). So the folder is listed first and the
 * load refuses to start while it holds any other visible file: the table then shows exactly the committed files,
 * never the leftovers of an earlier run. Every statement is idempotent (`IF NOT EXISTS`, unregister-then-register,
 * delete-then-insert, replace), so a re-run after a crash at any point converges to the same table, and loading the
 * same request twice sends the same statements.
 *
 * Hive (zero copy, the files stay where the ETL wrote them):
 * - partitioned: an external table at the dataset prefix (the parent of the partition folders), then
 *   `unregister_partition` (a missing partition is fine) and `register_partition` at the partition folder. The
 *   metastore swap is two calls, so a reader may miss the day for those milliseconds. `sync_partition_metadata`
 *   would list the whole prefix on every load instead of one folder.
 * - `latest/`: an external table at the folder itself. Hive cannot `CREATE OR REPLACE` or `DELETE` from an external
 *   table, and a staging copy would read the same folder anyway: the swap is the ETL replacing the folder's files.
 *   When the columns changed, the table definition is dropped (metadata only: it is external) and created again.
 * - In both, the folder is the data, so a count mismatch found afterwards cannot be undone here; the error says so.
 *
 * Iceberg (the files are registered, then copied in one commit):
 * - `add_files` refuses partitioned targets, and an Iceberg `DROP TABLE` deletes every data file the table
 *   references, even files it never wrote. So the files go into a staging table with `add_files` (metadata only),
 *   are counted there before anything visible changes, copied into the target, and the staging table is removed
 *   with `unregister_table`, which leaves the ETL's files alone (its few metadata files stay behind).
 * - partitioned: `DELETE` the day, then `INSERT … SELECT` from staging: two commits, so a reader between them sees
 *   the day empty (Trino has no single-commit partition overwrite for Iceberg).
 * - `latest/`: `CREATE OR REPLACE TABLE … AS SELECT` from staging: one atomic commit, columns included.
 * The catalog must give new schemas a location (warehouse dir of the metastore, JDBC or REST catalog).
 *
 * A load without files (an empty day) empties the partition or table where the format allows it without a location:
 * Iceberg always, Hive only for a partition of an existing table (an external table needs a folder to read).
 */

export interface LoadDeps {
  readonly catalog: string
  readonly tableFormat: Sql.TableFormat
  readonly store: ObjectStore["Service"]
  readonly run: (sql: string) => Effect.Effect<TrinoResult, TrinoFailure>
}

const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf("/")))

// Hive and Iceberg's add_files both skip these, at any depth below the folder.
const isVisible = (relative: string): boolean =>
  !relative.split("/").some((segment) => segment.startsWith("_") || segment.startsWith("."))

const problemOf = (request: LoadRequest, catalog: string): string | undefined => {
  const names = [
    catalog,
    request.dataset.schema,
    request.dataset.table,
    ...request.columns.map((column) => column.name),
    ...(request.partition === undefined ? [] : [request.partition.column])
  ]
  const invalid = names.find((name) => !Sql.isIdentifier(name))
  if (invalid !== undefined) return `"${invalid}" is not a valid identifier (letters, digits and _)`
  const lower = request.columns.map((column) => column.name.toLowerCase())
  if (request.columns.length === 0) return "a load needs at least one column"
  if (new Set(lower).size !== lower.length) return "two columns have the same name (Trino ignores case)"
  if (request.partition !== undefined && lower.includes(request.partition.column.toLowerCase())) {
    return `the partition column "${request.partition.column}" must not be one of the data columns`
  }
  if (!(Number.isSafeInteger(request.expectedRows) && request.expectedRows >= 0)) {
    return `expectedRows must be a non-negative integer, got ${request.expectedRows}`
  }
  if (request.files.length === 0) return undefined
  const folder = parentOf(request.files[0] ?? "")
  if (folder === "") return "the files must lie in a folder below the object store's root"
  if (request.files.some((key) => parentOf(key) !== folder)) return "all files of one load must lie in one folder"
  if (request.files.some((key) => !isVisible(key.slice(folder.length + 1)))) {
    return "Trino ignores files whose names start with _ or ."
  }
  return undefined
}

const firstCount = (result: TrinoResult): number | undefined => {
  const value = result.data[0]?.[0]
  return typeof value === "number" || typeof value === "bigint" || typeof value === "string" ? Number(value) : undefined
}

export const makeLoad = (deps: LoadDeps) =>
  Effect.fn("Warehouse.load")(function* (request: LoadRequest) {
    const dataset = datasetName(request.dataset)
    const failure = (reason: WarehouseError["reason"], detail: string) =>
      new WarehouseError({ operation: "load", dataset, reason, detail })
    const run = (sql: string) => deps.run(sql).pipe(Effect.mapError(warehouseError("load", dataset)))
    const runIgnoring = (errorName: string, sql: string) =>
      deps.run(sql).pipe(
        Effect.asVoid,
        Effect.catchTag("TrinoFailure", (error) => (error.errorName === errorName ? Effect.void : Effect.fail(error))),
        Effect.mapError(warehouseError("load", dataset))
      )
    const count = (sql: string) =>
      Effect.flatMap(run(sql), (result) => {
        const rows = firstCount(result)
        return rows === undefined
          ? Effect.fail(failure("QueryFailed", "count(*) returned no number"))
          : Effect.succeed(rows)
      })
    /** Counts with `sql` and fails unless the count is the expected one; `found` says where the count was seen. */
    const verify = (sql: string, found: (rows: number) => string) =>
      Effect.flatMap(count(sql), (rows) =>
        rows === request.expectedRows
          ? Effect.succeed(rows)
          : Effect.fail(failure("RowCountMismatch", `expected ${request.expectedRows} rows, ${found(rows)}`))
      )

    const problem = problemOf(request, deps.catalog)
    if (problem !== undefined) return yield* failure("QueryFailed", problem)
    if (request.files.length === 0 && request.expectedRows > 0) {
      return yield* failure("RowCountMismatch", `expected ${request.expectedRows} rows, the load has no files`)
    }
    const { partition, columns } = request
    const ref: Sql.TableRef = { catalog: deps.catalog, ...request.dataset }
    const first = request.files[0]
    const folderKey = first === undefined ? undefined : parentOf(first)
    const folderUri = first === undefined ? undefined : parentOf(deps.store.uri(first))
    yield* Effect.annotateCurrentSpan({
      "warehouse.dataset": dataset,
      "warehouse.format": deps.tableFormat,
      "warehouse.partition": partition === undefined ? "" : `${partition.column}=${partition.value}`,
      "warehouse.files": request.files.length,
      "warehouse.location": folderUri ?? ""
    })

    if (folderKey !== undefined) {
      // The folder must hold exactly this load's files: Trino reads all of them.
      const listed = yield* deps.store.list(`${folderKey}/`).pipe(Effect.mapError(objectStoreFailure("load", dataset)))
      const present = new Set(listed.map((info) => info.key))
      const missing = request.files.find((key) => !present.has(key))
      if (missing !== undefined) return yield* failure("NotFound", `file ${missing} does not exist in the object store`)
      const wanted = new Set(request.files)
      const others = [...present].filter((key) => !wanted.has(key) && isVisible(key.slice(folderKey.length + 1)))
      if (others.length > 0) {
        return yield* failure(
          "QueryFailed",
          `${folderUri}/ also holds ${others.length} file(s) not in this load (${others.slice(0, 3).join(", ")}); Trino reads the whole folder, so remove superseded files before loading`
        )
      }
    }

    yield* run(Sql.createSchema(ref.catalog, ref.schema))
    const expected = [...columns.map((c) => c.name), ...(partition === undefined ? [] : [partition.column])].map(
      (name) => name.toLowerCase()
    )
    // Only partitioned tables and Hive tables keep their definition across loads; Iceberg's swap replaces it.
    const existing =
      partition !== undefined || deps.tableFormat === "hive"
        ? (yield* run(Sql.tableColumns(ref))).data.map((row) => String(row[0]).toLowerCase())
        : []
    const columnsDiffer = existing.length > 0 && existing.join(",") !== expected.join(",")
    if (columnsDiffer && partition !== undefined) {
      return yield* failure(
        "QueryFailed",
        `the table has columns (${existing.join(", ")}), the load has (${expected.join(", ")}); replace the whole table to change them`
      )
    }

    /** Registers the files in a staging table, checks their count, runs `use`, and forgets the staging table. */
    const staged = (staging: Sql.TableRef, location: string, use: Effect.Effect<number, WarehouseError>) =>
      Effect.andThen(
        runIgnoring("TABLE_NOT_FOUND", Sql.unregisterTable(staging)),
        Effect.gen(function* () {
          yield* run(Sql.createIcebergStaging(staging, columns))
          yield* run(Sql.addFiles(staging, location))
          yield* verify(Sql.countRows(staging), (rows) => `the files hold ${rows}; the table was left as it was`)
          return yield* use
        }).pipe(Effect.ensuring(Effect.ignore(runIgnoring("TABLE_NOT_FOUND", Sql.unregisterTable(staging)))))
      )

    const hivePartition = (day: Sql.Equals) =>
      Effect.gen(function* () {
        if (folderUri === undefined) {
          if (existing.length === 0) {
            return yield* failure("QueryFailed", "the first load of a Hive table needs a file: it places the table")
          }
          yield* runIgnoring("NOT_FOUND", Sql.unregisterPartition(ref, day))
          return yield* verify(
            Sql.countPartition(ref, day),
            (rows) => `partition ${day.column}=${day.value} still shows ${rows}`
          )
        }
        yield* run(Sql.createHivePartitioned(ref, columns, day.column, `${parentOf(folderUri)}/`))
        yield* runIgnoring("NOT_FOUND", Sql.unregisterPartition(ref, day))
        yield* run(Sql.registerPartition(ref, day, folderUri))
        return yield* verify(
          Sql.countPartition(ref, day),
          (rows) => `partition ${day.column}=${day.value} reads ${rows} from ${folderUri}/, where it now points`
        )
      })

    const icebergPartition = (day: Sql.Equals) =>
      Effect.gen(function* () {
        yield* run(Sql.createIcebergTable(ref, columns, day.column))
        const replace = Effect.gen(function* () {
          yield* run(Sql.deletePartition(ref, day))
          if (folderUri !== undefined) yield* run(Sql.insertPartition(ref, Sql.stagingRef(ref, day), columns, day))
          return yield* verify(
            Sql.countPartition(ref, day),
            (rows) => `partition ${day.column}=${day.value} holds ${rows} after the copy`
          )
        })
        return yield* folderUri === undefined ? replace : staged(Sql.stagingRef(ref, day), folderUri, replace)
      })

    const hiveTable = Effect.gen(function* () {
      if (folderUri === undefined) {
        return yield* failure(
          "QueryFailed",
          "a Hive table reads its folder: to load no rows, write an empty Parquet file"
        )
      }
      if (columnsDiffer) yield* run(Sql.dropTable(ref))
      yield* run(Sql.createHiveExternal(ref, columns, `${folderUri}/`))
      return yield* verify(Sql.countRows(ref), (rows) => `the table reads ${rows} from ${folderUri}/`)
    })

    const icebergTable =
      folderUri === undefined
        ? Effect.andThen(
            run(Sql.replaceWithEmpty(ref, columns)),
            verify(Sql.countRows(ref), (rows) => `the table holds ${rows} after the swap`)
          )
        : staged(
            Sql.stagingRef(ref),
            folderUri,
            Effect.andThen(
              run(Sql.replaceTable(ref, Sql.stagingRef(ref), columns)),
              verify(Sql.countRows(ref), (rows) => `the table holds ${rows} after the swap`)
            )
          )

    const rows = yield* partition === undefined
      ? deps.tableFormat === "hive"
        ? hiveTable
        : icebergTable
      : deps.tableFormat === "hive"
        ? hivePartition(partition)
        : icebergPartition(partition)
    return { rows } satisfies LoadResult
  })
