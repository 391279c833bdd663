import { createServer } from "node:net"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Cause, ConfigProvider, Context, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { migrations, migrationsTable } from "../../layers/run-store/migrations.ts"
import { layerPostgres, layerPostgresFromConfig } from "../../layers/run-store/postgres.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { freshDatabase, TestDatabase } from "../support/database.ts"
import { runStoreContract } from "./contract.ts"

const storeOn = Layer.unwrap(
  Effect.gen(function* () {
    const { url } = yield* TestDatabase
    return layerPostgres({ url })
  })
)

/** Builds a RunStore with its own connection pool, closed with the surrounding scope. */
const buildStore = (url: Redacted.Redacted<string>) =>
  Effect.map(Layer.build(layerPostgres({ url })), (context) => Context.get(context, RunStore))

const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 1))
    })
  })

// The clock is real here: lock expiry is judged by the database's now().
layer(TestDatabase.layer, { excludeTestServices: true, timeout: "60 seconds" })("RunStore on PostgreSQL", (it) => {
  runStoreContract(it, storeOn, { elapse: (ms) => Effect.sleep(ms) })

  it.effect("migrations are applied once: a second start on the same database keeps the data", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const key = { tenant: "t", store: "0001", source: "prices" }
      yield* Effect.scoped(
        Effect.flatMap(buildStore(url), (store) => store.setWatermark(key, { value: "v1", key: "k1" }))
      )
      const watermark = yield* Effect.scoped(Effect.flatMap(buildStore(url), (store) => store.getWatermark(key)))
      assert.deepStrictEqual(
        Option.map(watermark, (w) => w.value),
        Option.some("v1")
      )
      const applied = yield* PgClient.PgClient.use(
        (sql) => sql<{ readonly id: number }>`SELECT migration_id AS id FROM storeflow_migrations ORDER BY migration_id`
      ).pipe(Effect.provide(PgClient.layer({ url })))
      assert.deepStrictEqual(
        applied.map((row) => row.id),
        [1, 2]
      )
    })
  )

  it.effect("a database that ran only migration 0001 is upgraded in place and keeps its runs", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const onlyFirst = Effect.map(migrations, (all) => all.filter(([id]) => id === 1))
      yield* Migrator.make({})({ loader: onlyFirst, table: migrationsTable }).pipe(
        Effect.andThen(
          SqlClient.SqlClient.use(
            (sql) =>
              sql`INSERT INTO storeflow_runs (id, tenant, job, status) VALUES ('old-run', 't', 'esl_sync', 'running')`
          )
        ),
        Effect.provide(PgClient.layer({ url }))
      )
      const store = yield* buildStore(url)
      assert.strictEqual((yield* store.getRun("old-run")).tenant, "t")
      yield* store.putArticleHashes("t", "S001", [{ articleId: "a1", hash: "h1" }])
      assert.strictEqual((yield* store.getArticleHashes("t", "S001", ["a1"])).get("a1"), "h1")
    })
  )

  it.effect("5,000 article hashes are written and read back in one call each", () =>
    Effect.gen(function* () {
      const store = yield* RunStore
      const tenant = `bulk-${Date.now()}`
      const ids = Array.from({ length: 5_000 }, (_, i) => `article-${i}`)
      yield* store.putArticleHashes(
        tenant,
        "S001",
        ids.map((articleId) => ({ articleId, hash: `h0-${articleId}` }))
      )
      // Every other article changed since.
      yield* store.putArticleHashes(
        tenant,
        "S001",
        ids.filter((_, i) => i % 2 === 0).map((articleId) => ({ articleId, hash: `h1-${articleId}` }))
      )
      const found = yield* store.getArticleHashes(tenant, "S001", [...ids, "article-5000", "article--1"])
      assert.strictEqual(found.size, 5_000)
      ids.forEach((articleId, i) => {
        assert.strictEqual(found.get(articleId), `${i % 2 === 0 ? "h1" : "h0"}-${articleId}`)
      })
      yield* store.clearArticleHashes(tenant, "S001", ids.slice(0, 4_000))
      assert.deepStrictEqual(
        Array.from((yield* store.getArticleHashes(tenant, "S001", ids)).keys()).sort(),
        ids.slice(4_000).sort()
      )
    }).pipe(Effect.provide(storeOn))
  )

  it.effect("a failing ESL state statement is a RunStoreError naming the method", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const store = yield* buildStore(url)
      yield* PgClient.PgClient.use(
        (sql) => sql`DROP TABLE storeflow_article_hashes, storeflow_requeue, storeflow_alert_states`
      ).pipe(Effect.provide(PgClient.layer({ url })))
      const calls = {
        getArticleHashes: store.getArticleHashes("t", "S001", ["a1"]),
        putArticleHashes: store.putArticleHashes("t", "S001", [{ articleId: "a1", hash: "h" }]),
        clearArticleHashes: store.clearArticleHashes("t", "S001"),
        requeue: store.requeue("t", "S001", ["k"]),
        requeued: store.requeued("t", "S001"),
        dequeue: store.dequeue("t", "S001", ["k"]),
        alertStates: store.alertStates("t"),
        putAlertState: store.putAlertState({
          tenant: "t",
          scope: "esl:S001",
          condition: "volume",
          active: true,
          since: new Date(),
          notifiedAt: new Date(),
          detail: "x"
        })
      }
      for (const [operation, call] of Object.entries(calls)) {
        const error = yield* Effect.flip(call)
        assert.deepStrictEqual([error._tag, error.operation], ["RunStoreError", operation])
        assert.include(error.detail, "does not exist")
      }
    })
  )

  it.effect("closing the Layer closes its connections", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const openSessions = PgClient.PgClient.use(
        (sql) => sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'storeflow'`
      ).pipe(
        Effect.map((rows) => rows[0]?.n),
        Effect.provide(PgClient.layer({ url }))
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* buildStore(url)
          yield* Effect.all([store.listRuns({}), store.listRuns({}), store.getRun("x").pipe(Effect.ignore)], {
            concurrency: 3
          })
          assert.isAbove((yield* openSessions) ?? 0, 0)
        })
      )
      // A backend leaves pg_stat_activity shortly after its client hangs up.
      yield* openSessions.pipe(
        Effect.filterOrFail(
          (n) => n === 0,
          (n) => new Error(`${n} sessions still open`)
        ),
        Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 40 })
      )
    })
  )

  it.effect("two processes starting at once on a new database both come up", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const [a, b] = yield* Effect.all([buildStore(url), buildStore(url)], { concurrency: 2 })
      yield* a.setWatermark({ tenant: "t", store: "s", source: "x" }, { value: "1", key: "a" })
      assert.isTrue(Option.isSome(yield* b.getWatermark({ tenant: "t", store: "s", source: "x" })))
    })
  )

  it.effect("of two pools racing for the same lock, exactly one wins each time", () =>
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      const [a, b] = yield* Effect.all([buildStore(url), buildStore(url)])
      const names = Array.from({ length: 25 }, (_, i) => `race-${Date.now()}-${i}`)
      const outcomes = yield* Effect.forEach(names, (name) =>
        Effect.all([a.acquireLock(name, "replica-a", 60_000), b.acquireLock(name, "replica-b", 60_000)], {
          concurrency: 2
        })
      )
      for (const [fromA, fromB] of outcomes) {
        assert.strictEqual(Number(Option.isSome(fromA)) + Number(Option.isSome(fromB)), 1)
      }
    })
  )

  it.effect("an unreachable database fails at start with RunStoreError, without the password", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(closedPort)
      const password = "s3cret-Pa55word"
      const error = yield* Effect.flip(
        Effect.scoped(buildStore(Redacted.make(`postgres://storeflow:${password}@127.0.0.1:${port}/state`)))
      )
      assert.strictEqual(error._tag, "RunStoreError")
      assert.strictEqual(error.operation, "connect")
      assert.include(error.message, "STOREFLOW_STATE_DB_URL")
      assert.include(error.message, `127.0.0.1:${port}/state`)
      for (const text of [error.message, String(error), Cause.pretty(Cause.fail(error))]) {
        assert.notInclude(text, password)
      }
    })
  )

  it.effect("a malformed URL fails with RunStoreError that does not echo it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.scoped(buildStore(Redacted.make("postgres//admin:hunter2@db:5432"))))
      assert.strictEqual(error.operation, "connect")
      assert.include(error.message, "STOREFLOW_STATE_DB_URL")
      assert.notInclude(Cause.pretty(Cause.fail(error)), "hunter2")
    })
  )

  it.effect("layerPostgresFromConfig reads STOREFLOW_STATE_DB_URL", () =>
    Effect.gen(function* () {
      const { url } = yield* TestDatabase
      const withEnv = (env: Record<string, string>) =>
        Layer.provide(layerPostgresFromConfig, ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
      const runs = yield* RunStore.use((store) => store.listRuns({ tenant: "nobody" })).pipe(
        Effect.provide(withEnv({ STOREFLOW_STATE_DB_URL: Redacted.value(url) }))
      )
      assert.deepStrictEqual(runs, [])
      const missing = yield* Effect.flip(RunStore.use((store) => store.listRuns({})).pipe(Effect.provide(withEnv({}))))
      assert.strictEqual(missing._tag, "RunStoreError")
      assert.include(missing.message, "STOREFLOW_STATE_DB_URL")
    })
  )
})
