import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted } from "effect"
import { afterAll } from "vitest"
import { loadTenant, loadTenantById, loadTenants, tenantIds } from "../../src/config/load.ts"
import { defaultTransfer } from "../../src/etl/transfer.ts"
import { copyTenants, editFile, exampleEnv, shippedTenantsDir } from "../support/tenants.ts"

const dirs: Array<string> = []
const scratch = (...ids: ReadonlyArray<string>) => {
  const dir = copyTenants(...ids)
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const run = <A, E>(effect: Effect.Effect<A, E, NodeServices.NodeServices>) =>
  effect.pipe(Effect.provide(NodeServices.layer))

describe("loading tenants", () => {
  it.effect("the shipped tenants are valid with the variables .env.example documents", () =>
    run(
      Effect.gen(function* () {
        const { tenants, invalid } = yield* loadTenants(shippedTenantsDir, exampleEnv())
        assert.deepStrictEqual(
          invalid.map((e) => e.message),
          []
        )
        assert.deepStrictEqual(
          tenants.map((t) => t.id),
          ["demo", "project_01"]
        )
      })
    )
  )

  it.effect("lists tenant folders only: templates (_*) and code-only folders are skipped", () =>
    run(
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* tenantIds(shippedTenantsDir), ["demo", "project_01"])
      })
    )
  )

  it.effect("applies defaults and resolves ${VAR} and ${VAR:-default}", () =>
    run(
      Effect.gen(function* () {
        const env: Record<string, string | undefined> = { ...exampleEnv(), PROJECT_01_DB_PORT: "6543" }
        delete env.PROJECT_01_DB_HOST
        const tenant = yield* loadTenantById(shippedTenantsDir, "project_01", env)
        const config = tenant.config
        assert.strictEqual(config.timezone, "Asia/Seoul")
        assert.strictEqual(config.source.port, 6543)
        assert.strictEqual(config.source.host, "127.0.0.1")
        const esl = config.esl
        assert.isDefined(esl)
        assert.strictEqual(esl?.batch_size, 500)
        assert.strictEqual(esl?.alerts.volume, 1000)
        assert.strictEqual(Duration.toMillis(esl?.alerts.slow_response ?? Duration.zero), 10_000)
        assert.strictEqual(esl?.alerts.mismatch_ratio, 0.1)
        assert.strictEqual(Duration.toMillis(esl?.schedule.every ?? Duration.zero), 5 * 60_000)
        assert.strictEqual(config.jobs.daily_etl_job?.catchup, "all")
      })
    )
  )

  it.effect("keeps secrets redacted: they never show when the config is printed", () =>
    run(
      Effect.gen(function* () {
        const tenant = yield* loadTenantById(shippedTenantsDir, "project_01", exampleEnv())
        const password = tenant.config.source.password
        assert.isTrue(password !== undefined && Redacted.isRedacted(password))
        assert.strictEqual(password === undefined ? "" : Redacted.value(password), "change-me")
        const printed = `${JSON.stringify(tenant.config)} ${String(tenant.config.esl?.api.password)}`
        assert.notInclude(printed, "change-me")
        assert.notInclude(printed, "hooks.slack.com")
      })
    )
  )

  it.effect("resolves each pipeline's transfer: own export, common export, or the common default", () =>
    run(
      Effect.gen(function* () {
        const { tenants } = yield* loadTenants(shippedTenantsDir, exampleEnv())
        const demo = tenants.find((t) => t.id === "demo")
        const project = tenants.find((t) => t.id === "project_01")
        const common = yield* Effect.promise(() => import("../../tenants/default/transfer.ts"))
        const own = yield* Effect.promise(() => import("../../tenants/project_01/transfer.ts"))
        assert.strictEqual(demo?.transfers.get("sales"), common.add_loaded_at)
        assert.isFalse(demo?.transfers.has("items"))
        assert.strictEqual(project?.transfers.get("sales_daily"), own.sales_daily)

        const dir = scratch("demo")
        editFile(join(dir, "demo", "tenant.yaml"), (t) => t.replace("transfer: add_loaded_at", "transfer: true"))
        const edited = yield* loadTenant(join(dir, "demo"), {})
        assert.strictEqual(edited.transfers.get("sales"), defaultTransfer)
      })
    )
  )

  it.effect("reports every problem at once, each with its field path and line", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("project_01")
        editFile(join(dir, "project_01", "tenant.yaml"), (text) =>
          text
            .replace("timezone: Asia/Seoul", "timezone: Mars/Olympus")
            .replace(
              "table: CFG_ITEM_MASTER\n    change_column",
              'table: "CFG_ITEM_MASTER; drop table x"\n    change_column'
            )
            .replace('cron: "30 2 * * *"', 'cron: "61 2 * * *"')
            .replace("  - name: cfg_store_master", "  - name: cfg_store_master\n    shedule: nightly")
            .replace("catchup: all", "catchup: sometimes")
        )
        const error = yield* Effect.flip(loadTenant(join(dir, "project_01"), {}))
        assert.strictEqual(error._tag, "ConfigInvalid")
        assert.strictEqual(error.file, join(dir, "project_01", "tenant.yaml"))
        const byPath = new Map(error.issues.map((i) => [i.path, i]))
        assert.include(byPath.get("timezone")?.message, "Mars/Olympus")
        assert.strictEqual(byPath.get("timezone")?.line, 4)
        assert.include(byPath.get("esl.source.table")?.message, "not a valid identifier")
        assert.include(byPath.get("jobs.daily_etl_job.cron")?.message, "not a valid cron expression")
        assert.include(byPath.get("pipelines[1].shedule")?.message, "excess")
        assert.isDefined(byPath.get("jobs.daily_etl_job.catchup"))
        assert.include(byPath.get("source.password")?.message, "PROJECT_01_DB_PASSWORD is not set")
        assert.include(byPath.get("esl.api.username")?.message, "PROJECT_01_ESL_USERNAME is not set")
        assert.isAtLeast(error.issues.length, 10)
        assert.include(error.message, "tenant.yaml")
      })
    )
  )

  it.effect("checks rules that span fields", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("demo")
        editFile(join(dir, "demo", "tenant.yaml"), (text) =>
          text
            .replace("id: demo", "id: other")
            .replace("type: duckdb\n  path: ${STOREFLOW_DEMO_DUCKDB_PATH:-./.storeflow/demo.duckdb}", "type: none")
            .replace("stores: [S001, S002, S003]", "stores: [S001, S001]")
            .replace("    store_column: store_code\n", "")
            .replace("source: { table: sales }", 'source: { query: "delete from sales" }')
            .replace("transfer: add_loaded_at", "transfer: no_such_transfer")
        )
        const error = yield* Effect.flip(loadTenant(join(dir, "demo"), {}))
        const messages = error.issues.map((i) => `${i.path}: ${i.message}`)
        const has = (fragment: string) =>
          assert.isTrue(
            messages.some((m) => m.includes(fragment)),
            `expected a problem containing "${fragment}" in:\n${messages.join("\n")}`
          )
        has('id: must equal the directory name "demo"')
        has("pipelines[0].load: load: true needs a warehouse")
        has('esl.stores: store code "S001" is listed more than once')
        has("esl.stores[0]: set esl.source.store_column")
        has("pipelines[1].source.query: a query must be one SELECT")
        has('pipelines[1].transfer: no transfer named "no_such_transfer"')
      })
    )
  )

  it.effect("a trino warehouse needs an s3 object store to read the loaded files from", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("demo")
        editFile(join(dir, "demo", "tenant.yaml"), (text) =>
          text.replace(
            "type: duckdb\n  path: ${STOREFLOW_DEMO_DUCKDB_PATH:-./.storeflow/demo.duckdb}",
            "type: trino\n  url: http://127.0.0.1:8080\n  schema: demo"
          )
        )
        const error = yield* Effect.flip(loadTenant(join(dir, "demo"), {}))
        assert.deepStrictEqual(
          error.issues.map((i) => [i.path, i.message]),
          [["warehouse", "trino reads the loaded Parquet from S3: use an s3 object_store (or the duckdb warehouse)"]]
        )
      })
    )
  )

  it.effect("S3 credentials come in pairs", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("project_01")
        editFile(join(dir, "project_01", "tenant.yaml"), (text) =>
          text.replace("  secret_access_key: ${PROJECT_01_S3_SECRET_ACCESS_KEY}\n", "")
        )
        const error = yield* Effect.flip(loadTenant(join(dir, "project_01"), exampleEnv()))
        assert.deepStrictEqual(
          error.issues.map((i) => i.path),
          ["object_store"]
        )
      })
    )
  )

  it.effect("reports YAML syntax errors with their line", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("demo")
        writeFileSync(join(dir, "demo", "tenant.yaml"), "id: demo\nname: [unclosed\nsource:\n  url: x\n")
        const error = yield* Effect.flip(loadTenant(join(dir, "demo"), {}))
        assert.include(error.issues[0]?.message, "YAML")
        assert.isNumber(error.issues[0]?.line)
      })
    )
  )

  it.effect("reports a transfer.ts that cannot be loaded", () =>
    run(
      Effect.gen(function* () {
        const dir = scratch("demo")
        writeFileSync(join(dir, "demo", "transfer.ts"), 'throw new Error("broken on purpose")\n')
        const error = yield* Effect.flip(loadTenant(join(dir, "demo"), {}))
        assert.isTrue(error.issues.some((i) => i.message.includes("broken on purpose")))
      })
    )
  )

  it.effect("names the tenants that exist when one is not found", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(loadTenantById(shippedTenantsDir, "nope", {}))
        assert.strictEqual(error._tag, "TenantNotFound")
        assert.include(error.message, "demo, project_01")
        const missing = yield* Effect.flip(loadTenants(join(shippedTenantsDir, "does-not-exist"), {}))
        assert.strictEqual(missing._tag, "TenantsDirNotFound")
      })
    )
  )
})
