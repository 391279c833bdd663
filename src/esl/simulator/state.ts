import { randomBytes } from "node:crypto"
import type { StoredArticle } from "../../domain/Article.ts"
import { byArticleId } from "./articles.ts"

/** An article the simulator holds, with how many accepted writes it has seen. */
export interface SimArticle extends StoredArticle {
  readonly writes: number
}

export interface ValidationLogEntry {
  readonly errorIndex: number
  readonly articleId?: string
  readonly errorText: string
}

export type BatchResultName = "SUCCESS" | "PARTIAL_SUCCESS" | "FAIL" | "PROCESSING"

export interface BatchRecord {
  readonly name: string
  readonly store: string
  readonly result: BatchResultName
  readonly total: number
  readonly success: number
  readonly fail: number
  readonly errors: ReadonlyArray<ValidationLogEntry>
}

export interface RouteStats {
  calls: number
  /** Answers by status; a destroyed connection counts as `reset`, an abandoned call as `aborted`. */
  readonly statuses: Record<string, number>
}

export interface SimStats {
  readonly routes: Record<string, RouteStats>
  /** Access tokens handed out by logins and refreshes. */
  tokensIssued: number
  logins: number
  failedLogins: number
  refreshes: number
  /** Calls being answered right now (useful to wait for a slow call to arrive). */
  inFlight: number
  /** Articles stored by accepted writes, counting re-writes. */
  articleWrites: number
}

export type TokenCheck = { readonly ok: true } | { readonly ok: false; readonly responseMessage: string }

const opaque = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`

/** Everything the simulator remembers, keyed by (company, store, articleId). Plain mutable state: JS is single-threaded. */
export const makeState = (companies: Readonly<Record<string, ReadonlyArray<string>>>) => {
  const stores = new Map<string, Map<string, Map<string, SimArticle>>>()
  const tokens = new Map<string, { expiresAt: number }>()
  const refreshTokens = new Set<string>()
  const batches = new Map<string, Map<string, BatchRecord>>()
  let batchCount = 0
  let stats: SimStats

  const clear = () => {
    stores.clear()
    for (const [company, codes] of Object.entries(companies)) {
      stores.set(company, new Map(codes.map((code) => [code, new Map()])))
    }
    tokens.clear()
    refreshTokens.clear()
    batches.clear()
    batchCount = 0
    stats = { routes: {}, tokensIssued: 0, logins: 0, failedLogins: 0, refreshes: 0, inFlight: 0, articleWrites: 0 }
  }
  clear()

  return {
    clear,
    stats: () => stats,
    count: (route: string, status: string) => {
      const entry = stats.routes[route] ?? { calls: 0, statuses: {} }
      entry.calls += 1
      entry.statuses[status] = (entry.statuses[status] ?? 0) + 1
      stats.routes[route] = entry
    },
    hasCompany: (company: string | undefined): company is string => company !== undefined && stores.has(company),
    store: (company: string, store: string | undefined) =>
      store === undefined ? undefined : stores.get(company)?.get(store),
    articles: (company: string, store: string): ReadonlyArray<SimArticle> =>
      [...(stores.get(company)?.get(store)?.values() ?? [])].sort(byArticleId),
    write: (held: Map<string, SimArticle>, article: StoredArticle) => {
      held.set(article.articleId, { ...article, writes: (held.get(article.articleId)?.writes ?? 0) + 1 })
      stats.articleWrites += 1
    },

    issueToken: (now: number, ttlSeconds: number) => {
      const accessToken = opaque("sim-at-")
      const refreshToken = opaque("sim-rt-")
      tokens.set(accessToken, { expiresAt: now + ttlSeconds * 1000 })
      refreshTokens.add(refreshToken)
      stats.tokensIssued += 1
      return { access_token: accessToken, token_type: "Bearer", expires_in: ttlSeconds, refresh_token: refreshToken }
    },
    /** Refresh tokens are single-use: a refresh hands out a new pair. */
    takeRefreshToken: (refreshToken: string): boolean => refreshTokens.delete(refreshToken),
    revokeRefreshToken: (refreshToken: string) => void refreshTokens.delete(refreshToken),
    checkToken: (authorization: string | undefined, now: number): TokenCheck => {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")
      if (match?.[1] === undefined) return { ok: false, responseMessage: "TOKEN_NOT_FOUND_IN_REQUEST" }
      const token = tokens.get(match[1])
      if (token === undefined) return { ok: false, responseMessage: "TOKEN_IS_INVALID" }
      return now < token.expiresAt ? { ok: true } : { ok: false, responseMessage: "TOKEN_EXPIRED" }
    },
    expireToken: (authorization: string | undefined) => {
      const token = tokens.get(/^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1] ?? "")
      if (token !== undefined) token.expiresAt = 0
    },

    newBatchName: (company: string) => `sim-${company}-${++batchCount}`,
    recordBatch: (company: string, batch: BatchRecord) => {
      const held = batches.get(company) ?? new Map<string, BatchRecord>()
      held.set(batch.name, batch)
      batches.set(company, held)
    },
    batches: (company: string, name: string | undefined): ReadonlyArray<BatchRecord> => {
      const held = batches.get(company)
      if (held === undefined) return []
      if (name === undefined) return [...held.values()]
      const batch = held.get(name)
      return batch === undefined ? [] : [batch]
    }
  }
}

export type SimState = ReturnType<typeof makeState>
