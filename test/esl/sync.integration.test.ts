import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { query } from "../source-db/postgres-support.ts"
import { TestDatabase } from "../support/database.ts"
import { ESL_PASSWORD, eslWorld, type StoreSummary } from "./integration-support.ts"

const byStore = (stores: ReadonlyArray<StoreSummary>, code: string) =>
  stores.find((s) => s.store === code) ?? assert.fail(`no summary for store ${code}`)

const rows = (...values: ReadonlyArray<string>) =>
  `INSERT INTO esl_items (item_code, item_name, sale_price, store_code, barcode, updated_at) VALUES ${values.join(", ")}`

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "120 seconds" })(
  "ESL sync against PostgreSQL and the simulator over HTTP",
  (it) => {
    it.effect(
      "delivers every store's changes, formatted, with a run record each; then skips when nothing changed",
      () =>
        Effect.gen(function* () {
          const world = yield* eslWorld({
            rows: [
              rows(
                "('A1', '서울우유 1L', 2980.50, 'S001', '8801115114154, 8801115114161', '2026-01-01 10:00:00.000001')",
                "('A2', 'Bread', 1500, 'S001', NULL, '2026-01-01 10:00:00.000002')",
                "('B1', 'Eggs', 4200, 'S002', NULL, '2026-01-01 11:00:00')"
              )
            ]
          })
          const first = yield* world.sync()
          assert.strictEqual(first.code, 0, first.stderr + first.stdout)
          assert.strictEqual(byStore(first.stores, "S001").status, "succeeded")
          assert.strictEqual(byStore(first.stores, "S002").counts.accepted, 1)
          assert.strictEqual(byStore(first.stores, "S003").status, "skipped")
          const held = yield* world.sim.articles("ACME", "S001")
          assert.deepStrictEqual(
            held.map((a) => [a.articleId, a.articleName, a.data.SALE_PRICE, a.data.UPDATED, a.eans]),
            [
              ["A1", "서울우유 1L", "2981", "2026-01-01 10:00:00", ["8801115114154", "8801115114161"]],
              ["A2", "Bread", "1500", "2026-01-01 10:00:00", undefined]
            ]
          )
          // Microseconds survive in the watermark: a row one microsecond later is the only one read next time.
          assert.deepStrictEqual(byStore(first.stores, "S001").watermark.after, {
            value: "2026-01-01T10:00:00.000002",
            key: "A2"
          })
          yield* world.sql(rows("('A3', 'Milk', 990, 'S001', NULL, '2026-01-01 10:00:00.000003')"))
          const second = yield* world.sync("--store", "S001")
          assert.strictEqual(byStore(second.stores, "S001").counts.extracted, 1)

          const tokensBefore = (yield* world.sim.stats).tokensIssued
          const quiet = yield* world.sync()
          assert.deepStrictEqual(
            quiet.stores.map((s) => s.status),
            ["skipped", "skipped", "skipped"]
          )
          assert.strictEqual((yield* world.sim.stats).tokensIssued, tokensBefore)

          const runs = yield* world.run("runs", "--tenant", "acme", "--json")
          const records = JSON.parse(runs.stdout) as ReadonlyArray<{ store: string; status: string }>
          assert.strictEqual(records.length, 7)
          assert.isFalse(runs.stdout.includes(ESL_PASSWORD))
        })
    )

    it.effect("does not lose a row written by a transaction still open during a pass", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({
          rows: [rows("('X1', 'Apple', 1000, 'S001', NULL, now() - interval '1 hour')")]
        })
        yield* world.sync("--store", "S001")

        const updated = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const writer = yield* Effect.forkChild(
          PgClient.PgClient.use((sql) =>
            sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`UPDATE esl_items SET sale_price = 777, updated_at = now() WHERE item_code = 'X1'`
                yield* Deferred.succeed(updated, undefined)
                yield* Deferred.await(release)
              })
            )
          ).pipe(Effect.provide(PgClient.layer({ url: world.url, maxConnections: 1 })))
        )
        yield* Deferred.await(updated)
        yield* Effect.sleep("20 millis")
        // Committed after the open transaction began, so its change time is later than X1's will be.
        yield* world.sql(rows("('Y2', 'Pear', 2000, 'S001', NULL, now())"))
        const during = yield* world.sync("--store", "S001")
        assert.strictEqual(byStore(during.stores, "S001").status, "skipped")

        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(writer)
        const after = yield* world.sync("--store", "S001")
        assert.strictEqual(byStore(after.stores, "S001").counts.accepted, 2)
        const held = yield* world.sim.articles("ACME", "S001")
        assert.deepStrictEqual(
          held.map((a) => [a.articleId, a.data.SALE_PRICE]),
          [
            ["X1", "777"],
            ["Y2", "2000"]
          ]
        )
      })
    )

    it.effect(
      "rows sharing a change time across chunk boundaries, NULL change times and bad rows are all accounted for",
      () =>
        Effect.gen(function* () {
          const same = "'2026-01-01 09:00:00'"
          const world = yield* eslWorld({
            batchSize: 2,
            rows: [
              rows(
                ...["K5", "K3", "K1", "K4", "K2"].map((k) => `('${k}', 'Item ${k}', 100, 'S001', NULL, ${same})`),
                "('N1', 'No change time', 300, 'S001', NULL, NULL)",
                "('Z1', NULL, 100, 'S001', NULL, '2026-01-01 09:30:00')",
                `('Z2', '${"x".repeat(41)}', 100, 'S001', NULL, '2026-01-01 09:31:00')`
              )
            ]
          })
          const result = yield* world.sync("--store", "S001")
          const s001 = byStore(result.stores, "S001")
          assert.strictEqual(s001.status, "succeeded")
          assert.deepStrictEqual(
            (yield* world.sim.articles("ACME", "S001")).map((a) => a.articleId),
            ["K1", "K2", "K3", "K4", "K5", "N1"]
          )
          assert.strictEqual(s001.counts.nullChange, 1)
          assert.deepStrictEqual(s001.invalid, [
            { key: "Z1", reason: "item_name (article name) is empty" },
            { key: "Z2", reason: "item_name (ITEM_NAME) is longer than 40 characters" }
          ])
          assert.deepStrictEqual(s001.watermark.after, { value: "2026-01-01T09:31:00.000000", key: "Z2" })
        })
    )

    it.effect("an article whose content did not change is not sent again", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({ rows: [rows("('A1', 'Apple', 1000, 'S001', NULL, '2026-01-01 10:00:00')")] })
        yield* world.sync("--store", "S001")
        // Same second: the UPDATED field (written to the second) and everything else stay as they were.
        yield* world.sql("UPDATE esl_items SET updated_at = '2026-01-01 10:00:00.5' WHERE item_code = 'A1'")
        const touched = yield* world.sync("--store", "S001")
        assert.strictEqual(byStore(touched.stores, "S001").counts.unchanged, 1)
        assert.strictEqual(byStore(touched.stores, "S001").counts.sent, 0)
        assert.strictEqual((yield* world.sim.articles("ACME", "S001"))[0]?.writes, 1)
        const full = yield* world.sync("--store", "S001", "--full")
        assert.strictEqual(byStore(full.stores, "S001").counts.sent, 1)
        assert.strictEqual((yield* world.sim.articles("ACME", "S001"))[0]?.writes, 2)
      })
    )

    it.effect("an interrupted pass is recorded as interrupted and the next pass delivers everything", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({
          batchSize: 1,
          rows: [
            rows(
              ...["C1", "C2", "C3", "C4"].map((k, i) => `('${k}', 'Item', 100, 'S001', NULL, '2026-01-01 10:0${i}:00')`)
            )
          ]
        })
        yield* world.sim.addFaults({ kind: "latency", ms: 400, route: "PUT /common/articles", afterCalls: 1 })
        const fiber = yield* Effect.forkChild(world.sync("--store", "S001"))
        // Interrupt once the pass is under way: its run is recorded and its first chunk delivered.
        for (;;) {
          const held = (yield* world.sim.articles("ACME", "S001")).length
          const running = yield* query<{ n: number }>(
            world.url,
            "SELECT count(*)::int n FROM storeflow_runs WHERE status = 'running'"
          ).pipe(Effect.orElseSucceed(() => [{ n: 0 }]))
          if (held >= 1 && (running[0]?.n ?? 0) === 1) break
          yield* Effect.sleep("20 millis")
        }
        yield* Fiber.interrupt(fiber)
        const recorded = yield* query<{ status: string }>(world.url, "SELECT status FROM storeflow_runs")
        assert.deepStrictEqual(
          recorded.map((r) => r.status),
          ["interrupted"]
        )
        yield* world.sim.clearFaults
        const next = yield* world.sync("--store", "S001")
        assert.strictEqual(byStore(next.stores, "S001").status, "succeeded")
        assert.deepStrictEqual(
          (yield* world.sim.articles("ACME", "S001")).map((a) => a.articleId),
          ["C1", "C2", "C3", "C4"]
        )
      })
    )

    it.effect("transient API failures are retried; a store that keeps failing fails alone and exits 1", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({
          rows: [
            rows(
              "('A1', 'Apple', 1000, 'S001', NULL, '2026-01-01 10:00:00')",
              "('B1', 'Bread', 1000, 'S002', NULL, '2026-01-01 10:00:00')"
            )
          ]
        })
        yield* world.sim.addFaults(
          { kind: "error", status: 503, route: "PUT /common/articles", times: 1 },
          { kind: "reset", route: "PUT /common/articles", times: 1, afterCalls: 1 },
          { kind: "throttle", retryAfter: 0, route: "PUT /common/articles", times: 1, afterCalls: 2 }
        )
        const retried = yield* world.sync("--store", "S001")
        assert.strictEqual(retried.code, 0, retried.stdout)
        assert.strictEqual(byStore(retried.stores, "S001").counts.retries, 3)

        yield* world.sim.clearFaults
        yield* world.sql(
          "UPDATE esl_items SET sale_price = 1100, updated_at = '2026-01-02 10:00:00' WHERE item_code = 'A1'"
        )
        yield* world.sim.addFaults({ kind: "error", status: 502, route: "PUT /common/articles", company: "ACME" })
        const failing = yield* world.sync()
        assert.strictEqual(failing.code, 1)
        assert.strictEqual(byStore(failing.stores, "S001").status, "failed")
        assert.include(byStore(failing.stores, "S001").error, "502")
        const again = yield* query<{ value: string }>(
          world.url,
          "SELECT value FROM storeflow_watermarks WHERE store = 'S001'"
        )
        assert.deepStrictEqual(again, [{ value: "2026-01-01T10:00:00.000000" }])
      })
    )

    it.effect("stores run in parallel; one store failing (its source filter is broken) spares the others", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({
          rows: [
            rows(
              "('A1', 'Apple', 1000, 'S001', NULL, '2026-01-01 10:00:00')",
              "('B1', 'Bread', 1000, 'S002', NULL, '2026-01-01 10:00:00')",
              "('C1', 'Cake', 1000, 'S003', NULL, '2026-01-01 10:00:00')"
            )
          ]
        })
        // S002's rows are told apart by a column the table does not have: that store's pass fails, alone.
        const file = join(world.tenantsDir, "acme", "tenant.yaml")
        writeFileSync(
          file,
          readFileSync(file, "utf8").replace(
            "stores: [S001, S002, S003]",
            "stores: [S001, { code: S002, filter: { region: north } }, S003]"
          )
        )
        const result = yield* world.sync()
        assert.strictEqual(result.code, 1)
        assert.deepStrictEqual(
          result.stores.map((s) => [s.store, s.status]),
          [
            ["S001", "succeeded"],
            ["S002", "failed"],
            ["S003", "succeeded"]
          ]
        )
        assert.include(byStore(result.stores, "S002").error, "region")
        assert.strictEqual((yield* world.sim.articles("ACME", "S003")).length, 1)
      })
    )

    it.effect("verify reports what the API lost and --requeue gets it delivered again", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld({
          rows: [
            rows(...["V1", "V2", "V3"].map((k) => `('${k}', 'Item ${k}', 500, 'S001', NULL, '2026-01-01 10:00:00')`))
          ]
        })
        yield* world.sim.addFaults({ kind: "drop", route: "PUT /common/articles", articleIds: ["V2"] })
        yield* world.sync("--store", "S001")
        yield* world.sim.clearFaults
        const report = yield* world.run("esl", "verify", "--tenant", "acme", "--store", "S001")
        assert.strictEqual(report.code, 0, report.stderr)
        assert.include(report.stdout, "missing 1")
        assert.include(report.stdout, "missing: V2")
        const requeue = yield* world.run("esl", "verify", "--tenant", "acme", "--store", "S001", "--requeue")
        assert.include(requeue.stdout, "1 re-queued")
        const resync = yield* world.sync("--store", "S001")
        assert.strictEqual(byStore(resync.stores, "S001").counts.requeued, 1)
        assert.deepStrictEqual(
          (yield* world.sim.articles("ACME", "S001")).map((a) => a.articleId),
          ["V1", "V2", "V3"]
        )
      })
    )

    it.effect("bad config exits 2; an unknown store is named", () =>
      Effect.gen(function* () {
        const world = yield* eslWorld()
        const missing = yield* world.run("esl", "sync", "--tenant", "nope")
        assert.strictEqual(missing.code, 2)
        const store = yield* world.run("esl", "sync", "--tenant", "acme", "--store", "S999")
        assert.strictEqual(store.code, 2)
        assert.include(store.stderr, 'no store "S999"')
      })
    )
  }
)
