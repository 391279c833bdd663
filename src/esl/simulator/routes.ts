import { Effect } from "effect"
import type { HttpRouter } from "effect/http"
import { HttpServerResponse } from "effect/http"
import type { UpsertMode } from "../../services/EslApi.ts"
import { applyWrite, articleProblem, decodeElement, maxArticlesPerCall, pagingProblem } from "./articles.ts"
import type { RuleOf } from "./faults.ts"
import type { SimRoute } from "./options.ts"
import {
  type Answer,
  type Call,
  type Checks,
  envelope,
  handle,
  invalidBody,
  jsonBody,
  type SimContext
} from "./pipeline.ts"
import type { BatchRecord, ValidationLogEntry } from "./state.ts"

export const clusterPrefixes = ["", "/c1"] as const
export const apiBase = "/common/api/v2"

const open: Checks = { auth: false, company: false, store: false }
const companyOnly: Checks = { auth: true, company: true, store: false }
const storeLevel: Checks = { auth: true, company: true, store: true }

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const tokenRoutes = (ctx: SimContext) => {
  const login = (call: Call): Answer =>
    Effect.gen(function* () {
      const body = yield* jsonBody(call.request)
      if (!isRecord(body) || typeof body.username !== "string" || typeof body.password !== "string") {
        return yield* Effect.fail(invalidBody)
      }
      const stats = ctx.state.stats()
      if (body.username !== ctx.credentials.username || body.password !== ctx.credentials.password) {
        stats.failedLogins += 1
        // As the vendor does: a refused login is a 200 whose message is text, with no token.
        return envelope(200, "LOGIN_FAILED: the username or password is not correct")
      }
      stats.logins += 1
      return envelope(200, ctx.state.issueToken(call.now, ctx.tokenTtlSeconds))
    })

  const refresh = (call: Call): Answer =>
    Effect.gen(function* () {
      const body = yield* jsonBody(call.request)
      if (!isRecord(body) || typeof body.refreshToken !== "string") return yield* Effect.fail(invalidBody)
      if (ctx.faults.first(["refreshFailure"], { route: call.route, company: undefined }) !== undefined) {
        ctx.state.revokeRefreshToken(body.refreshToken)
        return yield* Effect.fail(envelope(401, "TOKEN_IS_INVALID"))
      }
      if (!ctx.state.takeRefreshToken(body.refreshToken)) return yield* Effect.fail(envelope(401, "TOKEN_IS_INVALID"))
      ctx.state.stats().refreshes += 1
      return envelope(200, ctx.state.issueToken(call.now, ctx.tokenTtlSeconds))
    })

  return { login, refresh }
}

const articleRoutes = (ctx: SimContext) => {
  const { state, faults } = ctx
  const selected = (rule: RuleOf<"reject"> | RuleOf<"drop">, articleId: string): boolean =>
    rule.articleIds !== undefined
      ? rule.articleIds.includes(articleId)
      : rule.share !== undefined
        ? faults.random() < rule.share
        : true

  /** Records the batch and answers with its counts (or, for an `omitBatchId` fault, like an older server). */
  const finish = (call: Call, company: string, total: number, errors: ReadonlyArray<ValidationLogEntry>) => {
    const info = { route: call.route, company }
    const processing = faults.all(["processing"], info).length > 0
    const legacy = faults.all(["omitBatchId"], info).length > 0
    const fail = errors.length
    const success = total - fail
    const batch: BatchRecord = {
      name: state.newBatchName(company),
      store: call.store ?? "",
      result: processing ? "PROCESSING" : fail === 0 ? "SUCCESS" : success === 0 ? "FAIL" : "PARTIAL_SUCCESS",
      total,
      success,
      fail,
      errors
    }
    state.recordBatch(company, batch)
    if (legacy) return envelope(200, "SUCCESS")
    return envelope(200, "SUCCESS", { customBatchId: batch.name, validCount: success, invalidCount: fail })
  }

  const upsert =
    (mode: UpsertMode) =>
    (call: Call): Answer =>
      Effect.gen(function* () {
        const company = call.company ?? ""
        const body = yield* jsonBody(call.request)
        if (!Array.isArray(body) || body.length === 0 || body.length > maxArticlesPerCall) {
          return yield* Effect.fail(invalidBody)
        }
        const info = { route: call.route, company }
        const rejects = faults.all(["reject"], info)
        const drops = faults.all(["drop"], info)
        const lastUpdated = new Date(call.now).toISOString()
        const errors: Array<ValidationLogEntry> = []
        body.forEach((element: unknown, errorIndex) => {
          const decoded = decodeElement(element)
          if (decoded._tag === "Invalid") {
            const { articleId, errorText } = decoded
            errors.push(articleId === undefined ? { errorIndex, errorText } : { errorIndex, articleId, errorText })
            return
          }
          const { article } = decoded
          const problem = articleProblem(article)
          const rule = problem === undefined ? rejects.find((r) => selected(r, article.articleId)) : undefined
          if (problem !== undefined || rule !== undefined) {
            const errorText = problem ?? rule?.errorText ?? "REJECTED_BY_SIMULATOR"
            errors.push(
              rule?.omitArticleId === true
                ? { errorIndex, errorText }
                : { errorIndex, articleId: article.articleId, errorText }
            )
            return
          }
          // A dropped article is answered as accepted: only a later read-back can notice.
          if (drops.some((r) => selected(r, article.articleId))) return
          state.write(call.held, applyWrite(call.held.get(article.articleId), article, mode, lastUpdated))
        })
        return finish(call, company, body.length, errors)
      })

  const remove = (call: Call): Answer =>
    Effect.gen(function* () {
      const body = yield* jsonBody(call.request)
      const ids = isRecord(body) ? body.articleDeleteList : undefined
      const valid =
        Array.isArray(ids) &&
        ids.length > 0 &&
        ids.length <= maxArticlesPerCall &&
        ids.every((id) => typeof id === "string")
      if (!valid) return yield* Effect.fail(invalidBody)
      // Deleting an id the store does not hold is accepted: re-running a delete must not fail.
      for (const id of ids as ReadonlyArray<string>) call.held.delete(id)
      return finish(call, call.company ?? "", ids.length, [])
    })

  const history = (call: Call): Answer =>
    Effect.succeed(
      envelope(200, "SUCCESS", {
        articleFileHistoryList: state
          .batches(call.company ?? "", call.url.searchParams.get("name") ?? undefined)
          .map(({ name, result, total, success, fail }) => ({ name, result, total, success, fail }))
      })
    )

  const validationLog = (call: Call): Answer => {
    const id = call.url.searchParams.get("inputBatchId")
    const [batch] = id === null ? [] : state.batches(call.company ?? "", id)
    return Effect.succeed(envelope(200, "SUCCESS", { data: batch?.errors ?? [] }))
  }

  const list = (call: Call): Answer => {
    const page = Number(call.url.searchParams.get("page") ?? "0")
    const size = Number(call.url.searchParams.get("size") ?? String(500))
    const problem = pagingProblem(page, size)
    if (problem !== undefined) return Effect.fail(envelope(405, problem))
    if (call.held.size === 0) return Effect.succeed(HttpServerResponse.empty({ status: 204 }))
    const sorted = state.articles(call.company ?? "", call.store ?? "")
    const articleList = sorted.slice(page * size, (page + 1) * size).map(({ writes: _, ...article }) => article)
    return Effect.succeed(envelope(200, "SUCCESS", { totalArticleCnt: sorted.length, articleList }))
  }

  return { upsert, remove, history, validationLog, list }
}

/** Registers the whole contract under both cluster prefixes. */
export const addContractRoutes = (router: HttpRouter.HttpRouter, ctx: SimContext) => {
  const token = tokenRoutes(ctx)
  const articles = articleRoutes(ctx)
  const table: ReadonlyArray<readonly [SimRoute, Checks, (call: Call) => Answer]> = [
    ["POST /token", open, token.login],
    ["POST /token/refresh", open, token.refresh],
    ["PUT /common/articles", storeLevel, articles.upsert("merge")],
    ["POST /common/articles", storeLevel, articles.upsert("replace")],
    ["DELETE /common/articles", storeLevel, articles.remove],
    ["GET /common/articles/history", companyOnly, articles.history],
    ["GET /common/articles/validationerror/logs", companyOnly, articles.validationLog],
    ["GET /common/config/article/info", storeLevel, articles.list]
  ]
  return Effect.forEach(
    clusterPrefixes.flatMap((prefix) => table.map((entry) => [prefix, ...entry] as const)),
    ([prefix, route, checks, handler]) => {
      const [method, path] = route.split(" ") as ["GET" | "POST" | "PUT" | "DELETE", string]
      return router.add(method, `${prefix}${apiBase}${path}`, handle(ctx, route, checks, handler))
    },
    { discard: true }
  )
}
