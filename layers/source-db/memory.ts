import { Clock, Context, Effect, Layer, Stream } from "effect"
import {
  type Column,
  type Condition,
  type ReadRequest,
  type Row,
  type Source,
  SourceDb,
  SourceDbError,
  type Value
} from "../../src/services/SourceDb.ts"
import { compareValues, parameterProblem, rowValueProblem } from "./values.ts"

export interface MemoryTable {
  readonly columns: ReadonlyArray<Column>
  /** Rows in the canonical representation of `ColumnType`; a column missing from a row is NULL. */
  readonly rows?: ReadonlyArray<Row> | undefined
}

/** Tables by name: `schema.table`, or `table` alone for schema `public` (PostgreSQL's default search path). */
export type MemoryTables = Readonly<Record<string, MemoryTable>>

export interface MemorySourceDbOptions {
  /** The tenant named in errors; `"memory"` when omitted. */
  readonly tenant?: string | undefined
}

/**
 * Changes the rows of an in-memory source after it was built, as another process would change a real database.
 * Table names are written as in `MemoryTables`. Rows are checked against the columns like the initial rows; a
 * failing call changes nothing.
 */
export class MemorySourceTables extends Context.Service<
  MemorySourceTables,
  {
    /** Appends rows. */
    readonly insert: (table: string, rows: ReadonlyArray<Row>) => Effect.Effect<void, SourceDbError>
    /** Replaces each row matching `where` by `patch` merged over it (or by `patch(row)`); returns how many changed. */
    readonly update: (
      table: string,
      where: (row: Row) => boolean,
      patch: Row | ((row: Row) => Row)
    ) => Effect.Effect<number, SourceDbError>
    /** Removes the rows matching `where`; returns how many. */
    readonly delete: (table: string, where: (row: Row) => boolean) => Effect.Effect<number, SourceDbError>
    /** The table's current rows, in insertion order. */
    readonly rows: (table: string) => Effect.Effect<ReadonlyArray<Row>, SourceDbError>
  }
>()("storeflow/MemorySourceTables") {}

interface Table {
  readonly name: string
  readonly columns: ReadonlyArray<Column>
  readonly byName: ReadonlyMap<string, Column>
  // Replaced, never mutated: a running stream keeps the snapshot it started with, like a query in a transaction.
  rows: ReadonlyArray<Row>
}

const defaultSchema = "public"

const qualify = (name: string): string | undefined => {
  const parts = name.split(".")
  if (parts.some((part) => part === "") || parts.length > 2) return undefined
  return parts.length === 1 ? `${defaultSchema}.${name}` : name
}

const copyValue = (value: Value): Value => (value instanceof Uint8Array ? value.slice() : value)

const isAfter = (table: Table, condition: Extract<Condition, { _tag: "After" }>, row: Row): boolean => {
  // SQL row comparison: decided by the first unequal pair; a NULL met before that makes the result NULL (false).
  for (const [i, name] of condition.columns.entries()) {
    const value = row[name] ?? null
    const bound = condition.values[i] ?? null
    if (value === null || bound === null) return false
    const order = compareValues((table.byName.get(name) as Column).type, value, bound)
    if (order !== 0) return order > 0
  }
  return false
}

const holds = (table: Table, condition: Condition, row: Row): boolean => {
  switch (condition._tag) {
    case "IsNull":
      return (row[condition.column] ?? null) === null
    case "IsNotNull":
      return (row[condition.column] ?? null) !== null
    case "After":
      return isAfter(table, condition, row)
    case "In": {
      const value = row[condition.column] ?? null
      if (value === null) return false
      const type = (table.byName.get(condition.column) as Column).type
      return condition.values.some((candidate) => candidate !== null && compareValues(type, value, candidate) === 0)
    }
    case "Compare": {
      const value = row[condition.column] ?? null
      if (value === null || condition.value === null) return false
      const order = compareValues((table.byName.get(condition.column) as Column).type, value, condition.value)
      switch (condition.op) {
        case "=":
          return order === 0
        case "<":
          return order < 0
        case "<=":
          return order <= 0
        case ">":
          return order > 0
        case ">=":
          return order >= 0
      }
    }
  }
}

// Ascending, NULLs last; Array.prototype.sort is stable, so ties keep insertion order.
const compareRows =
  (columns: ReadonlyArray<Column>) =>
  (a: Row, b: Row): number => {
    for (const column of columns) {
      const x = a[column.name] ?? null
      const y = b[column.name] ?? null
      const order = x === null ? (y === null ? 0 : 1) : y === null ? -1 : compareValues(column.type, x, y)
      if (order !== 0) return order
    }
    return 0
  }

/**
 * A source database in memory, for tests: tables with declared columns and canonical rows. Reads behave like the
 * PostgreSQL Layer's SQL: conditions compare by type (decimals exactly, text in code point order like the `C`
 * collation), comparisons with NULL are false, `After` is SQL's row-value `>`, ordering is ascending with NULLs
 * last. Only tables can be read; a `Query` source fails with `QueryFailed`. Also provides `MemorySourceTables` to
 * change rows later. Fails to build when a table name, column or row is invalid.
 */
export const layerMemory = (
  tables: MemoryTables,
  options: MemorySourceDbOptions = {}
): Layer.Layer<SourceDb | MemorySourceTables, SourceDbError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const tenant = options.tenant ?? "memory"
      const state = new Map<string, Table>()

      const fail = (operation: string, reason: SourceDbError["reason"], detail: string) =>
        Effect.fail(new SourceDbError({ tenant, operation, reason, detail }))

      const columnOf = (operation: string, table: Table, name: string): Effect.Effect<Column, SourceDbError> => {
        const column = table.byName.get(name)
        return column === undefined
          ? fail(operation, "NotFound", `column "${name}" does not exist in table ${table.name}`)
          : Effect.succeed(column)
      }

      const normalize = Effect.fnUntraced(function* (operation: string, table: Table, row: Row) {
        for (const name of Object.keys(row)) yield* columnOf(operation, table, name)
        const normalized: Record<string, Value> = {}
        for (const column of table.columns) {
          const value = row[column.name] ?? null
          const problem = rowValueProblem(column, value)
          if (problem !== undefined) return yield* fail(operation, "QueryFailed", `${table.name}: ${problem}`)
          normalized[column.name] = copyValue(value)
        }
        return Object.freeze(normalized) as Row
      })

      for (const [name, definition] of Object.entries(tables)) {
        const qualified = qualify(name)
        if (qualified === undefined) {
          return yield* fail(
            "layerMemory",
            "QueryFailed",
            `invalid table name "${name}": use "table" or "schema.table"`
          )
        }
        if (state.has(qualified))
          return yield* fail("layerMemory", "QueryFailed", `table ${qualified} is defined twice`)
        const byName = new Map(definition.columns.map((column) => [column.name, column]))
        if (byName.size !== definition.columns.length) {
          return yield* fail("layerMemory", "QueryFailed", `table ${qualified} declares a column twice`)
        }
        const table: Table = { name: qualified, columns: definition.columns, byName, rows: [] }
        const rows: Array<Row> = []
        for (const row of definition.rows ?? []) rows.push(yield* normalize("layerMemory", table, row))
        table.rows = rows
        state.set(qualified, table)
      }

      const tableNamed = (operation: string, name: string): Effect.Effect<Table, SourceDbError> => {
        const table = state.get(qualify(name) ?? "")
        return table === undefined ? fail(operation, "NotFound", `table ${name} does not exist`) : Effect.succeed(table)
      }

      const tableOf = (operation: string, source: Source): Effect.Effect<Table, SourceDbError> =>
        source._tag === "Query"
          ? fail(
              operation,
              "QueryFailed",
              "the in-memory source database serves tables only, not SQL queries: read a Table source"
            )
          : tableNamed(operation, source.schema === undefined ? source.table : `${source.schema}.${source.table}`)

      const select = Effect.fnUntraced(function* (operation: string, request: ReadRequest) {
        const table = yield* tableOf(operation, request.source)
        const projection: Array<Column> = []
        for (const name of request.columns ?? table.columns.map((column) => column.name)) {
          projection.push(yield* columnOf(operation, table, name))
        }
        const where = request.where ?? []
        for (const condition of where) {
          const bound: ReadonlyArray<readonly [string, Value]> =
            condition._tag === "After"
              ? [
                  [condition.columns[0], condition.values[0]],
                  [condition.columns[1], condition.values[1]]
                ]
              : condition._tag === "Compare"
                ? [[condition.column, condition.value]]
                : condition._tag === "In"
                  ? condition.values.map((value): readonly [string, Value] => [condition.column, value])
                  : [[condition.column, null]]
          for (const [name, value] of bound) {
            const problem = parameterProblem(yield* columnOf(operation, table, name), value)
            if (problem !== undefined) return yield* fail(operation, "QueryFailed", problem)
          }
        }
        const order: Array<Column> = []
        for (const name of request.orderBy ?? []) order.push(yield* columnOf(operation, table, name))
        const limit = request.limit
        if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
          return yield* fail(operation, "QueryFailed", `limit must be a non-negative integer, got ${limit}`)
        }
        const matching = table.rows.filter((row) => where.every((condition) => holds(table, condition, row)))
        if (order.length > 0) matching.sort(compareRows(order))
        return matching
          .slice(0, limit)
          .map(
            (row): Row =>
              Object.fromEntries(projection.map((column) => [column.name, copyValue(row[column.name] ?? null)]))
          )
      })

      const columns = Effect.fn("SourceDb.columns")(function* (source: Source) {
        return (yield* tableOf("columns", source)).columns
      })

      const streamRows = Effect.fn("SourceDb.stream")(function* (request: ReadRequest) {
        return Stream.fromIterable(yield* select("stream", request))
      })

      const exists = Effect.fn("SourceDb.exists")(function* (request: ReadRequest) {
        return (yield* select("exists", request)).length > 0
      })

      const insert = Effect.fn("MemorySourceTables.insert")(function* (name: string, rows: ReadonlyArray<Row>) {
        const table = yield* tableNamed("insert", name)
        const added: Array<Row> = []
        for (const row of rows) added.push(yield* normalize("insert", table, row))
        table.rows = [...table.rows, ...added]
      })

      const update = Effect.fn("MemorySourceTables.update")(function* (
        name: string,
        where: (row: Row) => boolean,
        patch: Row | ((row: Row) => Row)
      ) {
        const table = yield* tableNamed("update", name)
        let changed = 0
        const rows: Array<Row> = []
        for (const row of table.rows) {
          if (!where(row)) {
            rows.push(row)
            continue
          }
          changed++
          rows.push(yield* normalize("update", table, typeof patch === "function" ? patch(row) : { ...row, ...patch }))
        }
        table.rows = rows
        return changed
      })

      const remove = Effect.fn("MemorySourceTables.delete")(function* (name: string, where: (row: Row) => boolean) {
        const table = yield* tableNamed("delete", name)
        const kept = table.rows.filter((row) => !where(row))
        const removed = table.rows.length - kept.length
        table.rows = kept
        return removed
      })

      const rows = Effect.fn("MemorySourceTables.rows")(function* (name: string) {
        return (yield* tableNamed("rows", name)).rows
      })

      // A memory database has no concurrent writers, so no transaction is ever open.
      const horizon = Effect.map(Clock.currentTimeMillis, (millis) => ({
        now: `${new Date(millis).toISOString().slice(0, 23)}000Z`,
        oldestOpenTransaction: undefined
      }))

      return Context.make(SourceDb, {
        columns,
        stream: (request) => Stream.unwrap(streamRows(request)),
        exists,
        horizon
      }).pipe(Context.add(MemorySourceTables, { insert, update, delete: remove, rows }))
    })
  )
