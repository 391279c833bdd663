import { Context, type Duration, type Effect } from "effect"
import type { StoredArticle } from "../../src/domain/Article.ts"
import type { EslFailure, UpsertMode } from "../../src/services/EslApi.ts"

export type EslOperation = "token" | "upsertArticles" | "deleteArticles" | "listArticles"

/** A failure to inject; omitted fields default to what the real client reports for that reason. */
export interface EslFault {
  readonly reason: EslFailure
  readonly status?: number
  readonly responseMessage?: string
  readonly retryAfter?: Duration.Input
}

/** One article call as the server saw it (token logins are counted by `tokenFetches` instead). */
export interface EslCall {
  readonly operation: Exclude<EslOperation, "token">
  readonly company: string
  readonly store: string
  readonly mode: UpsertMode | undefined
  /** Articles sent (upsert), ids sent (delete) or articles returned (list, 0 when it failed). */
  readonly articleCount: number
  readonly outcome: "ok" | "interrupted" | EslFailure
}

export interface EslMemoryOptions {
  /** company code → its store codes; anything else is unknown to the server. */
  readonly companies: Readonly<Record<string, ReadonlyArray<string>>>
  /** Token lifetime (the API's `expires_in`); 1 hour by default. */
  readonly tokenTtl?: Duration.Input
}

/** Inspects and steers the in-memory ESL API from tests. */
export class EslMemory extends Context.Service<
  EslMemory,
  {
    /** What the server holds for a store, sorted by article id (empty for an unknown company or store). */
    readonly articles: (company: string, store: string) => Effect.Effect<ReadonlyArray<StoredArticle>>
    /** Every article call so far, in order, including failed ones. */
    readonly calls: Effect.Effect<ReadonlyArray<EslCall>>
    /** How many logins were attempted for the company (cached tokens do not count, failed logins do). */
    readonly tokenFetches: (company: string) => Effect.Effect<number>
    /** From now on, upserts of these ids in any store of the company are rejected with `errorText`. */
    readonly rejectIds: (company: string, ids: ReadonlyArray<string>, errorText: string) => Effect.Effect<void>
    /**
     * The next `times` (default 1) calls of `operation` fail like the real client would report it.
     * For `token` the fault hits the next login, not a call answered from the cached token.
     */
    readonly failNext: (operation: EslOperation, fault: EslFailure | EslFault, times?: number) => Effect.Effect<void>
    /** The next `times` (default 1) calls of `operation` answer only after `delay` (Clock time). */
    readonly delayNext: (operation: EslOperation, delay: Duration.Input, times?: number) => Effect.Effect<void>
    /** Article calls for the company fail with 403 `LICENSE_EXPIRED` until `clearFaults`. */
    readonly expireLicence: (company: string) => Effect.Effect<void>
    /** Drops the company's cached token, as if the server revoked it: the next call logs in again. */
    readonly revokeToken: (company: string) => Effect.Effect<void>
    /** Removes pending failures and delays, id rejections and expired licences. */
    readonly clearFaults: Effect.Effect<void>
  }
>()("storeflow/EslMemory") {}

/** What the real HTTP client reports for each reason when a test does not say otherwise. */
export const faultDefaults: Record<
  EslFailure,
  { readonly status: number | undefined; readonly responseMessage: string }
> = {
  AuthFailed: { status: 200, responseMessage: "LOGIN_FAILED" },
  Forbidden: { status: 403, responseMessage: "LICENSE_EXPIRED" },
  InvalidRequest: { status: 405, responseMessage: "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST" },
  Throttled: { status: 429, responseMessage: "TOO_MANY_REQUESTS" },
  ServerError: { status: 503, responseMessage: "SERVICE_UNAVAILABLE" },
  Transport: { status: undefined, responseMessage: "connection reset (ECONNRESET)" },
  UnexpectedResponse: { status: 200, responseMessage: "the body is not the documented envelope" }
}
