import { Config, Console, Effect, type Layer, Option, Queue, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { parseDuration } from "../domain/fields.ts"
import type { RunStore } from "../services/RunStore.ts"
import type { EslTenantLayer } from "./esl.ts"
import type { EtlTenantLayer } from "./etl.ts"
import { CliEnv, root } from "./shared.ts"

let daemonModule: typeof import("../daemon/daemon.ts") | undefined

/**
 * The daemon's code (its schedules, status server and the ETL stages) loads when a daemon starts, so that one-off
 * commands such as `esl sync` do not pay for it.
 */
export const loadDaemon = Effect.promise(async () => {
  daemonModule ??= await import("../daemon/daemon.ts")
  return daemonModule
})

/** The status server's address parser, loaded with it. */
export const loadParseListen = Effect.promise(() => import("../daemon/http.ts")).pipe(
  Effect.map((http) => http.parseListen)
)

/** Whether a daemon of this process stopped cleanly after draining its runs (the process then exits 0). */
export const daemonStoppedGracefully = (): boolean => daemonModule?.shutdown.graceful === true

/** SIGHUP as a stream of reload requests. */
export const sighup: Stream.Stream<void> = Stream.callback<void>((queue) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const listener = () => {
        Queue.offerUnsafe(queue, undefined)
      }
      process.on("SIGHUP", listener)
      return listener
    }),
    (listener) => Effect.sync(() => process.off("SIGHUP", listener))
  )
)

export const daemonCommand = (
  layers: {
    readonly esl: EslTenantLayer
    readonly etl: EtlTenantLayer
    readonly runStore: Layer.Layer<RunStore, unknown>
  },
  reloads: Stream.Stream<void> = sighup
) =>
  Command.make(
    "daemon",
    {
      tenant: Flag.String("tenant").pipe(
        Flag.withDescription("Only this tenant (repeat for several); default: every tenant"),
        Flag.atLeast(0)
      ),
      listen: Flag.String("listen").pipe(
        Flag.withDescription(
          "Status server address (host:port) for /healthz /readyz /status /metrics; 'off' to disable"
        ),
        Flag.withDefault("127.0.0.1:9464")
      ),
      shutdownTimeout: Flag.String("shutdown-timeout").pipe(
        Flag.withDescription("How long in-flight runs may finish after SIGTERM/SIGINT (e.g. 30s)"),
        Flag.withDefault("30s"),
        Flag.filterMap(
          (text) => Option.fromNullishOr(parseDuration(text)),
          (text) => `--shutdown-timeout "${text}" is not a duration (write e.g. 30s, 2m)`
        )
      )
    },
    ({ tenant, listen, shutdownTimeout }) =>
      Effect.gen(function* () {
        const { tenantsDir } = yield* root
        const env = yield* CliEnv
        const parseListen = yield* loadParseListen
        const { runDaemon } = yield* loadDaemon
        const address = listen === "off" ? undefined : parseListen(listen)
        if (listen !== "off" && address === undefined) {
          return yield* Effect.fail(new Error(`--listen "${listen}" is not host:port (e.g. 127.0.0.1:9464) or off`))
        }
        const statusToken = yield* Config.option(Config.Redacted("STOREFLOW_STATUS_TOKEN"))
        return yield* runDaemon({
          tenantsDir,
          only: tenant,
          env: env.vars,
          listen: address,
          shutdownTimeout,
          statusToken: Option.getOrUndefined(statusToken),
          eslLayer: layers.esl,
          etlLayer: layers.etl,
          report: (line) => Console.log(line),
          reloads,
          onListening: (port) => Console.log(`status: http://${address?.host ?? "127.0.0.1"}:${port}/status`)
        })
      }).pipe(Effect.scoped, Effect.provide(layers.runStore))
  ).pipe(
    Command.withDescription(
      "Run every tenant's ESL syncs and ETL jobs on their schedules (SIGHUP reloads the config, SIGTERM stops cleanly)"
    )
  )
