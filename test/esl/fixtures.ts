import { Layer, Schema } from "effect"
import { layerMemory as eslMemory } from "../../layers/esl-api/memory.ts"
import { layerRecording } from "../../layers/notifier/memory.ts"
import { layerMemory as runStoreMemory } from "../../layers/run-store/memory.ts"
import { layerMemory as sourceMemory } from "../../layers/source-db/memory.ts"
import { TenantConfig, type TenantConfigEncoded } from "../../src/domain/TenantConfig.ts"
import type { Column, Row } from "../../src/services/SourceDb.ts"

export const itemColumns: ReadonlyArray<Column> = [
  { name: "item_code", type: "string", nullable: false },
  { name: "item_name", type: "string", nullable: true },
  // Text, as in many legacy retail schemas: a price that is not a number is possible and must be quarantined.
  { name: "sale_price", type: "string", nullable: true },
  { name: "store_code", type: "string", nullable: false },
  { name: "updated_at", type: "timestamp", nullable: true }
]

export const at = (minute: number, micros = 0) =>
  `2026-01-01T10:${String(minute).padStart(2, "0")}:00.${String(micros).padStart(6, "0")}`

export const item = (
  code: string,
  store: string,
  minute: number | null,
  price = "1000",
  name = `item ${code}`
): Row => ({
  item_code: code,
  item_name: name,
  sale_price: price,
  store_code: store,
  updated_at: minute === null ? null : at(minute)
})

export const tenantConfig = (esl: Partial<NonNullable<TenantConfigEncoded["esl"]>> = {}): TenantConfig =>
  Schema.decodeUnknownSync(TenantConfig)({
    id: "acme",
    name: "ACME Mart",
    source: { url: "postgres://unused" },
    esl: {
      api: { base_url: "http://unused", username: "u", password: "p" },
      company: "ACME",
      stores: ["S001", "S002"],
      source: { table: "esl_items", change_column: "updated_at", key_column: "item_code", store_column: "store_code" },
      mapping: {
        article_id: "item_code",
        article_name: "item_name",
        data: { ITEM_NAME: "item_name", SALE_PRICE: { column: "sale_price", format: "price", required: true } }
      },
      retry: { base: "1ms", cap: "5ms", attempts: 3 },
      ...esl
    }
  })

/** Memory source (esl_items), memory ESL API (ACME: S001, S002), memory state and a recording notifier. */
export const layers = (
  rows: ReadonlyArray<Row>,
  companies: Record<string, ReadonlyArray<string>> = { ACME: ["S001", "S002"] }
) =>
  Layer.mergeAll(
    sourceMemory({ esl_items: { columns: itemColumns, rows } }, { tenant: "acme" }),
    eslMemory({ companies }),
    runStoreMemory,
    layerRecording
  )
