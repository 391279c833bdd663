import { availableParallelism, cpus, loadavg, totalmem } from "node:os"

/** One benchmark's part of BENCHMARKS.md, between its own markers, so benchmarks rewrite only their section. */
export interface BenchSection {
  /** Names the markers: `<!-- bench:<id>:start -->` … `<!-- bench:<id>:end -->`. */
  readonly id: string
  /** Markdown, starting with the section's `## ` heading. */
  readonly body: string
  /** Whether every target of the section was met. */
  readonly passed: boolean
}

export const FILE_HEADER = `# Benchmarks

Written by \`npm run bench\` (\`bench/run.ts\`): each section below is rewritten by its own benchmark, the others are
kept as they were. Performance targets are checked here, never in timed unit tests. Run one benchmark with
\`npm run bench -- <id>\`.
`

const marker = (id: string, edge: "start" | "end") => `<!-- bench:${id}:${edge} -->`

/**
 * The file with `section` in place of its previous version, or appended when the file has none. Text outside the
 * markers (other benchmarks' sections, notes written by hand) is kept.
 */
export const mergeSection = (existing: string | undefined, section: BenchSection): string => {
  const block = `${marker(section.id, "start")}\n${section.body.trim()}\n${marker(section.id, "end")}`
  const text = existing === undefined || existing.trim() === "" ? FILE_HEADER : existing
  const start = text.indexOf(marker(section.id, "start"))
  const end = text.indexOf(marker(section.id, "end"))
  if (start !== -1 && end > start) {
    return text.slice(0, start) + block + text.slice(end + marker(section.id, "end").length)
  }
  return `${text.trimEnd()}\n\n${block}\n`
}

/** What every section states about where its figures come from. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly ramGiB: number
  readonly node: string
  readonly postgres: string
}

export const machine = (postgres: string): Machine => ({
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  cores: availableParallelism(),
  ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  postgres
})

/** A connection URL fit to print: the password, if any, is masked. */
export const printableUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "(not a URL)"
  }
}

/** The 1-minute load average now: other work on the machine takes cores from the measured processes. */
export const load = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100

export const machineLines = (
  m: Machine,
  command: string,
  date: Date,
  loads: { readonly start: number; readonly end: number }
): string =>
  [
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM`,
    `- Node ${m.node}; PostgreSQL ${m.postgres}`,
    `- Command: \`${command}\``,
    `- Date: ${date.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `- Load average (1 min) at start / end: ${loads.start} / ${loads.end}, on ${m.cores} cores`
  ].join("\n")

/** A figure with its target: the row of a results table. */
export interface Figure {
  readonly name: string
  readonly value: string
  readonly target: string
  /** `undefined` for figures reported without a target. */
  readonly passed: boolean | undefined
}

export const figureTable = (figures: ReadonlyArray<Figure>): string =>
  [
    "| figure | measured | target | result |",
    "|---|---|---|---|",
    ...figures.map(
      (f) => `| ${f.name} | ${f.value} | ${f.target} | ${f.passed === undefined ? "—" : f.passed ? "PASS" : "FAIL"} |`
    )
  ].join("\n")

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

export const fixed = (n: number, digits = 1): string => n.toFixed(digits)
export const thousands = (n: number): string => Math.round(n).toLocaleString("en-US")
export const mib = (bytes: number): string => `${fixed(bytes / 1024 ** 2, 0)} MiB`
