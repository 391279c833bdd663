import { Effect } from "effect"
import { layerHttpFetch } from "../../layers/esl-api/http.ts"
import { contractCompanies, eslApiContract } from "./contract.ts"
import { simulatorHarness, simulatorWithClient } from "./simulator-harness.ts"

// storeflow runs on Node's HTTP client; the fetch-based Layer keeps to the same contract.
eslApiContract(
  "HTTP client on fetch + simulator",
  Effect.map(simulatorWithClient({ companies: contractCompanies }, {}, layerHttpFetch), ({ sim, api }) =>
    simulatorHarness(sim, api)
  )
)
