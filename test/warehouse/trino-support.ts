import { Effect, Layer, Redacted } from "effect"
import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerTrino, type TrinoOptions } from "../../layers/warehouse/trino.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import type { LoadRequest, Warehouse } from "../../src/services/Warehouse.ts"
import type { TrinoServer } from "./trino-server.ts"

export const password = "s3cret-Tr1no-pw"

export const options = (server: TrinoServer, overrides: Partial<TrinoOptions> = {}): TrinoOptions => ({
  url: server.url,
  catalog: "hive",
  user: "etl",
  password: Redacted.make(password),
  tableFormat: "hive",
  queryTimeout: "5 seconds",
  source: "storeflow-test",
  schema: "sales",
  ...overrides
})

/** The in-memory store, answering `uri` the way the S3 store does, so statements show real-looking locations. */
const store = Layer.effect(
  ObjectStore,
  Effect.map(ObjectStore, (memory) => ObjectStore.of({ ...memory, uri: (key) => `s3://lake/${key}` }))
).pipe(Layer.provide(Layer.fresh(objectStoreMemory)))

export const provideTrino =
  (server: TrinoServer, overrides: Partial<TrinoOptions> = {}) =>
  <A, E>(effect: Effect.Effect<A, E, Warehouse | ObjectStore>) =>
    Effect.provide(effect, Layer.fresh(layerTrino(options(server, overrides))).pipe(Layer.provideMerge(store)))

export const columns: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 }
]

export const items = { schema: "sales", table: "items" }

/** Puts files (any bytes: the fake Trino never reads them) and returns their keys. */
export const putFiles = (...keys: ReadonlyArray<string>) =>
  Effect.forEach(keys, (key) => ObjectStore.use((s) => s.put(key, new TextEncoder().encode(key)))).pipe(
    Effect.as(keys),
    Effect.orDie
  )

export const dayRequest = (files: ReadonlyArray<string>, expectedRows: number, day = "2024-03-01"): LoadRequest => ({
  dataset: items,
  columns,
  files,
  expectedRows,
  partition: { column: "dt", value: day }
})

export const countAnswer = (n: number) => ({ columns: [{ name: "_col0", type: "bigint" }], rows: [[n]] })

export const columnsAnswer = (...names: ReadonlyArray<string>) => ({
  columns: [{ name: "column_name", type: "varchar" }],
  rows: names.map((name) => [name])
})
