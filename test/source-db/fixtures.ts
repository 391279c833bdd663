import { Effect, Stream } from "effect"
import { layerMemory, type MemorySourceTables, type MemoryTables } from "../../layers/source-db/memory.ts"
import { type Column, type Condition, type ReadRequest, type Row, SourceDb } from "../../src/services/SourceDb.ts"

export const columns: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
  { name: "updated_at", type: "timestamp", nullable: true },
  { name: "qty", type: "int32", nullable: true },
  { name: "active", type: "boolean", nullable: true },
  { name: "image", type: "bytes", nullable: true }
]

export const ts = (n: number) => `2024-03-0${n}T10:00:00.000000`

export const items: ReadonlyArray<Row> = [
  { id: 1n, name: "apple", price: "9.50", updated_at: ts(1), qty: 5, active: true, image: new Uint8Array([1]) },
  { id: 2n, name: "Banana", price: "10.25", updated_at: ts(2), qty: null, active: false },
  { id: 3n, name: "cherry", price: null, updated_at: ts(2), qty: 7, active: true },
  { id: 9007199254740993n, name: null, price: "1.5", updated_at: null, qty: 1 },
  { id: 5n, name: "émile", price: "-3.00", updated_at: ts(1), qty: 2, active: null }
]

export const tables: MemoryTables = {
  items: { columns, rows: items },
  "sales.orders": { columns: [{ name: "order_id", type: "int32", nullable: false }], rows: [{ order_id: 1 }] }
}

export const table = (name = "items") => ({ _tag: "Table", table: name }) as const
export const read = (request: Partial<ReadRequest> = {}) =>
  SourceDb.use((db) => Stream.runCollect(db.stream({ source: table(), ...request })))
export const ids = (request: Partial<ReadRequest> = {}) =>
  Effect.map(read({ ...request, columns: ["id"] }), (rows) => rows.map((row) => row.id))
export const where = (...conditions: Array<Condition>) => ({ where: conditions })

export const withTables = <A, E>(effect: Effect.Effect<A, E, SourceDb | MemorySourceTables>) =>
  Effect.provide(effect, layerMemory(tables))
