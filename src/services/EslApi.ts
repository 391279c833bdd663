import { Context, type Effect, type Redacted, Schema } from "effect"
import type { Article, ArticleBatch, StoredArticle } from "../domain/Article.ts"

/** An access token for one company; shared by all its stores. */
export interface EslToken {
  readonly company: string
  readonly accessToken: Redacted.Redacted<string>
  readonly expiresAt: Date
}

/** How the server answered one upsert or delete call. */
export interface BatchResult {
  readonly customBatchId: string | undefined
  readonly validCount: number
  readonly invalidCount: number
  /** Articles the server refused, with its text; empty when everything was accepted. */
  readonly rejected: ReadonlyArray<{ readonly articleId: string; readonly errorText: string }>
}

export interface ArticlePage {
  readonly total: number
  readonly articles: ReadonlyArray<StoredArticle>
}

/**
 * Why an ESL call failed. `retryable` reasons are retried by the caller's schedule; the others are permanent:
 * - `AuthFailed`: login refused (wrong username/password) — fix the credentials.
 * - `Forbidden` (403): company unknown or licence expired — permanent for the company.
 * - `InvalidRequest` (405): bad store code or payload — permanent for that chunk.
 * - `Throttled` (429): retry after `retryAfter` when given.
 * - `ServerError` (5xx), `Transport` (timeout, reset, DNS): transient.
 * - `UnexpectedResponse`: the body is not the documented envelope.
 */
export const EslFailure = Schema.Literals([
  "AuthFailed",
  "Forbidden",
  "InvalidRequest",
  "Throttled",
  "ServerError",
  "Transport",
  "UnexpectedResponse"
])
export type EslFailure = typeof EslFailure.Type

export class EslApiError extends Schema.TaggedError<EslApiError>()("EslApiError", {
  operation: Schema.String,
  company: Schema.String,
  store: Schema.optional(Schema.String),
  reason: EslFailure,
  status: Schema.optional(Schema.Number),
  responseMessage: Schema.String,
  retryAfter: Schema.optional(Schema.Duration),
  cause: Schema.optional(Schema.Defect())
}) {
  get retryable(): boolean {
    return this.reason === "Throttled" || this.reason === "ServerError" || this.reason === "Transport"
  }
  override get message(): string {
    const where = this.store === undefined ? `company ${this.company}` : `company ${this.company} store ${this.store}`
    const status = this.status === undefined ? "" : ` HTTP ${this.status}`
    const hint: Record<EslFailure, string> = {
      AuthFailed: "check the ESL username and password",
      Forbidden: "the company code is unknown or its licence expired; contact the ESL vendor",
      InvalidRequest: "check the store code and the article mapping",
      Throttled: "the API is throttling; it is retried",
      ServerError: "the API failed; it is retried",
      Transport: "the API did not answer; it is retried",
      UnexpectedResponse: "the API answered something unexpected; check the base URL and cluster prefix"
    }
    return `ESL ${this.operation} (${where})${status}: ${this.responseMessage} (${hint[this.reason]})`
  }
}

export type UpsertMode = "merge" | "replace"

/** The ESL vendor's cloud API (see shared/specs/esl-api.md). Tokens are handled inside: callers never pass one. */
export class EslApi extends Context.Service<
  EslApi,
  {
    /** A valid token for the company: cached, renewed before expiry, one login at a time per company. */
    readonly token: (company: string) => Effect.Effect<EslToken, EslApiError>
    /** Sends up to 1000 articles, as objects or already serialized; `merge` is PUT (merge fields), `replace` is POST. */
    readonly upsertArticles: (
      company: string,
      store: string,
      articles: ReadonlyArray<Article> | ArticleBatch,
      mode?: UpsertMode
    ) => Effect.Effect<BatchResult, EslApiError>
    /** Deletes articles by id. */
    readonly deleteArticles: (
      company: string,
      store: string,
      articleIds: ReadonlyArray<string>
    ) => Effect.Effect<BatchResult, EslApiError>
    /** One page (0-based, size ≤ 500) of the articles the API holds for a store, ordered by article id. */
    readonly listArticles: (
      company: string,
      store: string,
      page: number,
      size: number
    ) => Effect.Effect<ArticlePage, EslApiError>
  }
>()("storeflow/EslApi") {}
