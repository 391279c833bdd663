import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { Effect, Redacted } from "effect"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { etlTenantLayer } from "../../layers/tenant.ts"
import type { CliLayers } from "../../src/cli/main.ts"
import { execute, query } from "../source-db/postgres-support.ts"
import { cli } from "../support/cli.ts"
import { freshDatabase } from "../support/database.ts"
import { scratchDir } from "../support/tenants.ts"

/** Retail tables with every type the extract maps, Korean text, NULLs and microsecond timestamps. */
export const schema = [
  `CREATE TABLE items (
    item_id int8 PRIMARY KEY, article_id text NOT NULL, name text, price numeric(12,2), cost numeric(20,4),
    stock int4, weight float8, active bool, launched date, updated_at timestamp(6), synced_at timestamptz(6),
    attrs jsonb, ref uuid, image bytea)`,
  `INSERT INTO items VALUES
    (1, 'A-001', '서울우유 1L', 2980.50, 1234567890123456.7890, 12, 1.05, true, '2026-02-28',
     '2026-01-01 10:00:00.123456', '2026-01-01 01:00:00.654321+00', '{"brand": "서울", "n": [1, 2]}',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10'),
    (2, 'A-002', NULL, -0.01, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (9007199254740993, 'A-003', 'Café ☕', 99999999.99, -0.0001, 0, -2.5e-10, false, '1999-12-31',
     '2026-06-30 23:59:59.999999', '1970-01-01 00:00:00+00', '[]', '00000000-0000-0000-0000-000000000000', '\\x')`,
  `CREATE TABLE sales (sale_id int8 PRIMARY KEY, store text NOT NULL, amount numeric(12,2) NOT NULL, sold_at timestamp NOT NULL)`
]

/** `perDay` sales on each day of `days` starting 2026-01-01, at 09:00 plus a second per sale (KST wall time). */
export const salesRows = (days: number, perDay: number): string =>
  `INSERT INTO sales SELECT d * 100000 + s, 'S00' || (s % 3), (d * 10 + s)::numeric / 4,
     timestamp '2026-01-01 09:00' + (d || ' days')::interval + (s || ' seconds')::interval
   FROM generate_series(0, ${days - 1}) d, generate_series(1, ${perDay}) s`

const tenantYaml = (store: string) => `
id: shop
name: Shop
timezone: Asia/Seoul
source:
  url: \${SHOP_DB_URL}
  sslmode: disable
${store}
warehouse:
  type: duckdb
  path: \${SHOP_DUCKDB}
pipelines:
  - name: items
    source: { table: items }
    load: true
  - name: sales
    source: { table: sales }
    date_column: sold_at
    load: true
jobs:
  daily_etl_job: { cron: "0 2 * * *" }
  master_sync_job: { cron: "0 * * * *" }
`

export const filesystemStore = (lake: string) => `object_store:\n  type: filesystem\n  path: ${lake}\n  prefix: raw`

export const s3Store = (endpoint: string, bucket: string) => `object_store:
  type: s3
  bucket: ${bucket}
  prefix: lake
  endpoint: ${endpoint}
  force_path_style: true
  access_key_id: S3RVER
  secret_access_key: S3RVER`

/** A fresh source database, a tenants folder with tenant `shop`, a DuckDB file, and the CLI wired to them. */
export const etlWorld = (
  options: { readonly store?: (dir: string) => string; readonly rows?: ReadonlyArray<string> } = {}
) =>
  Effect.gen(function* () {
    const url = yield* freshDatabase
    yield* execute(url, [...schema, ...(options.rows ?? [])])
    const dir = scratchDir()
    const lake = join(dir, "lake")
    const duckdb = join(dir, "shop.duckdb")
    mkdirSync(join(dir, "tenants", "shop"), { recursive: true })
    writeFileSync(
      join(dir, "tenants", "shop", "tenant.yaml"),
      tenantYaml((options.store ?? (() => filesystemStore(lake)))(dir))
    )
    const env = { SHOP_DB_URL: Redacted.value(url), SHOP_DUCKDB: duckdb }
    const runStore = layerPostgres({ url })
    const runWith = (etlTenant: CliLayers["etlTenant"], ...args: ReadonlyArray<string>) =>
      cli(["--tenants-dir", join(dir, "tenants"), ...args], { env, runStore, etlTenant })
    const run = (...args: ReadonlyArray<string>) => runWith(etlTenantLayer, ...args)
    /** `etl run` of the tenant's daily job for one date. */
    const runDaily = (date: string) => run("etl", "run", "--tenant", "shop", "--job", "daily_etl_job", "--date", date)
    /** `etl status --json` of one pipeline over a date range: each partition's state. */
    const partitionStates = (pipeline: string, from: string, to: string) =>
      Effect.map(
        run("etl", "status", "--tenant", "shop", "--pipeline", pipeline, "--from", from, "--to", to, "--json"),
        (result) => JSON.parse(result.stdout) as ReadonlyArray<{ readonly partition: string; readonly state: string }>
      )
    return {
      url,
      dir,
      lake,
      duckdb,
      run,
      runDaily,
      runWith,
      partitionStates,
      sql: <A extends object>(statement: string) => query<A>(url, statement)
    }
  })

/** Reads the DuckDB file the way a user would: a fresh instance, values as text. */
export const duckQuery = (file: string, sql: string) =>
  Effect.promise(async () => {
    const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" })
    const connection = await instance.connect()
    try {
      const reader = await connection.runAndReadAll(sql)
      return reader.getRowObjectsJson() as ReadonlyArray<Record<string, unknown>>
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })
