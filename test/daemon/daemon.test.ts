import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer, Queue, Redacted, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import { EslMemory, layerMemory as eslMemory } from "../../layers/esl-api/memory.ts"
import { layerRecording } from "../../layers/notifier/memory.ts"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerMemory as runStoreMemory } from "../../layers/run-store/memory.ts"
import { layerMemory as sourceMemory } from "../../layers/source-db/memory.ts"
import { layerMemory as warehouseMemory } from "../../layers/warehouse/memory.ts"
import { runDaemon, shutdown, type TickTiming } from "../../src/daemon/daemon.ts"
import { tickAfter } from "../../src/daemon/jobs.ts"
import { Metrics } from "../../src/daemon/metrics.ts"
import { nextCronTick, nextIntervalTick, previousCronTick, stableOffset } from "../../src/daemon/ticks.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { scratchDir } from "../support/tenants.ts"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const tenantYaml = (id: string, every = "1s", extra = "") => `id: ${id}
name: ${id}
timezone: UTC
source: { url: "postgres://unused" }
object_store: { type: filesystem, path: /unused }
warehouse: { type: duckdb, path: ":memory:" }
esl:
  api: { base_url: "http://unused", username: u, password: p }
  company: SHOP
  stores: [S001]
  source: { table: items, change_column: updated_at, key_column: item_code, store_column: store_code }
  mapping: { article_id: item_code, article_name: item_name, data: { PRICE: { column: price, format: price } } }
  schedule: { every: ${every}, jitter: 0s }
  retry: { base: 1ms, cap: 1ms, attempts: 1 }
pipelines:
  - { name: sales, source: { table: sales }, date_column: sold_at, load: true }
jobs:
  daily_etl_job: { cron: "0 2 * * *", catchup: latest }
${extra}`

const world = () => {
  const dir = scratchDir()
  dirs.push(dir)
  const write = (id: string, text: string) => {
    mkdirSync(join(dir, id), { recursive: true })
    writeFileSync(join(dir, id, "tenant.yaml"), text)
  }
  return { dir, write }
}

/** Memory services shared by every tenant the daemon builds (each call hands back the same built context). */
const services = Effect.gen(function* () {
  const context = yield* Layer.build(
    Layer.mergeAll(
      sourceMemory({
        items: {
          columns: [
            { name: "item_code", type: "string", nullable: false },
            { name: "item_name", type: "string", nullable: true },
            { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
            { name: "store_code", type: "string", nullable: false },
            { name: "updated_at", type: "timestamp", nullable: true }
          ],
          rows: [
            {
              item_code: "A1",
              item_name: "Apple",
              price: "900.00",
              store_code: "S001",
              updated_at: "1969-12-31T00:00:00.000000"
            }
          ]
        },
        sales: {
          columns: [
            { name: "sale_id", type: "int64", nullable: false },
            { name: "sold_at", type: "timestamp", nullable: false }
          ],
          rows: [{ sale_id: 1n, sold_at: "1970-01-01T05:00:00.000000" }]
        }
      }),
      eslMemory({ companies: { SHOP: ["S001"] } }),
      layerRecording,
      warehouseMemory.pipe(Layer.provideMerge(objectStoreMemory)),
      runStoreMemory
    )
  )
  return context
})

const start = (
  dir: string,
  lines: Array<string>,
  options: {
    readonly token?: string
    readonly timeout?: Duration.Input
    readonly onTick?: (tick: TickTiming) => void
  } = {}
) =>
  Effect.gen(function* () {
    const context = yield* services
    const reloads = yield* Queue.unbounded<void>()
    let port = 0
    const fiber = yield* Effect.forkChild(
      Effect.scoped(
        runDaemon({
          tenantsDir: dir,
          only: [],
          env: {},
          listen: { host: "127.0.0.1", port: 0 },
          shutdownTimeout: Duration.fromInputUnsafe(options.timeout ?? "1 second"),
          statusToken: options.token === undefined ? undefined : Redacted.make(options.token),
          eslLayer: () => Layer.succeedContext(context),
          etlLayer: () => Layer.succeedContext(context),
          report: (line) => Effect.sync(() => lines.push(line)),
          reloads: Stream.fromQueue(reloads),
          onListening: (p) =>
            Effect.sync(() => {
              port = p
            }),
          onTick: options.onTick
        })
      ).pipe(Effect.provide(Layer.merge(Layer.succeedContext(context), NodeServices.layer)))
    )
    const settle = Effect.gen(function* () {
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
      yield* Effect.sleep(Duration.millis(0)).pipe(Effect.ignore)
    })
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 200)))
    return { fiber, reloads, context, port: () => port, settle }
  })

/** Waits (in real time, briefly) until forked runs have caught up with the test clock. */
const eventually = (condition: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 20))
  })

const tick = (ms: number) =>
  Effect.gen(function* () {
    yield* TestClock.adjust(ms)
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
  })

describe("daemon schedules (in process, on the test clock)", () => {
  it.effect(
    "runs each store on its interval, reports one line per run, and catches up the missed daily partition",
    () =>
      Effect.gen(function* () {
        const { dir, write } = world()
        write("shop", tenantYaml("shop"))
        const lines: Array<string> = []
        const daemon = yield* start(dir, lines)
        yield* tick(1000)
        yield* tick(1000)
        yield* eventually(() => lines.some((l) => l.startsWith("shop esl S001 skipped")))
        assert.isTrue(
          lines.some((l) => l.startsWith("storeflow daemon ") && l.includes("shop: started")),
          lines.join("\n")
        )
        assert.isTrue(
          lines.some((l) => /^shop esl S001 succeeded extracted=1 sent=1/.test(l)),
          lines.join("\n")
        )
        assert.isTrue(
          lines.some((l) => /^shop esl S001 skipped/.test(l)),
          lines.join("\n")
        )
        const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "shop", job: "daily_etl_job" })).pipe(
          Effect.provide(Layer.succeedContext(daemon.context))
        )
        // Started at 1970-01-01 00:00 UTC: the last 02:00 tick was on 1969-12-31, so its partition is 1969-12-30.
        assert.deepStrictEqual(
          runs.map((r) => [r.partition, r.status]),
          [["1969-12-30", "succeeded"]]
        )
        yield* Fiber.interrupt(daemon.fiber)
      })
  )

  it.effect("skips and counts a tick while the previous run of the job is still going; stops gracefully", () =>
    Effect.gen(function* () {
      const { dir, write } = world()
      write("shop", tenantYaml("shop"))
      const lines: Array<string> = []
      const daemon = yield* start(dir, lines, { timeout: "500 millis" })
      const api = Context.get(daemon.context, EslMemory)
      yield* api.delayNext("upsertArticles", "10 seconds")
      yield* tick(1000)
      yield* tick(1000)
      yield* tick(1000)
      const base = `http://127.0.0.1:${daemon.port()}`
      const metrics = yield* Effect.promise(() => fetch(`${base}/metrics`).then((r) => r.text()))
      assert.match(metrics, /storeflow_skipped_ticks_total\{job="esl_sync",tenant="shop"\} [1-9]/)
      const status = yield* Effect.promise(() =>
        fetch(`${base}/status`).then(
          (r) =>
            r.json() as Promise<{
              tenants: ReadonlyArray<{ jobs: ReadonlyArray<{ key: string; running: boolean; skippedTicks: number }> }>
            }>
        )
      )
      const job = status.tenants[0]?.jobs.find((j) => j.key === "esl:shop:S001")
      assert.isTrue(job?.running)
      assert.isAtLeast(job?.skippedTicks ?? 0, 1)

      shutdown.graceful = false
      const stopping = yield* Effect.forkChild(Fiber.interrupt(daemon.fiber))
      yield* tick(600)
      yield* Fiber.join(stopping)
      assert.isTrue(shutdown.graceful)
      const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "shop", job: "esl_sync" })).pipe(
        Effect.provide(Layer.succeedContext(daemon.context))
      )
      assert.strictEqual(runs[0]?.status, "interrupted")
    })
  )

  it.effect("reloads: starts added tenants, keeps the running config on an invalid change, removes deleted ones", () =>
    Effect.gen(function* () {
      const { dir, write } = world()
      write("shop", tenantYaml("shop"))
      write("bad", tenantYaml("bad", "often"))
      const lines: Array<string> = []
      const daemon = yield* start(dir, lines)
      assert.isTrue(
        lines.some((l) => l.includes("bad: disabled") && l.includes("shop: started")),
        lines.join("\n")
      )

      write("more", tenantYaml("more"))
      yield* Queue.offer(daemon.reloads, undefined)
      yield* tick(10)
      yield* eventually(() => lines.includes("reloaded: more: started"))
      assert.isTrue(lines.includes("reloaded: more: started"), lines.join("\n"))

      write("shop", tenantYaml("shop", "whenever"))
      yield* Queue.offer(daemon.reloads, undefined)
      yield* tick(10)
      yield* eventually(() => lines.includes("reloaded: shop: invalid change ignored"))
      assert.isTrue(lines.includes("reloaded: shop: invalid change ignored"), lines.join("\n"))
      const base = `http://127.0.0.1:${daemon.port()}`
      const status = yield* Effect.promise(() =>
        fetch(`${base}/status`).then(
          (r) =>
            r.json() as Promise<{
              tenants: ReadonlyArray<{ id: string; status: string; reloadErrors: ReadonlyArray<unknown> }>
            }>
        )
      )
      const shop = status.tenants.find((t) => t.id === "shop")
      assert.strictEqual(shop?.status, "enabled")
      assert.strictEqual(shop?.reloadErrors.length, 1)

      rmSync(join(dir, "more"), { recursive: true })
      write("shop", tenantYaml("shop", "2s"))
      yield* Queue.offer(daemon.reloads, undefined)
      yield* tick(10)
      yield* eventually(() => lines.includes("reloaded: shop: reloaded; more: removed"))
      assert.isTrue(lines.includes("reloaded: shop: reloaded; more: removed"), lines.join("\n"))
      yield* Fiber.interrupt(daemon.fiber)
    })
  )

  it.effect("a tenant added by a reload ticks on its own schedule, before the running ones' next tick", () =>
    Effect.gen(function* () {
      const { dir, write } = world()
      write("slow", tenantYaml("slow", "1h"))
      const ticks: Array<TickTiming> = []
      const lines: Array<string> = []
      const daemon = yield* start(dir, lines, { onTick: (t) => ticks.push(t) })
      write("fast", tenantYaml("fast", "1s"))
      yield* Queue.offer(daemon.reloads, undefined)
      yield* eventually(() => lines.includes("reloaded: fast: started"))
      yield* tick(1000)
      yield* tick(1000)
      assert.deepStrictEqual(
        ticks.map((t) => [t.key, t.at, t.wokeAt - t.at]),
        [
          ["esl:fast:S001", 1000, 0],
          ["esl:fast:S001", 2000, 0]
        ]
      )
      yield* Fiber.interrupt(daemon.fiber)
    })
  )

  it.effect(
    "times every tick against its schedule: handed to onTick and counted in storeflow_tick_lateness_seconds",
    () =>
      Effect.gen(function* () {
        const { dir, write } = world()
        write("shop", tenantYaml("shop"))
        const ticks: Array<TickTiming> = []
        const daemon = yield* start(dir, [], { onTick: (t) => ticks.push(t) })
        yield* tick(1000)
        yield* tick(1000)
        yield* tick(1000)
        const esl = ticks.filter((t) => t.key === "esl:shop:S001")
        assert.deepStrictEqual(
          esl.map((t) => t.at),
          [1000, 2000, 3000]
        )
        // On the test clock every schedule wakes exactly on time.
        assert.deepStrictEqual(
          esl.map((t) => t.wokeAt - t.at),
          [0, 0, 0]
        )
        const metrics = yield* Effect.promise(() =>
          fetch(`http://127.0.0.1:${daemon.port()}/metrics`).then((r) => r.text())
        )
        assert.include(metrics, 'storeflow_tick_lateness_seconds_bucket{job="esl_sync",le="0.001"} 3')
        assert.include(metrics, 'storeflow_tick_lateness_seconds_count{job="esl_sync"} 3')
        yield* Fiber.interrupt(daemon.fiber)
      })
  )

  it.effect("guards the status routes with a bearer token when one is set (except /healthz)", () =>
    Effect.gen(function* () {
      const { dir, write } = world()
      write("shop", tenantYaml("shop"))
      const daemon = yield* start(dir, [], { token: "s3cret" })
      const base = `http://127.0.0.1:${daemon.port()}`
      const get = (path: string, token?: string) =>
        Effect.promise(() =>
          fetch(`${base}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }).then(
            (r) => r.status
          )
        )
      assert.strictEqual(yield* get("/healthz"), 200)
      assert.strictEqual(yield* get("/status"), 401)
      assert.strictEqual(yield* get("/status", "wrong"), 401)
      assert.strictEqual(yield* get("/status", "s3cret"), 200)
      assert.strictEqual(yield* get("/readyz", "s3cret"), 200)
      assert.strictEqual(yield* get("/metrics", "s3cret"), 200)
      yield* Fiber.interrupt(daemon.fiber)
    })
  )
})

describe("tick arithmetic", () => {
  it("interval ticks are aligned with a stable per-job offset", () => {
    assert.strictEqual(nextIntervalTick(0, 1000, 250), 250)
    assert.strictEqual(nextIntervalTick(250, 1000, 250), 1250)
    assert.strictEqual(stableOffset("esl:a:S001", 5000), stableOffset("esl:a:S001", 5000))
    assert.notStrictEqual(stableOffset("esl:a:S001", 60_000), stableOffset("esl:a:S002", 60_000))
    assert.strictEqual(stableOffset("x", 0), 0)
  })

  it("a schedule woken a millisecond early sleeps to the following tick, not to the same one again", () => {
    const job = {
      _tag: "EslSync",
      key: "esl:a:S001",
      tenant: "a",
      store: { code: "S001", name: undefined, conditions: [] },
      intervalMs: 1000,
      offsetMs: 250
    } as const
    assert.strictEqual(tickAfter(job, 0, Number.NEGATIVE_INFINITY), 250)
    assert.strictEqual(tickAfter(job, 249, 250), 1250)
    assert.strictEqual(tickAfter(job, 1300, 1250), 2250)
  })

  it("cron ticks honour the time zone", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.strictEqual(new Date(nextCronTick("0 2 * * *", "Asia/Seoul", now)).toISOString(), "2026-01-01T17:00:00.000Z")
    assert.strictEqual(
      new Date(previousCronTick("0 2 * * *", "UTC", now) ?? 0).toISOString(),
      "2025-12-31T02:00:00.000Z"
    )
    assert.throws(() => nextCronTick("nope", "UTC", now))
    // A cron firing every two seconds is found without walking days of ticks.
    assert.strictEqual(previousCronTick("*/2 * * * * *", "UTC", now + 3_000), now + 2_000)
    assert.isUndefined(previousCronTick("0 0 1 1 *", "UTC", now + 86_400_000, 3_600_000))
  })

  it("renders Prometheus text", () => {
    const metrics = new Metrics()
    metrics.inc("storeflow_runs_total", { job: "esl_sync", status: "succeeded", tenant: 'a"b' })
    metrics.observe("storeflow_job_duration_seconds", { job: "esl_sync", tenant: "a" }, 0.3)
    const text = metrics.render()
    assert.include(text, 'storeflow_runs_total{job="esl_sync",status="succeeded",tenant="a\\"b"} 1')
    assert.include(text, 'storeflow_job_duration_seconds_bucket{job="esl_sync",tenant="a",le="0.5"} 1')
    assert.include(text, 'storeflow_job_duration_seconds_bucket{job="esl_sync",tenant="a",le="0.1"} 0')
    assert.include(text, 'storeflow_job_duration_seconds_count{job="esl_sync",tenant="a"} 1')
    assert.throws(() => metrics.inc("nope", {}))
  })
})
