import { Context, Effect, Layer, Redacted } from "effect"
import { type EslHttpOptions, layerHttpNode } from "../../layers/esl-api/http.ts"
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/esl/simulator/index.ts"
import { EslApi } from "../../src/services/EslApi.ts"
import type { EslHarness } from "./contract.ts"

export const username = "storeflow-user"
export const password = "s3cret-Pa55word!"

/**
 * A simulator on a free port and an HTTP EslApi pointed at it, both closed with the scope. The client is the one
 * storeflow runs with (`layerHttpNode`) unless another is given.
 */
export const simulatorWithClient = (
  simulator: Partial<SimulatorOptions> & Pick<SimulatorOptions, "companies">,
  client: Partial<EslHttpOptions> = {},
  layer: (options: EslHttpOptions) => Layer.Layer<EslApi> = layerHttpNode
) =>
  Effect.gen(function* () {
    const sim = yield* startSimulator({ credentials: { username, password }, ...simulator })
    const context = yield* Layer.build(
      layer({ baseUrl: sim.url, clusterPrefix: "", username, password: Redacted.make(password), ...client })
    )
    return { sim, api: Context.get(context, EslApi) }
  })

/** The shared contract's view of a simulator and its client. */
export const simulatorHarness = (sim: Simulator, api: EslApi["Service"]): EslHarness => ({
  api,
  held: (company, store) =>
    Effect.map(sim.articles(company, store), (articles) => articles.map(({ writes: _, ...article }) => article)),
  rejectIds: (company, ids, errorText) =>
    Effect.orDie(sim.addFaults({ kind: "reject", company, articleIds: ids, errorText })),
  expireLicence: (company) => Effect.orDie(sim.addFaults({ kind: "licenseExpired", company })),
  logins: Effect.map(sim.stats, (stats) => stats.tokensIssued)
})
