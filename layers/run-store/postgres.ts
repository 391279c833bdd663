import { PgClient } from "@effect/sql-pg"
import { Config, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { type Migrator, SqlClient, SqlError } from "effect/sql"
import { type JobName, type Materialization, RunRecord, type WatermarkKey } from "../../src/domain/Run.ts"
import {
  type FinishRun,
  type MaterializationQuery,
  RunNotFound,
  type RunQuery,
  RunStore,
  RunStoreError,
  type StartRun
} from "../../src/services/RunStore.ts"
import { migrate } from "./migrations.ts"
import { describeSqlError, storeError } from "./postgres-errors.ts"
import { makeEslState } from "./postgres-esl.ts"
import { runLimit, toJsonText } from "./shared.ts"

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`; only ever unwrapped by the client. */
  readonly url: Redacted.Redacted<string>
  readonly maxConnections?: number | undefined
}

const WatermarkRow = Schema.Struct({ value: Schema.String, key: Schema.String, updatedAt: Schema.Date })
const MaterializationRow = Schema.Struct({
  tenant: Schema.String,
  pipeline: Schema.String,
  partition: Schema.String,
  runId: Schema.String,
  rows: Schema.Number,
  bytes: Schema.Number,
  schemaHash: Schema.String,
  objectKeys: Schema.Array(Schema.String),
  durationMs: Schema.Number,
  materializedAt: Schema.Date
})
const LeaseRow = Schema.Struct({ name: Schema.String, owner: Schema.String, expiresAt: Schema.Date })

const decodeWatermarks = Schema.decodeUnknownEffect(Schema.Array(WatermarkRow))
const decodeRuns = Schema.decodeUnknownEffect(Schema.Array(RunRecord))
const decodeMaterializations = Schema.decodeUnknownEffect(Schema.Array(MaterializationRow))
const decodeLeases = Schema.decodeUnknownEffect(Schema.Array(LeaseRow))

// A missing database arrives as an unclassified error, but raised while connecting.
const isConnectionFailure = (error: SqlError.SqlError): boolean =>
  error.reason.operation === "connect" ||
  error.reason._tag === "ConnectionError" ||
  error.reason._tag === "AuthenticationError" ||
  error.reason._tag === "AuthorizationError"

/** The server a URL points at, for messages: host, port, database and user, never the password. */
const describeTarget = (url: Redacted.Redacted<string>): Effect.Effect<string, RunStoreError> =>
  Effect.try({
    try: () => {
      const parsed = new URL(Redacted.value(url))
      if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") throw new Error("not postgres")
      const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default database)"
      const user = decodeURIComponent(parsed.username) || "(default user)"
      return `${parsed.hostname}:${parsed.port || "5432"}/${database} as ${user}`
    },
    // The parse error would carry the URL, password included: report the fact only.
    catch: () =>
      new RunStoreError({
        operation: "connect",
        detail: "STOREFLOW_STATE_DB_URL is not a postgres://user:password@host:port/database URL"
      })
  })

const describeMigrationError = (error: Migrator.MigrationError): string =>
  SqlError.isSqlError(error.cause) ? `${error.message}: ${describeSqlError(error.cause)}` : error.message

const startError = (target: string) => (error: SqlError.SqlError | Migrator.MigrationError) =>
  error._tag === "SqlError" && isConnectionFailure(error)
    ? new RunStoreError({
        operation: "connect",
        detail: `cannot connect to ${target}: ${describeSqlError(error)}`,
        cause: error
      })
    : new RunStoreError({
        operation: "migrate",
        detail: `migrating ${target} failed: ${error._tag === "SqlError" ? describeSqlError(error) : describeMigrationError(error)}`,
        cause: error
      })

const runColumns = `id, tenant, job, store, pipeline, partition, status, started_at AS "startedAt", ended_at AS "endedAt",
  counts, error, summary`
const materializationColumns = `tenant, pipeline, partition, run_id AS "runId", "rows"::float8 AS "rows",
  bytes::float8 AS bytes, schema_hash AS "schemaHash", object_keys AS "objectKeys", duration_ms::float8 AS "durationMs",
  materialized_at AS "materializedAt"`

const make = Effect.fnUntraced(function* (options: PostgresOptions) {
  const target = yield* describeTarget(options.url)
  const sql = yield* PgClient.make({
    url: options.url,
    maxConnections: options.maxConnections ?? 10,
    connectTimeout: Duration.seconds(10),
    applicationName: "storeflow"
  }).pipe(Effect.provide(Reactivity.layer), Effect.mapError(startError(target)))
  yield* migrate.pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.mapError(startError(target)))

  const getWatermark = Effect.fn("RunStore.getWatermark")(function* (key: WatermarkKey) {
    const rows = yield* sql`
      SELECT value, key, updated_at AS "updatedAt" FROM storeflow_watermarks
      WHERE tenant = ${key.tenant} AND store = ${key.store} AND source = ${key.source}`
    return Option.fromNullishOr((yield* decodeWatermarks(rows))[0])
  }, storeError("getWatermark"))

  const setWatermark = Effect.fn("RunStore.setWatermark")(function* (
    key: WatermarkKey,
    value: { readonly value: string; readonly key: string }
  ) {
    const rows = yield* sql`
      INSERT INTO storeflow_watermarks (tenant, store, source, value, key, updated_at)
      VALUES (${key.tenant}, ${key.store}, ${key.source}, ${value.value}, ${value.key}, now())
      ON CONFLICT (tenant, store, source) DO UPDATE SET value = excluded.value, key = excluded.key, updated_at = now()
      RETURNING value, key, updated_at AS "updatedAt"`
    const [watermark] = yield* decodeWatermarks(rows)
    if (watermark === undefined) {
      return yield* new RunStoreError({ operation: "setWatermark", detail: "the upsert returned no row" })
    }
    return watermark
  }, storeError("setWatermark"))

  const startRun = Effect.fn("RunStore.startRun")(function* (run: StartRun) {
    const rows = yield* sql`
      INSERT INTO storeflow_runs (id, tenant, job, store, pipeline, partition, status)
      VALUES (${run.id}, ${run.tenant}, ${run.job}, ${run.store ?? null}, ${run.pipeline ?? null},
        ${run.partition ?? null}, 'running')
      RETURNING ${sql.literal(runColumns)}`.pipe(
      Effect.catchReason("SqlError", "UniqueViolation", (_reason, error) =>
        Effect.fail(
          new RunStoreError({ operation: "startRun", detail: `a run with id ${run.id} already exists`, cause: error })
        )
      )
    )
    const [record] = yield* decodeRuns(rows)
    if (record === undefined) {
      return yield* new RunStoreError({ operation: "startRun", detail: "the insert returned no row" })
    }
    return record
  }, storeError("startRun"))

  const finishRun = Effect.fn("RunStore.finishRun")(function* (id: string, result: FinishRun) {
    const counts = result.counts === undefined ? null : yield* toJsonText("finishRun", "counts", result.counts)
    const summary = yield* toJsonText("finishRun", "summary", result.summary)
    const rows = yield* sql`
      UPDATE storeflow_runs
      SET status = ${result.status}, ended_at = now(), counts = COALESCE(${counts}::jsonb, counts),
        error = ${result.error ?? null}, summary = ${summary}::jsonb
      WHERE id = ${id}
      RETURNING ${sql.literal(runColumns)}`
    const [record] = yield* decodeRuns(rows)
    if (record === undefined) return yield* new RunNotFound({ id })
    return record
  }, storeError("finishRun"))

  const getRun = Effect.fn("RunStore.getRun")(function* (id: string) {
    const rows = yield* sql`SELECT ${sql.literal(runColumns)} FROM storeflow_runs WHERE id = ${id}`
    const [record] = yield* decodeRuns(rows)
    if (record === undefined) return yield* new RunNotFound({ id })
    return record
  }, storeError("getRun"))

  const listRuns = Effect.fn("RunStore.listRuns")(function* (query: RunQuery) {
    const filters = [
      query.tenant === undefined ? undefined : sql`tenant = ${query.tenant}`,
      query.job === undefined ? undefined : sql`job = ${query.job satisfies JobName}`,
      query.store === undefined ? undefined : sql`store = ${query.store}`,
      query.pipeline === undefined ? undefined : sql`pipeline = ${query.pipeline}`,
      query.status === undefined ? undefined : sql`status = ${query.status}`
    ].filter((filter) => filter !== undefined)
    const rows = yield* sql`
      SELECT ${sql.literal(runColumns)} FROM storeflow_runs
      WHERE ${sql.and(filters)}
      ORDER BY started_at DESC, seq DESC
      LIMIT ${runLimit(query.limit)}`
    return yield* decodeRuns(rows)
  }, storeError("listRuns"))

  const putMaterialization = Effect.fn("RunStore.putMaterialization")(function* (m: Materialization) {
    const objectKeys = yield* toJsonText("putMaterialization", "objectKeys", m.objectKeys)
    yield* sql`
      INSERT INTO storeflow_materializations
        (tenant, pipeline, partition, run_id, "rows", bytes, schema_hash, object_keys, duration_ms, materialized_at)
      VALUES (${m.tenant}, ${m.pipeline}, ${m.partition}, ${m.runId}, ${m.rows}, ${m.bytes}, ${m.schemaHash},
        ${objectKeys}::jsonb, ${m.durationMs}, ${m.materializedAt})
      ON CONFLICT (tenant, pipeline, partition) DO UPDATE SET
        run_id = excluded.run_id, "rows" = excluded."rows", bytes = excluded.bytes, schema_hash = excluded.schema_hash,
        object_keys = excluded.object_keys, duration_ms = excluded.duration_ms, materialized_at = excluded.materialized_at`
  }, storeError("putMaterialization"))

  const getMaterialization = Effect.fn("RunStore.getMaterialization")(function* (
    tenant: string,
    pipeline: string,
    partition: string
  ) {
    const rows = yield* sql`
      SELECT ${sql.literal(materializationColumns)} FROM storeflow_materializations
      WHERE tenant = ${tenant} AND pipeline = ${pipeline} AND partition = ${partition}`
    return Option.fromNullishOr((yield* decodeMaterializations(rows))[0])
  }, storeError("getMaterialization"))

  // COLLATE "C": partitions compare by code point, as the contract's text bounds and the in-memory Layer do.
  const listMaterializations = Effect.fn("RunStore.listMaterializations")(function* (query: MaterializationQuery) {
    const filters = [
      sql`tenant = ${query.tenant}`,
      query.pipeline === undefined ? undefined : sql`pipeline = ${query.pipeline}`,
      query.from === undefined ? undefined : sql`partition COLLATE "C" >= ${query.from}`,
      query.to === undefined ? undefined : sql`partition COLLATE "C" <= ${query.to}`
    ].filter((filter) => filter !== undefined)
    const rows = yield* sql`
      SELECT ${sql.literal(materializationColumns)} FROM storeflow_materializations
      WHERE ${sql.and(filters)}
      ORDER BY pipeline COLLATE "C", partition COLLATE "C"`
    return yield* decodeMaterializations(rows)
  }, storeError("listMaterializations"))

  // One statement, so two processes racing for the lock are serialized by the row lock on `name`: the loser's
  // ON CONFLICT re-checks the winner's row, finds it held by another owner and returns nothing. Expiry is judged by
  // the database clock alone, so the processes' clocks do not matter.
  const acquireLock = Effect.fn("RunStore.acquireLock")(function* (name: string, owner: string, ttlMs: number) {
    const rows = yield* sql`
      INSERT INTO storeflow_locks AS held (name, owner, expires_at)
      VALUES (${name}, ${owner}, now() + ${ttlMs}::float8 * interval '1 millisecond')
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
      WHERE held.expires_at <= now() OR held.owner = excluded.owner
      RETURNING name, owner, expires_at AS "expiresAt"`
    return Option.fromNullishOr((yield* decodeLeases(rows))[0])
  }, storeError("acquireLock"))

  const releaseLock = Effect.fn("RunStore.releaseLock")(function* (name: string, owner: string) {
    yield* sql`DELETE FROM storeflow_locks WHERE name = ${name} AND owner = ${owner}`
  }, storeError("releaseLock"))

  return RunStore.of({
    getWatermark,
    setWatermark,
    startRun,
    finishRun,
    getRun,
    listRuns,
    putMaterialization,
    getMaterialization,
    listMaterializations,
    acquireLock,
    releaseLock,
    ...makeEslState(sql)
  })
})

/**
 * `RunStore` on PostgreSQL: opens a connection pool on `url`, applies pending migrations, and closes the pool with the
 * Layer. Fails with a `RunStoreError` (operation `connect`) when the database cannot be reached.
 */
export const layerPostgres = (options: PostgresOptions): Layer.Layer<RunStore, RunStoreError> =>
  Layer.effect(RunStore, make(options))

/** `layerPostgres` on the URL in `STOREFLOW_STATE_DB_URL`. */
export const layerPostgresFromConfig: Layer.Layer<RunStore, RunStoreError> = Layer.unwrap(
  Config.Redacted("STOREFLOW_STATE_DB_URL").pipe(
    Effect.mapError(
      (cause) =>
        new RunStoreError({
          operation: "connect",
          detail: `STOREFLOW_STATE_DB_URL must hold the state database URL (${cause.message})`,
          cause
        })
    ),
    Effect.map((url) => layerPostgres({ url }))
  )
)
