import { inspect } from "node:util"
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { SourceConfig } from "../../src/domain/TenantConfig.ts"
import type { SourceDbError } from "../../src/services/SourceDb.ts"
import { freshDatabase, TestDatabase } from "../support/database.ts"
import { buildSource, encrypted, query, readAll, sourceConfig, sql } from "./postgres-support.ts"

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "60 seconds" })(
  "SourceDb on PostgreSQL: connecting",
  (it) => {
    const secret = "s3cret-Pa55word"

    const assertNoSecret = (error: SourceDbError) => {
      for (const text of [error.message, error.detail, inspect(error, { depth: 10 }), String(error)]) {
        assert.notInclude(text, secret)
        assert.notInclude(text, encodeURIComponent(secret))
      }
    }

    it.effect("an unreachable server fails at build time with Unavailable, without the password", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          buildSource(sourceConfig(`postgres://storeflow:${secret}@127.0.0.1:1/shop?connect_timeout=5`))
        )
        assert.strictEqual(error.reason, "Unavailable")
        assert.strictEqual(error.operation, "connect")
        assert.isTrue(error.retryable)
        assert.include(error.detail, "cannot connect to 127.0.0.1:1/shop as storeflow")
        assertNoSecret(error)
      }).pipe(Effect.scoped)
    )

    it.effect("a missing database, or a password given beside the URL, never shows in the error", () =>
      Effect.gen(function* () {
        const { url } = yield* TestDatabase
        const server = new URL(Redacted.value(url))
        server.pathname = "/no_such_database"
        server.password = ""
        const error = yield* Effect.flip(buildSource(sourceConfig(server.toString(), { password: secret })))
        assert.strictEqual(error.reason, "Unavailable")
        assert.include(error.detail, "no_such_database")
        assertNoSecret(error)
      }).pipe(Effect.scoped)
    )

    it.effect("a URL that does not parse is Unavailable without echoing it", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(buildSource(sourceConfig(`postgres://storeflow:${secret}@[bad/shop`)))
        assert.strictEqual(error.reason, "Unavailable")
        assert.include(error.detail, "not a postgres://")
        assertNoSecret(error)
        const mode = yield* Effect.flip(buildSource(sourceConfig(`postgres://u:${secret}@127.0.0.1/db?sslmode=always`)))
        assert.include(mode.detail, "sslmode=always")
        assertNoSecret(mode)
      }).pipe(Effect.scoped)
    )

    it.effect("host and port fields work like a URL", () =>
      Effect.gen(function* () {
        const url = new URL(Redacted.value(yield* freshDatabase))
        const db = yield* buildSource(
          Schema.decodeUnknownSync(SourceConfig)({
            host: url.hostname,
            port: url.port || "5432",
            database: url.pathname.slice(1),
            user: decodeURIComponent(url.username),
            ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) })
          })
        )
        const [row] = yield* readAll(db, { source: sql("SELECT current_database() AS name") })
        assert.strictEqual(row?.name, url.pathname.slice(1))
      }).pipe(Effect.scoped)
    )

    // The test server may or may not have TLS (the embedded one has not; a system one may): ask it, expect accordingly.
    it.effect("sslmode disable and prefer connect whatever the server; require needs a server with TLS", () =>
      Effect.gen(function* () {
        const { url } = yield* TestDatabase
        const [setting] = yield* query<{ ssl: string }>(url, "SHOW ssl")
        const serverTls = setting?.ssl === "on"

        assert.isFalse(yield* encrypted(yield* buildSource(sourceConfig(url, { sslmode: "disable" }))))
        assert.strictEqual(yield* encrypted(yield* buildSource(sourceConfig(url, { sslmode: "prefer" }))), serverTls)

        const required = yield* Effect.result(buildSource(sourceConfig(url, { sslmode: "require" })))
        // A URL's sslmode wins over the field.
        const requiredByUrl = yield* Effect.result(buildSource(sourceConfig(withParam(url, "sslmode", "require"))))
        for (const result of [required, requiredByUrl]) {
          if (serverTls) {
            assert.isTrue(result._tag === "Success" && (yield* encrypted(result.success)))
          } else {
            assert.isTrue(result._tag === "Failure")
            const error = result._tag === "Failure" ? result.failure : undefined
            assert.strictEqual(error?.reason, "Unavailable")
            assert.include(error?.detail, "the server does not accept TLS connections, but sslmode is require")
          }
        }
        const disabledByUrl = yield* buildSource(
          sourceConfig(withParam(url, "sslmode", "disable"), { sslmode: "require" })
        )
        assert.isFalse(yield* encrypted(disabledByUrl))
      }).pipe(Effect.scoped)
    )
  }
)

const withParam = (url: Redacted.Redacted<string>, name: string, value: string): string => {
  const parsed = new URL(Redacted.value(url))
  parsed.searchParams.set(name, value)
  return parsed.toString()
}
