import { mkdirSync } from "node:fs"
import { resolve } from "node:path"
import { Console, Duration, Effect, type Layer, Option, Redacted, type Scope } from "effect"
import { Command, Flag } from "effect/cli"
import { parseDuration } from "../domain/fields.ts"
import type { RunStore, RunStoreError } from "../services/RunStore.ts"
import { loadDaemon, loadParseListen, sighup } from "./daemon.ts"
import type { EslTenantLayer } from "./esl.ts"
import type { EtlTenantLayer } from "./etl.ts"
import { CliEnv, root } from "./shared.ts"

/** What the demo needs from `layers/`: an embedded PostgreSQL and a state store on a given database. */
export interface DemoLayers {
  readonly postgres: Effect.Effect<
    {
      readonly port: number
      readonly createDatabase: (name: string) => Effect.Effect<Redacted.Redacted<string>, unknown>
    },
    unknown,
    Scope.Scope
  >
  readonly runStoreAt: (url: Redacted.Redacted<string>) => Layer.Layer<RunStore, RunStoreError>
  readonly esl: EslTenantLayer
  readonly etl: EtlTenantLayer
}

/** Tries the preferred port, then any free one: a busy 8090 must not stop the demo. */
const withFallback = <A, E, R>(preferred: number, start: (port: number) => Effect.Effect<A, E, R>) =>
  start(preferred).pipe(Effect.catch(() => start(0)))

export const demoCommand = (layers: DemoLayers) =>
  Command.make(
    "demo",
    {
      listen: Flag.String("listen").pipe(
        Flag.withDescription("Status server address"),
        Flag.withDefault("127.0.0.1:9464")
      ),
      eslPort: Flag.Int("esl-port").pipe(Flag.withDescription("ESL simulator port"), Flag.withDefault(8090)),
      dataDir: Flag.String("data-dir").pipe(
        Flag.withDescription("Where the lake and the DuckDB file go"),
        Flag.withDefault("./.storeflow")
      ),
      changesEvery: Flag.String("changes-every").pipe(
        Flag.withDescription("How often the demo shop changes prices and sells something"),
        Flag.withDefault("5s"),
        Flag.filterMap(
          (text) => Option.fromNullishOr(parseDuration(text)),
          (text) => `--changes-every "${text}" is not a duration`
        )
      )
    },
    ({ listen, eslPort, dataDir, changesEvery }) =>
      Effect.gen(function* () {
        const { tenantsDir } = yield* root
        const env = yield* CliEnv
        // The daemon, the demo shop and the simulator load only for this command.
        const parseListen = yield* loadParseListen
        const { runDaemon } = yield* loadDaemon
        const { generateChanges, seedDemo } = yield* Effect.promise(() => import("../demo/seed.ts"))
        const { startSimulator } = yield* Effect.promise(() => import("../esl/simulator/index.ts"))
        const address = parseListen(listen)
        if (address === undefined) return yield* Effect.fail(new Error(`--listen "${listen}" is not host:port`))
        const data = resolve(dataDir)
        mkdirSync(data, { recursive: true })

        yield* Console.log("storeflow demo: starting an embedded PostgreSQL, the ESL simulator and the daemon …")
        const pg = yield* layers.postgres
        const sourceUrl = yield* pg.createDatabase("demo")
        const stateUrl = yield* pg.createDatabase("storeflow")
        yield* seedDemo(sourceUrl)
        const sim = yield* withFallback(eslPort, (port) =>
          startSimulator({
            port,
            companies: { DEMO: ["S001", "S002", "S003"] },
            credentials: { username: "demo", password: "demo" }
          })
        )
        const vars = {
          ...env.vars,
          STOREFLOW_DEMO_SOURCE_DB_URL: Redacted.value(sourceUrl),
          STOREFLOW_DEMO_LAKE_DIR: resolve(data, "lake"),
          STOREFLOW_DEMO_DUCKDB_PATH: resolve(data, "demo.duckdb"),
          STOREFLOW_DEMO_ESL_URL: sim.url,
          STOREFLOW_DEMO_ESL_PASSWORD: "demo"
        }
        yield* Effect.forkScoped(generateChanges(sourceUrl, changesEvery))
        yield* Console.log(
          [
            `  source + state  embedded PostgreSQL on 127.0.0.1:${pg.port} (databases demo and storeflow)`,
            `  ESL simulator   ${sim.url}  (what it holds: ${sim.url}/__sim/articles?company=DEMO&store=S001)`,
            `  lake            ${vars.STOREFLOW_DEMO_LAKE_DIR}`,
            `  DuckDB          ${vars.STOREFLOW_DEMO_DUCKDB_PATH}`,
            `  shop activity   a few price changes and sales every ${Duration.format(changesEvery)}`,
            "  Ctrl-C stops everything."
          ].join("\n")
        )
        const daemon = (port: number) =>
          runDaemon({
            tenantsDir,
            only: ["demo"],
            env: vars,
            listen: { host: address.host, port },
            shutdownTimeout: Duration.seconds(10),
            statusToken: undefined,
            eslLayer: layers.esl,
            etlLayer: layers.etl,
            report: (line) => Console.log(line),
            reloads: sighup,
            onListening: (p) =>
              Console.log(`  status          http://${address.host}:${p}/status   (also /metrics, /healthz)`)
          }).pipe(Effect.scoped, Effect.provide(layers.runStoreAt(stateUrl)))
        // A busy status port must not stop the demo either: any free one will do.
        return yield* daemon(address.port).pipe(Effect.catchTag("ListenFailed", () => daemon(0)))
      }).pipe(Effect.scoped)
  ).pipe(
    Command.withDescription(
      "The daemon on embedded defaults (npm start): embedded PostgreSQL, ESL simulator, filesystem lake, DuckDB"
    )
  )
