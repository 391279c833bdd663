import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Clock, Duration, Effect, Exit, Fiber, Latch, LayerMap, type Redacted, Scope, Stream } from "effect"
import type { EslTenantLayer } from "../cli/esl.ts"
import type { EtlTenantLayer } from "../cli/etl.ts"
import type { ConfigInvalid } from "../config/errors.ts"
import { type Env, type LoadedTenant, loadTenants } from "../config/load.ts"
import { RunStore } from "../services/RunStore.ts"
import { type Listen, serveStatus } from "./http.ts"
import { type ScheduledJob, scheduledJobs, tickAfter, tickLeaseMs } from "./jobs.ts"
import { Metrics } from "./metrics.ts"
import { catchUp, formatRunLine, runScheduled, type TenantLayers } from "./run.ts"
import { DaemonState, type JobStatus } from "./state.ts"
import { Timetable } from "./timetable.ts"

export interface DaemonOptions {
  readonly tenantsDir: string
  /** Only these tenants (empty: all), so tenants can be spread over several processes. */
  readonly only: ReadonlyArray<string>
  readonly env: Env
  readonly listen: Listen | undefined
  /** How long in-flight runs may finish after SIGTERM/SIGINT before they are interrupted. */
  readonly shutdownTimeout: Duration.Duration
  readonly statusToken: Redacted.Redacted<string> | undefined
  readonly eslLayer: EslTenantLayer
  readonly etlLayer: EtlTenantLayer
  /** Where the one readable line per run goes. */
  readonly report: (line: string) => Effect.Effect<void>
  /** Reload requests (SIGHUP in production). */
  readonly reloads: Stream.Stream<void>
  /** Called once the status server listens, with its port. */
  readonly onListening?: ((port: number) => Effect.Effect<void>) | undefined
  /** Called at every tick with when it was due and when its schedule woke up (epoch ms), e.g. by a benchmark. */
  readonly onTick?: ((tick: TickTiming) => void) | undefined
}

export interface TickTiming {
  readonly key: string
  readonly at: number
  readonly wokeAt: number
}

/** Set once a shutdown drained or interrupted the in-flight runs, so the process may exit 0. */
export const shutdown = { graceful: false }

/** A job on the timetable. `live` turns false when its tenant stops; the timetable then drops it at its tick. */
interface Planned {
  readonly job: ScheduledJob
  readonly status: JobStatus
  readonly kind: string
  readonly labels: { readonly job: string }
  /** The tick it is planned for (or last ran), so the next one is never the same. */
  last: number
  live: boolean
}

const fingerprint = (tenant: LoadedTenant): string =>
  JSON.stringify(tenant.config, (_, v) => (typeof v === "bigint" ? v.toString() : v))

const issuesOf = (error: ConfigInvalid) => error.issues.map((i) => ({ ...i, file: error.file }))

/**
 * The long-running service: every tenant's jobs on their schedules, one run per job and tick (also across replicas,
 * through per-tick leases in the state store), invalid tenants disabled without stopping the others, config reloads,
 * a status server, and a graceful stop.
 */
export const runDaemon = Effect.fn("daemon")(function* (options: DaemonOptions) {
  const runStore = yield* RunStore
  const daemonId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
  const state = new DaemonState(daemonId)
  const metrics = new Metrics()
  const tenants = new Map<string, LoadedTenant>()
  const fingerprints = new Map<string, string>()

  const eslMap = yield* LayerMap.make((id: string) => options.eslLayer((tenants.get(id) as LoadedTenant).config), {
    idleTimeToLive: "10 minutes"
  })
  const etlMap = yield* LayerMap.make((id: string) => options.etlLayer(tenants.get(id) as LoadedTenant), {
    idleTimeToLive: "10 minutes"
  })
  const layersOf = (id: string): TenantLayers => ({ esl: eslMap.contextEffect(id), etl: etlMap.get(id) })

  // Runs live in their own scope, not under the schedule: stopping the schedule must not cut runs short.
  const runsScope = yield* Scope.make()
  // Ticks (lease, then the run's start) live in theirs: closed at shutdown, so no run starts after it began.
  const ticksScope = yield* Scope.make()
  const running = new Map<string, Fiber.Fiber<void>>()
  const timetable = new Timetable<Planned>()
  const planned = new Map<string, Planned>()
  const wake = yield* Latch.make(false)
  let sleepingUntil = Number.POSITIVE_INFINITY

  const startRun = (job: ScheduledJob, status: JobStatus) =>
    Effect.gen(function* () {
      const tenant = tenants.get(job.tenant)
      if (tenant === undefined) return
      status.running = true
      const run = runScheduled(job, tenant, layersOf(job.tenant), metrics).pipe(
        Effect.tap(({ line, last }) =>
          Effect.andThen(
            Effect.sync(() => {
              status.lastRun = last
            }),
            options.report(formatRunLine(line))
          )
        ),
        Effect.catchCause((cause) =>
          options.report(`${job.tenant} ${job.key} could not run: ${cause.toString().split("\n")[0]}`)
        ),
        Effect.ensuring(
          Effect.sync(() => {
            status.running = false
            running.delete(job.key)
          })
        ),
        Effect.asVoid
      )
      running.set(job.key, yield* Effect.forkIn(run, runsScope))
    })

  /** One tick: skipped while the job's previous run (here or elsewhere) holds it, else leased and started. */
  const tick = (entry: Planned, at: number) =>
    Effect.gen(function* () {
      const { job, status } = entry
      if (running.has(job.key)) {
        status.skippedTicks += 1
        metrics.inc("storeflow_skipped_ticks_total", { job: entry.kind, tenant: job.tenant })
        return
      }
      const lease = yield* runStore
        .acquireLock(`tick:${job.key}:${at}`, daemonId, tickLeaseMs(job))
        .pipe(Effect.catch(() => Effect.succeed(undefined)))
      if (lease === undefined || lease._tag === "None" || !entry.live) return
      yield* startRun(job, status)
    })

  /** Puts a job's next tick after `now` on the timetable. */
  const plan = (entry: Planned, now: number) => {
    const at = tickAfter(entry.job, now, entry.last)
    entry.last = at
    entry.status.nextRunAt = at
    timetable.add(at, entry)
  }

  /**
   * The schedule of every job: sleep to the earliest planned tick (or until a new job is planned earlier), note how
   * late it woke, plan each due job's next tick and start its tick.
   */
  const schedule = Effect.gen(function* () {
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const next = timetable.next()
      if (next === undefined || next > now) {
        sleepingUntil = next ?? Number.POSITIVE_INFINITY
        yield* wake.close
        yield* next === undefined ? wake.await : Effect.raceFirst(Effect.sleep(next - now), wake.await)
        continue
      }
      // The clock the tick times came from: a sub-millisecond clock anchored elsewhere would shift every figure.
      for (const entry of timetable.takeDue(now)) {
        if (!entry.live) continue
        const at = entry.last
        metrics.observe("storeflow_tick_lateness_seconds", entry.labels, Math.max(0, now - at) / 1000)
        options.onTick?.({ key: entry.job.key, at, wokeAt: now })
        plan(entry, now)
        yield* Effect.forkIn(tick(entry, at), ticksScope)
      }
    }
  })

  const startTenant = (tenant: LoadedTenant) =>
    Effect.gen(function* () {
      tenants.set(tenant.id, tenant)
      fingerprints.set(tenant.id, fingerprint(tenant))
      state.tenants.set(tenant.id, {
        id: tenant.id,
        name: tenant.config.name,
        status: "enabled",
        errors: [],
        reloadErrors: []
      })
      for (const job of scheduledJobs(tenant)) {
        const status: JobStatus = { job, nextRunAt: undefined, running: false, skippedTicks: 0, lastRun: undefined }
        state.jobs.set(job.key, status)
        const kind = job._tag === "EslSync" ? "esl_sync" : job.job
        const entry: Planned = { job, status, kind, labels: { job: kind }, last: Number.NEGATIVE_INFINITY, live: true }
        planned.set(job.key, entry)
        plan(entry, yield* Clock.currentTimeMillis)
        if (job._tag === "Etl" && job.catchup !== "none") {
          yield* Effect.forkIn(
            catchUp(job, tenant, layersOf(tenant.id)).pipe(
              Effect.tap((result) =>
                result === undefined || result.planned === 0
                  ? Effect.void
                  : options.report(`${tenant.id} ${job.job} caught up ${result.planned} missed partition(s)`)
              ),
              Effect.catchCause((cause) =>
                options.report(`${tenant.id} catch-up failed: ${cause.toString().split("\n")[0]}`)
              )
            ),
            runsScope
          )
        }
      }
      // A job planned before the schedule's wake-up time: wake it, so the tick is not late.
      if ((timetable.next() ?? Number.POSITIVE_INFINITY) < sleepingUntil) wake.openUnsafe()
    })

  const stopTenant = (id: string) =>
    Effect.gen(function* () {
      for (const [key, status] of state.jobs) {
        if (status.job.tenant !== id) continue
        const entry = planned.get(key)
        if (entry !== undefined) entry.live = false
        planned.delete(key)
        state.jobs.delete(key)
      }
      tenants.delete(id)
      fingerprints.delete(id)
      yield* eslMap.invalidate(id)
      yield* etlMap.invalidate(id)
    })

  const wanted = (id: string) => options.only.length === 0 || options.only.includes(id)

  /** Applies a (re)load: new and changed tenants (re)start; removed ones stop; an invalid change keeps the old config. */
  const apply = Effect.fnUntraced(function* (initial: boolean) {
    const loaded = yield* loadTenants(options.tenantsDir, options.env)
    const valid = loaded.tenants.filter((t) => wanted(t.id))
    const invalid = loaded.invalid.filter((e) => wanted(e.tenant))
    const changes: Array<string> = []
    for (const error of invalid) {
      const current = state.tenants.get(error.tenant)
      if (current !== undefined && current.status === "enabled" && !initial) {
        current.reloadErrors = issuesOf(error)
        changes.push(`${error.tenant}: invalid change ignored`)
      } else {
        const errors = issuesOf(error)
        const unchanged = current?.status === "disabled" && JSON.stringify(current.errors) === JSON.stringify(errors)
        if (unchanged) continue
        if (tenants.has(error.tenant)) yield* stopTenant(error.tenant)
        state.tenants.set(error.tenant, {
          id: error.tenant,
          name: error.tenant,
          status: "disabled",
          errors,
          reloadErrors: []
        })
        changes.push(`${error.tenant}: disabled`)
        yield* Effect.logError(`tenant ${error.tenant} is disabled: ${error.message}`)
      }
    }
    for (const tenant of valid) {
      const before = fingerprints.get(tenant.id)
      if (before === fingerprint(tenant)) {
        const current = state.tenants.get(tenant.id)
        if (current !== undefined) current.reloadErrors = []
        continue
      }
      if (before !== undefined) yield* stopTenant(tenant.id)
      yield* startTenant(tenant)
      changes.push(`${tenant.id}: ${before === undefined ? "started" : "reloaded"}`)
    }
    const present = new Set([...loaded.tenants.map((t) => t.id), ...loaded.invalid.map((e) => e.tenant)])
    for (const id of [...state.tenants.keys()]) {
      if (!present.has(id) || !wanted(id)) {
        if (tenants.has(id)) yield* stopTenant(id)
        state.tenants.delete(id)
        changes.push(`${id}: removed`)
      }
    }
    state.lastReload = {
      at: new Date(yield* Clock.currentTimeMillis).toISOString(),
      outcome: changes.join("; ") || "no change"
    }
    return changes
  })

  // Stop: no new ticks, in-flight runs get the shutdown timeout, then they are interrupted (and recorded so).
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      yield* Fiber.interrupt(scheduler)
      yield* Scope.close(ticksScope, Exit.void)
      const inFlight = [...running.values()]
      if (inFlight.length > 0) {
        yield* options.report(
          `stopping: waiting up to ${Duration.format(options.shutdownTimeout)} for ${inFlight.length} run(s)`
        )
        yield* Fiber.awaitAll(inFlight).pipe(Effect.timeoutOption(options.shutdownTimeout))
      }
      yield* Scope.close(runsScope, Exit.void)
      shutdown.graceful = true
    })
  )

  const changes = yield* apply(true)
  const scheduler = yield* Effect.forkScoped(schedule)
  yield* options.report(`storeflow daemon ${daemonId}: ${changes.join("; ") || "no tenants"}`)
  if (options.listen !== undefined) {
    const port = yield* serveStatus(options.listen, state, metrics, options.statusToken)
    if (options.onListening !== undefined) yield* options.onListening(port)
  }
  yield* options.reloads.pipe(
    Stream.runForEach(() =>
      apply(false).pipe(
        Effect.flatMap((c) => options.report(`reloaded: ${c.join("; ") || "no change"}`)),
        Effect.catch((error) => options.report(`reload failed, keeping the running config: ${error.message}`))
      )
    ),
    Effect.forkScoped
  )
  return yield* Effect.never
})
