import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { cli } from "../support/cli.ts"
import { TestDatabase } from "../support/database.ts"

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "60 seconds" })(
  "storeflow runs on PostgreSQL",
  (it) => {
    it.effect("reads the runs another process recorded in the state database", () =>
      Effect.gen(function* () {
        const { url } = yield* TestDatabase
        const context = yield* Layer.build(layerPostgres({ url }))
        const store = Context.get(context, RunStore)
        yield* store.startRun({ id: "run-a", tenant: "demo", job: "esl_sync", store: "S002" })
        yield* store.finishRun("run-a", { status: "skipped", counts: { extracted: 0 } })

        const result = yield* cli(["runs", "--tenant", "demo"], { runStore: layerPostgres({ url }) })
        assert.strictEqual(result.code, 0, result.stderr)
        assert.match(result.stdout, /demo\s+esl_sync\s+store S002\s+skipped/)
      })
    )

    it.effect("an unreachable state database exits 1 with a message that names the setting, not the password", () =>
      Effect.gen(function* () {
        const url = Redacted.make("postgres://storeflow:hunter2@127.0.0.1:1/storeflow")
        const result = yield* cli(["runs"], { runStore: layerPostgres({ url }) })
        assert.strictEqual(result.code, 1)
        assert.include(result.stderr, "STOREFLOW_STATE_DB_URL")
        assert.notInclude(result.stderr, "hunter2")
      })
    )
  }
)
