import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { query } from "../source-db/postgres-support.ts"
import { TestDatabase } from "../support/database.ts"
import { daemonWorld, spawnDaemon, writeTenant } from "./support.ts"

interface StatusDoc {
  readonly tenants: ReadonlyArray<{
    readonly id: string
    readonly status: string
    readonly errors: unknown
    readonly jobs: ReadonlyArray<{
      readonly key: string
      readonly nextRunAt: string | null
      readonly lastRun: {
        readonly status: string
        readonly startedAt: string
        readonly summary: Record<string, unknown> & { readonly counts?: Record<string, number> }
      } | null
    }>
  }>
}

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "120 seconds" })(
  "storeflow daemon (a real process)",
  (it) => {
    it.effect(
      "runs the schedules: articles reach the API, partitions are materialized, /status and /metrics answer",
      () =>
        Effect.gen(function* () {
          const world = yield* daemonWorld
          writeTenant(world.tenantsDir, "shop")
          const daemon = yield* spawnDaemon(
            ["--tenants-dir", world.tenantsDir, "daemon", "--listen", "127.0.0.1:0"],
            world.env
          )
          const listening = yield* daemon.waitFor(/status: http:\/\/127\.0\.0\.1:\d+\/status/)
          const base = listening.replace(/^.*status: (http:\/\/[^/]+)\/status.*$/, "$1")
          yield* daemon.waitFor(/shop esl S001 succeeded extracted=1 sent=1/)
          yield* daemon.waitFor(/shop esl S002 succeeded/)
          yield* daemon.waitFor(/shop daily_etl_job \[\d{4}-\d{2}-\d{2}\] succeeded pipelines=1 rows=5/)
          assert.deepStrictEqual(
            (yield* world.sim.articles("SHOP", "S001")).map((a) => [a.articleId, a.data.PRICE]),
            [["A1", "1000"]]
          )
          const status = yield* Effect.promise(() =>
            fetch(`${base}/status`).then((r) => r.json() as Promise<StatusDoc>)
          )
          const shop = status.tenants.find((t) => t.id === "shop") ?? assert.fail("no tenant shop in /status")
          assert.strictEqual(shop.status, "enabled")
          assert.deepStrictEqual(shop.jobs.map((j) => j.key).sort(), [
            "esl:shop:S001",
            "esl:shop:S002",
            "etl:shop:daily_etl_job"
          ])
          assert.isString(shop.jobs[0]?.nextRunAt)
          // The last run of each job, with its whole summary.
          const lastOf = (key: string) =>
            shop.jobs.find((j) => j.key === key)?.lastRun ?? assert.fail(`no run of ${key}`)
          const esl = lastOf("esl:shop:S001")
          assert.include(["succeeded", "skipped"], esl.status)
          assert.strictEqual(esl.summary.store, "S001")
          assert.strictEqual(esl.summary.status, esl.status)
          assert.isNumber(esl.summary.counts?.extracted)
          assert.match(esl.startedAt, /^\d{4}-\d{2}-\d{2}T/)
          const etl = lastOf("etl:shop:daily_etl_job")
          assert.strictEqual(etl.status, "succeeded")
          assert.match(String(etl.summary.partition), /^\d{4}-\d{2}-\d{2}$/)
          const metrics = yield* Effect.promise(() => fetch(`${base}/metrics`).then((r) => r.text()))
          assert.match(metrics, /storeflow_runs_total\{job="esl_sync",status="succeeded",tenant="shop"\} \d+/)
          assert.include(metrics, 'storeflow_records_synced_total{store="S001",tenant="shop"} 1')
          assert.strictEqual((yield* Effect.promise(() => fetch(`${base}/readyz`))).status, 200)
          assert.strictEqual(yield* daemon.stop("SIGTERM"), 0)
        })
    )

    it.effect(
      "an invalid tenant is disabled with its errors in /status; the others run; SIGHUP picks up a new tenant",
      () =>
        Effect.gen(function* () {
          const world = yield* daemonWorld
          writeTenant(world.tenantsDir, "broken", { broken: true })
          writeTenant(world.tenantsDir, "shop")
          const daemon = yield* spawnDaemon(
            ["--tenants-dir", world.tenantsDir, "daemon", "--listen", "127.0.0.1:0"],
            world.env
          )
          const listening = yield* daemon.waitFor(/status: http:\/\/127\.0\.0\.1:\d+\/status/)
          const base = listening.replace(/^.*status: (http:\/\/[^/]+)\/status.*$/, "$1")
          yield* daemon.waitFor(/shop esl S001 succeeded/)
          const status = yield* Effect.promise(() =>
            fetch(`${base}/status`).then((r) => r.json() as Promise<StatusDoc>)
          )
          const broken = status.tenants.find((t) => t.id === "broken") ?? assert.fail("no tenant broken in /status")
          assert.strictEqual(broken.status, "disabled")
          assert.include(JSON.stringify(broken.errors), "often")

          writeTenant(world.tenantsDir, "late")
          daemon.process.kill("SIGHUP")
          yield* daemon.waitFor(/^reloaded: late: started$/)
          yield* daemon.waitFor(/late esl S00\d (succeeded|skipped)/)
          assert.strictEqual(yield* daemon.stop("SIGTERM"), 0)
        })
    )

    it.effect("two daemons on one state database run each tick of a job once", () =>
      Effect.gen(function* () {
        const world = yield* daemonWorld
        writeTenant(world.tenantsDir, "shop")
        const one = yield* spawnDaemon(["--tenants-dir", world.tenantsDir, "daemon", "--listen", "off"], world.env)
        const two = yield* spawnDaemon(["--tenants-dir", world.tenantsDir, "daemon", "--listen", "off"], world.env)
        yield* one.waitFor(/storeflow daemon/)
        yield* two.waitFor(/storeflow daemon/)
        yield* Effect.sleep("6 seconds")
        yield* one.stop("SIGTERM")
        yield* two.stop("SIGTERM")
        const runs = yield* query<{ job: string; store: string | null; partition: string | null; n: number }>(
          world.url,
          "SELECT job, store, partition, count(*)::int n FROM storeflow_runs GROUP BY 1, 2, 3"
        )
        // ETL ticks every 2 s: one run per tick means about 3 in 6 s (4 at the edges), never one per daemon and tick.
        const etl = runs.find((r) => r.job === "daily_etl_job")
        assert.isAtMost(etl?.n ?? 0, 4, [...one.output, "----", ...two.output].join("\n"))
        assert.isAtLeast(etl?.n ?? 0, 2, [...one.output, "----", ...two.output].join("\n"))
        const ticks = yield* query<{ n: number }>(
          world.url,
          "SELECT count(*)::int n FROM storeflow_locks WHERE name LIKE 'tick:etl:%'"
        )
        assert.strictEqual(ticks[0]?.n, etl?.n)
        const esl = runs.filter((r) => r.job === "esl_sync").reduce((n, r) => n + r.n, 0)
        // Two stores, one tick per second each: about 12 in 6 s, never twice per tick (24).
        assert.isAtMost(esl, 15)
      })
    )

    it.effect("SIGTERM during a run lets it finish (or records it interrupted) and exits 0", () =>
      Effect.gen(function* () {
        const world = yield* daemonWorld
        writeTenant(world.tenantsDir, "shop")
        // Every PUT is held far longer than the shutdown timeout allows a run to finish.
        yield* world.sim.addFaults({ kind: "latency", ms: 10_000, route: "PUT /common/articles" })
        const daemon = yield* spawnDaemon(
          ["--tenants-dir", world.tenantsDir, "daemon", "--listen", "off", "--shutdown-timeout", "300ms"],
          world.env
        )
        yield* daemon.waitFor(/storeflow daemon/)
        // SIGTERM once a run is in the middle of its PUT: a fixed sleep raced the run on a busy machine.
        yield* Effect.gen(function* () {
          while ((yield* world.sim.stats).inFlight === 0) yield* Effect.sleep("50 millis")
        }).pipe(Effect.timeout("10 seconds"))
        assert.strictEqual(yield* daemon.stop("SIGTERM"), 0)
        const runs = yield* query<{ status: string }>(
          world.url,
          "SELECT status FROM storeflow_runs WHERE job = 'esl_sync'"
        )
        assert.isTrue(runs.length > 0)
        assert.isFalse(
          runs.some((r) => r.status === "running"),
          JSON.stringify(runs)
        )
        assert.isTrue(
          runs.some((r) => r.status === "interrupted"),
          JSON.stringify(runs)
        )
        const locks = yield* query<{ name: string }>(
          world.url,
          "SELECT name FROM storeflow_locks WHERE name LIKE 'esl_sync:%'"
        )
        assert.deepStrictEqual(locks, [])
      })
    )
  }
)
