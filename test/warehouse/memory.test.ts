// The in-memory warehouse runs the shared contract in memory-contract.test.ts; this file holds what only it does.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerMemory } from "../../layers/warehouse/memory.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"

describe("memory warehouse SQL", () => {
  it.effect("refuses SQL with a message pointing at DuckDB", () =>
    Effect.gen(function* () {
      const warehouse = yield* Warehouse
      const error = yield* Effect.flip(warehouse.query("SELECT 1"))
      assert.strictEqual(error.reason, "QueryFailed")
      assert.include(error.message, "duckdb")
    }).pipe(Effect.provide(layerMemory.pipe(Layer.provide(objectStoreMemory))))
  )
})
