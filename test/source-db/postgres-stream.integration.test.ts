import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Effect, Pull, Schedule, Stream } from "effect"
import { SourceDb } from "../../src/services/SourceDb.ts"
import { freshDatabase, TestDatabase } from "../support/database.ts"
import { buildSource, query, SourceOnFixture, sourceConfig, sql } from "./postgres-support.ts"

layer(SourceOnFixture, { excludeTestServices: true, timeout: "120 seconds" })(
  "SourceDb on PostgreSQL: sessions",
  (it) => {
    it.effect("horizon gives the database's time and the start of the oldest open transaction that wrote", () =>
      Effect.gen(function* () {
        const { url } = yield* TestDatabase
        const db = yield* SourceDb
        const canonical = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
        const idle = yield* db.horizon
        assert.match(idle.now, canonical)
        assert.isUndefined(idle.oldestOpenTransaction)
        const started = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`
        yield* PgClient.PgClient.use((other) =>
          other.withTransaction(
            Effect.gen(function* () {
              // A transaction that only reads holds no xid: it cannot add rows, so it holds nothing back.
              yield* other.unsafe("SELECT 1")
              assert.isUndefined((yield* db.horizon).oldestOpenTransaction)
              yield* other.unsafe("INSERT INTO horizon_probe VALUES (1)")
              const [row] = yield* other.unsafe<{ started: string }>(`SELECT ${started}`)
              const open = yield* db.horizon
              assert.strictEqual(open.oldestOpenTransaction, row?.started)
              assert.isTrue(open.now >= (row?.started ?? ""))
            })
          )
        ).pipe(Effect.provide(PgClient.layer({ url, maxConnections: 1 })))
        assert.isUndefined((yield* db.horizon).oldestOpenTransaction)
      })
    )

    it.effect("streams a large result as it is read: rows arrive while the server is still sending", () =>
      Effect.gen(function* () {
        const { url } = yield* TestDatabase
        const db = yield* SourceDb
        const total = 200_000
        // ~100 MB of rows: far more than the socket buffers, so the server can only finish if the client reads on.
        const source = sql(
          `SELECT g AS id, repeat('x', 500) AS pad /* stream-probe */ FROM generate_series(1, ${total}) g`
        )
        const pull = yield* Stream.toPull(db.stream({ source, orderBy: ["id"] }))
        const first = yield* pull
        assert.deepStrictEqual(first[0], { id: 1, pad: "x".repeat(500) })
        const states = yield* query<{ state: string }>(
          url,
          `SELECT state FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE '%stream-probe%' AND pid <> pg_backend_pid()`
        )
        assert.deepStrictEqual(
          states.map((row) => row.state),
          ["active"]
        )
        let count = first.length
        let last = first.at(-1)?.id
        let ordered = true
        yield* pull.pipe(
          Effect.tap((chunk) =>
            Effect.sync(() => {
              for (const row of chunk) {
                ordered &&= row.id === (last as number) + 1
                last = row.id
              }
              count += chunk.length
            })
          ),
          Effect.forever,
          Pull.catchDone(() => Effect.void)
        )
        assert.strictEqual(count, total)
        assert.isTrue(ordered)
      }).pipe(Effect.scoped)
    )

    it.effect("closing the Layer closes its connections, also one left mid-stream", () =>
      Effect.gen(function* () {
        // A database of its own: no other pool's sessions come and go while they are counted.
        const url = yield* freshDatabase
        const sessions = Effect.map(
          query<{ n: number }>(
            url,
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'storeflow'"
          ),
          (rows) => rows[0]?.n ?? 0
        )
        yield* Effect.scoped(
          Effect.gen(function* () {
            const db = yield* buildSource(sourceConfig(url))
            const pull = yield* Stream.toPull(
              db.stream({ source: sql("SELECT g FROM generate_series(1, 1000000) g"), limit: 1_000_000 })
            )
            yield* pull
            assert.isAbove(yield* sessions, 0)
          })
        )
        yield* sessions.pipe(
          Effect.filterOrFail((n) => n === 0),
          Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 })
        )
      })
    )
  }
)
