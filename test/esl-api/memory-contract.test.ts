import { Context, Effect, Layer } from "effect"
import { EslMemory, layerMemory } from "../../layers/esl-api/memory.ts"
import { EslApi } from "../../src/services/EslApi.ts"
import { contractCompanies, eslApiContract } from "./contract.ts"

eslApiContract(
  "memory",
  Effect.gen(function* () {
    const context = yield* Layer.build(layerMemory({ companies: contractCompanies }))
    const memory = Context.get(context, EslMemory)
    return {
      api: Context.get(context, EslApi),
      held: memory.articles,
      rejectIds: memory.rejectIds,
      expireLicence: memory.expireLicence,
      logins: Effect.map(Effect.forEach(Object.keys(contractCompanies), memory.tokenFetches), (counts) =>
        counts.reduce((a, b) => a + b, 0)
      )
    }
  })
)
