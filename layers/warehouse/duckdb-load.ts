import { Effect } from "effect"
import type { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { datasetName, type LoadRequest, WarehouseError } from "../../src/services/Warehouse.ts"
import type { DuckDbFailure, DuckDbSession } from "./duckdb-connection.ts"
import { type LocalFile, localFiles, withKeys } from "./duckdb-files.ts"
import {
  conversionSql,
  identifierProblem,
  literal,
  partitionComment,
  quoted,
  readParquetSql,
  reconcile,
  storedType,
  tableSql
} from "./duckdb-sql.ts"
import { classify, describeTable, sameName, type TableInfo } from "./duckdb-table.ts"

/** What a load request asks for that cannot work whatever the files hold; `undefined` when it can. */
const requestProblem = (request: LoadRequest): string | undefined => {
  const { dataset, columns, partition } = request
  const names = columns.map((column) => column.name)
  const problem =
    identifierProblem(dataset.schema, "schema") ??
    identifierProblem(dataset.table, "table") ??
    names.map((name) => identifierProblem(name, "column")).find((found) => found !== undefined) ??
    (partition === undefined ? undefined : identifierProblem(partition.column, "partition column"))
  if (problem !== undefined) return problem
  const duplicate = names.find((name, i) => names.findIndex((other) => sameName(other, name)) !== i)
  if (duplicate !== undefined) return `column "${duplicate}" is declared twice (DuckDB ignores case in names)`
  if (partition !== undefined && names.some((name) => sameName(name, partition.column))) {
    return `the partition column "${partition.column}" must not be one of the data columns`
  }
  if (partition === undefined && columns.length === 0) return "a table without a partition needs at least one column"
  if (!Number.isSafeInteger(request.expectedRows) || request.expectedRows < 0) {
    return `expectedRows must be a non-negative integer, got ${request.expectedRows}`
  }
  return undefined
}

/** The columns' types as DuckDB reads them from the files; every file must hold every declared column. */
const fileTypes = Effect.fnUntraced(function* (
  db: DuckDbSession,
  dataset: string,
  columns: ReadonlyArray<Column>,
  files: ReadonlyArray<LocalFile>
) {
  const fail = (what: string, detail: string, cause?: DuckDbFailure) =>
    new WarehouseError({ operation: "load", dataset, reason: "QueryFailed", detail: `${what}: ${detail}`, cause })
  const describe = (paths: ReadonlyArray<string>, what: string) =>
    db.select(`DESCRIBE SELECT * FROM ${readParquetSql(paths)}`).pipe(
      Effect.mapError((error) => fail(what, withKeys(error.message, files), error)),
      Effect.map((result) => new Map(result.rows.map((row) => [String(row[0]), String(row[1])])))
    )
  const typeOf = (types: ReadonlyMap<string, string>, name: string) =>
    Array.from(types).find(([found]) => sameName(found, name))?.[1]

  let union = new Map<string, string>()
  for (const file of files) {
    const what = `cannot load Parquet file ${file.key}`
    const types = yield* describe([file.path], what)
    for (const column of columns) {
      const source = typeOf(types, column.name)
      if (source === undefined) return yield* fail(what, `the file has no column "${column.name}"`)
      const checked = conversionSql(column, storedType(column, db.json), source, source)
      if ("problem" in checked) return yield* fail(what, checked.problem)
    }
    union = types
  }
  // Several files are read as one, with each column's type widened to fit them all.
  if (files.length > 1) {
    union = yield* describe(
      files.map((file) => file.path),
      `cannot load the Parquet files ${files.map((file) => file.key).join(", ")} together`
    )
  }
  return new Map(columns.map((column) => [column.name, typeOf(union, column.name) ?? "an unknown type"]))
})

interface Plan {
  /** DDL run first in the load's transaction. */
  readonly statements: ReadonlyArray<string>
  /** The table's type of each declared column once the DDL ran. */
  readonly targets: ReadonlyMap<string, string>
}

/** Creates the table, or adds missing columns and widens narrower ones; an incompatible type is an error text. */
const planTable = (request: LoadRequest, existing: TableInfo | undefined, json: boolean): Plan | string => {
  const table = tableSql(request.dataset)
  const { partition, columns } = request
  const wanted = columns.map((column) => [column, storedType(column, json)] as const)
  const targets = new Map(wanted.map(([column, type]) => [column.name, type]))
  const definitions = wanted.map(([column, type]) => `${quoted(column.name)} ${type}`)
  if (partition === undefined)
    return { statements: [`CREATE OR REPLACE TABLE ${table} (${definitions.join(", ")})`], targets }
  if (existing === undefined) {
    const partitionColumn = quoted(partition.column)
    return {
      statements: [
        `CREATE TABLE ${table} (${[...definitions, `${partitionColumn} VARCHAR`].join(", ")})`,
        `COMMENT ON COLUMN ${table}.${partitionColumn} IS ${literal(partitionComment)}`
      ],
      targets
    }
  }
  if (existing.partitionColumn === undefined) {
    return `the table is not partitioned, cannot replace partition ${partition.column}=${partition.value}`
  }
  if (!sameName(existing.partitionColumn, partition.column)) {
    return `the table is partitioned by "${existing.partitionColumn}", not "${partition.column}"`
  }
  const statements: Array<string> = []
  for (const [column, type] of wanted) {
    const current = existing.columns.find((found) => sameName(found.name, column.name))
    if (current === undefined) {
      statements.push(`ALTER TABLE ${table} ADD COLUMN ${quoted(column.name)} ${type}`)
      continue
    }
    const fit = reconcile(current.type, type)
    if (fit === undefined) {
      return `column "${column.name}" is ${current.type} in the table, but the load declares ${column.type} (${type}); the types do not fit together, so replace the table or convert the column by hand`
    }
    if ("widen" in fit) {
      statements.push(`ALTER TABLE ${table} ALTER COLUMN ${quoted(column.name)} SET DATA TYPE ${fit.widen}`)
    }
    targets.set(column.name, "widen" in fit ? fit.widen : fit.keep)
  }
  return { statements, targets }
}

/** INSERT … SELECT (none without files) of the declared columns, converted to the table's types, plus the partition value as `$1`. */
const insertSql = (
  request: LoadRequest,
  targets: ReadonlyMap<string, string>,
  sources: ReadonlyMap<string, string>,
  files: ReadonlyArray<LocalFile>,
  json: boolean
): { readonly sql: string | undefined } | { readonly problem: string } => {
  if (files.length === 0) return { sql: undefined }
  const names: Array<string> = []
  const values: Array<string> = []
  for (const column of request.columns) {
    const target = targets.get(column.name) ?? storedType(column, json)
    const converted = conversionSql(column, storedType(column, json), sources.get(column.name) ?? "", target)
    if ("problem" in converted) return { problem: `the files together: ${converted.problem}` }
    names.push(quoted(column.name))
    values.push(converted.sql)
  }
  if (request.partition !== undefined) {
    names.push(quoted(request.partition.column))
    values.push("$1")
  }
  const from = readParquetSql(files.map((file) => file.path))
  return {
    sql: `INSERT INTO ${tableSql(request.dataset)} (${names.join(", ")}) SELECT ${values.join(", ")} FROM ${from}`
  }
}

/**
 * Replaces a partition (or the whole table) with the files' rows in one transaction: DDL, DELETE (or CREATE OR
 * REPLACE), INSERT … SELECT with explicit conversions, then a count of what the table now holds for the partition.
 * A count other than `expectedRows`, or any failure, rolls everything back, DDL included.
 */
export const makeLoad = (db: DuckDbSession, store: ObjectStore["Service"]) =>
  Effect.fn("Warehouse.load")(function* (request: LoadRequest) {
    const dataset = datasetName(request.dataset)
    const fail = (detail: string, reason: WarehouseError["reason"] = "QueryFailed", cause?: DuckDbFailure) =>
      new WarehouseError({ operation: "load", dataset, reason, detail, cause })
    const problem = requestProblem(request)
    if (problem !== undefined) return yield* fail(problem)
    const { partition, columns } = request
    const table = tableSql(request.dataset)

    return yield* Effect.scoped(
      Effect.gen(function* () {
        const files = yield* localFiles(store, dataset, request.files)
        const failed = (error: DuckDbFailure) => {
          const keys = files.map((file) => file.key).join(", ")
          const what = files.length === 0 ? "" : ` from ${keys}`
          return fail(`loading${what} failed: ${withKeys(error.message, files)}`, classify(error.message), error)
        }
        return yield* db.serialized(
          Effect.gen(function* () {
            const sources = yield* fileTypes(db, dataset, columns, files)
            const existing = yield* describeTable(db, request.dataset).pipe(Effect.mapError(failed))
            const plan = planTable(request, existing, db.json)
            if (typeof plan === "string") return yield* fail(plan)

            const where = partition === undefined ? "" : ` WHERE ${quoted(partition.column)} = $1`
            const parameters = partition === undefined ? [] : [partition.value]
            const insert = insertSql(request, plan.targets, sources, files, db.json)
            if ("problem" in insert) return yield* fail(insert.problem)

            const loaded = yield* db.transaction(
              Effect.gen(function* () {
                yield* db.execute(`CREATE SCHEMA IF NOT EXISTS ${quoted(request.dataset.schema)}`)
                for (const statement of plan.statements) yield* db.execute(statement)
                if (partition !== undefined) yield* db.execute(`DELETE FROM ${table}${where}`, parameters)
                if (insert.sql !== undefined) yield* db.execute(insert.sql, parameters)
                const counted = yield* db.select(`SELECT count(*) FROM ${table}${where}`, parameters)
                const rows = Number(counted.rows[0]?.[0] ?? 0)
                if (rows !== request.expectedRows) {
                  return yield* fail(
                    `expected ${request.expectedRows} rows, the files hold ${rows}; the table was left as it was`,
                    "RowCountMismatch"
                  )
                }
                return rows
              })
            )
            return { rows: loaded }
          }).pipe(Effect.catchTag("DuckDbFailure", (error) => Effect.fail(failed(error))))
        )
      })
    )
  })
