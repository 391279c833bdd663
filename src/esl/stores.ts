import type { EslConfig } from "../domain/TenantConfig.ts"
import type { Condition, Source } from "../services/SourceDb.ts"

/** One ESL store: its code at the vendor and the conditions that select its source rows. */
export interface StoreSpec {
  readonly code: string
  readonly name: string | undefined
  readonly conditions: ReadonlyArray<Condition>
}

export const storeSpecs = (esl: EslConfig): ReadonlyArray<StoreSpec> =>
  esl.stores.map((store) => {
    const entry = typeof store === "string" ? { code: store } : store
    const conditions: Array<Condition> = []
    if (esl.source.store_column !== undefined) {
      conditions.push({
        _tag: "Compare",
        column: esl.source.store_column,
        op: "=",
        value: "store_value" in entry && entry.store_value !== undefined ? entry.store_value : entry.code
      })
    }
    const filter = "filter" in entry ? entry.filter : undefined
    for (const [column, value] of Object.entries(filter ?? {})) {
      conditions.push({ _tag: "Compare", column, op: "=", value })
    }
    return { code: entry.code, name: "name" in entry ? entry.name : undefined, conditions }
  })

/** The table or query ESL rows are read from; a table without a schema is in the source's default schema. */
export const eslSource = (esl: EslConfig, defaultSchema: string): Source =>
  esl.source.query !== undefined
    ? { _tag: "Query", sql: esl.source.query }
    : { _tag: "Table", schema: esl.source.schema ?? defaultSchema, table: esl.source.table ?? "" }
