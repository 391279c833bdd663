import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted, Schema, type Scope, Stream } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { layerPostgres } from "../../layers/source-db/postgres.ts"
import { SourceConfig } from "../../src/domain/TenantConfig.ts"
import { type ReadRequest, type Row, SourceDb, type SourceDbError } from "../../src/services/SourceDb.ts"
import { TestDatabase } from "../support/database.ts"

/** A source config as tenant.yaml would give it (defaults applied): the URL plus any other keys. */
export const sourceConfig = (url: Redacted.Redacted<string> | string, extra: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(SourceConfig)({
    url: typeof url === "string" ? url : Redacted.value(url),
    max_connections: 3,
    ...extra
  })

/** Builds a PostgreSQL SourceDb whose pool closes with the surrounding scope. */
export const buildSource = (
  source: SourceConfig,
  tenant = "acme"
): Effect.Effect<SourceDb["Service"], SourceDbError, Scope.Scope> =>
  Effect.map(Layer.build(layerPostgres({ tenant, source })), (context) => Context.get(context, SourceDb))

/** Runs statements one by one (the extended protocol takes one per round trip) on a short-lived connection. */
export const execute = (
  url: Redacted.Redacted<string>,
  statements: ReadonlyArray<string>
): Effect.Effect<void, SqlError> =>
  PgClient.PgClient.use((sql) =>
    Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
  ).pipe(Effect.provide(PgClient.layer({ url, maxConnections: 1 })))

export const query = <A extends object>(
  url: Redacted.Redacted<string>,
  statement: string
): Effect.Effect<ReadonlyArray<A>, SqlError> =>
  PgClient.PgClient.use((sql) => sql.unsafe<A>(statement)).pipe(
    Effect.provide(PgClient.layer({ url, maxConnections: 1 }))
  )

export const readAll = (db: SourceDb["Service"], request: ReadRequest): Effect.Effect<Array<Row>, SourceDbError> =>
  Stream.runCollect(db.stream(request))

/** Whether the session serving a read is encrypted, asked through the SourceDb itself. */
export const encrypted = (db: SourceDb["Service"]): Effect.Effect<boolean, SourceDbError> =>
  Effect.map(
    readAll(db, { source: { _tag: "Query", sql: "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" } }),
    (rows) => rows[0]?.ssl === true
  )

/** Tables with every mapped type, rows sharing change times, a second schema with a mixed-case table. */
const fixture = [
  "CREATE DOMAIN won AS numeric(14,0)",
  `CREATE TABLE everything (
    id int4 PRIMARY KEY, small int2, big int8, ratio float4, score float8, price numeric(12,2), amount won,
    name text NOT NULL, code varchar(10), flag char(3), active bool, sale_day date, changed_at timestamp,
    synced_at timestamptz, doc json, attrs jsonb, ref uuid, blob bytea, span interval)`,
  `INSERT INTO everything VALUES (1, 7, 9007199254740993, 1.1, 0.1, 1234.50, 15000, '사과 (부사) 1.5kg', 'A-001', 'ab',
    true, '2024-02-29', '2024-03-01 09:15:30.123456', '2024-03-01 09:15:30.123456+09', '{"b": 1,  "a": [1,2]}',
    '{"b": 1, "a": [1, 2]}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x00ff10', '1 day 02:03:04')`,
  "INSERT INTO everything (id, name) VALUES (2, '배')",
  "CREATE TABLE changes (sku text NOT NULL, changed_at timestamp, price numeric(12,2))",
  // Four rows share one change time: only the key tells them apart. The times differ in the microseconds.
  `INSERT INTO changes VALUES ('a', '2024-03-01 10:00:00.000001', 10.00), ('B', '2024-03-01 10:00:00.000001', 10.01),
    ('c', '2024-03-01 10:00:00.000001', 10.02), ('가', '2024-03-01 10:00:00.000001', 11),
    ('d', '2024-03-01 10:00:00.000002', 12), ('e', '2024-03-01 10:00:00.000999', 13),
    ('f', '2024-03-01 10:00:00.001', 14), ('g', NULL, 15)`,
  "CREATE TABLE horizon_probe (n int)",
  "CREATE SCHEMA shop",
  `CREATE TABLE shop."Items" (sku text)`,
  `INSERT INTO shop."Items" VALUES ('from shop')`
]

const Fixture = Layer.effectDiscard(
  Effect.gen(function* () {
    const { url } = yield* TestDatabase
    yield* execute(url, fixture)
  })
)

const Source = Layer.unwrap(
  Effect.gen(function* () {
    const { url } = yield* TestDatabase
    return layerPostgres({ tenant: "acme", source: sourceConfig(url) })
  })
)

/** A fresh database holding the fixture, and a SourceDb (tenant `acme`) reading it. */
export const SourceOnFixture = Layer.mergeAll(Source, Fixture).pipe(Layer.provideMerge(TestDatabase.layer))

export const table = (name: string, schema?: string) => ({ _tag: "Table", table: name, schema }) as const
export const sql = (text: string) => ({ _tag: "Query", sql: text }) as const
