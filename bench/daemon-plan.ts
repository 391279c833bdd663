/** What the daemon benchmark's parent and its measured process agree on: the job, the answer, the tenant, the gaps. */

export interface DaemonJob {
  readonly tenantsDir: string
  readonly tenant: string
  readonly company: string
  readonly stores: ReadonlyArray<string>
  readonly intervalMs: number
  readonly jitterMs: number
  /** From the start until measuring: the daemon loads the tenant and every store ticks once. */
  readonly warmupMs: number
  /** Whole intervals measured, from an interval boundary. */
  readonly intervals: number
  /** Kept clear of the gap's edges: the runs of the last ticks before it finish, nothing is due yet at its end. */
  readonly idleMarginMs: number
  /** After the last measured interval, for its last runs to finish. */
  readonly graceMs: number
  /** Ticks later than this are listed with their time, to tell a few long stalls from a generally slow loop. */
  readonly lateMs: number
}

export interface MemoryPoint {
  readonly when: string
  readonly at: number
  readonly rssBytes: number
  readonly heapUsedBytes: number
  readonly heapTotalBytes: number
  readonly externalBytes: number
  /** V8's young generation (both semi-spaces) and old space, as reserved. */
  readonly newSpaceBytes: number
  readonly oldSpaceBytes: number
}

export interface IdleWindow {
  readonly from: number
  readonly to: number
  readonly cpuMs: number
  readonly wallMs: number
}

export interface GcStats {
  readonly count: number
  readonly totalMs: number
  readonly maxMs: number
}

export interface DaemonResult {
  /** The measured process's Node flags: the image's, or none, then `BENCH_NODE_OPTIONS`. */
  readonly nodeFlags: ReadonlyArray<string>
  readonly startRssBytes: number
  /** From `runDaemon` to its start line: config load and decode, every store on the timetable. */
  readonly startupMs: number
  readonly measureFrom: number
  readonly measureTo: number
  readonly ticks: number
  readonly ticksOutside: number
  /** Ticks whose schedule woke before the scheduled time (a timer firing a millisecond early). */
  readonly early: number
  /** Wake-up time minus scheduled time of every tick due in the measured intervals, in milliseconds. */
  readonly lateness: ReadonlyArray<number>
  /** The ticks later than `lateMs` (at most 5,000), with when they were due. */
  readonly late: ReadonlyArray<{ readonly at: number; readonly lateMs: number }>
  readonly idle: ReadonlyArray<IdleWindow>
  /** CPU time (user + system) over the measured intervals, busy and idle parts together, in milliseconds. */
  readonly cpuMs: number
  /** GC pauses in the measured intervals, by kind. */
  readonly gc: Readonly<Record<string, GcStats>>
  /** After the warm-up, at the start of each idle window (right after the busy part), at the end. */
  readonly memory: ReadonlyArray<MemoryPoint>
  /** Run lines by status (`skipped`, `succeeded`, `failed`, …). */
  readonly statuses: Readonly<Record<string, number>>
  readonly otherLines: ReadonlyArray<string>
  /** The daemon's tick lateness histogram and skipped-tick counters, as /metrics served them at the end. */
  readonly metrics: ReadonlyArray<string>
  /** The kernel's peak resident set size of the process over its whole life, in bytes. */
  readonly maxRssBytes: number
}

/**
 * How many finished run records the daemon's memory RunStore keeps: the production RunStore keeps that history in
 * PostgreSQL, not in the daemon's process, so a benchmark of the daemon's memory must not count it.
 */
export const KEPT_RUNS = 10

export const storeCodes = (count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, i) => `S${String(i + 1).padStart(5, "0")}`)

/** ESL only, every store on one interval with a jitter; the empty `items` table is the benchmark's memory source. */
export const tenantYaml = (job: Pick<DaemonJob, "tenant" | "company" | "stores" | "intervalMs" | "jitterMs">) => `
id: ${job.tenant}
name: Daemon benchmark
timezone: Asia/Seoul
source:
  url: postgres://unused
esl:
  api: { base_url: "http://unused", username: u, password: p }
  company: ${job.company}
  stores:
${job.stores.map((code) => `    - ${code}`).join("\n")}
  source: { table: items, change_column: updated_at, key_column: item_code, store_column: store_code }
  mapping: { article_id: item_code, article_name: item_name, data: { PRICE: { column: price, format: price } } }
  schedule: { every: ${job.intervalMs / 1000}s, jitter: ${job.jitterMs / 1000}s }
`

/**
 * The stretch of each interval in `[from, to)` where no tick is due: the widest gap between the stores' offsets
 * (circularly), less `margin` at both ends.
 */
export const idleWindows = (
  from: number,
  to: number,
  intervalMs: number,
  offsets: ReadonlyArray<number>,
  marginMs: number
): ReadonlyArray<{ readonly from: number; readonly to: number }> => {
  const sorted = [...offsets].sort((a, b) => a - b)
  let gapStart = 0
  let gapEnd = intervalMs
  if (sorted.length > 0) {
    let widest = -1
    sorted.forEach((offset, i) => {
      const next = i + 1 < sorted.length ? (sorted[i + 1] ?? 0) : (sorted[0] ?? 0) + intervalMs
      if (next - offset > widest) {
        widest = next - offset
        gapStart = offset
        gapEnd = next
      }
    })
  }
  const windows: Array<{ from: number; to: number }> = []
  for (let k = from; k < to; k += intervalMs) {
    const window = { from: k + gapStart + marginMs, to: k + gapEnd - marginMs }
    if (window.to > window.from && window.to <= to) windows.push(window)
  }
  return windows
}
