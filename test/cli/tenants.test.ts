import { existsSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { cli } from "../support/cli.ts"
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

describe("storeflow tenants", () => {
  it.effect("list: one line per tenant with pipelines, jobs and schedules, then the details", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", shippedTenantsDir, "tenants", "list"], { env: exampleEnv() })
      assert.strictEqual(result.code, 0)
      const lines = result.stdout.split("\n")
      assert.isTrue(
        lines.some((l) => l.startsWith("project_01: 3 pipelines, 6 assets, 2 jobs, 2 schedules; ESL PRJ01: 2 stores"))
      )
      assert.isTrue(lines.some((l) => l.startsWith("demo: 2 pipelines, 5 assets, 2 jobs, 2 schedules")))
      assert.include(result.stdout, "pipeline sales_daily: daily by SALE_DT; extract → transfer sales_daily → load")
      assert.include(result.stdout, "pipeline cfg_item_master: latest; extract → load")
      assert.include(result.stdout, 'job daily_etl_job: "30 2 * * *" Asia/Seoul')
    })
  )

  it.effect("list --json gives the same facts as a document", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", shippedTenantsDir, "tenants", "list", "--json"], {
        env: exampleEnv()
      })
      const doc = JSON.parse(result.stdout)
      const project = doc.tenants.find((t: { id: string }) => t.id === "project_01")
      assert.strictEqual(project.pipelines.length, 3)
      assert.deepStrictEqual(
        project.jobs.map((j: { name: string }) => j.name),
        ["daily_etl_job", "master_sync_job"]
      )
      assert.deepStrictEqual(doc.invalid, [])
    })
  )

  it.effect("list names an invalid tenant without hiding the valid ones", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", shippedTenantsDir, "tenants", "list"], { env: {} })
      assert.strictEqual(result.code, 0)
      assert.include(result.stdout, "demo: 2 pipelines")
      assert.match(result.stdout, /project_01: invalid, \d+ problems/)
    })
  )

  it.effect("validate: exit 0 when every tenant is valid", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", shippedTenantsDir, "tenants", "validate"], { env: exampleEnv() })
      assert.strictEqual(result.code, 0, result.stdout)
      assert.include(result.stdout, "✓ demo")
      assert.include(result.stdout, "✓ project_01")
      assert.include(result.stdout, "2 valid, 0 invalid")
    })
  )

  it.effect("validate: exit 1 with every error of every broken tenant, each with file and field", () =>
    Effect.gen(function* () {
      const dir = scratch("demo", "project_01")
      editFile(join(dir, "demo", "tenant.yaml"), (t) =>
        t.replace("every: 30s", "every: often").replace("company: DEMO", "compnay: DEMO")
      )
      editFile(join(dir, "project_01", "tenant.yaml"), (t) =>
        t.replace("date_column: SALE_DT", "date_column: 1SALE_DT")
      )
      const result = yield* cli(["--tenants-dir", dir, "tenants", "validate"], { env: exampleEnv() })
      assert.strictEqual(result.code, 1)
      assert.include(result.stdout, `✗ demo  ${join(dir, "demo", "tenant.yaml")}`)
      assert.match(result.stdout, /esl\.schedule\.every, line \d+: "often" is not a duration/)
      assert.match(result.stdout, /esl\.compnay, line \d+: Expected no excess property/)
      assert.match(result.stdout, /esl\.company, line \d+: Missing key/)
      assert.match(result.stdout, /pipelines\[2\]\.date_column, line \d+: "1SALE_DT" is not a valid identifier/)
      assert.include(result.stdout, "0 valid, 2 invalid")
    })
  )

  it.effect("validate --json lists the issues by tenant", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", shippedTenantsDir, "tenants", "validate", "--json"], { env: {} })
      assert.strictEqual(result.code, 1)
      const doc = JSON.parse(result.stdout)
      assert.deepStrictEqual(doc.valid, ["demo"])
      assert.strictEqual(doc.invalid[0].tenant, "project_01")
      assert.isTrue(doc.invalid[0].issues.some((i: { path: string }) => i.path === "source.password"))
    })
  )

  it.effect("new: scaffolds from the template, and the result validates as it is", () =>
    Effect.gen(function* () {
      const dir = scratch()
      const created = yield* cli(["--tenants-dir", dir, "tenants", "new", "acme_mart"])
      assert.strictEqual(created.code, 0, created.stderr)
      const yaml = readFileSync(join(dir, "acme_mart", "tenant.yaml"), "utf8")
      assert.include(yaml, "id: acme_mart")
      assert.include(yaml, "${ACME_MART_SOURCE_DB_URL:-")
      assert.notInclude(yaml, "__TENANT")
      assert.isTrue(existsSync(join(dir, "acme_mart", "transfer.ts")))
      const validated = yield* cli(["--tenants-dir", dir, "tenants", "validate"])
      assert.strictEqual(validated.code, 0, validated.stdout)
      assert.include(validated.stdout, "✓ acme_mart")
    })
  )

  it.effect("new: refuses to overwrite an existing tenant, and leaves it untouched", () =>
    Effect.gen(function* () {
      const dir = scratch("demo")
      const before = readFileSync(join(dir, "demo", "tenant.yaml"), "utf8")
      const result = yield* cli(["--tenants-dir", dir, "tenants", "new", "demo"])
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "already exists")
      assert.strictEqual(readFileSync(join(dir, "demo", "tenant.yaml"), "utf8"), before)
    })
  )

  it.effect("new: rejects an invalid id", () =>
    Effect.gen(function* () {
      const dir = scratch()
      const result = yield* cli(["--tenants-dir", dir, "tenants", "new", "Bad-Id"])
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "not a valid tenant id")
      assert.isFalse(existsSync(join(dir, "Bad-Id")))
    })
  )

  it.effect("a missing tenants directory is a clear error", () =>
    Effect.gen(function* () {
      const result = yield* cli(["--tenants-dir", "/nonexistent/tenants", "tenants", "list"])
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "tenants directory /nonexistent/tenants does not exist")
    })
  )
})
