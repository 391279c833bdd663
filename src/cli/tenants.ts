import { Console, Duration, Effect, FileSystem, Path, Schema } from "effect"
import { Argument, Command } from "effect/cli"
import { formatIssue } from "../config/errors.ts"
import { type LoadedTenant, loadTenants, TENANT_FILE } from "../config/load.ts"
import { Slug } from "../domain/fields.ts"
import type { TenantConfig } from "../domain/TenantConfig.ts"
import { assetKey, stagesOf } from "../etl/layout.ts"
import { CliEnv, ExitCode, jsonFlag, root } from "./shared.ts"

const TEMPLATE_DIR = "_template"

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** What a tenant schedules: the ETL jobs that have pipelines, and which of them run on a cron. */
export const tenantSummary = (config: TenantConfig) => {
  const partitioned = config.pipelines.filter((p) => p.date_column !== undefined)
  const latest = config.pipelines.filter((p) => p.date_column === undefined)
  const jobs = [
    ...(partitioned.length > 0 ? [{ name: "daily_etl_job", schedule: config.jobs.daily_etl_job }] : []),
    ...(latest.length > 0 ? [{ name: "master_sync_job", schedule: config.jobs.master_sync_job }] : [])
  ]
  const schedules = jobs.filter((j) => j.schedule?.enabled === true)
  const esl = config.esl?.enabled === true ? config.esl : undefined
  return {
    id: config.id,
    name: config.name,
    timezone: config.timezone,
    pipelines: config.pipelines.map((p) => ({
      name: p.name,
      partitioning: p.date_column === undefined ? "latest" : `daily by ${p.date_column}`,
      transfer: p.transfer === false ? null : p.transfer === true ? p.name : p.transfer,
      load: p.load
    })),
    jobs: jobs.map((j) => ({
      name: j.name,
      cron: j.schedule?.cron ?? null,
      timezone: j.schedule?.timezone ?? config.timezone,
      enabled: j.schedule?.enabled ?? false
    })),
    /** Dagster-style assets: one per stage of each pipeline (`<tenant>/<stage>/<pipeline>`). */
    assets: config.pipelines.flatMap((p) => stagesOf(p).map((stage) => assetKey(config.id, stage, p.name))),
    schedules: schedules.length,
    esl:
      esl === undefined
        ? null
        : {
            company: esl.company,
            stores: esl.stores.map((s) => (typeof s === "string" ? s : s.code)),
            every: Duration.format(esl.schedule.every)
          }
  }
}

const describeTenant = (tenant: LoadedTenant): ReadonlyArray<string> => {
  const s = tenantSummary(tenant.config)
  const esl =
    s.esl === null ? "" : `; ESL ${s.esl.company}: ${plural(s.esl.stores.length, "store")} every ${s.esl.every}`
  const lines = [
    `${s.id}: ${plural(s.pipelines.length, "pipeline")}, ${plural(s.assets.length, "asset")}, ${plural(s.jobs.length, "job")}, ${plural(s.schedules, "schedule")}${esl}  (${s.name})`
  ]
  for (const p of s.pipelines) {
    const stages = ["extract", ...(p.transfer === null ? [] : [`transfer ${p.transfer}`]), ...(p.load ? ["load"] : [])]
    lines.push(`  pipeline ${p.name}: ${p.partitioning}; ${stages.join(" → ")}`)
  }
  for (const j of s.jobs) {
    const when = j.cron === null ? "not scheduled" : `"${j.cron}" ${j.timezone}${j.enabled ? "" : " (disabled)"}`
    lines.push(`  job ${j.name}: ${when}`)
  }
  return lines
}

const list = Command.make("list", { json: jsonFlag }, ({ json }) =>
  Effect.gen(function* () {
    const { tenantsDir } = yield* root
    const env = yield* CliEnv
    const { tenants, invalid } = yield* loadTenants(tenantsDir, env.vars)
    if (json) {
      const document = {
        tenants: tenants.map((t) => tenantSummary(t.config)),
        invalid: invalid.map((e) => ({ tenant: e.tenant, file: e.file, issues: e.issues }))
      }
      return yield* Console.log(JSON.stringify(document, null, 2))
    }
    if (tenants.length === 0 && invalid.length === 0) {
      return yield* Console.log(`no tenants in ${tenantsDir} (create one with: storeflow tenants new <id>)`)
    }
    for (const tenant of tenants) yield* Console.log(describeTenant(tenant).join("\n"))
    for (const error of invalid) {
      yield* Console.log(
        `${error.tenant}: invalid, ${plural(error.issues.length, "problem")} (storeflow tenants validate)`
      )
    }
  })
).pipe(Command.withDescription("List tenants with their pipelines, jobs and schedules"))

const validate = Command.make("validate", { json: jsonFlag }, ({ json }) =>
  Effect.gen(function* () {
    const { tenantsDir } = yield* root
    const env = yield* CliEnv
    const { tenants, invalid } = yield* loadTenants(tenantsDir, env.vars)
    if (json) {
      const document = {
        valid: tenants.map((t) => t.id),
        invalid: invalid.map((e) => ({ tenant: e.tenant, file: e.file, issues: e.issues }))
      }
      yield* Console.log(JSON.stringify(document, null, 2))
    } else {
      for (const tenant of tenants) yield* Console.log(`✓ ${tenant.id}  ${tenant.file}`)
      for (const error of invalid) {
        yield* Console.log(`✗ ${error.tenant}  ${error.file}: ${plural(error.issues.length, "problem")}`)
        for (const issue of error.issues) yield* Console.log(`    ${formatIssue(issue)}`)
      }
      yield* Console.log(`${tenants.length} valid, ${invalid.length} invalid`)
    }
    if (invalid.length > 0) return yield* new ExitCode({ code: 1 })
  })
).pipe(Command.withDescription("Check every tenant's config; exit 1 and list every problem if any is invalid"))

const isSlug = Schema.is(Slug)

const scaffold = Command.make("new", { id: Argument.String("id") }, ({ id }) =>
  Effect.gen(function* () {
    const { tenantsDir } = yield* root
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (!isSlug(id)) {
      yield* Console.error(
        `"${id}" is not a valid tenant id: use lower-case letters, digits and _, starting with a letter`
      )
      return yield* new ExitCode({ code: 1 })
    }
    const template = path.join(tenantsDir, TEMPLATE_DIR)
    const target = path.join(tenantsDir, id)
    if (!(yield* fs.exists(template))) {
      yield* Console.error(`no template at ${template}: restore tenants/${TEMPLATE_DIR} from the repository`)
      return yield* new ExitCode({ code: 1 })
    }
    if (yield* fs.exists(target)) {
      yield* Console.error(`${target} already exists: nothing was changed (pick another id or remove the folder)`)
      return yield* new ExitCode({ code: 1 })
    }
    yield* fs.makeDirectory(target, { recursive: true })
    const envPrefix = id.toUpperCase()
    for (const entry of yield* fs.readDirectory(template)) {
      const text = yield* fs.readFileString(path.join(template, entry))
      const filled = text.replaceAll("__TENANT_ID__", id).replaceAll("__TENANT_ENV__", envPrefix)
      yield* fs.writeFileString(path.join(target, entry), filled)
    }
    yield* Console.log(
      [
        `created ${path.join(target, TENANT_FILE)} from ${TEMPLATE_DIR}`,
        "next:",
        `  1. edit ${path.join(target, TENANT_FILE)} (source, object_store, warehouse, esl, pipelines, jobs)`,
        `  2. put its secrets in .env (variables ${envPrefix}_…)`,
        "  3. storeflow tenants validate",
        `  4. storeflow tenants list`
      ].join("\n")
    )
  })
).pipe(Command.withDescription("Create a tenant folder from tenants/_template (never overwrites)"))

export const tenantsCommand = Command.make("tenants").pipe(
  Command.withDescription("Inspect, validate and scaffold tenant configurations"),
  Command.withSubcommands([list, validate, scaffold])
)
