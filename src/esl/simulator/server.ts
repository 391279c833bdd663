import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Schema, type Scope } from "effect"
import { HttpRouter } from "effect/http"
import { addControlRoutes, type SimControl } from "./control.ts"
import { type ActiveFault, makeFaults } from "./faults.ts"
import { defaultCredentials, FaultRule, SimulatorOptions } from "./options.ts"
import { addContractRoutes, apiBase } from "./routes.ts"
import { makeState, type SimArticle, type SimStats } from "./state.ts"

export class SimulatorError extends Schema.TaggedError<SimulatorError>()("SimulatorError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/** A running simulator. The Effects read and steer it directly; the same is offered over HTTP under `/__sim`. */
export interface Simulator {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** The contract's base URL for a cluster prefix: `<url><prefix>/common/api/v2`. */
  readonly baseUrl: (clusterPrefix?: "" | "/c1") => string
  /** What the simulator holds for a store, sorted by article id, with write times and counts. */
  readonly articles: (company: string, store: string) => Effect.Effect<ReadonlyArray<SimArticle>>
  /** A snapshot of the call counters. */
  readonly stats: Effect.Effect<SimStats>
  readonly faults: Effect.Effect<ReadonlyArray<ActiveFault>>
  /** Installs faults; answers their ids. */
  readonly addFaults: (...rules: ReadonlyArray<FaultRule>) => Effect.Effect<ReadonlyArray<number>, SimulatorError>
  readonly removeFault: (id: number) => Effect.Effect<boolean>
  readonly clearFaults: Effect.Effect<void>
  /** Back to the start: no articles, batches, tokens or counts; the start-up faults with fresh counters. */
  readonly reset: Effect.Effect<void>
}

const decodeOptions = Schema.decodeUnknownEffect(SimulatorOptions)
const decodeRules = Schema.decodeUnknownEffect(Schema.Array(FaultRule))

/**
 * Starts the ESL simulator on 127.0.0.1 (port 0 picks a free one). It serves shared/specs/esl-api.md under both
 * cluster prefixes ("" and "/c1") until the scope closes.
 */
export const startSimulator = Effect.fn("EslSimulator.start")(function* (
  input: SimulatorOptions
): Effect.fn.Return<Simulator, SimulatorError, Scope.Scope> {
  const options = yield* decodeOptions(input).pipe(
    Effect.mapError((error) => new SimulatorError({ message: `invalid simulator options: ${error.message}` }))
  )
  const state = makeState(options.companies)
  const initialFaults = options.faults ?? []
  const faults = makeFaults(options.seed ?? 1, initialFaults)
  const ctx = {
    state,
    faults,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    credentials: options.credentials ?? defaultCredentials
  }
  const control: SimControl = {
    articles: state.articles,
    stats: () => structuredClone(state.stats()),
    faults: faults.list,
    addFaults: faults.add,
    removeFault: faults.remove,
    clearFaults: faults.clear,
    reset: () => {
      state.clear()
      faults.reset(initialFaults)
    }
  }

  const router = yield* HttpRouter.make
  yield* addContractRoutes(router, ctx)
  yield* addControlRoutes(router, control)
  const server = createServer()
  const http = yield* NodeHttpServer.make(() => server, {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1"
  }).pipe(
    Effect.mapError(
      (error) => new SimulatorError({ message: `the ESL simulator could not listen: ${error.message}`, cause: error })
    )
  )
  yield* http.serve(router.asHttpEffect())
  // Closing must not wait for keep-alive connections or for calls held by a latency fault.
  yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
  const port = "port" in http.address ? http.address.port : 0
  const url = `http://127.0.0.1:${port}`

  return {
    port,
    url,
    baseUrl: (clusterPrefix = "") => `${url}${clusterPrefix}${apiBase}`,
    articles: (company, store) => Effect.sync(() => control.articles(company, store)),
    stats: Effect.sync(control.stats),
    faults: Effect.sync(control.faults),
    addFaults: (...rules) =>
      decodeRules(rules).pipe(
        Effect.map(control.addFaults),
        Effect.mapError((error) => new SimulatorError({ message: `invalid fault: ${error.message}` }))
      ),
    removeFault: (id) => Effect.sync(() => control.removeFault(id)),
    clearFaults: Effect.sync(control.clearFaults),
    reset: Effect.sync(control.reset)
  } satisfies Simulator
})
