import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Redacted } from "effect"
import { startSimulator } from "../../src/esl/simulator/index.ts"
import { execute } from "../source-db/postgres-support.ts"
import { freshDatabase } from "../support/database.ts"
import { projectRoot, scratchDir } from "../support/tenants.ts"

export interface DaemonProcess {
  readonly process: ChildProcess
  readonly output: Array<string>
  /** Resolves with the first output line matching, or fails after `timeoutMs`. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Effect.Effect<string, Error>
  /** Sends a signal and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Effect.Effect<number | null>
  readonly exited: Promise<number | null>
}

/** Runs `storeflow daemon …` as a real process on the pinned Node, as users do; stopped with the scope. */
export const spawnDaemon = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): DaemonProcess => {
      const child = spawn(process.execPath, [join(projectRoot, "src", "main.ts"), ...args], {
        cwd: projectRoot,
        env: { ...process.env, ...env, LOG_FORMAT: "json" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const output: Array<string> = []
      const listeners = new Set<() => void>()
      const collect = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") output.push(line)
        for (const listener of listeners) listener()
      }
      child.stdout?.on("data", collect)
      child.stderr?.on("data", collect)
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
        Effect.callback<string, Error>((resume) => {
          const check = () => {
            const line = output.find((l) => pattern.test(l))
            if (line !== undefined) {
              cleanup()
              resume(Effect.succeed(line))
            }
          }
          const timer = setTimeout(() => {
            cleanup()
            resume(Effect.fail(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output.join("\n")}`)))
          }, timeoutMs)
          const cleanup = () => {
            clearTimeout(timer)
            listeners.delete(check)
          }
          listeners.add(check)
          check()
          return Effect.sync(cleanup)
        })
      const stop = (signal: NodeJS.Signals = "SIGTERM") =>
        Effect.promise(() => {
          if (child.exitCode === null) child.kill(signal)
          return exited
        })
      return { process: child, output, waitFor, stop, exited }
    }),
    (daemon) => daemon.stop("SIGKILL")
  )

export const SIM_USER = "daemon-user"
export const SIM_PASSWORD = "daemon-pass"

/** A source+state database with an ESL table and a sales table, the ESL simulator, and a tenants folder. */
export const daemonWorld = Effect.gen(function* () {
  const url = yield* freshDatabase
  const dbName = new URL(Redacted.value(url)).pathname.slice(1)
  yield* execute(url, [
    `ALTER DATABASE "${dbName}" SET timezone = 'Asia/Seoul'`,
    `CREATE TABLE items (item_code text, item_name text, sale_price numeric(12,2), store_code text,
      updated_at timestamp DEFAULT now(), PRIMARY KEY (store_code, item_code))`,
    "INSERT INTO items VALUES ('A1', 'Apple', 1000, 'S001', now() - interval '1 minute'), ('B1', 'Bread', 2000, 'S002', now() - interval '1 minute')",
    "CREATE TABLE sales (sale_id int8 PRIMARY KEY, amount numeric(12,2), sold_at timestamp)",
    "INSERT INTO sales SELECT s, s, (now() - interval '1 day')::date + (s || ' minutes')::interval FROM generate_series(1, 5) s"
  ])
  const sim = yield* startSimulator({
    companies: { SHOP: ["S001", "S002"] },
    credentials: { username: SIM_USER, password: SIM_PASSWORD }
  })
  const dir = scratchDir()
  const tenantsDir = join(dir, "tenants")
  mkdirSync(tenantsDir)
  const env = {
    STOREFLOW_STATE_DB_URL: Redacted.value(url),
    SOURCE_URL: Redacted.value(url),
    ESL_URL: sim.url,
    ESL_PASSWORD: SIM_PASSWORD,
    LAKE: join(dir, "lake")
  }
  return { url, sim, dir, tenantsDir, env }
})

/** A tenant syncing its stores every second and running both ETL jobs every few seconds. */
export const writeTenant = (
  tenantsDir: string,
  id: string,
  options: { readonly warehouse?: string; readonly broken?: boolean } = {}
) => {
  mkdirSync(join(tenantsDir, id), { recursive: true })
  writeFileSync(
    join(tenantsDir, id, "tenant.yaml"),
    `id: ${id}
name: ${id}
source: { url: "\${SOURCE_URL}", sslmode: disable }
object_store: { type: filesystem, path: "\${LAKE}", prefix: ${id} }
warehouse: ${options.warehouse ?? "{ type: none }"}
esl:
  api: { base_url: "\${ESL_URL}", username: ${SIM_USER}, password: "\${ESL_PASSWORD}" }
  company: SHOP
  stores: [S001, S002]
  source: { table: items, change_column: updated_at, key_column: item_code, store_column: store_code }
  mapping: { article_id: item_code, article_name: item_name, data: { PRICE: { column: sale_price, format: price } } }
  schedule: { every: ${options.broken === true ? "often" : "1s"}, jitter: 200ms }
  retry: { base: 10ms, cap: 50ms, attempts: 2 }
pipelines:
  - { name: sales, source: { table: sales }, date_column: sold_at }
jobs:
  daily_etl_job: { cron: "*/2 * * * * *", catchup: none }
`
  )
}
