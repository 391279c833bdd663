import { Result } from "effect"
import type { Condition, ReadRequest, Value } from "../../src/services/SourceDb.ts"
import { comparable, membership, parameterCast, type SourceColumn, selectExpression } from "./postgres-types.ts"
import { parameterProblem } from "./values.ts"

/** Where rows are read from, once the table's schema is resolved. */
export type From =
  | { readonly _tag: "Table"; readonly schema: string; readonly table: string }
  | { readonly _tag: "Query"; readonly sql: string }

export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/** Why a request cannot be turned into SQL. */
export interface Problem {
  readonly reason: "NotFound" | "QueryFailed"
  readonly detail: string
}

// The config's `Identifier` rule: names from tenant.yaml that pass it mean the same thing in every engine.
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export const identifierProblem = (name: string, what: string): string | undefined =>
  identifierPattern.test(name)
    ? undefined
    : `${what} "${name}" is not a valid identifier: use letters, digits and _, not starting with a digit, at most 63 characters`

/** Double-quotes a name; names read from the catalog may hold any character, so quotes inside are doubled. */
export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** A query as written in tenant.yaml, ready to be wrapped: a trailing `;` would end the outer statement early. */
export const trimQuery = (sql: string): string => sql.trim().replace(/[;\s]+$/, "")

export const describeFrom = (from: From): string =>
  from._tag === "Table" ? `${from.schema}.${from.table}` : "the query"

// The newlines keep a trailing `-- comment` in the query from swallowing the closing parenthesis.
const fromClause = (from: From): string =>
  from._tag === "Table" ? `${quote(from.schema)}.${quote(from.table)} AS s` : `(\n${trimQuery(from.sql)}\n) AS s`

/** A query's result columns, with no row fetched. */
export const describeQuerySql = (sql: string): string => `SELECT * FROM (\n${trimQuery(sql)}\n) AS s LIMIT 0`

/**
 * A table's (or view's) columns in declared order, domains resolved to their base type; one row with a NULL `name`
 * for a relation without columns, none for a missing one.
 */
export const tableColumnsSql = `
  SELECT a.attname AS name,
    CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END AS oid,
    CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
    a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS "notNull"
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  ORDER BY a.attnum`

const notFound = (detail: string): Problem => ({ reason: "NotFound", detail })
const invalid = (detail: string): Problem => ({ reason: "QueryFailed", detail })

interface Builder {
  readonly column: (name: string, what: string) => Result.Result<SourceColumn, Problem>
  readonly reference: (source: SourceColumn) => string
  readonly bind: (source: SourceColumn, value: Value) => Result.Result<string, Problem>
  readonly bindList: (source: SourceColumn, values: ReadonlyArray<Value>) => Result.Result<string, Problem>
  readonly param: (value: unknown) => string
  readonly params: Array<unknown>
}

const makeBuilder = (from: From, columns: ReadonlyArray<SourceColumn>): Builder => {
  const byName = new Map(columns.map((source) => [source.column.name, source]))
  const params: Array<unknown> = []
  const param = (value: unknown): string => {
    params.push(value)
    return `$${params.length}`
  }
  // Qualified, so ORDER BY means the source column and not the select-list expression of the same name.
  const reference = (source: SourceColumn): string => `s.${quote(source.column.name)}`
  return {
    params,
    param,
    column: (name, what) => {
      const problem = identifierProblem(name, what)
      if (problem !== undefined) return Result.fail(invalid(problem))
      const source = byName.get(name)
      return source === undefined
        ? Result.fail(notFound(`column "${name}" does not exist in ${describeFrom(from)}`))
        : Result.succeed(source)
    },
    reference,
    bind: (source, value) => {
      const problem = parameterProblem(source.column, value)
      if (problem !== undefined) return Result.fail(invalid(problem))
      const cast = parameterCast(source)
      if (cast === undefined) return Result.succeed(param(value))
      // Digits as text reach numeric exactly; a JS number would travel as float8 first.
      const exact = typeof value === "number" || typeof value === "bigint" ? String(value) : value
      return Result.succeed(`${param(exact)}::${cast}`)
    },
    bindList: (source, values) => {
      for (const value of values) {
        const problem = parameterProblem(source.column, value)
        if (problem !== undefined) return Result.fail(invalid(problem))
      }
      // NULL equals nothing, and an array of NULLs alone has no element type to infer.
      const present = values.filter((value) => value !== null)
      if (present.length === 0) return Result.succeed("FALSE")
      const { left, cast } = membership(source, reference(source))
      const elements = present.map((value) => (value instanceof Uint8Array ? value : String(value)))
      return Result.succeed(`${left} = ANY (${param(elements)}::${cast})`)
    }
  }
}

const conditionSql = (builder: Builder, condition: Condition): Result.Result<string, Problem> =>
  Result.gen(function* () {
    switch (condition._tag) {
      case "IsNull":
      case "IsNotNull": {
        const source = yield* builder.column(condition.column, "column")
        return `${builder.reference(source)} IS ${condition._tag === "IsNull" ? "" : "NOT "}NULL`
      }
      case "Compare": {
        const source = yield* builder.column(condition.column, "column")
        const bound = yield* builder.bind(source, condition.value)
        return `${comparable(source, builder.reference(source))} ${condition.op} ${bound}`
      }
      case "In": {
        const source = yield* builder.column(condition.column, "column")
        return yield* builder.bindList(source, condition.values)
      }
      case "After": {
        const first = yield* builder.column(condition.columns[0], "column")
        const second = yield* builder.column(condition.columns[1], "column")
        const left = [first, second].map((source) => comparable(source, builder.reference(source)))
        const right = [
          yield* builder.bind(first, condition.values[0]),
          yield* builder.bind(second, condition.values[1])
        ]
        return `(${left.join(", ")}) > (${right.join(", ")})`
      }
    }
  })

const whereSql = (builder: Builder, request: ReadRequest): Result.Result<string, Problem> =>
  Result.gen(function* () {
    const parts: Array<string> = []
    for (const condition of request.where ?? []) parts.push(yield* conditionSql(builder, condition))
    return parts.length === 0 ? "" : `\nWHERE ${parts.join("\n  AND ")}`
  })

const limitSql = (builder: Builder, limit: number | undefined): Result.Result<string, Problem> =>
  limit === undefined
    ? Result.succeed("")
    : Number.isSafeInteger(limit) && limit >= 0
      ? Result.succeed(`\nLIMIT ${builder.param(limit)}`)
      : Result.fail(invalid(`limit must be a non-negative integer, got ${limit}`))

/**
 * `SELECT` of the requested columns in their canonical representation. Every name is checked against the source's
 * columns (and the `Identifier` rule) and double-quoted; every value is a bound parameter.
 */
export const buildSelect = (
  from: From,
  columns: ReadonlyArray<SourceColumn>,
  request: ReadRequest
): Result.Result<Statement, Problem> =>
  Result.gen(function* () {
    const builder = makeBuilder(from, columns)
    const selected: Array<SourceColumn> = []
    if (request.columns === undefined) selected.push(...columns)
    else for (const name of request.columns) selected.push(yield* builder.column(name, "column"))
    const list = selected.map(
      (source) => `${selectExpression(source, builder.reference(source))} AS ${quote(source.column.name)}`
    )
    const where = yield* whereSql(builder, request)
    const order: Array<string> = []
    for (const name of request.orderBy ?? []) {
      const source = yield* builder.column(name, "order column")
      order.push(`${comparable(source, builder.reference(source))} ASC NULLS LAST`)
    }
    const orderBy = order.length === 0 ? "" : `\nORDER BY ${order.join(", ")}`
    const limit = yield* limitSql(builder, request.limit)
    return {
      sql: `SELECT ${list.join(", ")}\nFROM ${fromClause(from)}${where}${orderBy}${limit}`,
      params: builder.params
    }
  })

/** `SELECT EXISTS (…)`: whether a row matches, answered by the server without sending any row. */
export const buildExists = (
  from: From,
  columns: ReadonlyArray<SourceColumn>,
  request: ReadRequest
): Result.Result<Statement, Problem> =>
  Result.gen(function* () {
    const builder = makeBuilder(from, columns)
    for (const name of request.columns ?? []) yield* builder.column(name, "column")
    for (const name of request.orderBy ?? []) yield* builder.column(name, "order column")
    const where = yield* whereSql(builder, request)
    const limit = yield* limitSql(builder, request.limit)
    return {
      sql: `SELECT EXISTS (SELECT 1 FROM ${fromClause(from)}${where}${limit}) AS "exists"`,
      params: builder.params
    }
  })
