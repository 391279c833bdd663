import { chmod, chown, copyFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { startEmbeddedPostgres } from "../../layers/postgres/embedded.ts"
import { buildSource, encrypted, execute, query, sourceConfig } from "./postgres-support.ts"

/*
 * A PostgreSQL of its own with TLS on, so every sslmode meets a server that speaks TLS (the shared test servers may
 * not). The certificates in ./tls are test fixtures valid until 2126: `ca.crt` signed `server.crt`, whose only name
 * is DNS:localhost; `other-ca.crt` signed nothing here. Made with `openssl req -x509 -newkey ec …` and
 * `openssl x509 -req … -extfile` (subjectAltName=DNS:localhost).
 */
const tls = (name: string) => join(fileURLToPath(new URL("./tls/", import.meta.url)), name)

class TlsServer extends Context.Service<TlsServer, { readonly url: Redacted.Redacted<string> }>()("test/TlsServer") {}

const enableTls = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const [directory] = yield* query<{ data_directory: string }>(url, "SHOW data_directory")
    const dataDir = directory?.data_directory ?? ""
    // The server runs as the data directory's owner (postgres, when the tests run as root) and refuses a key that
    // anyone else can read.
    yield* Effect.promise(async () => {
      const owner = await stat(dataDir)
      for (const file of ["server.crt", "server.key"]) {
        await copyFile(tls(file), join(dataDir, file))
        await chown(join(dataDir, file), owner.uid, owner.gid)
        await chmod(join(dataDir, file), 0o600)
      }
    })
    yield* execute(url, ["ALTER SYSTEM SET ssl = on", "SELECT pg_reload_conf()"])
    // The reload is asynchronous: wait until a session can actually negotiate TLS.
    yield* Effect.scoped(Effect.flatMap(buildSource(sourceConfig(url, { sslmode: "require" })), encrypted)).pipe(
      Effect.filterOrFail((on) => on),
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100 })
    )
  })

const TlsServerLayer = Layer.effect(
  TlsServer,
  Effect.gen(function* () {
    const server = yield* Effect.acquireRelease(
      Effect.promise(() => startEmbeddedPostgres()),
      (server) => Effect.promise(() => server.stop())
    )
    const url = Redacted.make(server.url)
    yield* enableTls(url)
    return TlsServer.of({ url })
  })
)

const onHost = (url: Redacted.Redacted<string>, host: string, params: Record<string, string> = {}): string => {
  const parsed = new URL(Redacted.value(url))
  parsed.hostname = host
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value)
  return parsed.toString()
}

const connected = (url: string, extra: Record<string, unknown>) =>
  Effect.scoped(Effect.flatMap(buildSource(sourceConfig(url, extra)), encrypted))

const refused = (url: string, extra: Record<string, unknown>) =>
  Effect.flip(Effect.scoped(buildSource(sourceConfig(url, extra))))

layer(TlsServerLayer, { excludeTestServices: true, timeout: "120 seconds" })(
  "SourceDb on PostgreSQL with TLS",
  (it) => {
    it.effect("disable stays plain; prefer and require encrypt without checking the certificate", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const local = onHost(url, "127.0.0.1")
        assert.isFalse(yield* connected(local, { sslmode: "disable" }))
        assert.isTrue(yield* connected(local, { sslmode: "prefer" }))
        assert.isTrue(yield* connected(local, { sslmode: "require" }))
      })
    )

    it.effect("verify-ca needs a certificate chaining to ssl_root_cert, whatever the host name", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const local = onHost(url, "127.0.0.1")
        assert.isTrue(yield* connected(local, { sslmode: "verify-ca", ssl_root_cert: tls("ca.crt") }))
        for (const extra of [{ ssl_root_cert: tls("other-ca.crt") }, {}]) {
          const error = yield* refused(local, { sslmode: "verify-ca", ...extra })
          assert.strictEqual(error.reason, "Unavailable")
          assert.match(error.detail, /certificate/i)
        }
      })
    )

    it.effect("verify-full also needs the host name in the certificate", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const root = { sslmode: "verify-full", ssl_root_cert: tls("ca.crt") }
        assert.isTrue(yield* connected(onHost(url, "localhost"), root))
        const error = yield* refused(onHost(url, "127.0.0.1"), root)
        assert.strictEqual(error.reason, "Unavailable")
        assert.include(error.detail, "127.0.0.1")
        assert.match(error.detail, /altnames|host ?name/i)
      })
    )

    it.effect("sslmode and sslrootcert inside the URL win over the fields", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const full = onHost(url, "localhost", { sslmode: "verify-full", sslrootcert: tls("ca.crt") })
        assert.isTrue(yield* connected(full, { sslmode: "disable", ssl_root_cert: tls("other-ca.crt") }))
        const plain = onHost(url, "127.0.0.1", { sslmode: "disable" })
        assert.isFalse(yield* connected(plain, { sslmode: "verify-full" }))
      })
    )

    it.effect("with a root certificate, require checks the chain (as libpq does) and prefer falls back to plain", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const local = onHost(url, "127.0.0.1")
        assert.isTrue(yield* connected(local, { sslmode: "require", ssl_root_cert: tls("ca.crt") }))
        const error = yield* refused(local, { sslmode: "require", ssl_root_cert: tls("other-ca.crt") })
        assert.match(error.detail, /certificate/i)
        assert.isFalse(yield* connected(local, { sslmode: "prefer", ssl_root_cert: tls("other-ca.crt") }))
      })
    )

    it.effect("an unreadable ssl_root_cert is Unavailable naming the file", () =>
      Effect.gen(function* () {
        const { url } = yield* TlsServer
        const error = yield* refused(onHost(url, "localhost"), {
          sslmode: "verify-full",
          ssl_root_cert: tls("missing.crt")
        })
        assert.strictEqual(error.reason, "Unavailable")
        assert.include(error.detail, "cannot read ssl_root_cert")
        assert.include(error.detail, "missing.crt")
      })
    )
  }
)
