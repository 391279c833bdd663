import { readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { parseEnv } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { afterAll } from "vitest"
import { parse, parseDocument } from "yaml"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { execute } from "../source-db/postgres-support.ts"
import { cli } from "../support/cli.ts"
import { freshDatabase } from "../support/database.ts"
import { copyTenants, editFile, projectRoot } from "../support/tenants.ts"

const guide = readFileSync(join(projectRoot, "docs", "onboarding.md"), "utf8")
const blocks = (language: string): ReadonlyArray<string> =>
  [...guide.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] ?? "")

/** Applies a YAML snippet from the guide to the tenant file: each key it names is set, comments elsewhere kept. */
const applySnippet = (file: string, snippet: string) =>
  editFile(file, (text) => {
    const doc = parseDocument(text)
    const walk = (value: unknown, path: ReadonlyArray<string>) => {
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        for (const [key, child] of Object.entries(value)) walk(child, [...path, key])
      } else doc.setIn(path, value)
    }
    walk(parse(snippet), [])
    return doc.toString()
  })

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("docs/onboarding.md", () => {
  it.live("every step works as written", () =>
    Effect.gen(function* () {
      const tenantsDir = copyTenants()
      dirs.push(tenantsDir)
      const commands = blocks("sh").flatMap((block) =>
        block.split("\n").filter((line) => line.startsWith("npx storeflow "))
      )
      assert.deepStrictEqual(commands, [
        "npx storeflow tenants new acme_mart",
        "npx storeflow tenants validate",
        "npx storeflow tenants list",
        "npx storeflow esl sync --tenant acme_mart --store S001",
        "npx storeflow runs --tenant acme_mart"
      ])
      // The guide's .env values, with the two endpoints pointed at a real database and the ESL simulator.
      const guideEnv = parseEnv(blocks("dotenv").join("\n"))
      const url = yield* freshDatabase
      yield* execute(url, [
        `CREATE TABLE esl_items (item_code text PRIMARY KEY, item_name text, sale_price numeric(12,2),
          store_code text, updated_at timestamp DEFAULT now())`,
        "INSERT INTO esl_items VALUES ('I-1', '라면', 950, 'S001', now()), ('I-2', 'Tea', 3200.5, 'S001', now())"
      ])
      const sim = yield* startSimulator({
        companies: { ACME: ["S001", "S002"] },
        credentials: {
          username: guideEnv.ACME_MART_ESL_USERNAME ?? "",
          password: guideEnv.ACME_MART_ESL_PASSWORD ?? ""
        }
      })
      const env = { ...guideEnv, ACME_MART_SOURCE_DB_URL: Redacted.value(url), ACME_MART_ESL_BASE_URL: sim.url }
      const runStore = layerPostgres({ url })
      const run = (command: string) =>
        cli(["--tenants-dir", tenantsDir, ...command.replace("npx storeflow ", "").split(" ")], { env, runStore })

      const scaffolded = yield* run(commands[0] ?? "")
      assert.strictEqual(scaffolded.code, 0, scaffolded.stderr)

      const file = join(tenantsDir, "acme_mart", "tenant.yaml")
      for (const snippet of blocks("yaml")) applySnippet(file, snippet)
      const config = parse(readFileSync(file, "utf8"))
      assert.strictEqual(config.name, "ACME Mart")
      assert.strictEqual(config.esl.stores[1].store_value, "002")

      const validated = yield* run(commands[1] ?? "")
      assert.strictEqual(validated.code, 0, validated.stdout)
      assert.include(validated.stdout, "✓ acme_mart")

      const listed = yield* run(commands[2] ?? "")
      assert.include(
        listed.stdout,
        "acme_mart: 2 pipelines, 5 assets, 2 jobs, 2 schedules; ESL ACME: 2 stores every 5m"
      )

      const synced = yield* run(commands[3] ?? "")
      assert.strictEqual(synced.code, 0, synced.stdout + synced.stderr)
      assert.match(synced.stdout, /^S001 {2}succeeded .*sent 2, accepted 2/)
      assert.deepStrictEqual(
        (yield* sim.articles("ACME", "S001")).map((a) => [a.articleId, a.data.SALE_PRICE]),
        [
          ["I-1", "950"],
          ["I-2", "3201"]
        ]
      )

      const runs = yield* run(commands[4] ?? "")
      assert.strictEqual(runs.code, 0)
      assert.match(runs.stdout, /acme_mart\s+esl_sync\s+store S001\s+succeeded/)
    })
  )

  it.effect("the error example matches what validate prints", () =>
    Effect.gen(function* () {
      const tenantsDir = copyTenants()
      dirs.push(tenantsDir)
      yield* cli(["--tenants-dir", tenantsDir, "tenants", "new", "acme_mart"])
      const file = join(tenantsDir, "acme_mart", "tenant.yaml")
      editFile(file, (text) =>
        text
          .replace("every: 5m ", "every: often ")
          .replace("  # password: ${ACME_MART_SOURCE_DB_PASSWORD}", "  password: ${ACME_MART_SOURCE_DB_PASSWORD}")
      )
      const result = yield* cli(["--tenants-dir", tenantsDir, "tenants", "validate"])
      assert.strictEqual(result.code, 1)
      const example = blocks("text")[0] ?? ""
      for (const line of example
        .split("\n")
        .slice(1)
        .filter((l) => l.trim() !== "")) {
        assert.include(result.stdout, line.trim())
      }
    })
  )
})
