/** The daemon benchmark's section of BENCHMARKS.md. */
import { type DaemonJob, type DaemonResult, KEPT_RUNS } from "./daemon-plan.ts"
import { flagsText } from "./node-flags.ts"
import {
  type BenchSection,
  type Figure,
  figureTable,
  fixed,
  machine,
  machineLines,
  percentile,
  thousands
} from "./report.ts"

export const RSS_LIMIT_BYTES = 300 * 1000 * 1000
export const IDLE_CPU_LIMIT_PERCENT = 2
export const LATENESS_P99_LIMIT_MS = 100

export interface DaemonFigures {
  readonly date: Date
  readonly loads: { readonly start: number; readonly end: number }
  readonly command: string
  readonly postgres: string
  readonly job: DaemonJob
  /** With the container image's Node flags: the figures the targets apply to. */
  readonly result: DaemonResult
  /** The same run with Node's default flags, for comparison. */
  readonly defaults: DaemonResult
}

const mb = (bytes: number) => `${fixed(bytes / 1e6, 0)} MB`
const ms = (n: number) => `${fixed(n, 1)} ms`
const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** `count` of the daemon's own lateness histogram and how many ticks it put at or under `le` seconds. */
const histogram = (lines: ReadonlyArray<string>, le: string) => {
  const value = (pattern: RegExp) =>
    Number(
      lines
        .find((l) => pattern.test(l))
        ?.split(" ")
        .at(-1) ?? Number.NaN
    )
  return {
    count: value(/^storeflow_tick_lateness_seconds_count\{job="esl_sync"\}/),
    within: value(new RegExp(`^storeflow_tick_lateness_seconds_bucket\\{job="esl_sync",le="${le}"\\}`)),
    skipped: sum(
      lines.filter((l) => l.startsWith("storeflow_skipped_ticks_total{")).map((l) => Number(l.split(" ").at(-1)))
    )
  }
}

/** Where the late ticks fell: a few stalls of the whole process, or spread over the run. */
const bursts = (late: DaemonResult["late"], from: number): string => {
  const bySecond = new Map<number, { count: number; maxMs: number }>()
  for (const tick of late) {
    const second = Math.floor((tick.at - from) / 1000)
    const entry = bySecond.get(second) ?? { count: 0, maxMs: 0 }
    entry.count += 1
    entry.maxMs = Math.max(entry.maxMs, tick.lateMs)
    bySecond.set(second, entry)
  }
  if (bySecond.size === 0) return ""
  const worst = [...bySecond].sort((a, b) => b[1].count - a[1].count).slice(0, 4)
  return `, due in ${bySecond.size} distinct second${bySecond.size === 1 ? "" : "s"} (${worst.map(([s, e]) => `${s} s: ${e.count}, up to ${ms(e.maxMs)}`).join("; ")}${bySecond.size > worst.length ? "; …" : ""})`
}

export const daemonSection = (f: DaemonFigures): BenchSection => {
  const { job, result: r } = f
  const expected = job.stores.length * job.intervals
  const runs = sum(Object.values(r.statuses))
  const skippedRuns = r.statuses.skipped ?? 0
  const own = histogram(r.metrics, "0.1")
  const late = r.lateness
  const p50 = percentile(late, 50)
  const p99 = percentile(late, 99)
  const over = late.filter((l) => l > LATENESS_P99_LIMIT_MS).length
  const earliest = Math.min(...late)
  const stalls = bursts(r.late, r.measureFrom)
  const idleCpu = sum(r.idle.map((w) => w.cpuMs))
  const idleWall = sum(r.idle.map((w) => w.wallMs))
  const idlePercent = (idleCpu / idleWall) * 100
  const spanMs = r.measureTo - r.measureFrom
  const minor = r.gc.minor ?? { count: 0, totalMs: 0, maxMs: 0 }
  const major = r.gc.major ?? { count: 0, totalMs: 0, maxMs: 0 }
  const d = f.defaults

  const figures: Array<Figure> = [
    {
      name: `Ticks due in ${job.intervals} intervals of ${thousands(job.stores.length)} store schedules`,
      value: `${thousands(r.ticks)} woke; ${thousands(runs)} runs since start, ${thousands(skippedRuns)} skipped (nothing to send); ${own.skipped} ticks skipped for a run still going`,
      target: `${thousands(expected)}: each store once per interval, every run skipped`,
      passed: r.ticks === expected && runs > 0 && skippedRuns === runs && own.skipped === 0
    },
    {
      name: "Tick lateness (wake-up time − scheduled time), every tick of the measured intervals",
      value: `p50 ${ms(p50)}, p99 ${ms(p99)}; p99.9 ${ms(percentile(late, 99.9))}, max ${ms(Math.max(...late))}; ${over} ticks over ${LATENESS_P99_LIMIT_MS} ms${stalls}; ${r.early} early, by at most ${ms(Math.max(0, -earliest))}`,
      target: `p99 < ${LATENESS_P99_LIMIT_MS} ms`,
      passed: p99 < LATENESS_P99_LIMIT_MS
    },
    {
      name: "CPU while idle (no tick due), % of one core",
      value: `${fixed(idlePercent, 3)} % (${ms(idleCpu)} of CPU in ${r.idle.length} windows, ${fixed(idleWall / 1000, 1)} s in all)`,
      target: `< ${IDLE_CPU_LIMIT_PERCENT} %`,
      passed: r.idle.length > 0 && idlePercent < IDLE_CPU_LIMIT_PERCENT
    },
    {
      name: "Peak RSS of the daemon process (kernel `maxRSS`, whole life)",
      value: `${mb(r.maxRssBytes)} (${mb(r.startRssBytes)} with its modules loaded, before the tenant)`,
      target: "< 300 MB",
      passed: r.maxRssBytes < RSS_LIMIT_BYTES
    },
    {
      name: "The same run with Node's default flags: peak RSS; tick lateness p99; idle CPU",
      value: `${mb(d.maxRssBytes)}; ${ms(percentile(d.lateness, 99))}; ${fixed((sum(d.idle.map((w) => w.cpuMs)) / sum(d.idle.map((w) => w.wallMs))) * 100, 3)} %`,
      target: "— (comparison: the image sets the flags)",
      passed: undefined
    },
    {
      name: "CPU over the measured intervals (busy and idle), % of one core",
      value: `${fixed((r.cpuMs / spanMs) * 100, 1)} % (${fixed(r.cpuMs / r.ticks, 2)} ms per tick: wake, lease, run, record)`,
      target: "—",
      passed: undefined
    },
    {
      name: `Start: tenant config with ${thousands(job.stores.length)} stores loaded, every store on the timetable`,
      value: `${fixed(r.startupMs / 1000, 2)} s`,
      target: "—",
      passed: undefined
    },
    {
      name: "GC pauses in the measured intervals",
      value: `minor: ${minor.count}, mean ${ms(minor.count === 0 ? 0 : minor.totalMs / minor.count)}, max ${ms(minor.maxMs)}; major: ${major.count}, max ${ms(major.maxMs)}`,
      target: "—",
      passed: undefined
    },
    {
      name: "The daemon's own `storeflow_tick_lateness_seconds` (from /metrics, since start)",
      value: `${thousands(own.count)} ticks, ${fixed((own.within / own.count) * 100, 2)} % within 0.1 s`,
      target: "—",
      passed: undefined
    }
  ]
  const passed = figures.every((figure) => figure.passed !== false)

  const memoryRows = r.memory.map(
    (m) =>
      `| ${m.when} | ${fixed((m.at - r.measureFrom) / 1000, 0)} s | ${mb(m.rssBytes)} | ${mb(m.heapUsedBytes)} | ${mb(m.heapTotalBytes)} | ${mb(m.newSpaceBytes)} | ${mb(m.oldSpaceBytes)} |`
  )

  const body = `## Daemon schedules

${machineLines(machine(f.postgres), f.command, f.date, f.loads)}
- Node flags of the measured process: ${flagsText(r.nodeFlags)}, the container image's \`NODE_OPTIONS\` (read from the
  Dockerfile). Result: **${passed ? "PASS" : "FAIL"}**

${figureTable(figures)}

**What runs.** \`runDaemon\` (\`src/daemon/daemon.ts\`) in a fresh Node process (\`bench/daemon-worker.ts\`), one tenant
with ${thousands(job.stores.length)} ESL stores on \`schedule: { every: ${job.intervalMs / 1000}s, jitter: ${job.jitterMs / 1000}s }\`: one
timetable of every store's next tick (\`src/daemon/timetable.ts\`) and one fiber sleeping to the earliest, each tick
at the store's stable offset, so ${thousands(job.stores.length)} ticks fall in the
first ${job.jitterMs / 1000} s of every ${job.intervalMs / 1000} s interval (about ${thousands((job.stores.length / job.jitterMs) * 1000)} a second) and the last
${(job.intervalMs - job.jitterMs) / 1000} s are idle. Every tick takes its per-tick lease and runs a full \`syncStore\` pass
(store lock, run record, watermark, change detection, record, alerts) against in-memory services whose source table
is empty, so each pass is \`skipped\`: the trivial work. The status server listens; \`/metrics\` is read at the end. The
services are the memory Layers of \`layers/\`; the memory RunStore keeps only the newest ${KEPT_RUNS} finished run
records (its \`keepRuns\` option), since the production RunStore keeps that history in PostgreSQL, not in the
daemon's memory. Expired leases are dropped by the memory RunStore itself.

**How it is measured.** After a warm-up of ${job.warmupMs / 1000} s (config load, first ticks), from the next interval
boundary for ${job.intervals} intervals (${spanMs / 1000} s): lateness is the schedule's wake-up time
(\`Clock.currentTimeMillis\` right after its sleep, the clock the tick time comes from, so in whole milliseconds)
minus the tick's scheduled time, for every tick due in that span, as the daemon hands it to
\`DaemonOptions.onTick\` (and records it in \`storeflow_tick_lateness_seconds\`). "Early" ticks are Node timers
that fired up to a millisecond before their time (a timer counts from the event loop's cached clock); the schedule
then still moves on to the next tick, never the same one twice. Idle
CPU is \`process.cpuUsage()\` over the part of each interval where no store's tick is due, ${job.idleMarginMs / 1000} s clear of
the last tick before and of the first after. Peak RSS is the kernel's peak for the process's whole life, start included.

| memory | time from measuring | RSS | V8 heap used | V8 heap total | of which young generation | old space |
|---|---|---|---|---|---|---|
${memoryRows.join("\n")}

V8 sizes its heap from the machine's memory: by default it grows the young generation up to its maximum (128 MiB on
this host) while the process allocates at a steady rate, and lets old space fill to a multiple of the live heap before a
full collection; both count in the RSS, though the live data is far smaller. The image's \`NODE_OPTIONS\` bound both
(the "default flags" row shows the difference). Other flags can be tried with
\`BENCH_NODE_OPTIONS="…" npm run bench -- daemon\` (added after the image's).`
  return { id: "daemon", body, passed }
}
