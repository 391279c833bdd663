/**
 * The ceiling of the ESL benchmark: the simulator's bare ingest rate. The same articles (built by storeflow's own
 * mapping from the same rows, before the clock starts) go out in a plain fetch loop with the sync's batch size and
 * concurrency: at most `storeConcurrency` stores at a time, each with at most `perStore` PUTs in flight.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Context, Effect, Layer, Stream } from "effect"
import { layerPostgres as layerSourceDb } from "../layers/source-db/postgres.ts"
import { loadTenantById } from "../src/config/load.ts"
import type { Article } from "../src/domain/Article.ts"
import { isQuarantined, makeRowCheck } from "../src/esl/articles.ts"
import { eslSource, storeSpecs } from "../src/esl/stores.ts"
import { SourceDb } from "../src/services/SourceDb.ts"
import { machineBusyMs, serveJob } from "./worker.ts"

export interface CeilingJob {
  readonly tenantsDir: string
  readonly tenant: string
  readonly env: Record<string, string>
  readonly storeConcurrency: number
  readonly perStore: number
  readonly batchSize: number
}

export interface CeilingResult {
  readonly wallMs: number
  readonly articles: number
  readonly requests: number
  readonly prepareMs: number
  /** CPU time of this process during the timed loop only (the preparation excluded), in milliseconds. */
  readonly loopCpuMs: number
  /** CPU time of every process of the machine during the loop (\`machineBusyMs\`), in milliseconds. */
  readonly loopMachineBusyMs: number
}

/** Every store's articles in the order the sync reads them (change time, then key). */
const prepare = (job: CeilingJob) =>
  Effect.gen(function* () {
    const { config: tenant } = yield* loadTenantById(job.tenantsDir, job.tenant, job.env).pipe(
      Effect.provide(NodeServices.layer)
    )
    const esl = tenant.esl
    if (esl === undefined) return yield* Effect.die(new Error(`tenant ${tenant.id} has no esl section`))
    const context = yield* Layer.build(layerSourceDb({ tenant: tenant.id, source: tenant.source }))
    const db = Context.get(context, SourceDb)
    const check = makeRowCheck(esl, tenant.timezone)
    const source = eslSource(esl, tenant.source.schema)
    const stores: Array<{ readonly code: string; readonly articles: Array<Article> }> = []
    for (const spec of storeSpecs(esl)) {
      const rows = yield* Stream.runCollect(
        db.stream({ source, where: spec.conditions, orderBy: [esl.source.change_column, esl.source.key_column] })
      )
      const articles = rows.flatMap((row) => {
        const result = check(row)
        return isQuarantined(result) ? [] : [result]
      })
      stores.push({ code: spec.code, articles })
    }
    return { stores, api: esl.api, company: esl.company }
  }).pipe(Effect.scoped)

/** Runs `work` on every item with at most `limit` at a time. */
const bounded = async <T>(items: ReadonlyArray<T>, limit: number, work: (item: T) => Promise<void>) => {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await work(item)
    }
  })
  await Promise.all(lanes)
}

const chunked = <T>(items: ReadonlyArray<T>, size: number): Array<ReadonlyArray<T>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const ceiling = async (job: CeilingJob): Promise<CeilingResult> => {
  const prepareStart = performance.now()
  const { stores, api, company } = await Effect.runPromise(prepare(job))
  const prepareMs = performance.now() - prepareStart
  const base = `${api.base_url.replace(/\/+$/, "")}${api.cluster_prefix}/common/api/v2`
  let requests = 0
  let articles = 0

  const start = performance.now()
  const cpu = process.cpuUsage()
  const busy = machineBusyMs()
  const login = await fetch(`${base}/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: job.env.BENCH_ESL_USERNAME, password: job.env.BENCH_ESL_PASSWORD })
  })
  const token = ((await login.json()) as { responseMessage: { access_token: string } }).responseMessage.access_token
  await bounded(stores, job.storeConcurrency, (store) =>
    bounded(chunked(store.articles, job.batchSize), job.perStore, async (chunk) => {
      const url = `${base}/common/articles?company=${encodeURIComponent(company)}&store=${encodeURIComponent(store.code)}`
      const response = await fetch(url, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(chunk)
      })
      const answer = (await response.json()) as { validCount?: number; invalidCount?: number }
      if (response.status !== 200 || answer.invalidCount !== 0) {
        throw new Error(`PUT answered ${response.status}: ${JSON.stringify(answer)}`)
      }
      requests += 1
      articles += answer.validCount ?? 0
    })
  )
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return {
    wallMs,
    articles,
    requests,
    prepareMs,
    loopCpuMs: (used.user + used.system) / 1000,
    loopMachineBusyMs: machineBusyMs() - busy
  }
}

serveJob(ceiling)
