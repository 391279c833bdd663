import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"

/**
 * The state database's schema, one entry per version (`<id>_<name>`). Applied migrations are never edited: a change is
 * a new entry. Every table carries the `storeflow_` prefix so the state can share a database with other applications.
 */
export const migrations = Migrator.fromRecord({
  "0001_create_state_tables": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE storeflow_watermarks (
        tenant text NOT NULL,
        store text NOT NULL,
        source text NOT NULL,
        value text NOT NULL,
        key text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, store, source)
      )
    `
    // `seq` orders runs that started within the same microsecond, so "newest first" is total and stable.
    yield* sql`
      CREATE TABLE storeflow_runs (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tenant text NOT NULL,
        job text NOT NULL,
        store text,
        pipeline text,
        partition text,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')),
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        counts jsonb NOT NULL DEFAULT '{}'::jsonb,
        error text,
        summary jsonb
      )
    `
    yield* sql`CREATE INDEX storeflow_runs_newest ON storeflow_runs (started_at DESC, seq DESC)`
    yield* sql`CREATE INDEX storeflow_runs_tenant_newest ON storeflow_runs (tenant, started_at DESC, seq DESC)`
    yield* sql`CREATE INDEX storeflow_runs_tenant_job_newest ON storeflow_runs (tenant, job, started_at DESC, seq DESC)`
    yield* sql`
      CREATE TABLE storeflow_materializations (
        tenant text NOT NULL,
        pipeline text NOT NULL,
        partition text NOT NULL,
        run_id text NOT NULL,
        rows bigint NOT NULL,
        bytes bigint NOT NULL,
        schema_hash text NOT NULL,
        object_keys jsonb NOT NULL DEFAULT '[]'::jsonb,
        duration_ms bigint NOT NULL,
        materialized_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, pipeline, partition)
      )
    `
    yield* sql`
      CREATE TABLE storeflow_locks (
        name text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      )
    `
  }),
  // ESL sync state. `seq` orders keys queued by one statement (they share `queued_at`), so "oldest first" is total.
  "0002_create_esl_sync_tables": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE storeflow_article_hashes (
        tenant text NOT NULL,
        store text NOT NULL,
        article_id text NOT NULL,
        hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, store, article_id)
      )
    `
    yield* sql`
      CREATE TABLE storeflow_requeue (
        tenant text NOT NULL,
        store text NOT NULL,
        key text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        queued_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, store, key)
      )
    `
    yield* sql`
      CREATE TABLE storeflow_alert_states (
        tenant text NOT NULL,
        scope text NOT NULL,
        condition text NOT NULL,
        active boolean NOT NULL,
        since timestamptz NOT NULL,
        notified_at timestamptz NOT NULL,
        detail text NOT NULL,
        PRIMARY KEY (tenant, scope, condition)
      )
    `
  })
})

/** The table in which the Migrator records applied versions. */
export const migrationsTable = "storeflow_migrations"

/**
 * Applies the pending migrations. Safe to run from several processes at once: the Migrator locks its table, and a
 * process that finds the versions already applied does nothing.
 */
export const migrate = Migrator.make({})({ loader: migrations, table: migrationsTable })
