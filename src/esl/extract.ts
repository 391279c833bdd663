import { Duration, Effect, Option, Stream } from "effect"
import type { EslConfig } from "../domain/TenantConfig.ts"
import { RunStore } from "../services/RunStore.ts"
import { type Column, type Condition, type Row, type Source, SourceDb, SourceDbError } from "../services/SourceDb.ts"
import { keyText } from "./articles.ts"
import type { StoreSpec } from "./stores.ts"
import { changeBound, textValue, valueText } from "./watermark.ts"

/** Where a row came from: past the watermark (moves it), a NULL change value, or a re-queued key (neither moves it). */
export type Origin = "change" | "null_change" | "requeued"

export interface SourceRow {
  readonly origin: Origin
  readonly row: Row
}

/** What a pass will read for one store, decided once at its start. */
export interface ChangePlan {
  readonly source: Source
  readonly changeColumn: Column
  readonly keyColumn: Column
  readonly storeConditions: ReadonlyArray<Condition>
  /** The source columns the pass reads: key, change value and every mapped column the source has. */
  readonly select: ReadonlyArray<string>
  /** Conditions selecting rows past the watermark and below the bound. */
  readonly changed: ReadonlyArray<Condition>
  /** How many changed rows one query reads: the rows of the chunks a store sends at once. */
  readonly pageSize: number
  readonly bound: string | undefined
  readonly requeued: ReadonlyArray<string>
  readonly watermark: { readonly value: string; readonly key: string } | undefined
}

const columnNamed = (tenant: string, columns: ReadonlyArray<Column>, name: string, role: string) => {
  const column = columns.find((c) => c.name === name)
  return column !== undefined
    ? Effect.succeed(column)
    : Effect.fail(
        new SourceDbError({
          tenant,
          operation: "columns",
          reason: "NotFound",
          detail: `the ${role} column "${name}" is not in the ESL source (columns: ${columns.map((c) => c.name).join(", ")})`
        })
      )
}

/**
 * The columns a pass needs, as far as the source has them: a mapped column the source lacks reads as absent, as it
 * would in a full row, and reading only these spares decoding the rest of a wide table.
 */
const selectedColumns = (esl: EslConfig, columns: ReadonlyArray<Column>): Array<string> => {
  const { mapping } = esl
  const wanted = new Set<string>([esl.source.key_column, esl.source.change_column, mapping.article_id])
  wanted.add(mapping.article_name)
  if (mapping.nfc_url !== undefined) wanted.add(mapping.nfc_url)
  if (mapping.eans !== undefined) wanted.add(mapping.eans)
  for (const field of Object.values(mapping.data)) wanted.add(typeof field === "string" ? field : field.column)
  return columns.filter((column) => wanted.has(column.name)).map((column) => column.name)
}

/** Reads the watermark, the source's horizon and the re-queue, and builds the conditions of this pass. */
export const planChanges = Effect.fnUntraced(function* (
  tenant: string,
  timeZone: string,
  esl: EslConfig,
  source: Source,
  store: StoreSpec,
  sourceName: string,
  full: boolean
) {
  const db = yield* SourceDb
  const runStore = yield* RunStore
  // Independent reads in one round trip's time; a failure is reported as if they had run one after another.
  const reads = yield* Effect.all(
    [
      db.columns(source),
      runStore.getWatermark({ tenant, store: store.code, source: sourceName }),
      db.horizon,
      runStore.requeued(tenant, store.code)
    ],
    { concurrency: "unbounded", mode: "result" }
  )
  const columns = yield* Effect.fromResult(reads[0])
  const changeColumn = yield* columnNamed(tenant, columns, esl.source.change_column, "change")
  const keyColumn = yield* columnNamed(tenant, columns, esl.source.key_column, "key")
  const stored = yield* Effect.fromResult(reads[1])
  const watermark = full ? undefined : Option.getOrUndefined(stored)
  const horizon = yield* Effect.fromResult(reads[2])
  const bound = changeBound(horizon, Duration.toMillis(esl.source.safety_lag), changeColumn.type, timeZone)
  const changed: Array<Condition> = [...store.conditions, { _tag: "IsNotNull", column: changeColumn.name }]
  if (watermark !== undefined) {
    changed.push({
      _tag: "After",
      columns: [changeColumn.name, keyColumn.name],
      values: [textValue(watermark.value, changeColumn.type), textValue(watermark.key, keyColumn.type)]
    })
  }
  if (bound !== undefined) changed.push({ _tag: "Compare", column: changeColumn.name, op: "<", value: bound })
  const requeued = yield* Effect.fromResult(reads[3])
  return {
    source,
    changeColumn,
    keyColumn,
    storeConditions: store.conditions,
    select: selectedColumns(esl, columns),
    changed,
    pageSize: esl.batch_size * Math.max(1, esl.concurrency),
    bound,
    requeued,
    watermark: stored.pipe(
      Option.map((w) => ({ value: w.value, key: w.key })),
      Option.getOrUndefined
    )
  } satisfies ChangePlan
})

/** Whether the pass has anything to do: one indexed `EXISTS` query, plus the re-queue read with the plan. */
export const detectChanges = Effect.fn("esl.detect_changes")(function* (plan: ChangePlan, full: boolean) {
  if (full || plan.requeued.length > 0) return true
  const db = yield* SourceDb
  return yield* db.exists({ source: plan.source, where: plan.changed })
})

/**
 * The conditions of the page of changed rows after `last`: the pass's own, with its position after the watermark
 * replaced by the position after that row. Rows past the bound cannot appear meanwhile (transactions still open at
 * the start of the pass are past it), so the pages read together what one query would have.
 */
const pageAfter = (plan: ChangePlan, last: Row): ReadonlyArray<Condition> => [
  ...plan.changed.filter((condition) => condition._tag !== "After"),
  {
    _tag: "After",
    columns: [plan.changeColumn.name, plan.keyColumn.name],
    values: [
      textValue(valueText(last[plan.changeColumn.name] ?? null), plan.changeColumn.type),
      textValue(rowKey(plan, last), plan.keyColumn.type)
    ]
  }
]

/**
 * Every row the pass handles, in order: changed rows by (change column, key), then rows whose change column is NULL
 * (they cannot be ordered against the watermark, so every pass looks at them and the content hash keeps unchanged
 * ones from being re-sent), then re-queued keys. Memory does not grow with the number of rows: changed rows are read
 * in pages of \`pageSize\` (a short query each, so a store does not hold a source connection for its whole pass and
 * more stores than the pool has connections make progress together), the others streamed.
 */
export const extractRows = (plan: ChangePlan): Stream.Stream<SourceRow, SourceDbError, SourceDb> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const db = yield* SourceDb
      const key = plan.keyColumn.name
      const read = (origin: Origin, where: ReadonlyArray<Condition>, orderBy: ReadonlyArray<string>) =>
        db
          .stream({ source: plan.source, columns: plan.select, where, orderBy })
          .pipe(Stream.map((row): SourceRow => ({ origin, row })))
      const orderBy = [plan.changeColumn.name, key]
      const changed = Stream.paginate(plan.changed, (where) =>
        db.stream({ source: plan.source, columns: plan.select, where, orderBy, limit: plan.pageSize }).pipe(
          Stream.runCollect,
          Effect.map((rows) => {
            const last = rows.at(-1)
            const next =
              rows.length < plan.pageSize || last === undefined ? Option.none() : Option.some(pageAfter(plan, last))
            return [rows.map((row): SourceRow => ({ origin: "change", row })), next] as const
          })
        )
      )
      const nulls = read(
        "null_change",
        [...plan.storeConditions, { _tag: "IsNull", column: plan.changeColumn.name }],
        [key]
      )
      const requeued =
        plan.requeued.length === 0
          ? Stream.empty
          : read(
              "requeued",
              [
                ...plan.storeConditions,
                { _tag: "In", column: key, values: plan.requeued.map((k) => textValue(k, plan.keyColumn.type)) }
              ],
              [key]
            )
      return changed.pipe(Stream.concat(nulls), Stream.concat(requeued))
    })
  ).pipe(Stream.withSpan("esl.extract"))

export const rowKey = (plan: ChangePlan, row: Row): string => keyText(row[plan.keyColumn.name]) ?? ""
