import { rmSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { duckQuery } from "../etl/integration-support.ts"
import { copyTenants, editFile, scratchDir } from "../support/tenants.ts"
import { spawnDaemon } from "./support.ts"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("npm start (storeflow demo)", () => {
  it.live(
    "on embedded defaults, with second-scale schedules: delivers articles, materializes partitions, stops cleanly",
    () =>
      Effect.gen(function* () {
        const tenantsDir = copyTenants("demo")
        dirs.push(tenantsDir)
        editFile(join(tenantsDir, "demo", "tenant.yaml"), (text) =>
          text
            .replace("every: 30s\n    jitter: 5s", "every: 1s\n    jitter: 100ms")
            .replace('cron: "*/2 * * * *"', 'cron: "*/2 * * * * *"')
            .replace('cron: "*/1 * * * *"', 'cron: "*/2 * * * * *"')
        )
        const data = scratchDir()
        dirs.push(data)
        const demo = yield* spawnDaemon(
          [
            "--tenants-dir",
            tenantsDir,
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--esl-port",
            "0",
            "--data-dir",
            data,
            "--changes-every",
            "500ms"
          ],
          {}
        )
        yield* demo.waitFor(/^ {2}status {10}http:\/\/127\.0\.0\.1:\d+\/status/, 60_000)
        yield* demo.waitFor(/^demo esl S001 succeeded extracted=8 sent=8 accepted=8/, 30_000)
        yield* demo.waitFor(/^demo master_sync_job \[latest\] succeeded pipelines=1 rows=24/, 30_000)
        yield* demo.waitFor(/^demo daily_etl_job \[\d{4}-\d{2}-\d{2}\] succeeded pipelines=1 rows=\d+/, 30_000)
        // The shop keeps changing prices: later passes send only those.
        yield* demo.waitFor(/^demo esl S00\d succeeded extracted=[1-4] sent=[1-4]/, 30_000)
        assert.strictEqual(yield* demo.stop("SIGINT"), 0)
        const tables = yield* duckQuery(
          join(data, "demo.duckdb"),
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        )
        assert.deepStrictEqual(
          tables.map((t) => t.table_name),
          ["items", "sales"]
        )
        const loadedAt = yield* duckQuery(join(data, "demo.duckdb"), "SELECT count(loaded_at)::int n FROM main.sales")
        assert.isAbove(Number(loadedAt[0]?.n), 0)
      }),
    120_000
  )
})
