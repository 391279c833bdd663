import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"

export class PostgresAdminError extends Schema.TaggedError<PostgresAdminError>()("PostgresAdminError", {
  operation: Schema.String,
  database: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `${this.operation} ${this.database}: ${this.detail}`
  }
}

// Names are spliced into DDL (CREATE DATABASE takes no parameters), so only plain identifiers pass.
const databaseName = /^[a-z_][a-z0-9_]{0,62}$/

/** The URL of another database on the same server: same credentials and options, different path. */
export const databaseUrl = (serverUrl: Redacted.Redacted<string>, name: string): Redacted.Redacted<string> => {
  const url = new URL(Redacted.value(serverUrl))
  url.pathname = `/${name}`
  return Redacted.make(url.toString())
}

const onServer = <A>(
  operation: string,
  serverUrl: Redacted.Redacted<string>,
  name: string,
  run: (sql: PgClient.PgClient) => Effect.Effect<A, SqlError>
): Effect.Effect<A, PostgresAdminError> =>
  Effect.gen(function* () {
    if (!databaseName.test(name)) {
      return yield* new PostgresAdminError({
        operation,
        database: name,
        detail: "a database name must be a lower-case identifier of at most 63 characters"
      })
    }
    return yield* PgClient.PgClient.use(run).pipe(
      Effect.provide(PgClient.layer({ url: serverUrl, maxConnections: 1 })),
      Effect.mapError((cause) => new PostgresAdminError({ operation, database: name, detail: cause.message, cause }))
    )
  })

/** Creates an empty database on the server of `serverUrl` and returns its URL. */
export const createDatabase = (
  serverUrl: Redacted.Redacted<string>,
  name: string
): Effect.Effect<Redacted.Redacted<string>, PostgresAdminError> =>
  onServer("create database", serverUrl, name, (sql) => sql`CREATE DATABASE ${sql(name)}`).pipe(
    Effect.as(databaseUrl(serverUrl, name))
  )

/** Drops the database, closing any session still connected to it. */
export const dropDatabase = (
  serverUrl: Redacted.Redacted<string>,
  name: string
): Effect.Effect<void, PostgresAdminError> =>
  onServer("drop database", serverUrl, name, (sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`).pipe(
    Effect.asVoid
  )
