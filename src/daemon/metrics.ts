/**
 * The daemon's Prometheus metrics (the contract otel/README.md documents and the Grafana dashboard reads). A small
 * registry of its own: counters and histograms keyed by label sets, rendered in the text exposition format.
 */

type Labels = Readonly<Record<string, string>>

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",")

interface Counter {
  readonly kind: "counter"
  readonly help: string
  readonly values: Map<string, number>
}

interface Histogram {
  readonly kind: "histogram"
  readonly help: string
  readonly buckets: ReadonlyArray<number>
  readonly values: Map<string, { counts: Array<number>; sum: number; count: number }>
}

export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
export const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600]
export const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]

export class Metrics {
  private readonly families = new Map<string, Counter | Histogram>()
  // Label sets repeat at every run (a few jobs, statuses, tenants, stores): each is rendered once.
  private readonly keys = new Map<string, string>()

  constructor() {
    this.counter("storeflow_runs_total", "Runs by job and status")
    this.counter("storeflow_records_synced_total", "Articles accepted by the ESL API")
    this.counter("storeflow_skipped_ticks_total", "Scheduled ticks skipped because the previous run was still going")
    this.counter("storeflow_errors_total", "Failed runs by error type")
    this.histogram("storeflow_esl_api_latency_seconds", "ESL API answer times (p50/p95/max per run)", LATENCY_BUCKETS)
    this.histogram("storeflow_job_duration_seconds", "Run duration by job", DURATION_BUCKETS)
    this.histogram(
      "storeflow_tick_lateness_seconds",
      "How long after its scheduled time the daemon woke up for a tick",
      LATENESS_BUCKETS
    )
  }

  private counter(name: string, help: string) {
    this.families.set(name, { kind: "counter", help, values: new Map() })
  }

  private histogram(name: string, help: string, buckets: ReadonlyArray<number>) {
    this.families.set(name, { kind: "histogram", help, buckets, values: new Map() })
  }

  private keyOf(labels: Labels): string {
    let id = ""
    for (const name in labels) id += `${name}\u0000${labels[name]}\u0001`
    let key = this.keys.get(id)
    if (key === undefined) {
      key = labelKey(labels)
      this.keys.set(id, key)
    }
    return key
  }

  inc(name: string, labels: Labels, by = 1): void {
    const family = this.families.get(name)
    if (family?.kind !== "counter") throw new Error(`no counter ${name}`)
    const key = this.keyOf(labels)
    family.values.set(key, (family.values.get(key) ?? 0) + by)
  }

  observe(name: string, labels: Labels, value: number): void {
    const family = this.families.get(name)
    if (family?.kind !== "histogram") throw new Error(`no histogram ${name}`)
    const key = this.keyOf(labels)
    const entry = family.values.get(key) ?? { counts: family.buckets.map(() => 0), sum: 0, count: 0 }
    family.buckets.forEach((bound, i) => {
      if (value <= bound) entry.counts[i] = (entry.counts[i] ?? 0) + 1
    })
    entry.sum += value
    entry.count += 1
    family.values.set(key, entry)
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const lines: Array<string> = []
    for (const [name, family] of this.families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.kind}`)
      if (family.kind === "counter") {
        for (const [key, value] of family.values) lines.push(`${name}${key === "" ? "" : `{${key}}`} ${value}`)
        continue
      }
      for (const [key, entry] of family.values) {
        const sep = key === "" ? "" : ","
        family.buckets.forEach((bound, i) => {
          lines.push(`${name}_bucket{${key}${sep}le="${bound}"} ${entry.counts[i] ?? 0}`)
        })
        lines.push(`${name}_bucket{${key}${sep}le="+Inf"} ${entry.count}`)
        lines.push(`${name}_sum${key === "" ? "" : `{${key}}`} ${entry.sum}`)
        lines.push(`${name}_count${key === "" ? "" : `{${key}}`} ${entry.count}`)
      }
    }
    return `${lines.join("\n")}\n`
  }
}
