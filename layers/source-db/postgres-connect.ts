import { readFile } from "node:fs/promises"
import type { ConnectionOptions } from "node:tls"
import type { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import type { SourceConfig, SslMode } from "../../src/domain/TenantConfig.ts"

/** How to reach a tenant's source database, worked out from its config before any connection is made. */
export interface ConnectionPlan {
  /** Client settings, all but `ssl`. */
  readonly client: PgClient.PgPoolConfig
  readonly sslmode: SslMode
  /** TLS settings of an encrypted connection; `false` when TLS is never used (`disable`, or a Unix socket). */
  readonly tls: ConnectionOptions | false
  /** `host:port/database as user`, for messages: never the password. */
  readonly target: string
  /** Texts that must never appear in an error: the password, raw and percent-encoded. */
  readonly secrets: ReadonlyArray<string>
}

// libpq's names; `allow` (plain first, TLS if the server insists) is served as `prefer`, which ends up alike.
const urlModes: Readonly<Record<string, SslMode>> = {
  disable: "disable",
  allow: "prefer",
  prefer: "prefer",
  require: "require",
  "verify-ca": "verify-ca",
  "verify-full": "verify-full"
}

interface Parts {
  readonly client: PgClient.PgPoolConfig
  readonly host: string
  readonly port: number
  readonly database: string | undefined
  readonly user: string | undefined
  readonly sslmode: SslMode
  readonly rootCert: string | undefined
  readonly secrets: ReadonlyArray<string>
}

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

// Every failure here names the problem only: the URL itself carries the password.
const fromUrl = (source: SourceConfig, url: Redacted.Redacted<string>): Effect.Effect<Parts, string> =>
  Effect.gen(function* () {
    const notAUrl = "source url is not a postgres://user:password@host:port/database URL"
    const parsed = yield* Effect.try({ try: () => new URL(Redacted.value(url)), catch: () => notAUrl })
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") return yield* Effect.fail(notAUrl)
    const hostname = decode(parsed.hostname.replace(/^\[(.*)\]$/, "$1"))
    const database = decode(parsed.pathname.replace(/^\//, ""))
    const user = decode(parsed.username)
    const password = decode(parsed.password)
    if ([hostname, database, user, password].includes(undefined)) {
      return yield* Effect.fail("source url has an invalid %-escape")
    }
    const mode = parsed.searchParams.get("sslmode")
    const sslmode = mode === null ? source.sslmode : urlModes[mode]
    if (sslmode === undefined) {
      return yield* Effect.fail(
        `source url: sslmode=${mode} is not one of ${Object.keys(urlModes).join(", ")} (see the libpq documentation)`
      )
    }
    const rootCert = parsed.searchParams.get("sslrootcert") ?? source.ssl_root_cert
    // TLS is decided here, not by the driver, which would verify certificates even under `prefer`.
    parsed.searchParams.delete("sslmode")
    parsed.searchParams.delete("sslrootcert")
    const port = Number(parsed.searchParams.get("port") ?? (parsed.port || 5432))
    const fallbackPassword = password === "" && source.password !== undefined ? source.password : undefined
    return {
      client: {
        url: Redacted.make(parsed.toString()),
        // The fields fill in what the URL leaves out, e.g. a password kept in its own secret.
        username: user === "" ? source.user : undefined,
        password: fallbackPassword
      },
      host: parsed.searchParams.get("host") ?? (hostname || "localhost"),
      port,
      database: parsed.searchParams.get("dbname") ?? (database || undefined),
      user: parsed.searchParams.get("user") ?? (user || source.user),
      sslmode,
      rootCert: rootCert === "system" ? undefined : rootCert,
      secrets: [
        password ?? "",
        parsed.password,
        ...(fallbackPassword === undefined ? [] : [Redacted.value(fallbackPassword)])
      ].filter((secret) => secret.length > 0)
    }
  })

const fromParts = (source: SourceConfig): Parts => {
  const host = source.host ?? "localhost"
  return {
    client: { host, port: source.port, database: source.database, username: source.user, password: source.password },
    host,
    port: source.port,
    database: source.database,
    user: source.user,
    sslmode: source.sslmode,
    rootCert: source.ssl_root_cert,
    secrets:
      source.password === undefined || Redacted.value(source.password) === "" ? [] : [Redacted.value(source.password)]
  }
}

/**
 * TLS settings per libpq's `sslmode`. `prefer` and `require` encrypt without checking the certificate, unless a
 * root certificate is given: then, as in libpq, it must chain to it. `verify-ca` checks the chain, `verify-full`
 * also the host name. Without `ssl_root_cert` the chain is checked against Node's trusted CAs.
 */
const tlsOptions = (mode: SslMode, ca: string | undefined): ConnectionOptions | false => {
  switch (mode) {
    case "disable":
      return false
    case "prefer":
    case "require":
      return ca === undefined ? { rejectUnauthorized: false } : { ca, checkServerIdentity: () => undefined }
    case "verify-ca":
      return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, checkServerIdentity: () => undefined }
    case "verify-full":
      return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true }
  }
}

/** Resolves the connection settings: URL or parts, the TLS mode (a URL's `sslmode` wins), the root certificate. */
export const planConnection = (source: SourceConfig, applicationName: string): Effect.Effect<ConnectionPlan, string> =>
  Effect.gen(function* () {
    const parts = source.url === undefined ? fromParts(source) : yield* fromUrl(source, source.url)
    // libpq never negotiates TLS over a Unix socket.
    const socket = parts.host.startsWith("/")
    const ca =
      socket || parts.sslmode === "disable" || parts.rootCert === undefined
        ? undefined
        : yield* Effect.tryPromise({
            try: () => readFile(parts.rootCert as string, "utf8"),
            catch: (error) =>
              `cannot read ssl_root_cert ${parts.rootCert}: ${error instanceof Error ? error.message : String(error)}`
          })
    return {
      client: { ...parts.client, applicationName },
      sslmode: parts.sslmode,
      tls: socket ? false : tlsOptions(parts.sslmode, ca),
      target: `${parts.host}:${parts.port}/${parts.database ?? "(default database)"} as ${parts.user ?? "(default user)"}`,
      secrets: parts.secrets
    }
  })

/** Removes every secret from a message, should a server or library ever echo one. */
export const scrub = (plan: Pick<ConnectionPlan, "secrets">, text: string): string =>
  plan.secrets.reduce((clean, secret) => clean.replaceAll(secret, "***"), text)
