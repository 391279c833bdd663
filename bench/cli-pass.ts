import * as NodeServices from "@effect/platform-node/NodeServices"
import { Console, Effect, Redacted } from "effect"
import { layerPostgres as layerRunStore } from "../layers/run-store/postgres.ts"
import { eslTenantLayer, etlTenantLayer } from "../layers/tenant.ts"
import { runCli } from "../src/cli/main.ts"

export interface CliPassResult {
  /** From the call to the exit code: config load, pools, migrations check, the command's work. */
  readonly wallMs: number
  readonly code: number
  readonly stdout: string
  readonly stderr: ReadonlyArray<string>
}

/**
 * A storeflow command through the CLI's own entry (`runCli`), as `storeflow …` runs it, with the PostgreSQL RunStore
 * at `stateUrl` and the real tenant Layers; its output captured, timed from the call to its exit code.
 */
export const cliPass = (args: ReadonlyArray<string>, env: Record<string, string>, stateUrl: string) =>
  Effect.gen(function* () {
    const out: Array<string> = []
    const err: Array<string> = []
    const capture =
      (into: Array<string>) =>
      (...a: ReadonlyArray<unknown>) =>
        void into.push(a.map(String).join(" "))
    const console: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: capture(out),
      info: capture(out),
      error: capture(err),
      warn: capture(err)
    })
    const layers = {
      runStore: layerRunStore({ url: Redacted.make(stateUrl) }),
      eslTenant: eslTenantLayer,
      etlTenant: etlTenantLayer
    }
    const start = performance.now()
    const code = yield* runCli(args, layers, env).pipe(
      Effect.provideService(Console.Console, console),
      Effect.provide(NodeServices.layer)
    )
    return { wallMs: performance.now() - start, code, stdout: out.join("\n"), stderr: err } satisfies CliPassResult
  })
