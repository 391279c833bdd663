import { Effect } from "effect"
import { contractCompanies, eslApiContract } from "./contract.ts"
import { simulatorHarness, simulatorWithClient } from "./simulator-harness.ts"

eslApiContract(
  "HTTP client + simulator",
  Effect.map(simulatorWithClient({ companies: contractCompanies }), ({ sim, api }) => simulatorHarness(sim, api))
)

eslApiContract(
  "HTTP client + simulator on the /c1 cluster prefix",
  Effect.map(simulatorWithClient({ companies: contractCompanies }, { clusterPrefix: "/c1" }), ({ sim, api }) =>
    simulatorHarness(sim, api)
  )
)
