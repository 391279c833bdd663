import { randomUUID } from "node:crypto"
import { Cause, Clock, Effect, Exit, Fiber, Stream } from "effect"
import type { EslConfig, TenantConfig } from "../domain/TenantConfig.ts"
import { keepLeaseAlive, LEASE_TTL_MS } from "../runs/lease.ts"
import { unsuccessfulOutcome } from "../runs/outcome.ts"
import { EslApi } from "../services/EslApi.ts"
import { RunStore } from "../services/RunStore.ts"
import type { Source } from "../services/SourceDb.ts"
import { notifyConditions, syncConditions } from "./alerts.ts"
import { makeRowCheck } from "./articles.ts"
import { type ChunkResult, processChunk } from "./chunk.ts"
import { detectChanges, extractRows, planChanges } from "./extract.ts"
import type { SendMetrics } from "./send.ts"
import { eslSource, type StoreSpec, storeSpecs } from "./stores.ts"
import { type EslRunSummary, emptySummary, LISTED_MAX, latencyStats, recordCounts, type Stage } from "./summary.ts"

export interface SyncOptions {
  /** Re-send every article of the store, ignoring the watermark and content hashes (initial load, recovery). */
  readonly full?: boolean | undefined
}

export const lockName = (tenant: string, store: string) => `esl_sync:${tenant}:${store}`

/** The name a watermark is kept under: the source it belongs to, so pointing ESL at another source starts afresh. */
export const watermarkSource = (source: Source): string =>
  source._tag === "Table" ? `${source.schema ?? ""}.${source.table}` : "query"

/**
 * Persists the results of consecutive chunks, in order: content hashes of accepted articles (a later chunk's hash of an
 * id wins), then the watermark at the last chunk's position, then the re-queue. One round per call rather than per
 * chunk: results that finished while the previous commit ran are committed together, so the state database's round
 * trips do not cap the rate of a pass. The state after it is the state after committing each chunk in turn.
 */
const commitChunks = Effect.fn("esl.commit")(function* (
  tenant: string,
  store: string,
  sourceName: string,
  summary: EslRunSummary,
  chunks: ReadonlyArray<ChunkResult>
) {
  const runStore = yield* RunStore
  yield* runStore.putArticleHashes(
    tenant,
    store,
    chunks.flatMap((chunk) => chunk.acceptedHashes)
  )
  let position: ChunkResult["position"]
  const requeuedKeys: Array<string> = []
  for (const chunk of chunks) {
    if (chunk.position !== undefined) position = chunk.position
    for (const key of chunk.requeuedKeys) requeuedKeys.push(key)
  }
  if (position !== undefined) {
    yield* runStore.setWatermark({ tenant, store, source: sourceName }, position)
    summary.watermark.after = position
  }
  if (requeuedKeys.length > 0) yield* runStore.dequeue(tenant, store, requeuedKeys)

  const counts = summary.counts
  for (const chunk of chunks) {
    counts.chunks += 1
    counts.extracted += chunk.rows
    counts.invalid += chunk.invalid.length
    counts.unchanged += chunk.unchanged
    counts.sent += chunk.sent
    counts.accepted += chunk.outcome.accepted.length
    counts.rejected += chunk.outcome.rejected.length
    counts.nullChange += chunk.nullChange
    counts.requeued += chunk.requeuedKeys.length
    summary.invalid.push(...chunk.invalid.slice(0, LISTED_MAX - summary.invalid.length))
    summary.rejected.push(...chunk.outcome.rejected.slice(0, LISTED_MAX - summary.rejected.length))
  }
})

/** The ESL pass of one store, after the run was recorded as started. Fills `summary` as it goes. */
const passOfStore = (tenant: TenantConfig, esl: EslConfig, spec: StoreSpec, summary: EslRunSummary, full: boolean) =>
  Effect.gen(function* () {
    const stage = (name: Stage, ms: number) => {
      summary.stageMs[name] += ms
    }
    const source = eslSource(esl, tenant.source.schema)
    const sourceName = watermarkSource(source)
    const detectStart = performance.now()
    const plan = yield* planChanges(tenant.id, tenant.timezone, esl, source, spec, sourceName, full)
    summary.watermark.before = plan.watermark ?? null
    summary.watermark.after = plan.watermark ?? null
    summary.changeBound = plan.bound ?? null
    const changed = yield* detectChanges(plan, full)
    stage("detect_changes", performance.now() - detectStart)
    if (!changed) {
      summary.status = "skipped"
      return
    }

    const api = yield* EslApi
    const tokenStart = performance.now()
    const token = yield* api.token(esl.company).pipe(Effect.withSpan("esl.get_token"))
    stage("get_token", performance.now() - tokenStart)

    // A store with no stored hash (never delivered) sends every article: there is nothing to look up.
    const hashesStored = !full && (yield* (yield* RunStore).hasArticleHashes(tenant.id, spec.code))
    const metrics: SendMetrics = { retries: 0, latencies: [] }
    const check = makeRowCheck(esl, tenant.timezone)
    const chunkContext = {
      tenant: tenant.id,
      company: esl.company,
      store: spec.code,
      timeZone: tenant.timezone,
      esl,
      plan,
      full,
      hashesStored,
      metrics,
      stageMs: stage
    }
    const streamStart = performance.now()
    yield* extractRows(plan).pipe(
      Stream.grouped(esl.batch_size),
      // Chunks are sent concurrently but come out in order, so each commit extends a gap-free prefix: a chunk that
      // fails stops the stream before anything after it is committed.
      Stream.mapEffect(processChunk(chunkContext, check), { concurrency: esl.concurrency }),
      // Results wait here while a commit runs; the next commit takes all of them at once.
      Stream.buffer({ capacity: esl.concurrency }),
      Stream.runForEachArray((chunks) => {
        const start = performance.now()
        return commitChunks(tenant.id, spec.code, sourceName, summary, chunks).pipe(
          Effect.ensuring(Effect.sync(() => stage("commit", performance.now() - start)))
        )
      }),
      Effect.ensuring(
        Effect.gen(function* () {
          summary.counts.retries = metrics.retries
          summary.latencyMs = latencyStats(metrics.latencies)
          const busy =
            summary.stageMs.validate + summary.stageMs.transform + summary.stageMs.send + summary.stageMs.commit
          stage("extract", Math.max(0, performance.now() - streamStart - busy))
          const after = yield* api.token(esl.company).pipe(Effect.orElseSucceed(() => token))
          summary.counts.tokenFetches = after.expiresAt.getTime() === token.expiresAt.getTime() ? 1 : 2
        })
      )
    )
    summary.status = "succeeded"
  })

export interface StoreResult {
  readonly store: string
  readonly summary: EslRunSummary
}

/** One ESL sync pass of one store: locked, recorded, alerted on. Never fails: the outcome is in the summary. */
export const syncStore = Effect.fn("esl.sync")(function* (
  tenant: TenantConfig,
  spec: StoreSpec,
  options: SyncOptions = {}
) {
  const esl = tenant.esl
  if (esl === undefined) return yield* Effect.die(new Error(`tenant ${tenant.id} has no esl section`))
  const full = options.full === true
  const runStore = yield* RunStore
  const runId = `esl-${randomUUID()}`
  const summary = emptySummary(runId, tenant.id, spec.code, esl.company, full)
  yield* Effect.annotateCurrentSpan({ "tenant.id": tenant.id, "esl.store": spec.code, "run.id": runId })
  const started = yield* Clock.currentTimeMillis

  const lock = yield* runStore.acquireLock(lockName(tenant.id, spec.code), runId, LEASE_TTL_MS)
  if (lock._tag === "None") {
    summary.status = "skipped"
    summary.error = "another run of this store is in progress"
    return { store: spec.code, summary } satisfies StoreResult
  }

  const heartbeat = yield* keepLeaseAlive(lockName(tenant.id, spec.code), runId)
  yield* runStore
    .startRun({ id: runId, tenant: tenant.id, job: "esl_sync", store: spec.code })
    .pipe(Effect.onError(() => Fiber.interrupt(heartbeat)))

  // Recording runs as an exit finalizer, so a failed, interrupted (shutdown, Ctrl-C) or successful pass alike leaves
  // its run record, its alerts and a free lock behind.
  const finish = (exit: Exit.Exit<unknown, unknown>) =>
    Effect.gen(function* () {
      if (Exit.isFailure(exit)) {
        const outcome = unsuccessfulOutcome(exit.cause)
        summary.status = outcome.status
        summary.error = outcome.error
      }
      summary.durationMs = (yield* Clock.currentTimeMillis) - started
      const recordStart = performance.now()
      yield* runStore
        .finishRun(runId, {
          status: summary.status === "running" ? "failed" : summary.status,
          counts: recordCounts(summary),
          error: summary.error,
          summary
        })
        .pipe(Effect.withSpan("esl.record"))
      summary.stageMs.record = performance.now() - recordStart
      const notifyStart = performance.now()
      yield* notifyConditions(
        {
          tenant: tenant.id,
          tenantName: tenant.name,
          scope: `esl:${spec.code}`,
          fields: { store: spec.code, run: runId, company: esl.company },
          remindEvery: esl.alerts.remind_every
        },
        syncConditions(summary, esl.alerts)
      )
      summary.stageMs.notify = performance.now() - notifyStart
    }).pipe(
      Effect.catch((error) =>
        Effect.sync(() => {
          summary.status = "failed"
          summary.error = `could not record the run: ${error.message}`
        })
      ),
      Effect.ensuring(
        Fiber.interrupt(heartbeat).pipe(
          Effect.andThen(runStore.releaseLock(lockName(tenant.id, spec.code), runId)),
          Effect.ignore
        )
      )
    )

  // Failures and defects are in the summary now; only an interruption goes on up.
  const exit = yield* passOfStore(tenant, esl, spec, summary, full).pipe(Effect.onExit(finish), Effect.exit)
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
  return { store: spec.code, summary } satisfies StoreResult
})

/** One pass over the tenant's stores (or one of them), in parallel with a bound; one store's failure spares the rest. */
export const syncTenant = Effect.fn("esl.sync_tenant")(function* (
  tenant: TenantConfig,
  options: SyncOptions & { readonly store?: string | undefined } = {}
) {
  const esl = tenant.esl
  if (esl === undefined) return []
  const specs = storeSpecs(esl).filter((s) => options.store === undefined || s.code === options.store)
  return yield* Effect.forEach(specs, (spec) => syncStore(tenant, spec, options), {
    concurrency: esl.store_concurrency
  })
})
