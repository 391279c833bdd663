import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { tempPrefix } from "../../layers/object-store/filesystem.ts"
import { layerPostgres as sourceLayer } from "../../layers/source-db/postgres.ts"
import { etlTenantLayer } from "../../layers/tenant.ts"
import type { CliLayers } from "../../src/cli/main.ts"
import { readParquetRows } from "../../src/etl/parquet/read.ts"
import { SourceDb } from "../../src/services/SourceDb.ts"
import { startS3Server } from "../object-store/s3-server.ts"
import { sourceConfig } from "../source-db/postgres-support.ts"
import { TestDatabase } from "../support/database.ts"
import { projectRoot } from "../support/tenants.ts"
import { duckQuery, etlWorld, s3Store, salesRows } from "./integration-support.ts"

const files = (folder: string) => readdirSync(folder).sort()

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "180 seconds" })(
  "ETL on PostgreSQL, a lake and DuckDB",
  (it) => {
    it.effect("master data round-trips exactly: source rows = Parquet (hyparquet) = DuckDB", () =>
      Effect.gen(function* () {
        const world = yield* etlWorld()
        const result = yield* world.run("etl", "run", "--tenant", "shop", "--job", "master_sync_job", "--json")
        assert.strictEqual(result.code, 0, result.stdout + result.stderr)
        const folder = join(world.lake, "raw", "shop", "items", "latest")
        const [manifest, part] = files(folder)
        assert.strictEqual(manifest, "_manifest.json")
        assert.match(part ?? "", /^part-etl-[0-9a-f-]+-00000\.parquet$/)

        // What the source gives (canonical values) is exactly what the Parquet file holds.
        const sourceRows = yield* Effect.scoped(
          Effect.gen(function* () {
            const context = yield* Layer.build(sourceLayer({ tenant: "shop", source: sourceConfig(world.url) }))
            const db = Context.get(context, SourceDb)
            const columns = yield* db.columns({ _tag: "Table", table: "items" })
            const rows = yield* Stream.runCollect(
              db.stream({ source: { _tag: "Table", table: "items" }, orderBy: ["item_id"] })
            )
            return { columns, rows }
          })
        )
        const fromParquet = yield* Effect.promise(() =>
          readParquetRows(new Uint8Array(readFileSync(join(folder, part ?? ""))), sourceRows.columns)
        )
        assert.deepStrictEqual(
          fromParquet.toSorted((a, b) => (BigInt(a.item_id as bigint) < BigInt(b.item_id as bigint) ? -1 : 1)),
          [...sourceRows.rows]
        )

        const duck = yield* duckQuery(
          world.duckdb,
          `SELECT item_id::varchar AS "id", name, price::varchar AS "price", "cost"::varchar AS "cost",
           updated_at::varchar AS "updated", synced_at::varchar AS "synced", launched::varchar AS "launched",
           attrs::varchar AS "attrs", ref::varchar AS "ref"
         FROM main.items ORDER BY item_id`
        )
        const pg = yield* world.sql<Record<string, unknown>>(
          `SELECT item_id::text id, name, price::text price, cost::text cost,
           to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') updated,
           to_char(synced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' synced,
           launched::text launched, attrs::text attrs, ref::text ref
         FROM items ORDER BY item_id`
        )
        assert.deepStrictEqual(
          duck.map((r) => [r.id, r.name, r.price, r.cost, r.launched, r.ref]),
          pg.map((r) => [r.id, r.name, r.price, r.cost, r.launched, r.ref])
        )
        assert.strictEqual(duck[0]?.updated, "2026-01-01 10:00:00.123456")
        assert.strictEqual(duck[0]?.synced, "2026-01-01 01:00:00.654321+00")
        assert.strictEqual(JSON.parse(String(duck[0]?.attrs)).brand, "서울")
        assert.isNull(duck[1]?.name)
      })
    )

    it.effect(
      "a daily partition holds the day's rows in the tenant's time zone, and a re-run leaves one run's files",
      () =>
        Effect.gen(function* () {
          const world = yield* etlWorld({ rows: [salesRows(3, 20)] })
          const first = yield* world.runDaily("2026-01-02")
          assert.strictEqual(first.code, 0, first.stdout)
          assert.match(first.stdout, /sales \[2026-01-02\] {2}succeeded {2}extract 20 rows/)
          const again = yield* world.runDaily("2026-01-02")
          assert.strictEqual(again.code, 0)
          const folder = join(world.lake, "raw", "shop", "sales", "dt=2026-01-02")
          assert.strictEqual(files(folder).length, 2)
          const counts = yield* duckQuery(world.duckdb, "SELECT dt, count(*)::int n FROM main.sales GROUP BY dt")
          assert.deepStrictEqual(counts, [{ dt: "2026-01-02", n: 20 }])
        })
    )

    it.effect("a 30-day backfill interrupted half way resumes to 30 partitions without duplicates", () =>
      Effect.gen(function* () {
        const world = yield* etlWorld({ rows: [salesRows(30, 2000)] })
        // The backfill is stopped while it reads its 16th partition: the source read blocks there, the test
        // interrupts it, so exactly 15 partitions were materialized before (one partition at a time).
        const reached = yield* Deferred.make<void>()
        let reads = 0
        const stopAt16: CliLayers["etlTenant"] = (tenant) =>
          Layer.provideMerge(
            Layer.effect(
              SourceDb,
              Effect.map(SourceDb, (db) =>
                SourceDb.of({
                  ...db,
                  stream: (request) =>
                    Stream.suspend(() => {
                      reads += 1
                      return reads < 16
                        ? db.stream(request)
                        : Stream.fromEffect(Effect.andThen(Deferred.succeed(reached, undefined), Effect.never))
                    })
                })
              )
            ),
            etlTenantLayer(tenant)
          )
        const range = ["--from", "2026-01-01", "--to", "2026-01-30"] as const
        const fiber = yield* Effect.forkChild(
          world.runWith(stopAt16, "etl", "backfill", "--tenant", "shop", ...range, "--concurrency", "1")
        )
        yield* Deferred.await(reached)
        yield* Fiber.interrupt(fiber)
        const partial = yield* world.partitionStates("sales", "2026-01-01", "2026-01-30")
        assert.strictEqual(partial.filter((s) => s.state === "materialized").length, 15)

        const resumed = yield* world.run("etl", "backfill", "--tenant", "shop", ...range)
        assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
        assert.include(resumed.stdout, "15 already materialized")
        const status = yield* world.partitionStates("sales", "2026-01-01", "2026-01-30")
        assert.strictEqual(status.length, 30)
        assert.isTrue(status.every((s) => s.state === "materialized"))
        const counts = yield* duckQuery(
          world.duckdb,
          'SELECT count(DISTINCT dt)::int AS "days", count(*)::int AS n, count(DISTINCT sale_id)::int AS ids FROM main.sales'
        )
        assert.deepStrictEqual(counts, [{ days: 30, n: 60000, ids: 60000 }])
        for (const day of ["2026-01-01", "2026-01-15", "2026-01-30"]) {
          assert.strictEqual(files(join(world.lake, "raw", "shop", "sales", `dt=${day}`)).length, 2)
        }
      })
    )

    it.effect("works the same over S3 (the real AWS SDK against an S3-compatible server)", () =>
      Effect.gen(function* () {
        const s3 = yield* Effect.acquireRelease(
          Effect.promise(() => startS3Server("lake")),
          (server) => Effect.promise(() => server.close())
        )
        const world = yield* etlWorld({ store: () => s3Store(s3.endpoint, s3.bucket), rows: [salesRows(1, 5)] })
        const result = yield* world.runDaily("2026-01-01")
        assert.strictEqual(result.code, 0, result.stdout + result.stderr)
        assert.isTrue(
          s3.requests.some((r) => r.startsWith("PUT /lake/lake/shop/sales/dt%3D2026-01-01/_manifest.json")),
          s3.requests.join("\n")
        )
        const counts = yield* duckQuery(world.duckdb, "SELECT count(*)::int n FROM main.sales")
        assert.deepStrictEqual(counts, [{ n: 5 }])
      })
    )
  }
)

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "180 seconds" })(
  "ETL crash safety (a real process)",
  (it) => {
    it.effect("a process killed between writing files and committing leaves the previous partition intact", () =>
      Effect.gen(function* () {
        const world = yield* etlWorld({ rows: [salesRows(1, 10)] })
        const first = yield* world.runDaily("2026-01-01")
        assert.strictEqual(first.code, 0, first.stdout)
        const folder = join(world.lake, "raw", "shop", "sales", "dt=2026-01-01")
        const before = readFileSync(join(folder, "_manifest.json"), "utf8")
        // Many more rows for the same day, so the next extract takes a while to write.
        yield* world.sql(
          "INSERT INTO sales SELECT 100000 + g, 'S001', 1.25, timestamp '2026-01-01 12:00' FROM generate_series(1, 400000) g"
        )
        const child = spawn(
          process.execPath,
          [
            join(projectRoot, "src", "main.ts"),
            "--tenants-dir",
            join(world.dir, "tenants"),
            "etl",
            "run",
            "--tenant",
            "shop",
            "--job",
            "daily_etl_job",
            "--date",
            "2026-01-01"
          ],
          {
            env: {
              ...process.env,
              SHOP_DB_URL: Redacted.value(world.url),
              SHOP_DUCKDB: world.duckdb,
              STOREFLOW_STATE_DB_URL: Redacted.value(world.url)
            },
            stdio: "ignore"
          }
        )
        // Kill it as soon as a new part file is being written (a temporary file in the partition folder).
        for (let i = 0; i < 1000; i++) {
          if (files(folder).some((f) => f.startsWith(tempPrefix))) break
          yield* Effect.sleep("10 millis")
        }
        child.kill("SIGKILL")
        yield* Effect.promise(() => new Promise((resolve) => child.on("exit", resolve)))
        assert.strictEqual(readFileSync(join(folder, "_manifest.json"), "utf8"), before)
        const manifest = JSON.parse(before) as { files: ReadonlyArray<{ key: string }> }
        for (const file of manifest.files) assert.include(files(folder), file.key.split("/").at(-1))
        const loaded = yield* duckQuery(world.duckdb, "SELECT count(*)::int AS n FROM main.sales")
        assert.deepStrictEqual(loaded, [{ n: 10 }])

        // The dead process still holds the partition's lease: a run now is refused, not run twice at once.
        const args = ["etl", "run", "--tenant", "shop", "--job", "daily_etl_job", "--date", "2026-01-01"]
        const blocked = yield* world.run(...args)
        assert.include(blocked.stdout, "another run of this partition is in progress")
        // Nobody renews that lease any more; once it runs out (made to happen now), the next run replaces the
        // partition and leaves one run's files (the dead run's half-written temporary file is invisible to readers
        // and swept by the store after an hour).
        yield* world.sql("UPDATE storeflow_locks SET expires_at = now() - interval '1 second' WHERE name LIKE 'etl:%'")
        const again = yield* world.runDaily("2026-01-01")
        assert.strictEqual(again.code, 0, again.stdout)
        assert.strictEqual(files(folder).filter((f) => f.endsWith(".parquet")).length, 1)
        const after = yield* duckQuery(world.duckdb, "SELECT count(*)::int AS n FROM main.sales")
        assert.deepStrictEqual(after, [{ n: 400010 }])
      })
    )
  }
)
