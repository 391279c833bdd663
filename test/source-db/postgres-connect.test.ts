import { rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { planConnection, scrub } from "../../layers/source-db/postgres-connect.ts"
import { sourceConfig } from "./postgres-support.ts"

const plan = (url: string, extra: Record<string, unknown> = {}) => planConnection(sourceConfig(url, extra), "storeflow")

describe("SourceDb PostgreSQL: connection settings", () => {
  it.effect("a URL's sslmode and sslrootcert win over the fields and are not passed on to the driver", () =>
    Effect.gen(function* () {
      const ca = join(tmpdir(), `storeflow-ca-${process.pid}.crt`)
      yield* Effect.acquireRelease(
        Effect.promise(() => writeFile(ca, "-----BEGIN CERTIFICATE-----\n")),
        () => Effect.promise(() => rm(ca, { force: true }))
      )
      const settings = yield* plan(`postgres://u:p@db.example:6432/shop?sslmode=verify-full&sslrootcert=${ca}&x=1`, {
        sslmode: "disable"
      })
      assert.strictEqual(settings.sslmode, "verify-full")
      assert.deepStrictEqual(settings.tls, { ca: "-----BEGIN CERTIFICATE-----\n", rejectUnauthorized: true })
      assert.strictEqual(
        Redacted.value(settings.client.url as Redacted.Redacted),
        "postgres://u:p@db.example:6432/shop?x=1"
      )
      assert.strictEqual(settings.target, "db.example:6432/shop as u")
    })
  )

  it.effect("verify-ca checks the chain but not the host name; require and prefer check nothing without a root", () =>
    Effect.gen(function* () {
      const verifyCa = yield* plan("postgres://u@h/db", { sslmode: "verify-ca" })
      assert.isTrue(verifyCa.tls !== false && verifyCa.tls.rejectUnauthorized === true)
      assert.isUndefined(verifyCa.tls !== false ? verifyCa.tls.checkServerIdentity?.("h", {} as never) : "no tls")
      for (const sslmode of ["require", "prefer"]) {
        assert.deepStrictEqual((yield* plan("postgres://u@h/db", { sslmode })).tls, { rejectUnauthorized: false })
      }
      assert.isFalse((yield* plan("postgres://u@h/db?sslmode=disable", { sslmode: "require" })).tls)
      assert.strictEqual((yield* plan("postgres://u@h/db?sslmode=allow")).sslmode, "prefer")
    })
  )

  it.effect("a Unix socket never negotiates TLS, as in libpq", () =>
    Effect.gen(function* () {
      const settings = yield* plan("postgres:///db?host=/var/run/postgresql&user=u", { sslmode: "require" })
      assert.isFalse(settings.tls)
      assert.strictEqual(settings.target, "/var/run/postgresql:5432/db as u")
    })
  )

  it.effect("the user and password fields fill in what the URL leaves out, and every password form is a secret", () =>
    Effect.gen(function* () {
      const bare = yield* plan("postgres://db.example/shop", { user: "reader", password: "from-secret" })
      assert.strictEqual(bare.client.username, "reader")
      assert.strictEqual(Redacted.value(bare.client.password as Redacted.Redacted), "from-secret")
      assert.deepStrictEqual(bare.secrets, ["from-secret"])
      const full = yield* plan("postgres://u:p%40ss@db.example/shop", { user: "other", password: "ignored" })
      assert.isUndefined(full.client.username)
      assert.isUndefined(full.client.password)
      assert.deepStrictEqual(full.secrets, ["p@ss", "p%40ss"])
      assert.strictEqual(scrub(full, "echo p@ss and p%40ss"), "echo *** and ***")
    })
  )

  it.effect("a bad URL or sslmode is reported without the URL", () =>
    Effect.gen(function* () {
      for (const url of [
        "mysql://u:hunter22@h/db",
        "postgres://u:hunter22@[oops/db",
        "postgres://u:hunter22@h/db?sslmode=on"
      ]) {
        const detail = yield* Effect.flip(plan(url))
        assert.notInclude(detail, "hunter22")
      }
    })
  )
})
