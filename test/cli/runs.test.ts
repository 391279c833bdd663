import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { layerMemory } from "../../layers/run-store/memory.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { cli } from "../support/cli.ts"

/** A memory RunStore holding three runs of two tenants, shared with the CLI. */
const seeded = Effect.gen(function* () {
  const context = yield* Layer.build(layerMemory)
  const store = Context.get(context, RunStore)
  yield* store.startRun({ id: "r1", tenant: "demo", job: "esl_sync", store: "S001" })
  yield* TestClock.adjust(1500)
  yield* store.finishRun("r1", { status: "succeeded", counts: { extracted: 12, sent: 10 } })
  yield* store.startRun({
    id: "r2",
    tenant: "project_01",
    job: "daily_etl_job",
    pipeline: "sales_daily",
    partition: "2026-11-22"
  })
  yield* store.finishRun("r2", { status: "failed", error: "source database unreachable" })
  yield* TestClock.adjust(1000)
  yield* store.startRun({ id: "r3", tenant: "demo", job: "master_sync_job", pipeline: "items" })
  return Layer.succeedContext(context)
})

describe("storeflow runs", () => {
  it.effect("prints recent runs newest first, with target, status, duration, counts and error", () =>
    Effect.gen(function* () {
      const runStore = yield* seeded
      const result = yield* cli(["runs"], { runStore })
      assert.strictEqual(result.code, 0, result.stderr)
      const lines = result.stdout.split("\n")
      assert.match(lines[0] ?? "", /^started \(UTC\)\s+tenant\s+job\s+target\s+status\s+took\s+counts\s+error$/)
      assert.match(lines[1] ?? "", /demo\s+master_sync_job\s+items\s+running\s+running/)
      assert.match(
        lines[2] ?? "",
        /project_01\s+daily_etl_job\s+sales_daily 2026-11-22\s+failed\s+0ms\s+source database unreachable/
      )
      assert.match(lines[3] ?? "", /demo\s+esl_sync\s+store S001\s+succeeded\s+1\.5s\s+extracted=12 sent=10/)
    })
  )

  it.effect("--tenant and --limit filter; --json prints the records", () =>
    Effect.gen(function* () {
      const runStore = yield* seeded
      const result = yield* cli(["runs", "--tenant", "demo", "--limit", "1", "--json"], { runStore })
      const runs = JSON.parse(result.stdout)
      assert.deepStrictEqual(
        runs.map((r: { id: string }) => r.id),
        ["r3"]
      )
      assert.strictEqual(runs[0].status, "running")
    })
  )

  it.effect("says so when nothing was recorded", () =>
    Effect.gen(function* () {
      const result = yield* cli(["runs"])
      assert.strictEqual(result.stdout, "no runs recorded yet")
    })
  )
})
