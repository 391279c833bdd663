/**
 * The measured process of the daemon benchmark (run by bench/daemon.ts through `runWorker`): `runDaemon` in process
 * with memory services, one tenant of many ESL stores whose source table is empty, so every tick is a full
 * `syncStore` pass (lock, run record, watermark, detect, record, alerts) that finds nothing and is `skipped`.
 * It records every tick's lateness, the CPU used in the gaps where no tick is due, and the memory over time.
 */
import { constants, PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics } from "node:v8"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { layerMemory as eslMemory } from "../layers/esl-api/memory.ts"
import { layerRecording } from "../layers/notifier/memory.ts"
import { layerMemory as objectStoreMemory } from "../layers/object-store/memory.ts"
import { layerMemoryWith } from "../layers/run-store/memory.ts"
import { layerMemory as sourceMemory } from "../layers/source-db/memory.ts"
import { layerMemory as warehouseMemory } from "../layers/warehouse/memory.ts"
import { runDaemon } from "../src/daemon/daemon.ts"
import { stableOffset } from "../src/daemon/ticks.ts"
import {
  type DaemonJob,
  type DaemonResult,
  type GcStats,
  type IdleWindow,
  idleWindows,
  KEPT_RUNS,
  type MemoryPoint
} from "./daemon-plan.ts"

const services = (company: string, stores: ReadonlyArray<string>) =>
  Layer.build(
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
          rows: []
        }
      }),
      eslMemory({ companies: { [company]: [...stores] } }),
      layerRecording,
      // The daemon wants an ETL Layer per tenant too; the benchmark tenant has no ETL job.
      warehouseMemory.pipe(Layer.provideMerge(objectStoreMemory)),
      layerMemoryWith({ keepRuns: KEPT_RUNS })
    )
  )

const sleepUntil = (epochMs: number) => Effect.sleep(Duration.millis(Math.max(0, epochMs - Date.now())))

const memoryPoint = (when: string): MemoryPoint => {
  const m = process.memoryUsage()
  const space = (name: string) => getHeapSpaceStatistics().find((s) => s.space_name === name)?.space_size ?? 0
  return {
    when,
    at: Date.now(),
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    newSpaceBytes: space("new_space"),
    oldSpaceBytes: space("old_space")
  }
}

/** GC pauses by kind (`minor`, `major`, …) while `active()` holds, from the process's performance timeline. */
const gcPauses = (active: (epochMs: number) => boolean) => {
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
    [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb"
  }
  const stats = new Map<string, { count: number; totalMs: number; maxMs: number }>()
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!active(performance.timeOrigin + entry.startTime)) continue
      const kind = kinds[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? "other"
      const s = stats.get(kind) ?? { count: 0, totalMs: 0, maxMs: 0 }
      s.count += 1
      s.totalMs += entry.duration
      s.maxMs = Math.max(s.maxMs, entry.duration)
      stats.set(kind, s)
    }
  })
  observer.observe({ entryTypes: ["gc"] })
  return {
    stop: (): Record<string, GcStats> => {
      observer.disconnect()
      return Object.fromEntries(stats)
    }
  }
}

const measure = (job: DaemonJob) =>
  Effect.gen(function* () {
    const startRss = process.memoryUsage.rss()
    const context = yield* services(job.company, job.stores)
    const offsets = job.stores.map((code) => stableOffset(`esl:${job.tenant}:${code}`, job.jitterMs))
    const lateness: Array<number> = []
    const late: Array<{ at: number; lateMs: number }> = []
    let early = 0
    let ticksOutside = 0
    let measureFrom = Number.POSITIVE_INFINITY
    let measureTo = Number.POSITIVE_INFINITY
    const statuses = new Map<string, number>()
    const otherLines: Array<string> = []
    let readyAt = 0
    let port = 0
    const started = Date.now()
    const gc = gcPauses((at) => at >= measureFrom && at < measureTo)

    const daemon = yield* Effect.forkChild(
      Effect.scoped(
        runDaemon({
          tenantsDir: job.tenantsDir,
          only: [],
          env: {},
          listen: { host: "127.0.0.1", port: 0 },
          shutdownTimeout: Duration.seconds(5),
          statusToken: undefined,
          eslLayer: () => Layer.succeedContext(context),
          etlLayer: () => Layer.succeedContext(context),
          report: (line) =>
            Effect.sync(() => {
              const status = / esl \S+ (\w+)/.exec(line)?.[1]
              if (line.startsWith("storeflow daemon ")) readyAt = Date.now()
              if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1)
              else if (otherLines.length < 20) otherLines.push(line)
            }),
          reloads: Stream.never,
          onListening: (p) =>
            Effect.sync(() => {
              port = p
            }),
          onTick: ({ at, wokeAt }) => {
            if (at < measureFrom || at >= measureTo) {
              ticksOutside += 1
              return
            }
            if (wokeAt < at) early += 1
            lateness.push(wokeAt - at)
            if (wokeAt - at > job.lateMs && late.length < 5_000) late.push({ at, lateMs: wokeAt - at })
          }
        })
      ).pipe(Effect.provide(Layer.merge(Layer.succeedContext(context), NodeServices.layer)))
    )

    // Measured from the first interval boundary after the warm-up: by then every store has ticked at least once.
    yield* Effect.sleep(Duration.millis(job.warmupMs))
    if (readyAt === 0) return yield* Effect.die(new Error(`the daemon did not start: ${otherLines.join("\n")}`))
    measureFrom = Math.ceil(Date.now() / job.intervalMs) * job.intervalMs
    measureTo = measureFrom + job.intervals * job.intervalMs
    const memory: Array<MemoryPoint> = [memoryPoint("after warm-up")]
    yield* sleepUntil(measureFrom)
    const cpuFrom = process.cpuUsage()
    const idle: Array<IdleWindow> = []
    for (const window of idleWindows(measureFrom, measureTo, job.intervalMs, offsets, job.idleMarginMs)) {
      yield* sleepUntil(window.from)
      memory.push(memoryPoint("idle window start"))
      const cpu = process.cpuUsage()
      const wall = performance.now()
      yield* sleepUntil(window.to)
      const used = process.cpuUsage(cpu)
      idle.push({ ...window, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall })
    }
    yield* sleepUntil(measureTo)
    const busy = process.cpuUsage(cpuFrom)
    yield* sleepUntil(measureTo + job.graceMs)
    memory.push(memoryPoint("end"))
    const metrics = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
    yield* Fiber.interrupt(daemon)
    return {
      nodeFlags: process.execArgv,
      startRssBytes: startRss,
      startupMs: readyAt - started,
      measureFrom,
      measureTo,
      ticks: lateness.length,
      ticksOutside,
      early,
      lateness,
      late,
      idle,
      cpuMs: (busy.user + busy.system) / 1000,
      gc: gc.stop(),
      memory,
      statuses: Object.fromEntries(statuses),
      otherLines,
      metrics: metricLines(metrics),
      maxRssBytes: process.resourceUsage().maxRSS * 1024
    } satisfies DaemonResult
  })

/** The daemon's own view of the schedule: its tick lateness histogram and skipped ticks, from /metrics. */
const metricLines = (text: string): ReadonlyArray<string> =>
  text.split("\n").filter((line) => /^storeflow_(tick_lateness_seconds|skipped_ticks_total)/.test(line))

process.once("message", (job) => {
  Effect.runPromise(Effect.scoped(measure(job as DaemonJob))).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.exit(1)
      )
  )
})
