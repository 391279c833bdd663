import type { ConnectionOptions } from "node:tls"
import { PgClient } from "@effect/sql-pg"
import { Clock, Duration, Effect, Exit, Layer, Predicate, Result, Schema, Scope, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlError } from "effect/sql"
import type { SourceConfig } from "../../src/domain/TenantConfig.ts"
import { type ReadRequest, type Row, type Source, SourceDb, SourceDbError } from "../../src/services/SourceDb.ts"
import { type ConnectionPlan, planConnection, scrub } from "./postgres-connect.ts"
import {
  buildExists,
  buildSelect,
  describeFrom,
  describeQuerySql,
  type From,
  identifierProblem,
  type Problem,
  type Statement,
  tableColumnsSql,
  trimQuery
} from "./postgres-sql.ts"
import { catalogColumns, type SourceColumn, sourceColumn } from "./postgres-types.ts"

export interface PostgresSourceDbOptions {
  /** Named in every error. */
  readonly tenant: string
  readonly source: SourceConfig
}

const CatalogRows = Schema.Array(
  Schema.Struct({
    name: Schema.NullOr(Schema.String),
    oid: Schema.NullOr(Schema.Number),
    typmod: Schema.NullOr(Schema.Number),
    notNull: Schema.NullOr(Schema.Boolean)
  })
)
const QueryDescription = Schema.Struct({
  fields: Schema.Array(Schema.Struct({ name: Schema.String, dataTypeId: Schema.Number }))
})
const ExistsRows = Schema.Array(Schema.Struct({ exists: Schema.Boolean }))
const HorizonRows = Schema.Array(Schema.Struct({ now: Schema.String, oldest: Schema.NullOr(Schema.String) }))

/** How long a read may reuse what the catalog said of its source (see `describeSource`). */
const DESCRIBED_TTL_MS = 30_000

const decodeCatalog = Schema.decodeUnknownEffect(CatalogRows)
const decodeDescription = Schema.decodeUnknownEffect(QueryDescription)
const decodeExists = Schema.decodeUnknownEffect(ExistsRows)
const decodeHorizon = Schema.decodeUnknownEffect(HorizonRows)

const utcText = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

// Only transactions holding an xid have written; other databases' sessions cannot touch this one's rows.
const horizonSql = `
  SELECT ${utcText("now()")} AS now,
    (SELECT ${utcText("min(xact_start)")} FROM pg_catalog.pg_stat_activity
      WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()) AS oldest`

const sqlStatePattern = /^[0-9A-Z]{5}$/

/** The SQLSTATE of an error the server reported; absent for client-side failures (socket, TLS, protocol). */
const sqlState = (error: SqlError.SqlError): string | undefined => {
  const cause = error.reason.cause
  return Predicate.hasProperty(cause, "code") && typeof cause.code === "string" && sqlStatePattern.test(cause.code)
    ? cause.code
    : undefined
}

// Server states meaning "not now" rather than "not this query": shutting down, starting up, out of connections.
const unavailableStates = new Set(["57P01", "57P02", "57P03", "53300", "3D000"])
const notFoundStates = new Set(["42P01", "42703", "3F000"])

const classify = (error: SqlError.SqlError): SourceDbError["reason"] => {
  const state = sqlState(error)
  if (state !== undefined && notFoundStates.has(state)) return "NotFound"
  if (
    error.reason._tag === "ConnectionError" ||
    error.reason._tag === "AuthenticationError" ||
    error.reason.operation === "connect" ||
    (state !== undefined && (state.startsWith("08") || unavailableStates.has(state)))
  ) {
    return "Unavailable"
  }
  return "QueryFailed"
}

const describeSqlError = (error: SqlError.SqlError): string => {
  const cause = error.reason.cause
  const inner = cause instanceof Error ? cause.message : undefined
  // The server's own message says it best: `relation "x" does not exist`.
  if (sqlState(error) !== undefined && inner !== undefined) return inner
  const message = (error.reason.message ?? error.reason._tag).replace(/^PgConnection: /, "")
  return inner !== undefined && inner !== "" && !message.includes(inner) ? `${message}: ${inner}` : message
}

const refusedTls = (error: SqlError.SqlError): boolean =>
  error.reason.message === "PgConnection: Server refused TLS" ||
  (error.reason.cause instanceof Error && error.reason.cause.message === "The server does not support TLS")

/** Opens a pool and checks it with one query; a failed attempt closes what it opened. */
const open = (plan: ConnectionPlan, maxConnections: number, ssl: ConnectionOptions | false) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Scope.Scope)
    return yield* PgClient.make({
      ...plan.client,
      ssl,
      maxConnections,
      connectTimeout: Duration.seconds(10),
      // Unnamed statements, planned with each pass's values. A named one gets a generic plan after five runs, and for
      // the detect query's EXISTS that can be a sequential scan expected to stop early: with nothing to find it reads
      // the whole table (250 ms instead of 1 ms on 1,000,000 rows, bench/esl.ts).
      prepare: false
    }).pipe(
      Effect.tap((sql) => sql`SELECT 1`),
      Scope.provide(scope),
      Effect.provide(Reactivity.layer),
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
  })

const make = Effect.fnUntraced(function* (options: PostgresSourceDbOptions) {
  const { tenant, source } = options
  const unavailable = (detail: string, cause?: unknown) =>
    new SourceDbError({ tenant, operation: "connect", reason: "Unavailable", detail, cause })

  const plan = yield* planConnection(source, "storeflow").pipe(Effect.mapError((detail) => unavailable(detail)))
  // Driver and server text is scrubbed: neither is known to echo a password, and it must stay so.
  const describe = (error: SqlError.SqlError) => scrub(plan, describeSqlError(error))
  const cannotConnect = (detail: string) => `cannot connect to ${plan.target}: ${detail}`

  const connect = (ssl: ConnectionOptions | false) => open(plan, source.max_connections, ssl)
  const sql: PgClient.PgClient =
    plan.tls === false
      ? yield* connect(false).pipe(Effect.mapError((error) => unavailable(cannotConnect(describe(error)), error)))
      : plan.sslmode === "prefer"
        ? // libpq's prefer: TLS first; if that fails for any reason, once more without.
          yield* connect(plan.tls).pipe(
            Effect.catch((overTls) =>
              connect(false).pipe(
                Effect.mapError((plain) => {
                  const [tls, noTls] = [describe(overTls), describe(plain)]
                  const detail =
                    refusedTls(overTls) || tls === noTls ? noTls : `over TLS: ${tls}; without TLS: ${noTls}`
                  return unavailable(cannotConnect(detail), plain)
                })
              )
            )
          )
        : yield* connect(plan.tls).pipe(
            Effect.mapError((error) =>
              unavailable(
                cannotConnect(
                  refusedTls(error)
                    ? `the server does not accept TLS connections, but sslmode is ${plan.sslmode}: enable ssl on the server, or set sslmode to prefer or disable`
                    : describe(error)
                ),
                error
              )
            )
          )

  const failure = (operation: string, reason: SourceDbError["reason"], detail: string, cause?: unknown) =>
    new SourceDbError({ tenant, operation, reason, detail, cause })
  const fromProblem = (operation: string, problem: Problem) => failure(operation, problem.reason, problem.detail)
  const fromSqlError = (operation: string, what: string) => (error: SqlError.SqlError | Schema.SchemaError) =>
    SqlError.isSqlError(error)
      ? failure(operation, classify(error), `${what}: ${describe(error)}`, error)
      : failure(operation, "QueryFailed", `${what}: unexpected answer from the server: ${error.message}`, error)

  const resolveFrom = (operation: string, target: Source): Effect.Effect<From, SourceDbError> => {
    if (target._tag === "Query") {
      return trimQuery(target.sql) === ""
        ? Effect.fail(failure(operation, "QueryFailed", "the source query is empty"))
        : Effect.succeed({ _tag: "Query", sql: target.sql })
    }
    const schema = target.schema ?? source.schema
    const problem = identifierProblem(schema, "schema") ?? identifierProblem(target.table, "table")
    return problem === undefined
      ? Effect.succeed({ _tag: "Table", schema, table: target.table })
      : Effect.fail(failure(operation, "QueryFailed", problem))
  }

  const tableColumns = (operation: string, from: Extract<From, { _tag: "Table" }>) =>
    Effect.gen(function* () {
      const rows = yield* decodeCatalog(yield* sql.unsafe(tableColumnsSql, [from.schema, from.table]))
      if (rows.length === 0) {
        return yield* failure(operation, "NotFound", `table ${describeFrom(from)} does not exist`)
      }
      return catalogColumns(rows)
    }).pipe(
      Effect.catchIf(
        (error) => error._tag !== "SourceDbError",
        (error) => Effect.fail(fromSqlError(operation, `reading the columns of ${describeFrom(from)}`)(error))
      )
    )

  // Only the result's description is needed: LIMIT 0 lets the server plan the query without running it through.
  const queryColumns = (operation: string, query: string) =>
    Effect.gen(function* () {
      const { fields } = yield* decodeDescription(yield* sql.unsafe(describeQuerySql(query)).raw)
      const seen = new Set<string>()
      for (const field of fields) {
        if (seen.has(field.name)) {
          return yield* failure(
            operation,
            "QueryFailed",
            `the source query returns the column "${field.name}" more than once: give each column its own name (… AS name)`
          )
        }
        seen.add(field.name)
      }
      // A query's result says nothing about NULLs or numeric precision.
      return fields.map((field) => sourceColumn(field.name, field.dataTypeId, true))
    }).pipe(
      Effect.catchIf(
        (error) => error._tag !== "SourceDbError",
        (error) => Effect.fail(fromSqlError(operation, "describing the source query")(error))
      )
    )

  // What the catalog said of each source. \`columns\` always asks it (and refreshes this); reads reuse an answer at
  // most DESCRIBED_TTL_MS old, so a pass reading its rows page by page does not ask the catalog again for every page.
  // A source changed meanwhile fails the read (a column it names is gone) or is seen at the next \`columns\`.
  const described = new Map<string, { readonly at: number; readonly cols: ReadonlyArray<SourceColumn> }>()
  const describeSource = (operation: string, target: Source, reuse: boolean) =>
    Effect.flatMap(
      Effect.all([resolveFrom(operation, target), Clock.currentTimeMillis]),
      ([from, now]): Effect.Effect<readonly [From, ReadonlyArray<SourceColumn>], SourceDbError> => {
        const key = JSON.stringify(from)
        const known = described.get(key)
        if (reuse && known !== undefined && now - known.at < DESCRIBED_TTL_MS) return Effect.succeed([from, known.cols])
        return Effect.map(
          from._tag === "Table" ? tableColumns(operation, from) : queryColumns(operation, from.sql),
          (cols) => {
            described.set(key, { at: now, cols })
            return [from, cols] as const
          }
        )
      }
    )

  const prepare = (
    operation: string,
    request: ReadRequest,
    build: typeof buildSelect
  ): Effect.Effect<readonly [From, Statement], SourceDbError> =>
    Effect.flatMap(describeSource(operation, request.source, true), ([from, cols]) =>
      Result.match(build(from, cols, request), {
        onFailure: (problem) => Effect.fail(fromProblem(operation, problem)),
        onSuccess: (statement) => Effect.succeed([from, statement] as const)
      })
    )

  const columns = Effect.fn("SourceDb.columns")(function* (target: Source) {
    const [, cols] = yield* describeSource("columns", target, false)
    return cols.map((source) => source.column)
  })

  // The driver streams over one pinned connection with TCP backpressure: rows are read as they are consumed.
  const stream = (request: ReadRequest): Stream.Stream<Row, SourceDbError> =>
    Stream.unwrap(
      Effect.map(prepare("stream", request, buildSelect), ([from, statement]) =>
        sql
          .unsafe<Row>(statement.sql, statement.params)
          .stream.pipe(Stream.mapError(fromSqlError("stream", `reading ${describeFrom(from)}`)))
      )
    ).pipe(Stream.withSpan("SourceDb.stream"))

  const exists = Effect.fn("SourceDb.exists")(function* (request: ReadRequest) {
    const [from, statement] = yield* prepare("exists", request, buildExists)
    const rows = yield* sql
      .unsafe(statement.sql, statement.params)
      .pipe(Effect.flatMap(decodeExists), Effect.mapError(fromSqlError("exists", `reading ${describeFrom(from)}`)))
    return rows[0]?.exists === true
  })

  const horizon = sql.unsafe(horizonSql).pipe(
    Effect.flatMap(decodeHorizon),
    Effect.mapError(fromSqlError("horizon", "reading the open transactions")),
    Effect.flatMap(([row]) =>
      row === undefined
        ? Effect.fail(failure("horizon", "QueryFailed", "reading the open transactions returned no row"))
        : Effect.succeed({ now: row.now, oldestOpenTransaction: row.oldest ?? undefined })
    ),
    Effect.withSpan("SourceDb.horizon")
  )

  return SourceDb.of({ columns, stream, exists, horizon })
})

/**
 * The tenant's source PostgreSQL, read through one connection pool (`max_connections`) that closes with the Layer.
 * Connects at build time and fails with `Unavailable` when it cannot: unreachable, refused credentials, or TLS not
 * possible under the `sslmode` (libpq's modes; a URL's `sslmode=` wins over the field). Values arrive in the
 * canonical representation of `ColumnType`; text orders and compares in the `C` collation (code point order).
 */
export const layerPostgres = (options: PostgresSourceDbOptions): Layer.Layer<SourceDb, SourceDbError> =>
  Layer.effect(SourceDb, make(options))
