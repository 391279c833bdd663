// Custom transfers for this tenant. A pipeline with `transfer: true` uses the export named like the pipeline
// (or the common default when there is none); `transfer: some_name` uses the export `some_name`.
import { Stream } from "effect"
import { defineTransfer } from "../../src/etl/transfer.ts"

/** Example: add the partition date as a column. */
export const sales_daily = defineTransfer({
  columns: (input) => [...input, { name: "partition_date", type: "date", nullable: true }],
  rows: (rows, context) => Stream.map(rows, (row) => ({ ...row, partition_date: context.partition ?? null }))
})
