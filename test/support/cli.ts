import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { layerMemory } from "../../layers/run-store/memory.ts"
import { eslTenantLayer, etlTenantLayer } from "../../layers/tenant.ts"
import { type CliLayers, runCli } from "../../src/cli/main.ts"
import type { Env } from "../../src/config/load.ts"

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const text = (args: ReadonlyArray<unknown>) => args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")

/**
 * Runs the storeflow CLI in-process (so coverage sees it) with captured output. The RunStore defaults to a fresh
 * in-memory one; pass `runStore` to share state between calls.
 */
export const cli = (
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Env
    readonly runStore?: CliLayers["runStore"]
    readonly eslTenant?: CliLayers["eslTenant"]
    readonly etlTenant?: CliLayers["etlTenant"]
  } = {}
): Effect.Effect<CliResult> => {
  const out: Array<string> = []
  const err: Array<string> = []
  const console: Console.Console = Object.assign(Object.create(globalThis.console), {
    log: (...a: ReadonlyArray<unknown>) => out.push(text(a)),
    info: (...a: ReadonlyArray<unknown>) => out.push(text(a)),
    error: (...a: ReadonlyArray<unknown>) => err.push(text(a)),
    warn: (...a: ReadonlyArray<unknown>) => err.push(text(a))
  })
  const layers: CliLayers = {
    runStore: options.runStore ?? layerMemory,
    eslTenant: options.eslTenant ?? eslTenantLayer,
    etlTenant: options.etlTenant ?? etlTenantLayer
  }
  return runCli(args, layers, options.env ?? {}).pipe(
    Effect.map((code) => ({ code, stdout: out.join("\n"), stderr: err.join("\n") })),
    Effect.provideService(Console.Console, console),
    Effect.provide(NodeServices.layer)
  )
}

/** A RunStore Layer built once, so several CLI calls (and the test) see the same state. */
export const sharedRunStore = Layer.fresh(layerMemory)
