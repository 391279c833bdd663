import { Clock, Duration, Effect, Schedule } from "effect"
import type { ArticleBatch } from "../domain/Article.ts"
import type { EslConfig } from "../domain/TenantConfig.ts"
import type { BatchResult, EslApi, EslApiError } from "../services/EslApi.ts"
import type { Rejection } from "./summary.ts"

/** What the API made of one chunk: every article is either accepted (by id) or rejected (with the server's text). */
export interface ChunkOutcome {
  readonly accepted: ReadonlyArray<string>
  readonly rejected: ReadonlyArray<Rejection>
}

/** Figures the send stage reports into the run summary. */
export interface SendMetrics {
  retries: number
  readonly latencies: Array<number>
}

/**
 * Capped, jittered exponential backoff for retryable ESL failures; a `Retry-After` from the server is honoured when
 * it asks for longer than the backoff would wait.
 */
export const retrySchedule = (retry: EslConfig["retry"]) => {
  const capMs = Duration.toMillis(retry.cap)
  return Schedule.exponential(retry.base).pipe(
    Schedule.jittered,
    Schedule.setInputType<EslApiError>(),
    Schedule.modifyDelay(({ input, duration }) => {
      const backoff = Math.min(Duration.toMillis(duration), capMs)
      const asked = input.retryAfter === undefined ? 0 : Duration.toMillis(input.retryAfter)
      return Effect.succeed(Duration.millis(Math.max(backoff, asked)))
    }),
    Schedule.upTo({ times: Math.max(0, retry.attempts - 1) })
  )
}

/** Times one API call on the Effect clock and counts attempts beyond the first as retries. */
const measured = <A>(metrics: SendMetrics, call: Effect.Effect<A, EslApiError>) => {
  let attempts = 0
  const attempt = Effect.gen(function* () {
    attempts += 1
    if (attempts > 1) metrics.retries += 1
    const start = yield* Clock.currentTimeMillis
    return yield* call.pipe(
      Effect.ensuring(
        Effect.flatMap(Clock.currentTimeMillis, (end) => Effect.sync(() => metrics.latencies.push(end - start)))
      )
    )
  })
  return attempt
}

/**
 * The upsert of one chunk, made from its serialized articles: the call holds the request body and the ids, nothing
 * else of the chunk, while it is in flight.
 */
export interface PreparedSend {
  readonly articleIds: ReadonlyArray<string>
  readonly upsert: Effect.Effect<BatchResult, EslApiError>
}

export const prepareSend = (
  api: EslApi["Service"],
  company: string,
  store: string,
  articles: ArticleBatch
): PreparedSend => ({
  articleIds: articles.ids,
  upsert: api.upsertArticles(company, store, articles, "merge")
})

/**
 * Sends one chunk with PUT (merge) and the retry rules of the spec. A 405 is permanent for the chunk: every article
 * in it is recorded as rejected with the server's text and the run goes on. Other permanent failures (403, login)
 * and transient failures that outlast the retries fail the effect, so nothing past them is committed.
 */
export const sendChunk = Effect.fn("esl.send")(function* (
  company: string,
  store: string,
  send: PreparedSend,
  retry: EslConfig["retry"],
  metrics: SendMetrics
) {
  const { articleIds } = send
  yield* Effect.annotateCurrentSpan({ "esl.company": company, "esl.store": store, "esl.articles": articleIds.length })
  const result = yield* measured(metrics, send.upsert).pipe(
    Effect.retry({ schedule: retrySchedule(retry), while: (error: EslApiError) => error.retryable }),
    Effect.map((batch) => ({ _tag: "Answered" as const, batch })),
    Effect.catchIf(
      (error: EslApiError) => error.reason === "InvalidRequest",
      (error) => Effect.succeed({ _tag: "ChunkRefused" as const, error })
    )
  )
  if (result._tag === "ChunkRefused") {
    const text = `chunk refused (HTTP ${result.error.status ?? "?"}): ${result.error.responseMessage}`
    return {
      accepted: [],
      rejected: articleIds.map((articleId) => ({ articleId, errorText: text }))
    } satisfies ChunkOutcome
  }
  const refused = new Map(result.batch.rejected.map((r) => [r.articleId, r.errorText]))
  if (refused.size === 0) return { accepted: articleIds, rejected: [] } satisfies ChunkOutcome
  const accepted: Array<string> = []
  const rejected: Array<Rejection> = []
  for (const articleId of articleIds) {
    const errorText = refused.get(articleId)
    if (errorText === undefined) accepted.push(articleId)
    else rejected.push({ articleId, errorText })
  }
  return { accepted, rejected } satisfies ChunkOutcome
})
