import * as fs from "node:fs/promises"
import * as path from "node:path"
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api"
import { Data, Effect, Exit, Predicate, Semaphore } from "effect"

/** A DuckDB call that failed, with DuckDB's own message. */
export class DuckDbFailure extends Data.TaggedError("DuckDbFailure")<{
  readonly message: string
  readonly cause: unknown
}> {}

const failure = (cause: unknown): DuckDbFailure =>
  new DuckDbFailure({
    message: Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause),
    cause
  })

export type Parameter = string | number | bigint | boolean | null

export interface ResultSet {
  readonly names: ReadonlyArray<string>
  /** DuckDB's names for the columns' types, e.g. `DECIMAL(12,2)`, `TIMESTAMP WITH TIME ZONE`. */
  readonly types: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<DuckDBValue>>
}

export interface DuckDbSession {
  /** Whether JSON columns can be created: the json extension is built in (it is in @duckdb/node-api) or installed. */
  readonly json: boolean
  /** Gives `effect` the connection to itself: a DuckDB connection must not run two statements at once. */
  readonly serialized: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly execute: (sql: string, parameters?: ReadonlyArray<Parameter>) => Effect.Effect<void, DuckDbFailure>
  readonly select: (sql: string, parameters?: ReadonlyArray<Parameter>) => Effect.Effect<ResultSet, DuckDbFailure>
  /** Commits when `effect` succeeds; rolls back when it fails or is interrupted. Run it inside `serialized`. */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DuckDbFailure, R>
  /** How many statements `sql` holds, without running any. */
  readonly statementCount: (sql: string) => Effect.Effect<number, DuckDbFailure>
}

// A setting that keeps DuckDB off the network: extensions it lacks are never downloaded, only used if built in or
// installed by hand.
const offline = { autoinstall_known_extensions: "false", autoload_known_extensions: "false" }

/**
 * Opens the database file (creating its folder) with one connection, closed with the scope. Timestamps with a time
 * zone are read and written in UTC. The external file cache is off: it may serve a Parquet file's old blocks after
 * the file is rewritten under the same path (DuckDB then fails with Snappy errors), and a local object store rewrites
 * files in place.
 */
export const openDuckDb = Effect.fnUntraced(function* (file: string) {
  if (file !== ":memory:") {
    yield* Effect.tryPromise({
      try: () => fs.mkdir(path.dirname(path.resolve(file)), { recursive: true }),
      catch: failure
    })
  }
  const instance = yield* Effect.acquireRelease(
    // From DuckDB's instance cache: two Layers on one file in this process (two tenants configured alike) share one
    // database, where two separate instances would each write the file and corrupt it. Closing one leaves the other.
    Effect.tryPromise({ try: () => DuckDBInstance.fromCache(file, offline), catch: failure }),
    (instance) => Effect.sync(() => instance.closeSync())
  )
  const connection = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => instance.connect(), catch: failure }),
    (connection) => Effect.sync(() => connection.closeSync())
  )
  const session = makeSession(connection)
  yield* session.execute("SET TimeZone = 'UTC'")
  yield* session.execute("SET enable_external_file_cache = false")
  const json = yield* session.select("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'json'").pipe(
    Effect.map((result) => result.rows[0]?.[0] === true),
    // Loads a locally installed copy only: autoinstall is off.
    Effect.flatMap((loaded) => (loaded ? Effect.succeed(true) : Effect.as(session.execute("LOAD json"), true))),
    Effect.orElseSucceed(() => false)
  )
  const permit = yield* Semaphore.make(1)
  return { ...session, json, serialized: permit.withPermits(1) } satisfies DuckDbSession
})

// Serialization and the json flag are filled in by `openDuckDb`.
const makeSession = (connection: DuckDBConnection): DuckDbSession => {
  // On interruption the running statement is stopped and awaited, so the connection is idle before anything else
  // (a ROLLBACK) runs on it.
  const call = <A>(run: () => Promise<A>): Effect.Effect<A, DuckDbFailure> =>
    Effect.callback<A, DuckDbFailure>((resume) => {
      const pending = new Promise<A>((resolve) => resolve(run()))
      pending.then(
        (value) => resume(Effect.succeed(value)),
        (cause) => resume(Effect.fail(failure(cause)))
      )
      return Effect.promise(() => {
        connection.interrupt()
        return pending.then(
          () => undefined,
          () => undefined
        )
      })
    })

  const execute = (sql: string, parameters?: ReadonlyArray<Parameter>) =>
    Effect.asVoid(call(() => connection.run(sql, parameters === undefined ? undefined : [...parameters])))

  const select = (sql: string, parameters?: ReadonlyArray<Parameter>) =>
    call(async () => {
      const reader = await connection.runAndReadAll(sql, parameters === undefined ? undefined : [...parameters])
      return {
        names: reader.deduplicatedColumnNames(),
        types: reader.columnTypes().map((type) => type.toString()),
        rows: reader.getRows()
      }
    })

  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.acquireUseRelease(
      execute("BEGIN TRANSACTION"),
      () => Effect.tap(effect, () => execute("COMMIT")),
      // After a failed COMMIT DuckDB has already rolled back; the ROLLBACK's complaint about that is ignored.
      (_, exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.ignore(execute("ROLLBACK")))
    )

  const statementCount = (sql: string) => call(async () => (await connection.extractStatements(sql)).count)

  return { json: false, serialized: (effect) => effect, execute, select, transaction, statementCount }
}
