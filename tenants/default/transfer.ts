// Common transfers shared by every tenant: a pipeline may name any export here (`transfer: dedupe_latest`).
// A tenant's own transfer.ts wins when both export the same name. This folder holds code only (no tenant.yaml).
import { Stream } from "effect"
import { defineTransfer } from "../../src/etl/transfer.ts"

/** Adds `loaded_at` (UTC, microseconds) so loaded rows can be traced to the run that wrote them. */
export const add_loaded_at = defineTransfer({
  columns: (input) => [...input, { name: "loaded_at", type: "timestamptz", nullable: false }],
  rows: (rows) => {
    const loadedAt = `${new Date().toISOString().slice(0, 23)}000Z`
    return Stream.map(rows, (row) => ({ ...row, loaded_at: loadedAt }))
  }
})

/** Drops columns whose names start with `_` (internal bookkeeping columns of the source system). */
export const drop_internal_columns = defineTransfer({
  columns: (input) => input.filter((column) => !column.name.startsWith("_")),
  rows: (rows) =>
    Stream.map(rows, (row) => Object.fromEntries(Object.entries(row).filter(([name]) => !name.startsWith("_"))))
})
