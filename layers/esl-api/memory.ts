import { Clock, Context, Duration, Effect, Exit, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import {
  Article,
  type ArticleBatch,
  isArticleList,
  type StoredArticle,
  storedArticle
} from "../../src/domain/Article.ts"
import {
  type ArticlePage,
  type BatchResult,
  EslApi,
  EslApiError,
  type EslFailure,
  type EslToken,
  type UpsertMode
} from "../../src/services/EslApi.ts"
import {
  type EslCall,
  type EslFault,
  EslMemory,
  type EslMemoryOptions,
  type EslOperation,
  faultDefaults
} from "./memory-control.ts"

export { type EslCall, type EslFault, EslMemory, type EslMemoryOptions, type EslOperation } from "./memory-control.ts"

const maxArticlesPerCall = 1000
const maxPageSize = 500
const nfcUrlMaxLength = 254
const renewBeforeMillis = Duration.toMillis("5 minutes")

interface Pending<A> {
  readonly value: A
  remaining: number
}

const byArticleId = (a: StoredArticle, b: StoredArticle): number =>
  a.articleId < b.articleId ? -1 : a.articleId > b.articleId ? 1 : 0

const decodeBody = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Array(Article)))

/** Mirrors the server's per-article validation; `undefined` when the article is acceptable. */
const articleProblem = (article: Article): string | undefined => {
  if (article.articleId === "") return "articleId is required"
  if (article.articleName === "") return "articleName is required"
  if (article.nfcUrl !== undefined && article.nfcUrl.length > nfcUrlMaxLength) {
    return `nfcUrl is longer than ${nfcUrlMaxLength} characters`
  }
  return undefined
}

/** An in-memory ESL vendor API following shared/specs/esl-api.md, plus `EslMemory` to inspect and break it. */
export const layerMemory = (options: EslMemoryOptions): Layer.Layer<EslApi | EslMemory> =>
  Layer.effectContext(
    Effect.sync(() => {
      const tokenTtlMillis = Duration.toMillis(options.tokenTtl ?? "1 hour")
      const stores = new Map<string, Map<string, Map<string, StoredArticle>>>()
      const logins = new Map<string, Semaphore.Semaphore>()
      for (const [company, codes] of Object.entries(options.companies)) {
        stores.set(company, new Map(codes.map((code) => [code, new Map()])))
        logins.set(company, Semaphore.makeUnsafe(1))
      }
      const tokens = new Map<string, EslToken>()
      const fetches = new Map<string, number>()
      const rejections = new Map<string, Map<string, string>>()
      const expired = new Set<string>()
      const faults = new Map<EslOperation, Array<Pending<EslFault>>>()
      const delays = new Map<EslOperation, Array<Pending<Duration.Duration>>>()
      const calls: Array<EslCall> = []
      let batches = 0

      const enqueue = <A>(queues: Map<EslOperation, Array<Pending<A>>>, operation: EslOperation, value: A, times = 1) =>
        Effect.sync(() => {
          if (times < 1) return
          const queue = queues.get(operation) ?? []
          queue.push({ value, remaining: times })
          queues.set(operation, queue)
        })

      const takeNext = <A>(queues: Map<EslOperation, Array<Pending<A>>>, operation: EslOperation): A | undefined => {
        const head = queues.get(operation)?.[0]
        if (head === undefined) return undefined
        head.remaining -= 1
        if (head.remaining === 0) queues.get(operation)?.shift()
        return head.value
      }

      const fail = (operation: EslOperation, company: string, store: string | undefined, fault: EslFault) =>
        new EslApiError({
          operation,
          company,
          store,
          reason: fault.reason,
          status: fault.status ?? faultDefaults[fault.reason].status,
          responseMessage: fault.responseMessage ?? faultDefaults[fault.reason].responseMessage,
          retryAfter: fault.retryAfter === undefined ? undefined : Duration.fromInputUnsafe(fault.retryAfter)
        })

      const delayed = (operation: EslOperation) => {
        const delay = takeNext(delays, operation)
        return delay === undefined ? Effect.void : Effect.sleep(delay)
      }

      const login = Effect.fnUntraced(function* (company: string) {
        const now = yield* Clock.currentTimeMillis
        const cached = tokens.get(company)
        if (cached !== undefined && now < cached.expiresAt.getTime() - renewBeforeMillis) return cached
        yield* delayed("token")
        const attempt = (fetches.get(company) ?? 0) + 1
        fetches.set(company, attempt)
        const fault = takeNext(faults, "token")
        if (fault !== undefined) return yield* fail("token", company, undefined, fault)
        const issuedAt = yield* Clock.currentTimeMillis
        const fresh: EslToken = {
          company,
          accessToken: Redacted.make(`memory-${company}-${attempt}`),
          expiresAt: new Date(issuedAt + tokenTtlMillis)
        }
        tokens.set(company, fresh)
        return fresh
      })

      const token = Effect.fn("EslApi.token")(function* (company: string) {
        const lock = logins.get(company)
        if (lock === undefined) {
          return yield* fail("token", company, undefined, { reason: "Forbidden", responseMessage: "COMPANY_NOT_FOUND" })
        }
        // One permit per company: concurrent callers queue behind a login and then find the fresh token cached.
        return yield* lock.withPermits(1)(login(company))
      })

      /** What every article route does before its own work: latency, company, token, faults, licence, store. */
      const articleRoute = <A>(
        call: Omit<EslCall, "articleCount" | "outcome">,
        articleCount: (result: A | undefined) => number,
        body: (held: Map<string, StoredArticle>) => Effect.Effect<A, EslApiError>
      ): Effect.Effect<A, EslApiError> => {
        const { operation, company, store } = call
        const reject = (status: number, reason: EslFailure, responseMessage: string) =>
          fail(operation, company, store, { reason, status, responseMessage })
        return Effect.gen(function* () {
          yield* delayed(operation)
          const companyStores = stores.get(company)
          if (companyStores === undefined) return yield* reject(403, "Forbidden", "COMPANY_NOT_FOUND")
          yield* token(company)
          const fault = takeNext(faults, operation)
          if (fault !== undefined) return yield* fail(operation, company, store, fault)
          if (expired.has(company)) return yield* reject(403, "Forbidden", "LICENSE_EXPIRED")
          const held = companyStores.get(store)
          if (held === undefined) return yield* reject(405, "InvalidRequest", "STORE_CODE_NOT_FOUND")
          return yield* body(held)
        }).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              const outcome = Exit.isSuccess(exit)
                ? "ok"
                : Option.match(Exit.findErrorOption(exit), {
                    onNone: () => "interrupted" as const,
                    onSome: (error) => error.reason
                  })
              calls.push({
                ...call,
                articleCount: articleCount(Exit.isSuccess(exit) ? exit.value : undefined),
                outcome
              })
            })
          )
        )
      }

      const invalidSize = (operation: EslOperation, company: string, store: string, size: number) =>
        size === 0 || size > maxArticlesPerCall
          ? Effect.fail(fail(operation, company, store, { reason: "InvalidRequest", status: 405 }))
          : Effect.void

      const upsertArticles = Effect.fn("EslApi.upsertArticles")(function* (
        company: string,
        store: string,
        given: ReadonlyArray<Article> | ArticleBatch,
        mode: UpsertMode = "merge"
      ) {
        const call = { operation: "upsertArticles" as const, company, store, mode }
        // A body that is not a JSON array of articles is refused as an empty one would be, as a server refuses it: 405.
        const articles = isArticleList(given)
          ? given
          : Option.getOrElse(decodeBody(new TextDecoder().decode(given.body)), () => [])
        return yield* articleRoute(
          call,
          () => articles.length,
          (held) =>
            Effect.gen(function* () {
              yield* invalidSize("upsertArticles", company, store, articles.length)
              const lastUpdated = new Date(yield* Clock.currentTimeMillis).toISOString()
              const refused = rejections.get(company)
              const rejected: Array<{ articleId: string; errorText: string }> = []
              for (const article of articles) {
                const errorText = articleProblem(article) ?? refused?.get(article.articleId)
                if (errorText !== undefined) {
                  rejected.push({ articleId: article.articleId, errorText })
                  continue
                }
                const next = storedArticle(article, lastUpdated)
                const previous = held.get(article.articleId)
                held.set(
                  article.articleId,
                  mode === "merge" && previous !== undefined
                    ? { ...previous, ...next, data: { ...previous.data, ...next.data } }
                    : next
                )
              }
              batches += 1
              return {
                customBatchId: `memory-batch-${batches}`,
                validCount: articles.length - rejected.length,
                invalidCount: rejected.length,
                rejected
              } satisfies BatchResult
            })
        )
      })

      const deleteArticles = Effect.fn("EslApi.deleteArticles")(function* (
        company: string,
        store: string,
        articleIds: ReadonlyArray<string>
      ) {
        const call = { operation: "deleteArticles" as const, company, store, mode: undefined }
        return yield* articleRoute(
          call,
          () => articleIds.length,
          (held) =>
            Effect.gen(function* () {
              yield* invalidSize("deleteArticles", company, store, articleIds.length)
              // Deleting an id the store does not hold is accepted: re-running a delete must not fail.
              for (const id of articleIds) held.delete(id)
              batches += 1
              return {
                customBatchId: `memory-batch-${batches}`,
                validCount: articleIds.length,
                invalidCount: 0,
                rejected: []
              } satisfies BatchResult
            })
        )
      })

      const listArticles = Effect.fn("EslApi.listArticles")(function* (
        company: string,
        store: string,
        page: number,
        size: number
      ) {
        const call = { operation: "listArticles" as const, company, store, mode: undefined }
        return yield* articleRoute(
          call,
          (result: ArticlePage | undefined) => result?.articles.length ?? 0,
          (held) => {
            const validPaging = Number.isInteger(page) && page >= 0 && Number.isInteger(size) && size >= 1
            if (!validPaging || size > maxPageSize) {
              return Effect.fail(
                fail("listArticles", company, store, {
                  reason: "InvalidRequest",
                  status: 405,
                  responseMessage: `INVALID_PAGE_OR_SIZE (page ${page}, size ${size}; size must be 1..${maxPageSize})`
                })
              )
            }
            const sorted = [...held.values()].sort(byArticleId)
            return Effect.succeed({ total: sorted.length, articles: sorted.slice(page * size, (page + 1) * size) })
          }
        )
      })

      const api = EslApi.of({ token, upsertArticles, deleteArticles, listArticles })

      const control = EslMemory.of({
        articles: (company, store) =>
          Effect.sync(() => [...(stores.get(company)?.get(store)?.values() ?? [])].sort(byArticleId)),
        calls: Effect.sync(() => [...calls]),
        tokenFetches: (company) => Effect.sync(() => fetches.get(company) ?? 0),
        rejectIds: (company, ids, errorText) =>
          Effect.sync(() => {
            const refused = rejections.get(company) ?? new Map<string, string>()
            for (const id of ids) refused.set(id, errorText)
            rejections.set(company, refused)
          }),
        failNext: (operation, fault, times) =>
          enqueue(faults, operation, typeof fault === "string" ? { reason: fault } : fault, times),
        delayNext: (operation, delay, times) => enqueue(delays, operation, Duration.fromInputUnsafe(delay), times),
        expireLicence: (company) => Effect.sync(() => void expired.add(company)),
        revokeToken: (company) => Effect.sync(() => void tokens.delete(company)),
        clearFaults: Effect.sync(() => {
          faults.clear()
          delays.clear()
          rejections.clear()
          expired.clear()
        })
      })

      return Context.make(EslApi, api).pipe(Context.add(EslMemory, control))
    })
  )
