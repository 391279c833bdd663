import { Effect } from "effect"
import type { Article } from "../domain/Article.ts"
import type { EslConfig } from "../domain/TenantConfig.ts"
import { EslApi } from "../services/EslApi.ts"
import { type ArticleHash, RunStore, type RunStoreError } from "../services/RunStore.ts"
import type { Row } from "../services/SourceDb.ts"
import { isQuarantined, type makeRowCheck, type Quarantined, sameContent } from "./articles.ts"
import { type ChangePlan, rowKey, type SourceRow } from "./extract.ts"
import { type ChunkOutcome, prepareSend, type SendMetrics, sendChunk } from "./send.ts"
import { batchOf, type SerializedArticles, serializeArticles, textAt } from "./serialize.ts"
import { valueText } from "./watermark.ts"

/** What one chunk of source rows became; the commit step turns it into durable state. */
export interface ChunkResult {
  readonly rows: number
  readonly invalid: ReadonlyArray<Quarantined>
  readonly unchanged: number
  readonly sent: number
  readonly outcome: ChunkOutcome
  /** The content hash of each accepted article, in the order of `outcome.accepted`. */
  readonly acceptedHashes: ReadonlyArray<ArticleHash>
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
  /**
   * Whether the store had any stored hash when the pass began. Hashes are looked up only then (and not in a `--full`
   * pass): a store never delivered sends every article, and knows each of them is new.
   */
  readonly hashesStored: boolean
  readonly metrics: SendMetrics
  readonly stageMs: (stage: "validate" | "transform" | "send", ms: number) => void
}

export type RowCheck = ReturnType<typeof makeRowCheck>

/** A chunk checked and turned into articles: what the send and the commit need, and none of its rows. */
interface PreparedChunk extends SerializedArticles {
  readonly rows: number
  readonly invalid: ReadonlyArray<Quarantined>
  readonly position: ChunkResult["position"]
  readonly requeuedKeys: ReadonlyArray<string>
  readonly nullChange: number
}

const timed = <A, E, R>(record: (ms: number) => void, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const result = yield* effect
    record(performance.now() - start)
    return result
  })

export const validateRows = Effect.fn("esl.validate")(function* (rows: ReadonlyArray<SourceRow>, check: RowCheck) {
  const valid: Array<Article> = []
  const invalid: Array<Quarantined> = []
  for (const source of rows) {
    const result = check(source.row)
    if (isQuarantined(result)) invalid.push(result)
    else valid.push(result)
  }
  yield* Effect.annotateCurrentSpan({ "esl.rows": rows.length, "esl.invalid": invalid.length })
  return { valid, invalid }
})

/** Serializes and hashes the chunk's articles, one per article id (the later row's when two rows give one id). */
export const transformRows = Effect.fn("esl.transform")(function* (valid: ReadonlyArray<Article>) {
  return serializeArticles(valid)
})

/** What the watermark and the re-queue need from a chunk's rows. */
const positions = (plan: ChangePlan, rows: ReadonlyArray<SourceRow>) => {
  let last: Row | undefined
  const requeuedKeys: Array<string> = []
  let nullChange = 0
  for (const { origin, row } of rows) {
    if (origin === "change") last = row
    else if (origin === "requeued") requeuedKeys.push(rowKey(plan, row))
    else nullChange += 1
  }
  const position =
    last === undefined ? undefined : { value: valueText(last[plan.changeColumn.name] ?? null), key: rowKey(plan, last) }
  return { position, requeuedKeys, nullChange }
}

const prepareChunk = (context: ChunkContext, check: RowCheck, rows: ReadonlyArray<SourceRow>) =>
  Effect.gen(function* () {
    const { valid, invalid } = yield* timed((ms) => context.stageMs("validate", ms), validateRows(rows, check))
    const articles = yield* timed((ms) => context.stageMs("transform", ms), transformRows(valid))
    return { rows: rows.length, invalid, ...articles, ...positions(context.plan, rows) } satisfies PreparedChunk
  })

/** The chunk's articles the API does not have yet (by content hash), and their upsert made. */
const selectChanged = (
  api: EslApi["Service"],
  context: ChunkContext,
  serialized: SerializedArticles,
  known: ReadonlyMap<string, string>
) => {
  const { ids, hashes } = serialized
  const toSend: Array<number> = []
  for (let i = 0; i < ids.length; i++) {
    const stored = known.get(ids[i] as string)
    // The text is decoded only for a hash stored in the earlier format.
    if (stored === undefined || !sameContent(stored, hashes[i] as string, () => textAt(serialized, i))) toSend.push(i)
  }
  const send =
    toSend.length === 0 ? undefined : prepareSend(api, context.company, context.store, batchOf(serialized, toSend))
  return { send, sent: toSend.length, unchanged: ids.length - toSend.length }
}

const nothingSent: ChunkOutcome = { accepted: [], rejected: [] }

/**
 * Sends what the API lacks of a chunk. Only the figures, hashes and id index of the chunk are kept for its result:
 * nothing created here refers to `chunk` or its texts while the upsert (which carries the request body) is in flight.
 */
const sendChanged = (
  context: ChunkContext,
  chunk: PreparedChunk,
  stored: ReadonlyMap<string, string>,
  api: EslApi["Service"]
) => {
  const { rows, invalid, position, requeuedKeys, nullChange, hashes, indexOf } = chunk
  const { send, sent, unchanged } = selectChanged(api, context, chunk, stored)
  // Without a lookup in a --full pass nothing is known; otherwise an id the lookup (or the empty store) lacks is new.
  const isNew = (articleId: string) => (context.full ? undefined : !stored.has(articleId))
  const outcome =
    send === undefined
      ? Effect.succeed(nothingSent)
      : timed(
          (ms) => context.stageMs("send", ms),
          sendChunk(context.company, context.store, send, context.esl.retry, context.metrics)
        )
  return Effect.map(
    outcome,
    (outcome): ChunkResult => ({
      rows,
      invalid,
      unchanged,
      sent,
      outcome,
      acceptedHashes: outcome.accepted.map((articleId) => ({
        articleId,
        hash: hashes[indexOf.get(articleId) ?? -1] ?? "",
        isNew: isNew(articleId)
      })),
      position,
      requeuedKeys,
      nullChange
    })
  )
}

/** Drops the articles the API already has (by content hash) and sends the rest. */
const deliverChunk = (context: ChunkContext, chunk: PreparedChunk) => {
  const lookUp = !context.full && context.hashesStored
  const known: Effect.Effect<ReadonlyMap<string, string>, RunStoreError, RunStore> = !lookUp
    ? Effect.succeed(new Map())
    : RunStore.use((runStore) => runStore.getArticleHashes(context.tenant, context.store, chunk.ids))
  return Effect.flatMap(known, (stored) => EslApi.use((api) => sendChanged(context, chunk, stored, api)))
}

/**
 * Validates, transforms, drops unchanged articles (by content hash) and sends the rest of one chunk. The rows are not
 * needed past the first step, so they are not held while the chunk waits on the state database and the API.
 */
export const processChunk = (context: ChunkContext, check: RowCheck) => (rows: ReadonlyArray<SourceRow>) =>
  Effect.flatMap(prepareChunk(context, check, rows), (chunk) => deliverChunk(context, chunk))
