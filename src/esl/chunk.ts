import { Effect } from "effect"
import type { Article } from "../domain/Article.ts"
import type { EslConfig } from "../domain/TenantConfig.ts"
import { RunStore } from "../services/RunStore.ts"
import { articleHash, type makeValidator, type Quarantined, toArticle, type ValidRow } from "./articles.ts"
import { type ChangePlan, rowKey, type SourceRow } from "./extract.ts"
import { type ChunkOutcome, type SendMetrics, sendChunk } from "./send.ts"
import { valueText } from "./watermark.ts"

/** What one chunk of source rows became; the commit step turns it into durable state. */
export interface ChunkResult {
  readonly rows: number
  readonly invalid: ReadonlyArray<Quarantined>
  readonly unchanged: number
  readonly sent: number
  readonly outcome: ChunkOutcome
  readonly hashes: ReadonlyMap<string, string>
  /** The last (change value, key) of the chunk's watermark-moving rows, when it had any. */
  readonly position: { readonly value: string; readonly key: string } | undefined
  readonly requeuedKeys: ReadonlyArray<string>
  readonly nullChange: number
}

export interface ChunkContext {
  readonly tenant: string
  readonly company: string
  readonly store: string
  readonly timeZone: string
  readonly esl: EslConfig
  readonly plan: ChangePlan
  readonly full: boolean
  readonly metrics: SendMetrics
  readonly stageMs: (stage: "validate" | "transform" | "send", ms: number) => void
}

const timed = <A, E, R>(record: (ms: number) => void, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const result = yield* effect
    record(performance.now() - start)
    return result
  })

export const validateRows = Effect.fn("esl.validate")(function* (
  rows: ReadonlyArray<SourceRow>,
  check: ReturnType<typeof makeValidator>
) {
  const valid: Array<{ readonly source: SourceRow; readonly row: ValidRow }> = []
  const invalid: Array<Quarantined> = []
  for (const source of rows) {
    const result = check(source.row)
    if ("valid" in result) valid.push({ source, row: result.valid })
    else invalid.push(result.invalid)
  }
  yield* Effect.annotateCurrentSpan({ "esl.rows": rows.length, "esl.invalid": invalid.length })
  return { valid, invalid }
})

/** Articles for the valid rows; when two rows give one article id, the later row wins, as it would on the API. */
export const transformRows = Effect.fn("esl.transform")(function* (rows: ReadonlyArray<{ readonly row: ValidRow }>) {
  const byId = new Map<string, { readonly article: Article; readonly hash: string }>()
  for (const { row } of rows) {
    const article = toArticle(row)
    byId.set(article.articleId, { article, hash: articleHash(article) })
  }
  return byId
})

/** Validates, transforms, drops unchanged articles (by content hash) and sends the rest of one chunk. */
export const processChunk = (context: ChunkContext, check: ReturnType<typeof makeValidator>) =>
  Effect.fnUntraced(function* (rows: ReadonlyArray<SourceRow>) {
    const runStore = yield* RunStore
    const { valid, invalid } = yield* timed((ms) => context.stageMs("validate", ms), validateRows(rows, check))
    const articles = yield* timed((ms) => context.stageMs("transform", ms), transformRows(valid))
    const known = context.full
      ? new Map<string, string>()
      : yield* runStore.getArticleHashes(context.tenant, context.store, [...articles.keys()])
    const toSend = [...articles.values()].filter(({ article, hash }) => known.get(article.articleId) !== hash)
    const outcome: ChunkOutcome =
      toSend.length === 0
        ? { accepted: [], rejected: [] }
        : yield* timed(
            (ms) => context.stageMs("send", ms),
            sendChunk(
              context.company,
              context.store,
              toSend.map((s) => s.article),
              context.esl.retry,
              context.metrics
            )
          )
    const moving = rows.filter((r) => r.origin === "change")
    const last = moving.at(-1)?.row
    return {
      rows: rows.length,
      invalid,
      unchanged: articles.size - toSend.length,
      sent: toSend.length,
      outcome,
      hashes: new Map(toSend.map((s) => [s.article.articleId, s.hash])),
      position:
        last === undefined
          ? undefined
          : { value: valueText(last[context.plan.changeColumn.name] ?? null), key: rowKey(context.plan, last) },
      requeuedKeys: rows.filter((r) => r.origin === "requeued").map((r) => rowKey(context.plan, r.row)),
      nullChange: rows.filter((r) => r.origin === "null_change").length
    } satisfies ChunkResult
  })
