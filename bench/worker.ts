import { readFileSync } from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { getHeapSpaceStatistics } from "node:v8"

/** The child side of `runWorker`: one job in over IPC, one answer back, with the process's memory peak. */

export interface Memory {
  /** The kernel's peak resident set size of this process over its whole life (`getrusage` maxrss), in bytes. */
  readonly maxRssBytes: number
  /** The largest `process.memoryUsage().rss` seen by a 10 ms sampler while the job ran, in bytes. */
  readonly sampledPeakRssBytes: number
  readonly samples: number
  /** The RSS when the job arrived: the process with its modules loaded, before any work, in bytes. */
  readonly startRssBytes: number
  /** `process.memoryUsage()` at the sampled peak: where the resident memory was (heap, buffers, …). */
  readonly atPeak: NodeJS.MemoryUsage
  /** V8's young generation (both semispaces) at the sampled peak, in bytes: it grows while many objects survive. */
  readonly newSpaceAtPeakBytes: number
  /** CPU time (user + system) the process spent while the job ran, in milliseconds. */
  readonly cpuMs: number
  /** CPU time of every process of the machine while the job ran (\`machineBusyMs\`), in milliseconds. */
  readonly machineBusyMs: number
  /** How late timers ran while the job ran (event loop blocked by synchronous work), in milliseconds. */
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number }
}

/**
 * CPU time every process of the machine has used so far (Linux \`/proc/stat\`: user, nice, system, irq, softirq), in
 * milliseconds; NaN elsewhere. Over a pass it shows how much of the machine's cores the pass kept busy, PostgreSQL's
 * server and the simulator included.
 */
export const machineBusyMs = (): number => {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields
    return (user + nice + system + irq + softirq) * 10
  } catch {
    return Number.NaN
  }
}

/** Samples the RSS every `everyMs` while the event loop is free; the kernel's `maxRSS` covers the gaps. */
const sampler = (everyMs = 10) => {
  const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0
  let atPeak = process.memoryUsage()
  let newSpaceAtPeakBytes = newSpace()
  const startRssBytes = atPeak.rss
  let samples = 1
  const cpu = process.cpuUsage()
  const busy = machineBusyMs()
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const timer = setInterval(() => {
    samples += 1
    if (process.memoryUsage.rss() > atPeak.rss) {
      atPeak = process.memoryUsage()
      newSpaceAtPeakBytes = newSpace()
    }
  }, everyMs)
  timer.unref()
  return {
    stop: (): Memory => {
      clearInterval(timer)
      const now = process.memoryUsage()
      if (now.rss > atPeak.rss) {
        atPeak = now
        newSpaceAtPeakBytes = newSpace()
      }
      const used = process.cpuUsage(cpu)
      delay.disable()
      const loopDelayMs = {
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6
      }
      return {
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        sampledPeakRssBytes: atPeak.rss,
        startRssBytes,
        samples,
        atPeak,
        newSpaceAtPeakBytes,
        cpuMs: (used.user + used.system) / 1000,
        machineBusyMs: machineBusyMs() - busy,
        loopDelayMs
      }
    }
  }
}

/** Runs `handle` on the job the parent sends, answers `{ ok, result | error }` and exits. */
export const serveJob = <Job, Result>(handle: (job: Job) => Promise<Result>): void => {
  process.once("message", (job) => {
    const memory = sampler()
    handle(job as Job).then(
      (result) => process.send?.({ ok: true, result: { ...result, memory: memory.stop() } }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1)
        )
    )
  })
}
