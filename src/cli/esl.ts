import { Console, Effect, type Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { ConfigInvalid } from "../config/errors.ts"
import { loadTenantById } from "../config/load.ts"
import type { TenantConfig } from "../domain/TenantConfig.ts"
import type { EslRunSummary } from "../esl/summary.ts"
import { syncTenant } from "../esl/sync.ts"
import { type VerifySummary, verifyTenant } from "../esl/verify.ts"
import type { EslApi } from "../services/EslApi.ts"
import type { Notifier } from "../services/Notifier.ts"
import type { RunStore } from "../services/RunStore.ts"
import type { SourceDb, SourceDbError } from "../services/SourceDb.ts"
import { CliEnv, ExitCode, jsonFlag, root } from "./shared.ts"

/** The services an ESL run needs for one tenant, built from its config (real clients, or memory ones in tests). */
export type EslTenantLayer = (tenant: TenantConfig) => Layer.Layer<SourceDb | EslApi | Notifier, SourceDbError>

const tenantFlag = Flag.String("tenant").pipe(Flag.withDescription("Tenant id (see storeflow tenants list)"))
const storeFlag = Flag.String("store").pipe(Flag.withDescription("Only this store code"), Flag.optional)

/** Loads a tenant that has an enabled ESL section; anything else is a config error (exit 2). */
const eslTenant = Effect.fnUntraced(function* (id: string) {
  const { tenantsDir } = yield* root
  const env = yield* CliEnv
  const tenant = yield* loadTenantById(tenantsDir, id, env.vars)
  const esl = tenant.config.esl
  if (esl === undefined || !esl.enabled) {
    return yield* new ConfigInvalid({
      tenant: id,
      file: tenant.file,
      issues: [{ path: "esl", message: "ESL sync is not configured (or enabled: false) for this tenant" }]
    })
  }
  return tenant
})

const knownStore = (tenant: TenantConfig, store: Option.Option<string>, file: string) => {
  const codes = (tenant.esl?.stores ?? []).map((s) => (typeof s === "string" ? s : s.code))
  return Option.isSome(store) && !codes.includes(store.value)
    ? Effect.fail(
        new ConfigInvalid({
          tenant: tenant.id,
          file,
          issues: [{ path: "esl.stores", message: `no store "${store.value}" (stores: ${codes.join(", ")})` }]
        })
      )
    : Effect.void
}

const ms = (n: number) => (n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`)

export const formatSyncSummary = (s: EslRunSummary): string => {
  if (s.status === "skipped")
    return `${s.store}  skipped    ${s.error ?? "no changes"}  (${ms(s.durationMs)}, run ${s.runId})`
  const c = s.counts
  const lines = [
    `${s.store}  ${s.status.padEnd(9)}  extracted ${c.extracted}, invalid ${c.invalid}, unchanged ${c.unchanged}, sent ${c.sent}, accepted ${c.accepted}, rejected ${c.rejected}, retries ${c.retries}` +
      `  api p50 ${s.latencyMs.p50}ms p95 ${s.latencyMs.p95}ms max ${s.latencyMs.max}ms  (${ms(s.durationMs)}, run ${s.runId})`
  ]
  if (s.error !== undefined) lines.push(`  error: ${s.error}`)
  for (const i of s.invalid.slice(0, 5)) lines.push(`  invalid ${i.key}: ${i.reason}`)
  if (c.invalid > 5) lines.push(`  … ${c.invalid - 5} more invalid rows (storeflow runs --json)`)
  for (const r of s.rejected.slice(0, 5)) lines.push(`  rejected ${r.articleId}: ${r.errorText}`)
  if (c.rejected > 5) lines.push(`  … ${c.rejected - 5} more rejected articles (storeflow runs --json)`)
  return lines.join("\n")
}

export const formatVerifySummary = (s: VerifySummary): string => {
  if (s.status === "failed") return `${s.store}  failed  ${s.error ?? ""}`
  const c = s.counts
  const lines = [
    `${s.store}  expected ${c.expected}, on API ${c.onApi}: missing ${c.missing}, different ${c.different}, extra ${c.extra}` +
      (c.invalid > 0 ? `, ${c.invalid} invalid source rows not expected` : "") +
      (c.requeued > 0 ? `; ${c.requeued} re-queued for the next sync` : "")
  ]
  if (s.missing.length > 0) lines.push(`  missing: ${s.missing.slice(0, 20).join(", ")}${c.missing > 20 ? ", …" : ""}`)
  if (s.different.length > 0)
    lines.push(`  different: ${s.different.slice(0, 20).join(", ")}${c.different > 20 ? ", …" : ""}`)
  if (s.extra.length > 0) lines.push(`  extra: ${s.extra.slice(0, 20).join(", ")}${c.extra > 20 ? ", …" : ""}`)
  return lines.join("\n")
}

export const eslCommand = (tenantLayer: EslTenantLayer, runStore: Layer.Layer<RunStore, unknown>) => {
  const sync = Command.make(
    "sync",
    {
      tenant: tenantFlag,
      store: storeFlag,
      full: Flag.Boolean("full").pipe(
        Flag.withDescription("Re-send every article, ignoring the watermark and content hashes"),
        Flag.withDefault(false)
      ),
      json: jsonFlag
    },
    ({ tenant, store, full, json }) =>
      Effect.gen(function* () {
        const loaded = yield* eslTenant(tenant)
        yield* knownStore(loaded.config, store, loaded.file)
        // The config is checked (exit 2) before anything connects to the state database.
        const results = yield* syncTenant(loaded.config, { store: Option.getOrUndefined(store), full }).pipe(
          Effect.provide(tenantLayer(loaded.config)),
          Effect.provide(runStore)
        )
        const summaries = results.map((r) => r.summary)
        if (json) yield* Console.log(JSON.stringify({ tenant, stores: summaries }, null, 2))
        else for (const summary of summaries) yield* Console.log(formatSyncSummary(summary))
        if (summaries.some((s) => s.status !== "succeeded" && s.status !== "skipped")) {
          return yield* new ExitCode({ code: 1 })
        }
      })
  ).pipe(Command.withDescription("One ESL sync pass: changed rows → articles on the ESL API, per store"))

  const verify = Command.make(
    "verify",
    {
      tenant: tenantFlag,
      store: storeFlag,
      requeue: Flag.Boolean("requeue").pipe(
        Flag.withDescription("Queue missing and different articles for the next sync"),
        Flag.withDefault(false)
      ),
      json: jsonFlag
    },
    ({ tenant, store, requeue, json }) =>
      Effect.gen(function* () {
        const loaded = yield* eslTenant(tenant)
        yield* knownStore(loaded.config, store, loaded.file)
        const reports = yield* verifyTenant(loaded.config, { store: Option.getOrUndefined(store), requeue }).pipe(
          Effect.provide(tenantLayer(loaded.config)),
          Effect.provide(runStore)
        )
        if (json) yield* Console.log(JSON.stringify({ tenant, stores: reports }, null, 2))
        else for (const report of reports) yield* Console.log(formatVerifySummary(report))
        if (reports.some((r) => r.status === "failed")) return yield* new ExitCode({ code: 1 })
      })
  ).pipe(Command.withDescription("Reconcile the ESL API with the source: missing, extra and different articles"))

  return Command.make("esl").pipe(
    Command.withDescription("ESL sync: push changed product/price rows to the ESL vendor API"),
    Command.withSubcommands([sync, verify])
  )
}
