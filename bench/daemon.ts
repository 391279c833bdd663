/**
 * Daemon benchmark: 10,000 ESL store schedules in one daemon process with trivial work (every pass finds nothing).
 * Measures, in a fresh child process: peak RSS, CPU while no tick is due, and how late each tick wakes up.
 */
import { Effect } from "effect"
import { type DaemonJob, type DaemonResult, storeCodes, tenantYaml } from "./daemon-plan.ts"
import { daemonSection } from "./daemon-section.ts"
import type { BenchModule } from "./module.ts"
import { imageNodeFlags } from "./node-flags.ts"
import { runWorker } from "./processes.ts"
import { load as loadAverage } from "./report.ts"
import { scratchTenants } from "./tenants.ts"

export const STORES = 10_000
export const INTERVAL_MS = 30_000
/** Less than the interval: every interval ends with a stretch where no tick is due, to measure idle CPU in. */
export const JITTER_MS = 20_000
export const INTERVALS = 3

const job = (tenantsDir: string): DaemonJob => ({
  tenantsDir,
  tenant: "bench",
  company: "BENCH",
  stores: storeCodes(STORES),
  intervalMs: INTERVAL_MS,
  jitterMs: JITTER_MS,
  warmupMs: INTERVAL_MS,
  intervals: INTERVALS,
  idleMarginMs: 1_000,
  graceMs: 2_000,
  lateMs: 100
})

export const daemonBenchmark: BenchModule = {
  id: "daemon",
  title: "Daemon schedules",
  run: (context) =>
    Effect.gen(function* () {
      const date = new Date()
      const loadStart = loadAverage()
      const dir = yield* scratchTenants("storeflow-bench-daemon-", [["bench", tenantYaml(job(""))]])
      context.log(
        `${STORES.toLocaleString("en-US")} store schedules, every ${INTERVAL_MS / 1000} s: warm-up, then ${INTERVALS} intervals`
      )
      // As deployed (the image's NODE_OPTIONS), then once more with Node's defaults, for comparison.
      const result = yield* runWorker<DaemonResult>("daemon-worker.ts", job(dir), imageNodeFlags())
      context.log("once more with Node's default flags, for comparison")
      const defaults = yield* runWorker<DaemonResult>("daemon-worker.ts", job(dir))
      return daemonSection({
        date,
        loads: { start: loadStart, end: loadAverage() },
        command: context.command,
        postgres: context.server.version,
        job: job(dir),
        result,
        defaults
      })
    })
}
