import type { CeilingResult } from "./esl-ceiling.ts"
import type { CliPass, IdleResult, PlanNode } from "./esl-worker.ts"
import { flagsText } from "./node-flags.ts"
import type { BenchServer } from "./postgres.ts"
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
import type { Memory } from "./worker.ts"

export interface EslFigures {
  readonly date: Date
  readonly loads: { readonly start: number; readonly end: number }
  /** The bench database's default collation (\`datcollate\`). */
  readonly collation: string
  readonly command: string
  readonly server: BenchServer
  readonly loadMs: number
  readonly bigLoadMs: number
  readonly indexBuildMs: number
  readonly rows: number
  readonly bigRows: number
  /** One entry per round. */
  /** The Node flags of the storeflow processes: the container image's. */
  readonly flags: ReadonlyArray<string>
  /** One more delivery with Node's default flags, for comparison. */
  readonly defaults: EslFigures["endToEnd"][number]
  readonly endToEnd: ReadonlyArray<{
    readonly pass: CliPass & { memory: Memory }
    readonly stats: { readonly articleWrites: number }
    readonly simulatorCpuMs: number
  }>
  readonly ceiling: ReadonlyArray<{
    readonly result: CeilingResult & { memory: Memory }
    readonly stats: { readonly articleWrites: number }
    readonly simulatorCpuMs: number
  }>
  readonly plain: IdleResult & { memory: Memory }
  readonly indexed: IdleResult & { memory: Memory }
}

export const RSS_LIMIT_BYTES = 300 * 1000 * 1000
export const RATIO_TARGET = 0.5
export const IDLE_PASS_LIMIT_MS = 100
export const CHANGE_INDEX = "esl_items_big_esl_change"

const mb = (bytes: number) => `${fixed(bytes / 1e6, 0)} MB`
const ms = (n: number) => `${fixed(n, 1)} ms`
const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

const describePlan = (nodes: ReadonlyArray<PlanNode>) =>
  nodes.map((n) => (n.index === undefined ? n.type : `${n.type} using ${n.index}`)).join(" → ")

const usesIndex = (nodes: ReadonlyArray<PlanNode>, index: string) =>
  nodes.some((n) => n.index === index && n.type.startsWith("Index")) && !nodes.some((n) => n.type === "Seq Scan")

/** The first pass of a process opens its connections' caches (catalog, plans): reported apart from the rest. */
const idleStats = (result: IdleResult) => {
  const [first, ...warm] = result.passes
  const times = warm.map((p) => p.ms)
  return {
    count: times.length,
    first: first?.ms ?? Number.NaN,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    max: Math.max(...times),
    detectP50: percentile(
      warm.map((p) => p.detectMs),
      50
    ),
    allSkipped: result.passes.every((p) => p.status === "skipped")
  }
}

const secs = (n: number) => `${fixed(n / 1000, 2)} s`

export const eslSection = (f: EslFigures): BenchSection => {
  const rounds = f.endToEnd.map(({ pass, stats, simulatorCpuMs }) => {
    const accepted = sum(pass.stores.map((s) => s.counts.accepted))
    return {
      pass,
      accepted,
      stored: stats.articleWrites,
      simulatorCpuMs,
      rate: f.rows / (pass.wallMs / 1000),
      delivered:
        pass.code === 0 &&
        pass.stores.length === 10 &&
        pass.stores.every((s) => s.status === "succeeded") &&
        accepted === f.rows &&
        stats.articleWrites === f.rows
    }
  })
  const ceilings = f.ceiling.map(({ result, stats, simulatorCpuMs }) => ({
    result,
    stored: stats.articleWrites,
    simulatorCpuMs,
    rate: result.articles / (result.wallMs / 1000)
  }))
  const best = rounds.reduce((a, b) => (b.rate > a.rate ? b : a))
  const bestCeiling = ceilings.reduce((a, b) => (b.rate > a.rate ? b : a))
  const pass = best.pass
  const ratio = best.rate / bestCeiling.rate
  const plain = idleStats(f.plain)
  const indexed = idleStats(f.indexed)
  const indexUsed = usesIndex(f.indexed.explain.nodes, CHANGE_INDEX)
  const peakSync = Math.max(...rounds.map((r) => r.pass.memory.maxRssBytes))
  const peakIdle = f.indexed.memory.maxRssBytes
  const allDelivered = rounds.every((r) => r.delivered)
  const allStored = ceilings.every((c) => c.stored === f.rows)

  const figures: Array<Figure> = [
    {
      name: `Delivery: ${thousands(f.rows)} rows, 10 stores, one \`esl sync\` pass (${rounds.length} rounds)`,
      value: rounds
        .map(
          (r) =>
            `${thousands(r.accepted)} accepted / ${thousands(r.stored)} stored / ${r.pass.stores.filter((s) => s.status === "succeeded").length} stores succeeded`
        )
        .join("; "),
      target: "every row delivered, every round",
      passed: allDelivered
    },
    {
      name: "End-to-end rate (PostgreSQL → simulator over HTTP), best round",
      value: `${thousands(best.rate)} rows/s (${secs(pass.wallMs)}; rounds: ${rounds.map((r) => secs(r.pass.wallMs)).join(", ")})`,
      target: "—",
      passed: undefined
    },
    {
      name: "Ceiling: bare fetch loop, same articles, batch and concurrency, best round",
      value: `${thousands(bestCeiling.rate)} rows/s (${secs(bestCeiling.result.wallMs)}; rounds: ${ceilings.map((c) => secs(c.result.wallMs)).join(", ")}; ${bestCeiling.result.requests} PUTs)`,
      target: "every article stored, every round",
      passed: allStored
    },
    {
      name: "End-to-end / ceiling",
      value: `${fixed(ratio * 100, 1)} %`,
      target: `≥ ${RATIO_TARGET * 100} %`,
      passed: ratio >= RATIO_TARGET
    },
    {
      name: `No-change pass per store, ${thousands(f.bigRows)}-row table, recommended index (${indexed.count} passes after the process's first)`,
      value: `p50 ${ms(indexed.p50)}, p95 ${ms(indexed.p95)}, max ${ms(indexed.max)}; first pass of the process ${ms(indexed.first)}${indexed.allSkipped ? "; all skipped" : "; NOT all skipped"}`,
      target: `every pass skipped, p95 < ${IDLE_PASS_LIMIT_MS} ms`,
      passed: indexed.allSkipped && indexed.p95 < IDLE_PASS_LIMIT_MS
    },
    {
      name: "Detect query plan (EXPLAIN ANALYZE)",
      value: `${describePlan(f.indexed.explain.nodes)}; ${ms(f.indexed.explain.executionMs)}`,
      target: `index scan on \`${CHANGE_INDEX}\`, no Seq Scan`,
      passed: indexUsed
    },
    {
      name: "Peak RSS, storeflow process of the delivery pass (highest round)",
      value: `${mb(peakSync)} (sampled every 10 ms: ${mb(pass.memory.sampledPeakRssBytes)})`,
      target: "< 300 MB",
      passed: peakSync < RSS_LIMIT_BYTES
    },
    {
      name: "The same delivery with Node's default flags: wall; peak RSS",
      value: `${secs(f.defaults.pass.wallMs)}; ${mb(f.defaults.pass.memory.maxRssBytes)}`,
      target: "— (comparison: the image sets the flags)",
      passed: undefined
    },
    {
      name: "Peak RSS, storeflow process of the no-change passes",
      value: `${mb(peakIdle)} (sampled: ${mb(f.indexed.memory.sampledPeakRssBytes)})`,
      target: "< 300 MB",
      passed: peakIdle < RSS_LIMIT_BYTES
    }
  ]
  const passed = figures.every((figure) => figure.passed !== false)

  const stageNames = ["extract", "validate", "transform", "send", "commit", "record"] as const
  const stageLine = stageNames
    .map((stage) => `${stage} ${fixed(sum(pass.stores.map((s) => s.stageMs[stage] ?? 0)) / 1000, 1)} s`)
    .join(", ")
  const durations = pass.stores.map((s) => s.durationMs)
  const loop = pass.memory.loopDelayMs
  const atPeak = pass.memory.atPeak

  const body = `## ESL sync

${machineLines(machine(f.server.version), f.command, f.date, f.loads)}
- PostgreSQL server: ${f.server.origin}; one fresh database, dropped afterwards.
- Node flags of the storeflow processes: ${flagsText(f.flags)}, the container image's \`NODE_OPTIONS\` (read from the
  Dockerfile); the ceiling loop runs with Node's defaults. Result: **${passed ? "PASS" : "FAIL"}**

${figureTable(figures)}

**What runs.** \`esl_items\`: ${thousands(f.rows)} rows (10 stores × ${thousands(f.rows / 10)}; 8-digit item code, Korean
name, \`numeric(12,2)\` price, store code, one or two barcodes, \`timestamp\` change time shared by four rows at a
time), loaded with one \`INSERT … SELECT generate_series\` in ${fixed(f.loadMs / 1000, 1)} s, indexed as the template
recommends. The tenant uses every default of \`esl:\` (batch_size 500, concurrency 4 per store, store_concurrency 8,
source max_connections 5) and maps three data fields (name ≤ 40, price, change time). The delivery pass is
\`esl sync --tenant bench --json\` through the CLI's own entry (\`runCli\` with the real PostgreSQL SourceDb and
RunStore and \`layerHttpNode\`, the ESL client on Node's HTTP module) in a fresh Node process, timed from the call to its exit code (config load, pools,
migrations check, locks, run records included). State (hashes, watermarks, runs) is in the same database and is
emptied between rounds, so every round delivers all ${thousands(f.rows)} rows. The simulator (\`startSimulator\`, what
\`storeflow esl-sim\` runs, from \`bench/simulator.ts\`) is in a process of its own, fresh for each measurement.

**The ceiling** is a plain \`fetch\` loop in a fresh Node process sending the very articles the sync sends (built
beforehand, untimed, by storeflow's mapping from the same rows, in the same order) to a fresh simulator: one token,
then PUT \`/common/articles\` with 500 articles per call, at most 8 stores at a time (store_concurrency) and at most 4
PUTs in flight per store (concurrency): at most 32 calls in flight, as in the sync. It does no database read,
validation, hashing or state write. Delivery and ceiling alternate, ${rounds.length} rounds each, and the ratio compares
the best of each: other work on the machine takes cores at random moments.

| best round | wall | measured process CPU | simulator CPU | whole machine CPU (all processes) | cores kept busy |
|---|---|---|---|---|---|
| delivery (storeflow) | ${secs(pass.wallMs)} | ${secs(pass.memory.cpuMs)} | ${secs(best.simulatorCpuMs)} | ${secs(pass.memory.machineBusyMs)} | ${fixed(pass.memory.machineBusyMs / pass.wallMs, 2)} of 2 |
| ceiling (fetch loop, its preparation excluded) | ${secs(bestCeiling.result.wallMs)} | ${secs(bestCeiling.result.loopCpuMs)} | ${secs(bestCeiling.simulatorCpuMs)} | ${secs(bestCeiling.result.loopMachineBusyMs)} | ${fixed(bestCeiling.result.loopMachineBusyMs / bestCeiling.result.wallMs, 2)} of 2 |

The whole machine's CPU (Linux \`/proc/stat\`, every process: storeflow, the simulator, the PostgreSQL server, the
benchmark itself) shows what bounds the ratio on this 2-core machine: the delivery costs the machine
${fixed(pass.memory.machineBusyMs / bestCeiling.result.loopMachineBusyMs, 2)}× the CPU time of the ceiling, so even with
both cores busy from start to end it could not take less than ${secs(pass.memory.machineBusyMs / 2)}
(${fixed((bestCeiling.result.wallMs / (pass.memory.machineBusyMs / 2)) * 100, 0)} % of the ceiling's rate). It gets
faster only by doing less work per row, in storeflow (read and decode the rows, check, map, serialize and hash, send,
record) or in PostgreSQL (serve the rows, store the hashes); the ceiling reads nothing, checks nothing and records
nothing. Per-store pass of the best delivery round
${fixed(Math.min(...durations) / 1000, 1)}–${fixed(Math.max(...durations) / 1000, 1)} s; time by stage, summed over the stores
(they overlap): ${stageLine}. Event loop delay p50 ${ms(loop.p50)}, p99 ${ms(loop.p99)}, max ${ms(loop.max)}. At the peak:
heap used ${mb(atPeak.heapUsed)} of ${mb(atPeak.heapTotal)}, external ${mb(atPeak.external)}. The process held
${mb(pass.memory.startRssBytes)} when the job arrived (its modules loaded, nothing read yet). At the peak V8's young
generation took ${mb(pass.memory.newSpaceAtPeakBytes)}. Without the image's flags V8 sizes its heap from the host's
memory: the chunks in flight (up to store_concurrency × concurrency of them) outlive its young-generation collections,
so it grows that generation to its largest size (128 MiB here) and promotes them into the old generation, where they
wait for a full collection (the "default flags" row).

**No-change passes.** \`esl_items_big\`: ${thousands(f.bigRows)} rows (10 stores × ${thousands(f.bigRows / 10)}), loaded in
${fixed(f.bigLoadMs / 1000, 1)} s; every store's watermark set at its last row, as after a full delivery. Each figure is
one \`syncStore\` pass of one store (lock, run record, watermark, horizon, re-queue, detect, record, alerts) with the
tenant's Layers built once, as the daemon keeps them; ${IDLE_ROUNDS_TEXT(f)}. The whole tenant's \`esl sync\` through
the CLI (10 stores, Layers built for the call) took ${ms(f.indexed.cli.wallMs)}.

| index on \`esl_items_big\` | first pass | then: passes | p50 | p95 | max | detect p50 | detect plan |
|---|---|---|---|---|---|---|---|
| primary key + \`(store_code, updated_at, item_code)\` | ${ms(plain.first)} | ${plain.count} | ${ms(plain.p50)} | ${ms(plain.p95)} | ${ms(plain.max)} | ${ms(plain.detectP50)} | ${describePlan(f.plain.explain.nodes)} |
| + \`(store_code COLLATE "C", updated_at, item_code COLLATE "C")\` (built in ${fixed(f.indexBuildMs / 1000, 1)} s) | ${ms(indexed.first)} | ${indexed.count} | ${ms(indexed.p50)} | ${ms(indexed.p95)} | ${ms(indexed.max)} | ${ms(indexed.detectP50)} | ${describePlan(f.indexed.explain.nodes)} |

The detect query, as built by \`layers/source-db/postgres-sql.ts\` for store S01 (values bound as parameters):

\`\`\`sql
${f.indexed.explain.sql}
\`\`\`

Conditions of the scan, with only the plain index: ${conditions(f.plain.explain.nodes)}; with the recommended one:
${conditions(f.indexed.explain.nodes)}.

The PostgreSQL SourceDb compares and orders text in \`COLLATE "C"\` (this database's collation is \`${f.collation}\`). An
index can take such a comparison as an index condition only when its text column is in that collation, so the
recommended index serves the store equality, the row comparison after the watermark and the change bound as one
index condition. An index in another collation leaves the store and key comparisons to a filter: PostgreSQL 15 then
reads the whole table, PostgreSQL 18 can still skip-scan the index on the change column. \`tenants/_template/tenant.yaml\`
tells tenants to create the recommended index.`
  return { id: "esl", body, passed }
}

const conditions = (nodes: ReadonlyArray<PlanNode>) =>
  nodes
    .filter((n) => n.cond !== undefined)
    .map((n) => `\`${n.cond}\``)
    .join(", ") || "none"

const IDLE_ROUNDS_TEXT = (f: EslFigures) =>
  `${f.indexed.passes.length / 10} rounds over the 10 stores with the recommended index, ${f.plain.passes.length / 10} without`
