import type { Effect, Scope } from "effect"
import type { BenchServer } from "./postgres.ts"
import type { BenchSection } from "./report.ts"

/** What bench/run.ts hands every benchmark. */
export interface BenchContext {
  /** The PostgreSQL server to create (and drop) databases on. */
  readonly server: BenchServer
  /** The command line as it will be printed (passwords masked). */
  readonly command: string
  /** Progress on stderr; BENCHMARKS.md gets only the section. */
  readonly log: (line: string) => void
}

/**
 * One benchmark: its id names its BENCHMARKS.md section and selects it on the command line
 * (`npm run bench -- <id>`). It answers its section; resources it opens belong to the scope.
 */
export interface BenchModule {
  readonly id: string
  readonly title: string
  readonly run: (context: BenchContext) => Effect.Effect<BenchSection, unknown, Scope.Scope>
}
