/**
 * The ESL simulator in a process of its own, as `storeflow esl-sim` runs it (same `startSimulator`, default
 * credentials), without loading the rest of the CLI. Argument: companies as `COMPANY:STORE,STORE`. Prints its URL;
 * runs until SIGTERM.
 */
import { Effect } from "effect"
import { parseCompanies } from "../src/esl/simulator/options.ts"
import { startSimulator } from "../src/esl/simulator/server.ts"

const companies = parseCompanies(process.argv[2] ?? "")
if (typeof companies === "string") {
  console.error(`bench/simulator.ts: ${companies}`)
  process.exit(2)
}
process.once("SIGTERM", () => process.exit(0))
Effect.runFork(
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* startSimulator({ companies, port: 0 })
      console.log(`ESL simulator listening on ${sim.url}`)
      return yield* Effect.never
    })
  )
)
