import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { parse } from "yaml"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { execute, query } from "../source-db/postgres-support.ts"
import { cli } from "../support/cli.ts"
import { TestDatabase } from "../support/database.ts"
import { projectRoot } from "../support/tenants.ts"

/** A psql script's statements (no functions or DO blocks in ours, so `;` at a line's end ends one). */
const statements = (file: string): Array<string> =>
  readFileSync(join(projectRoot, "docker", "postgres", "sql", file), "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s !== "")

const compose = parse(readFileSync(join(projectRoot, "docker-compose.yml"), "utf8")) as {
  services: Record<string, { environment?: Record<string, string>; command?: Array<string> }>
}
const daemonEnv = compose.services.storeflow?.environment ?? {}
const simulatorCompanies = (compose.services["esl-sim"]?.command ?? []).join(" ").match(/--companies (\S+)/)?.[1]

interface StoreSummary {
  readonly store: string
  readonly status: string
  readonly counts: Record<string, number>
}

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "120 seconds" })(
  "the stack's seed data, compose tenant and ESL simulator fit together",
  (it) => {
    it.effect(
      "the first sync delivers every seeded item to its store; demo-activity's changes are picked up next",
      () =>
        Effect.gen(function* () {
          const { url } = yield* TestDatabase
          yield* execute(url, statements("demo.sql"))
          assert.strictEqual(simulatorCompanies, "DEMO:S001,S002,S003")
          const sim = yield* startSimulator({
            companies: { DEMO: ["S001", "S002", "S003"] },
            credentials: { username: "demo", password: daemonEnv.STOREFLOW_COMPOSE_ESL_PASSWORD ?? "" }
          })
          const dir = join(projectRoot, "docker", "tenants")
          // The daemon's environment in the stack, with this test's database and simulator for the services'.
          const env = {
            ...daemonEnv,
            STOREFLOW_COMPOSE_SOURCE_DB_URL: Redacted.value(url),
            STOREFLOW_COMPOSE_ESL_URL: sim.url
          }
          // A new CLI call each time: one call's Effect keeps collecting output for as long as it is reused.
          const sync = () =>
            Effect.map(
              cli(["--tenants-dir", dir, "esl", "sync", "--tenant", "compose", "--json"], {
                env,
                runStore: layerPostgres({ url })
              }),
              (result) => {
                assert.strictEqual(result.code, 0, result.stderr + result.stdout)
                return (JSON.parse(result.stdout) as { stores: ReadonlyArray<StoreSummary> }).stores
              }
            )

          const first = yield* sync()
          const seeded = yield* query<{ store_code: string; n: string }>(
            url,
            "SELECT store_code, count(*)::text AS n FROM items GROUP BY store_code ORDER BY store_code"
          )
          assert.deepStrictEqual(
            first.map((s) => [s.store, s.status, s.counts.accepted, s.counts.invalid]),
            seeded.map((row) => [row.store_code, "succeeded", Number(row.n), 0])
          )
          const milk = (yield* sim.articles("DEMO", "S001")).find((a) => a.articleId === "A1001")
          assert.deepInclude(milk, { articleName: "서울우유 1L", eans: ["8801115114154"] })
          assert.deepInclude(milk?.data, { SALE_PRICE: "2980", LIST_PRICE: "3200", CATEGORY: "dairy" })

          yield* execute(url, statements("activity.sql"))
          const second = yield* sync()
          assert.strictEqual(
            second.reduce((n, s) => n + (s.counts.extracted ?? 0), 0),
            3
          )
          // The seed's three days × four sales per item, none in the future, plus demo-activity's five.
          const items = seeded.reduce((n, row) => n + Number(row.n), 0)
          const sales = yield* query<{ n: string; future: string }>(
            url,
            "SELECT count(*)::text AS n, count(*) FILTER (WHERE sold_at > now() AT TIME ZONE 'Asia/Seoul')::text AS future FROM sales"
          )
          assert.deepStrictEqual(sales, [{ n: String(items * 3 * 4 + 5), future: "0" }])
        })
    )
  }
)
