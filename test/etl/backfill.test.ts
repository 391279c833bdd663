import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { backfill } from "../../src/etl/backfill.ts"
import { partitionStatuses } from "../../src/etl/status.ts"
import { defineTransfer, TransferError } from "../../src/etl/transfer.ts"
import { layers, sale, tables, tenant } from "./fixtures.ts"

/** A transfer that fails for one day, as a tenant's buggy transform would. */
const failingOn = (day: string) =>
  defineTransfer({
    columns: (input) => input,
    rows: (rows, context) =>
      context.partition === day
        ? Stream.fail(new TransferError({ pipeline: context.pipeline, detail: `cannot handle ${day}` }))
        : rows
  })

const withTransfer = (day: string) =>
  tenant(
    { pipelines: [{ name: "sales", source: { table: "sales" }, date_column: "sold_at", transfer: true, load: true }] },
    new Map([["sales", failingOn(day)]])
  )

const sales = [1, 2, 3, 4, 5].map((d) => sale(d, `2026-01-0${d}T12:00:00.000000`))

describe("etl backfill and status", () => {
  it.live("materializes missing and failed partitions only, resumes where it stopped, and re-runs all with force", () =>
    Effect.gen(function* () {
      const first = yield* backfill(withTransfer("2026-01-03"), { from: "2026-01-01", to: "2026-01-03" })
      assert.deepStrictEqual(first.runs.map((r) => [r.partition, r.status]).sort(), [
        ["2026-01-01", "succeeded"],
        ["2026-01-02", "succeeded"],
        ["2026-01-03", "failed"]
      ])
      const states = yield* partitionStatuses(withTransfer("x"), { from: "2026-01-01", to: "2026-01-05" })
      assert.deepStrictEqual(
        states.map((s) => [s.partition, s.state, s.rows]),
        [
          ["2026-01-01", "materialized", 1],
          ["2026-01-02", "materialized", 1],
          ["2026-01-03", "failed", undefined],
          ["2026-01-04", "missing", undefined],
          ["2026-01-05", "missing", undefined]
        ]
      )
      assert.include(states[2]?.lastRun?.error, "cannot handle 2026-01-03")

      const progress: Array<string> = []
      const resumed = yield* backfill(withTransfer("never"), {
        from: "2026-01-01",
        to: "2026-01-05",
        concurrency: 1,
        onProgress: (done, total, last) => Effect.sync(() => progress.push(`${done}/${total} ${last.partition}`))
      })
      assert.strictEqual(resumed.planned, 3)
      assert.strictEqual(resumed.skipped, 2)
      assert.deepStrictEqual(progress, ["1/3 2026-01-03", "2/3 2026-01-04", "3/3 2026-01-05"])
      const after = yield* partitionStatuses(withTransfer("x"), { from: "2026-01-01", to: "2026-01-05" })
      assert.isTrue(after.every((s) => s.state === "materialized"))

      const forced = yield* backfill(withTransfer("never"), { from: "2026-01-01", to: "2026-01-05", force: true })
      assert.strictEqual(forced.planned, 5)
    }).pipe(Effect.provide(layers(tables(1, sales))))
  )

  it.live("non-partitioned pipelines have one partition, latest", () =>
    Effect.gen(function* () {
      const states = yield* partitionStatuses(tenant(), { pipeline: "items", from: "2026-01-01", to: "2026-01-02" })
      assert.deepStrictEqual(
        states.map((s) => [s.pipeline, s.partition, s.state]),
        [["items", "latest", "missing"]]
      )
      const none = yield* Effect.flip(backfill(tenant(), { from: "2026-01-01", to: "2026-01-02", pipeline: "items" }))
      assert.include(none.message, 'no date-partitioned pipeline "items"')
    }).pipe(Effect.provide(layers(tables(1))))
  )
})
