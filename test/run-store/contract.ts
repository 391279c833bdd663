import type { Vitest } from "@effect/vitest"
import type { Effect, Layer } from "effect"
import type { RunStore } from "../../src/services/RunStore.ts"
import { eslContract } from "./contract-esl.ts"
import { locksContract } from "./contract-locks.ts"
import { materializationsContract } from "./contract-materializations.ts"
import { runsContract } from "./contract-runs.ts"

export interface ContractOptions {
  /** Lets `ms` pass on the clock the store judges lock expiry by. */
  readonly elapse: (ms: number) => Effect.Effect<void>
}

/** The behaviour every `RunStore` Layer must have. Registers one block of tests sharing `store`. */
export const runStoreContract = <E, R>(
  it: Vitest.MethodsNonLive<R>,
  store: Layer.Layer<RunStore, E, R>,
  options: ContractOptions
): void =>
  it.layer(store)("RunStore contract", (it) => {
    runsContract(it)
    materializationsContract(it)
    locksContract(it, options)
    eslContract(it)
  })
