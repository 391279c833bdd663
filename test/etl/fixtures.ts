import { Layer, Schema } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerMemory as runStoreMemory } from "../../layers/run-store/memory.ts"
import { type MemoryTables, layerMemory as sourceMemory } from "../../layers/source-db/memory.ts"
import { layerMemory as warehouseMemory } from "../../layers/warehouse/memory.ts"
import type { LoadedTenant } from "../../src/config/load.ts"
import { TenantConfig, type TenantConfigEncoded } from "../../src/domain/TenantConfig.ts"
import { defaultTransfer, type Transfer } from "../../src/etl/transfer.ts"
import type { Column, Row } from "../../src/services/SourceDb.ts"

export const itemColumns: ReadonlyArray<Column> = [
  { name: "item_id", type: "int64", nullable: false },
  { name: "item_name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 }
]

export const saleColumns: ReadonlyArray<Column> = [
  { name: "sale_id", type: "int64", nullable: false },
  { name: "amount", type: "decimal", nullable: false, precision: 12, scale: 2 },
  { name: "sold_at", type: "timestamp", nullable: false }
]

export const items = (n: number): ReadonlyArray<Row> =>
  Array.from({ length: n }, (_, i) => ({ item_id: BigInt(i + 1), item_name: `상품 ${i + 1}`, price: `${i + 1}.50` }))

export const sale = (id: number, soldAt: string, amount = "10.00"): Row => ({
  sale_id: BigInt(id),
  amount,
  sold_at: soldAt
})

export const config = (overrides: Partial<TenantConfigEncoded> = {}): TenantConfig =>
  Schema.decodeUnknownSync(TenantConfig)({
    id: "acme",
    name: "ACME Mart",
    source: { url: "postgres://unused" },
    object_store: { type: "filesystem", path: "/unused" },
    warehouse: { type: "duckdb", path: ":memory:" },
    pipelines: [
      { name: "items", source: { table: "items" }, load: true },
      { name: "sales", source: { table: "sales" }, date_column: "sold_at", load: true }
    ],
    ...overrides
  })

export const tenant = (
  overrides: Partial<TenantConfigEncoded> = {},
  transfers: ReadonlyMap<string, Transfer> = new Map()
): LoadedTenant => {
  const cfg = config(overrides)
  const resolved = new Map(
    cfg.pipelines.filter((p) => p.transfer !== false).map((p) => [p.name, transfers.get(p.name) ?? defaultTransfer])
  )
  return { id: cfg.id, dir: "/tenants/acme", file: "/tenants/acme/tenant.yaml", config: cfg, transfers: resolved }
}

/** Memory source with the given tables, memory object store, memory warehouse over it, memory state. */
export const layers = (tables: MemoryTables) => {
  const store = objectStoreMemory
  return Layer.mergeAll(
    sourceMemory(tables, { tenant: "acme" }),
    warehouseMemory.pipe(Layer.provideMerge(store)),
    runStoreMemory
  )
}

export const tables = (itemCount = 3, sales: ReadonlyArray<Row> = []): MemoryTables => ({
  items: { columns: itemColumns, rows: items(itemCount) },
  sales: { columns: saleColumns, rows: sales }
})
