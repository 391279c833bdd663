import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Redacted } from "effect"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { execute } from "../source-db/postgres-support.ts"
import { cli } from "../support/cli.ts"
import { freshDatabase } from "../support/database.ts"
import { scratchDir } from "../support/tenants.ts"

export const ESL_USER = "acme-sync"
export const ESL_PASSWORD = "Sim-Pa55-word"

/** The source table of the tests: prices in numeric, change times as KST wall time (`timestamp`). */
export const schema = [
  `CREATE TABLE esl_items (
    item_code text NOT NULL, item_name text, sale_price numeric(12,2), store_code text NOT NULL,
    barcode text, updated_at timestamp DEFAULT now(), PRIMARY KEY (store_code, item_code))`,
  "CREATE INDEX esl_items_change ON esl_items (store_code, updated_at, item_code)"
]

const tenantYaml = (batchSize: number) => `
id: acme
name: ACME Mart
timezone: Asia/Seoul
source:
  url: \${ACME_SOURCE_DB_URL}
  sslmode: disable
esl:
  api:
    base_url: \${ACME_ESL_URL}
    username: ${ESL_USER}
    password: \${ACME_ESL_PASSWORD}
    timeout: 2s
  company: ACME
  stores: [S001, S002, S003]
  source:
    table: esl_items
    change_column: updated_at
    key_column: item_code
    store_column: store_code
  mapping:
    article_id: item_code
    article_name: item_name
    eans: barcode
    data:
      ITEM_NAME: { column: item_name, max_length: 40 }
      SALE_PRICE: { column: sale_price, format: price, decimals: 0, required: true }
      UPDATED: { column: updated_at, format: datetime }
  batch_size: ${batchSize}
  concurrency: 2
  retry: { base: 10ms, cap: 50ms, attempts: 4 }
`

/** The parts of an `esl sync --json` store summary the tests read. */
export interface StoreSummary {
  readonly store: string
  readonly status: string
  readonly error?: string
  readonly counts: Record<string, number>
  readonly watermark: { readonly after: { readonly value: string; readonly key: string } | null }
  readonly invalid: ReadonlyArray<{ readonly key: string; readonly reason: string }>
  readonly rejected: ReadonlyArray<{ readonly articleId: string; readonly errorText: string }>
}

const parseStores = (stdout: string): ReadonlyArray<StoreSummary> => {
  try {
    return JSON.parse(stdout).stores
  } catch {
    throw new Error(`esl sync --json printed something that is not JSON:\n${stdout}`)
  }
}

/**
 * A fresh source database (writers in Asia/Seoul, like the tenant), the ESL simulator on a free port, a tenants
 * folder with one tenant `acme` pointing at both, and the CLI wired to the same database as state store.
 */
export const eslWorld = (options: { readonly batchSize?: number; readonly rows?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function* () {
    const url = yield* freshDatabase
    const dbName = new URL(Redacted.value(url)).pathname.slice(1)
    yield* execute(url, [`ALTER DATABASE "${dbName}" SET timezone = 'Asia/Seoul'`, ...schema, ...(options.rows ?? [])])
    const sim = yield* startSimulator({
      companies: { ACME: ["S001", "S002", "S003"] },
      credentials: { username: ESL_USER, password: ESL_PASSWORD }
    })
    const tenantsDir = scratchDir()
    mkdirSync(join(tenantsDir, "acme"))
    writeFileSync(join(tenantsDir, "acme", "tenant.yaml"), tenantYaml(options.batchSize ?? 500))
    const env = { ACME_SOURCE_DB_URL: Redacted.value(url), ACME_ESL_URL: sim.url, ACME_ESL_PASSWORD: ESL_PASSWORD }
    const runStore = layerPostgres({ url })
    const run = (...args: ReadonlyArray<string>) => cli(["--tenants-dir", tenantsDir, ...args], { env, runStore })
    const sync = (...args: ReadonlyArray<string>) =>
      Effect.map(run("esl", "sync", "--tenant", "acme", "--json", ...args), (result) => ({
        ...result,
        stores: parseStores(result.stdout)
      }))
    return {
      url,
      sim,
      tenantsDir,
      env,
      runStore,
      run,
      sync,
      sql: (...statements: ReadonlyArray<string>) => execute(url, statements)
    }
  })
