import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerMemory as runStoreMemory } from "../../layers/run-store/memory.ts"
import { MemorySourceTables, layerMemory as sourceMemory } from "../../layers/source-db/memory.ts"
import { layerMemory as warehouseMemory } from "../../layers/warehouse/memory.ts"
import { readManifest } from "../../src/etl/dataset.ts"
import { runJob } from "../../src/etl/jobs.ts"
import { defineTransfer } from "../../src/etl/transfer.ts"
import { ObjectStore, ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import type { Column, Row } from "../../src/services/SourceDb.ts"
import { Warehouse } from "../../src/services/Warehouse.ts"
import { itemColumns, items, layers, sale, tables, tenant } from "./fixtures.ts"

const keys = (prefix: string) => ObjectStore.use((s) => Effect.map(s.list(prefix), (list) => list.map((o) => o.key)))

describe("master_sync_job", () => {
  it.live("extracts master data under latest/, commits a manifest, loads it and records the materialization", () =>
    Effect.gen(function* () {
      const result = yield* runJob(tenant(), "master_sync_job")
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.partition, "latest")
      const [items] = result.pipelines
      assert.strictEqual(items?.stages.extract?.rows, 3)
      assert.strictEqual(items?.stages.load?.rows, 3)
      assert.strictEqual(items?.stages.extract?.asset, "acme/extract/items")
      const files = yield* keys("acme/items/latest/")
      assert.deepStrictEqual(files, [
        `acme/items/latest/_manifest.json`,
        `acme/items/latest/part-${items?.runId}-00000.parquet`
      ])
      const manifest = yield* readManifest("acme/items", "latest")
      assert.strictEqual(manifest?.rows, 3)
      assert.strictEqual(manifest?.runId, items?.runId)
      const warehouse = yield* Warehouse
      assert.strictEqual(yield* warehouse.count({ schema: "main", table: "items" }), 3)
      const rows = yield* warehouse.rows({ schema: "main", table: "items" })
      assert.deepStrictEqual(rows[0], { item_id: 1n, item_name: "상품 1", price: "1.50" })
      const m = yield* RunStore.use((s) => s.getMaterialization("acme", "items", "latest"))
      assert.strictEqual(Option.getOrUndefined(m)?.rows, 3)
      const runs = yield* RunStore.use((s) => s.listRuns({ tenant: "acme" }))
      assert.deepStrictEqual(
        runs.map((r) => [r.job, r.pipeline, r.partition, r.status]),
        [["master_sync_job", "items", "latest", "succeeded"]]
      )
    }).pipe(Effect.provide(layers(tables(3))))
  )

  it.live("re-running replaces the data and leaves exactly one run's files", () =>
    Effect.gen(function* () {
      yield* runJob(tenant(), "master_sync_job")
      yield* (yield* MemorySourceTables).delete("items", (r) => r.item_id === 1n)
      const second = yield* runJob(tenant(), "master_sync_job")
      const runId = second.pipelines[0]?.runId
      assert.deepStrictEqual(yield* keys("acme/items/latest/"), [
        "acme/items/latest/_manifest.json",
        `acme/items/latest/part-${runId}-00000.parquet`
      ])
      assert.strictEqual(yield* Warehouse.use((w) => w.count({ schema: "main", table: "items" })), 2)
    }).pipe(Effect.provide(layers(tables(3))))
  )

  it.live("a crash between writing files and committing leaves the previous partition readable", () =>
    Effect.gen(function* () {
      const first = yield* runJob(tenant(), "master_sync_job")
      const before = yield* readManifest("acme/items", "latest")
      // The store refuses the manifest write: the new files are written, but the partition is not committed.
      const failingManifest = Layer.effect(
        ObjectStore,
        Effect.gen(function* () {
          const real = yield* ObjectStore
          return ObjectStore.of({
            ...real,
            put: (key, body, options) =>
              key.endsWith("_manifest.json")
                ? Effect.fail(
                    new ObjectStoreError({ operation: "put", key, retryable: true, detail: "connection reset" })
                  )
                : real.put(key, body, options)
          })
        })
      )
      const crashed = yield* runJob(tenant(), "master_sync_job").pipe(Effect.provide(failingManifest))
      assert.strictEqual(crashed.status, "failed")
      assert.include(crashed.pipelines[0]?.error, "connection reset")
      const after = yield* readManifest("acme/items", "latest")
      assert.deepStrictEqual(after, before)
      for (const file of after?.files ?? []) {
        assert.isTrue((yield* ObjectStore.use((s) => s.head(file.key))).size > 0)
      }
      assert.strictEqual(
        Option.getOrUndefined(yield* RunStore.use((s) => s.getMaterialization("acme", "items", "latest")))?.runId,
        first.pipelines[0]?.runId
      )
      const recovered = yield* runJob(tenant(), "master_sync_job")
      assert.strictEqual(recovered.status, "succeeded")
      assert.strictEqual((yield* keys("acme/items/latest/")).length, 2)
    }).pipe(Effect.provide(layers(tables(3))))
  )
})

describe("daily_etl_job", () => {
  it.live("extracts the rows of one day in the tenant's time zone into dt=YYYY-MM-DD", () =>
    Effect.gen(function* () {
      const result = yield* runJob(tenant(), "daily_etl_job", { date: "2026-01-01" })
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.pipelines[0]?.stages.extract?.rows, 2)
      const files = yield* keys("acme/sales/")
      assert.isTrue(files.every((k) => k.startsWith("acme/sales/dt=2026-01-01/")))
      const rows = yield* Warehouse.use((w) =>
        w.rows({ schema: "main", table: "sales" }, { partition: { column: "dt", value: "2026-01-01" } })
      )
      assert.deepStrictEqual(
        rows.map((r) => r.sale_id),
        [2n, 3n]
      )
    }).pipe(
      Effect.provide(
        layers(
          tables(1, [
            sale(1, "2025-12-31T23:59:59.999999"),
            sale(2, "2026-01-01T00:00:00.000000"),
            sale(3, "2026-01-01T23:59:59.999999"),
            sale(4, "2026-01-02T00:00:00.000000")
          ])
        )
      )
    )
  )

  it.live("a day with no rows is materialized empty, not skipped", () =>
    Effect.gen(function* () {
      const result = yield* runJob(tenant(), "daily_etl_job", { date: "2026-03-01" })
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.pipelines[0]?.stages.load?.rows, 0)
      const m = yield* RunStore.use((s) => s.getMaterialization("acme", "sales", "2026-03-01"))
      assert.strictEqual(Option.getOrUndefined(m)?.rows, 0)
    }).pipe(Effect.provide(layers(tables(1))))
  )

  it.live("a transfer's output (declared columns) is written under _transfer/ and is what gets loaded", () =>
    Effect.gen(function* () {
      const doubled = defineTransfer({
        columns: (input) => [
          ...input,
          { name: "amount_x2", type: "decimal", nullable: false, precision: 14, scale: 2 }
        ],
        rows: (rows) => Stream.map(rows, (row) => ({ ...row, amount_x2: (Number(row.amount) * 2).toFixed(2) }))
      })
      const config = tenant(
        {
          pipelines: [{ name: "sales", source: { table: "sales" }, date_column: "sold_at", transfer: true, load: true }]
        },
        new Map([["sales", doubled]])
      )
      const result = yield* runJob(config, "daily_etl_job", { date: "2026-01-01" })
      const run = result.pipelines[0]
      assert.strictEqual(run?.status, "succeeded", run?.error)
      assert.strictEqual(run?.stages.transfer?.asset, "acme/transfer/sales")
      assert.isTrue((yield* keys("acme/sales/_transfer/dt=2026-01-01/")).length === 2)
      const rows = yield* Warehouse.use((w) => w.rows({ schema: "main", table: "sales" }))
      assert.deepStrictEqual(
        rows.map((r) => [r.sale_id, r.amount_x2, r.dt]),
        [[1n, "21.00", "2026-01-01"]]
      )
    }).pipe(Effect.provide(layers(tables(1, [sale(1, "2026-01-01T10:00:00.000000", "10.50")]))))
  )

  it.live("one pipeline's failure does not stop the others; the job says which failed and why", () =>
    Effect.gen(function* () {
      const config = tenant({
        pipelines: [
          { name: "sales", source: { table: "sales" }, date_column: "sold_at", load: true },
          { name: "returns", source: { table: "returns" }, date_column: "sold_at", load: true }
        ]
      })
      const result = yield* runJob(config, "daily_etl_job", { date: "2026-01-01" })
      assert.strictEqual(result.status, "failed")
      assert.deepStrictEqual(
        result.pipelines.map((p) => [p.pipeline, p.status]),
        [
          ["sales", "succeeded"],
          ["returns", "failed"]
        ]
      )
      assert.include(result.pipelines[1]?.error, "returns")
    }).pipe(Effect.provide(layers(tables(1, [sale(1, "2026-01-01T10:00:00.000000")]))))
  )
})

describe("schema changes", () => {
  it.live(
    "an added column flows through and is reported; a removed one fails the pipeline and keeps what was loaded",
    () =>
      Effect.gen(function* () {
        const shared = yield* Layer.build(
          Layer.mergeAll(warehouseMemory.pipe(Layer.provideMerge(objectStoreMemory)), runStoreMemory)
        )
        const withSource = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<Row>) =>
          Layer.merge(Layer.succeedContext(shared), sourceMemory({ items: { columns, rows } }, { tenant: "acme" }))
        const first = yield* runJob(tenant(), "master_sync_job").pipe(Effect.provide(withSource(itemColumns, items(2))))
        assert.strictEqual(first.status, "succeeded")

        const withStock = [...itemColumns, { name: "stock", type: "int32", nullable: true } as const]
        const added = yield* runJob(tenant(), "master_sync_job").pipe(
          Effect.provide(
            withSource(
              withStock,
              items(2).map((r) => ({ ...r, stock: 7 }))
            )
          )
        )
        assert.strictEqual(added.status, "succeeded", added.pipelines[0]?.error)
        assert.deepStrictEqual(added.pipelines[0]?.schemaChanges, ["column stock was added"])
        const loaded = yield* Warehouse.use((w) => w.rows({ schema: "main", table: "items" })).pipe(
          Effect.provide(Layer.succeedContext(shared))
        )
        assert.strictEqual(loaded[0]?.stock, 7)

        const withoutName = withStock.filter((c) => c.name !== "item_name")
        const removed = yield* runJob(tenant(), "master_sync_job").pipe(
          Effect.provide(withSource(withoutName, [{ item_id: 9n, price: "1.00", stock: 1 }]))
        )
        assert.strictEqual(removed.status, "failed")
        assert.include(removed.pipelines[0]?.error, "column item_name was removed from the source")
        const kept = yield* Warehouse.use((w) => w.rows({ schema: "main", table: "items" })).pipe(
          Effect.provide(Layer.succeedContext(shared))
        )
        assert.deepStrictEqual(
          kept.map((r) => r.item_name),
          ["상품 1", "상품 2"]
        )
      })
  )
})
