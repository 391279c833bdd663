import { createServer, type Server } from "node:net"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Redacted } from "effect"
import { EmbeddedPostgresError, embeddedPostgres, startEmbeddedPostgres } from "../../layers/postgres/embedded.ts"

const currentDatabase = (url: Redacted.Redacted<string>) =>
  PgClient.PgClient.use((sql) => sql<{ readonly name: string }>`SELECT current_database() AS name`).pipe(
    Effect.map((rows) => rows[0]?.name),
    Effect.provide(PgClient.layer({ url, connectTimeout: "5 seconds" }))
  )

const listen = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve(server))
  })

describe("embedded PostgreSQL", () => {
  it.live("serves extra databases while its scope is open, and is gone after", () =>
    Effect.gen(function* () {
      const extra = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* embeddedPostgres()
          assert.strictEqual(yield* currentDatabase(server.url), "postgres")
          const url = yield* server.createDatabase("storeflow_extra")
          assert.strictEqual(yield* currentDatabase(url), "storeflow_extra")
          return url
        })
      )
      const afterStop = yield* Effect.flip(currentDatabase(extra))
      assert.strictEqual(afterStop.reason._tag, "ConnectionError")
    })
  )

  it.live("a failed start reports the server's own reason", () =>
    Effect.gen(function* () {
      const taken = yield* Effect.acquireRelease(Effect.promise(listen), (server) => Effect.sync(() => server.close()))
      const address = taken.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const lines: Array<string> = []
      const error = yield* Effect.flip(
        Effect.tryPromise({
          try: () => startEmbeddedPostgres({ port, onLog: (line) => lines.push(line) }),
          catch: (cause) => cause
        })
      )
      assert.instanceOf(error, EmbeddedPostgresError)
      assert.include((error as EmbeddedPostgresError).message, `port ${port}`)
      assert.include((error as EmbeddedPostgresError).message, "Address already in use")
      assert.isTrue(lines.some((line) => line.includes("Address already in use")))
    })
  )
})
