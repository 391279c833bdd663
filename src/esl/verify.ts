import { randomUUID } from "node:crypto"
import { Effect, Exit, Stream } from "effect"
import type { StoredArticle } from "../domain/Article.ts"
import type { EslConfig, TenantConfig } from "../domain/TenantConfig.ts"
import { failureText } from "../runs/outcome.ts"
import { EslApi } from "../services/EslApi.ts"
import { RunStore } from "../services/RunStore.ts"
import { SourceDb } from "../services/SourceDb.ts"
import { notifyConditions } from "./alerts.ts"
import {
  articleText,
  buildArticle,
  contentHash,
  dataKeyOrder,
  isQuarantined,
  keyText,
  makeRowCheck
} from "./articles.ts"
import { eslSource, type StoreSpec, storeSpecs } from "./stores.ts"
import { LISTED_MAX } from "./summary.ts"

const PAGE_SIZE = 500

export interface VerifySummary {
  readonly runId: string
  readonly tenant: string
  readonly store: string
  status: "succeeded" | "failed"
  error: string | undefined
  readonly counts: {
    expected: number
    onApi: number
    missing: number
    extra: number
    different: number
    invalid: number
    requeued: number
  }
  /** Article ids, at most LISTED_MAX of each. */
  readonly missing: Array<string>
  readonly extra: Array<string>
  readonly different: Array<string>
}

/** The content hash of what the API holds, reduced to the fields the tenant's mapping sends (it may hold more). */
const comparable = (esl: EslConfig, dataKeys: ReadonlyArray<string>, stored: StoredArticle) => {
  const data: Record<string, string> = {}
  for (const name of dataKeys) data[name] = stored.data[name] ?? ""
  const article = buildArticle(
    stored.articleId,
    stored.articleName,
    esl.mapping.nfc_url === undefined ? undefined : stored.nfcUrl,
    esl.mapping.eans !== undefined && stored.eans !== undefined && stored.eans.length > 0 ? stored.eans : undefined,
    data
  )
  return contentHash(articleText(article))
}

/** Every page of the store's articles on the API, as hashes of what the mapping controls. */
const apiArticles = Effect.fn("esl.verify.list")(function* (esl: EslConfig, store: string) {
  const api = yield* EslApi
  const dataKeys = dataKeyOrder(esl)
  const found = new Map<string, string>()
  for (let page = 0; ; page++) {
    const result = yield* api.listArticles(esl.company, store, page, PAGE_SIZE)
    for (const article of result.articles) found.set(article.articleId, comparable(esl, dataKeys, article))
    if (result.articles.length < PAGE_SIZE || found.size >= result.total) return found
  }
})

/** What the API should hold for the store: every valid source row as an article hash, with its source key. */
const expectedArticles = Effect.fn("esl.verify.expected")(function* (
  tenant: TenantConfig,
  esl: EslConfig,
  spec: StoreSpec
) {
  const db = yield* SourceDb
  const check = makeRowCheck(esl, tenant.timezone)
  const keyColumn = esl.source.key_column
  const expected = new Map<string, { readonly key: string; readonly hash: string }>()
  let invalid = 0
  yield* db
    .stream({ source: eslSource(esl, tenant.source.schema), where: spec.conditions, orderBy: [esl.source.key_column] })
    .pipe(
      Stream.runForEach((row) =>
        Effect.sync(() => {
          const result = check(row)
          if (isQuarantined(result)) invalid += 1
          else {
            const key = keyText(row[keyColumn]) ?? ""
            expected.set(result.articleId, { key, hash: contentHash(articleText(result)) })
          }
        })
      )
    )
  return { expected, invalid }
})

/**
 * Reconciles one store: articles missing on the API, extra on the API, or holding different data. With `requeue`,
 * missing and different articles are queued for the next sync pass (and their content hashes forgotten, so they are
 * sent even though the source did not change).
 */
export const verifyStore = Effect.fn("esl.verify")(function* (tenant: TenantConfig, spec: StoreSpec, requeue: boolean) {
  const esl = tenant.esl
  if (esl === undefined) return yield* Effect.die(new Error(`tenant ${tenant.id} has no esl section`))
  const runStore = yield* RunStore
  const runId = `verify-${randomUUID()}`
  const summary: VerifySummary = {
    runId,
    tenant: tenant.id,
    store: spec.code,
    status: "succeeded",
    error: undefined,
    counts: { expected: 0, onApi: 0, missing: 0, extra: 0, different: 0, invalid: 0, requeued: 0 },
    missing: [],
    extra: [],
    different: []
  }
  yield* runStore.startRun({ id: runId, tenant: tenant.id, job: "esl_verify", store: spec.code })
  const exit = yield* Effect.exit(
    Effect.gen(function* () {
      const { expected, invalid } = yield* expectedArticles(tenant, esl, spec)
      const actual = yield* apiArticles(esl, spec.code)
      const requeueKeys: Array<string> = []
      const requeueIds: Array<string> = []
      for (const [id, { key, hash }] of expected) {
        const onApi = actual.get(id)
        if (onApi === hash) continue
        const list = onApi === undefined ? summary.missing : summary.different
        if (onApi === undefined) summary.counts.missing += 1
        else summary.counts.different += 1
        if (list.length < LISTED_MAX) list.push(id)
        requeueKeys.push(key)
        requeueIds.push(id)
      }
      for (const id of actual.keys()) {
        if (expected.has(id)) continue
        summary.counts.extra += 1
        if (summary.extra.length < LISTED_MAX) summary.extra.push(id)
      }
      summary.counts.expected = expected.size
      summary.counts.onApi = actual.size
      summary.counts.invalid = invalid
      if (requeue && requeueKeys.length > 0) {
        yield* runStore.clearArticleHashes(tenant.id, spec.code, requeueIds)
        yield* runStore.requeue(tenant.id, spec.code, requeueKeys)
        summary.counts.requeued = requeueKeys.length
      }
    })
  )
  if (Exit.isFailure(exit)) {
    summary.status = "failed"
    summary.error = failureText(exit.cause)
  }
  yield* runStore.finishRun(runId, {
    status: summary.status,
    counts: { ...summary.counts },
    error: summary.error,
    summary
  })
  const { expected, missing, different } = summary.counts
  const ratio = expected === 0 ? 0 : (missing + different) / expected
  yield* notifyConditions(
    {
      tenant: tenant.id,
      tenantName: tenant.name,
      scope: `esl:${spec.code}`,
      fields: { store: spec.code, run: runId, company: esl.company },
      remindEvery: esl.alerts.remind_every
    },
    [
      {
        condition: "verify_mismatch",
        active: summary.status === "succeeded" ? ratio > esl.alerts.mismatch_ratio : undefined,
        severity: "warning",
        title: "ESL articles out of sync",
        detail: `${missing} missing and ${different} different of ${expected} articles on the API (${(ratio * 100).toFixed(1)} %)`
      }
    ]
  ).pipe(Effect.catch((error) => Effect.logWarning(`could not evaluate alerts: ${error.message}`)))
  return summary
})

export const verifyTenant = Effect.fn("esl.verify_tenant")(function* (
  tenant: TenantConfig,
  options: { readonly store?: string | undefined; readonly requeue?: boolean | undefined } = {}
) {
  const esl = tenant.esl
  if (esl === undefined) return []
  const specs = storeSpecs(esl).filter((s) => options.store === undefined || s.code === options.store)
  return yield* Effect.forEach(specs, (spec) => verifyStore(tenant, spec, options.requeue === true), {
    concurrency: esl.store_concurrency
  })
})
