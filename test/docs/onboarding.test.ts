import { readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { parseEnv } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { parse, parseDocument } from "yaml"
import { cli } from "../support/cli.ts"
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
  it.effect("every step works as written", () =>
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
        "npx storeflow runs --tenant acme_mart"
      ])
      const env = parseEnv(blocks("dotenv").join("\n"))
      const run = (command: string) =>
        cli(["--tenants-dir", tenantsDir, ...command.replace("npx storeflow ", "").split(" ")], { env })

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
      assert.include(listed.stdout, "acme_mart: 2 pipelines, 2 jobs, 2 schedules; ESL ACME: 2 stores every 5m")

      const runs = yield* run(commands[3] ?? "")
      assert.strictEqual(runs.code, 0)
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
