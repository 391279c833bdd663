import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted, Schedule, Scope } from "effect"
import { layerEmail } from "../../layers/notifier/email.ts"
import type { EmailTarget } from "../../src/domain/TenantConfig.ts"
import { type Alert, Notifier } from "../../src/services/Notifier.ts"
import { capture } from "./capture.ts"
import { parseMail } from "./mime.ts"
import { type SmtpServer, smtpServer } from "./smtpServer.ts"

const alert: Alert = {
  severity: "critical",
  tenant: "acme",
  title: "ESL sync failed\nfor <s1>",
  text: "Rejected: <img src=x onerror=alert(1)> & 2 more.",
  fields: { store: '"R&D" <b>', run: "run-42" }
}

const target = (server: SmtpServer, overrides: Partial<typeof EmailTarget.Type> = {}): typeof EmailTarget.Type => ({
  smtp_host: "127.0.0.1",
  smtp_port: server.port,
  secure: false,
  user: server.user,
  password: Redacted.make(server.password),
  from: "storeflow <alerts@storeflow.example>",
  to: ["ops@acme.example", "oncall@acme.example"],
  ...overrides
})

const send = (config: typeof EmailTarget.Type, a: Alert = alert) =>
  Notifier.use((notifier) => notifier.send(a)).pipe(Effect.provide(layerEmail(config, { timeout: "5 seconds" })))

describe("email notifier against a local SMTP server", () => {
  it.live("logs in and sends to every recipient, with the subject, a text body and an HTML table", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      yield* send(target(server))
      assert.lengthOf(server.mails, 1)
      const [mail] = server.mails
      assert.strictEqual(mail?.user, "alerts")
      assert.strictEqual(mail?.mailFrom, "alerts@storeflow.example")
      assert.deepStrictEqual(mail?.rcptTo, ["ops@acme.example", "oncall@acme.example"])
      const parsed = parseMail(mail?.raw ?? "")
      assert.strictEqual(parsed.headers.get("subject"), "[storeflow] critical acme: ESL sync failed for <s1>")
      assert.strictEqual(parsed.headers.get("to"), "ops@acme.example, oncall@acme.example")
      assert.include(parsed.text, "Rejected: <img src=x onerror=alert(1)> & 2 more.")
      assert.include(parsed.text, 'store: "R&D" <b>\nrun: run-42')
      assert.include(parsed.text, "Tenant acme, severity critical.")
    })
  )

  it.live("escapes every alert text in the HTML body", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      yield* send(target(server))
      const { html } = parseMail(server.mails[0]?.raw ?? "")
      assert.include(html, "<h2>🚨 ESL sync failed\nfor &lt;s1&gt;</h2>")
      assert.include(html, "Rejected: &lt;img src=x onerror=alert(1)&gt; &amp; 2 more.")
      assert.match(html, /<tr><th[^>]*>store<\/th><td[^>]*>&quot;R&amp;D&quot; &lt;b&gt;<\/td><\/tr>/)
      assert.match(html, /<tr><th[^>]*>run<\/th><td[^>]*>run-42<\/td><\/tr>/)
      assert.notInclude(html, "<img")
      assert.notInclude(html, "<b>")
    })
  )

  it.live("a refused login fails naming email and the SMTP answer, never the password", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      const wrong = "wrong-Passw0rd-for-test"
      const run = yield* capture(send(target(server, { password: Redacted.make(wrong) })))
      const failure = run.error
      assert.strictEqual(failure?.channel, "email")
      assert.match(failure?.detail ?? "", /EAUTH/)
      assert.match(failure?.detail ?? "", /535 Authentication credentials invalid/)
      assert.lengthOf(server.mails, 0)
      assert.include(run.visible, "535 Authentication credentials invalid")
      for (const secret of [
        wrong,
        Buffer.from(wrong).toString("base64"),
        Buffer.from(`\u0000alerts\u0000${wrong}`).toString("base64")
      ]) {
        assert.notInclude(run.visible, secret)
      }
    })
  )

  it.live("without a user, sends without logging in (for relays that trust the network)", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ authOptional: true })
      const { user: _user, password: _password, ...anonymous } = target(server)
      yield* send(anonymous, { ...alert, fields: {} })
      assert.lengthOf(server.mails, 1)
      assert.isUndefined(server.mails[0]?.user)
    })
  )

  it.live("a refused recipient fails naming it and the answer, while the others still get the mail", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      server.refuse.add("oncall@acme.example")
      const error = yield* Effect.flip(send(target(server)))
      assert.strictEqual(error.channel, "email")
      assert.match(error.detail, /refused oncall@acme\.example: 550 mailbox unavailable/)
      assert.deepStrictEqual(server.mails[0]?.rcptTo, ["ops@acme.example"])
    })
  )

  it.live("an unreachable server fails with the connection error", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      // A listener that is gone: start and close a second server to get a port nobody answers on.
      const gone = yield* Effect.scoped(smtpServer().pipe(Effect.map((s) => s.port)))
      const error = yield* Effect.flip(send(target(server, { smtp_port: gone })))
      assert.strictEqual(error.channel, "email")
      assert.match(error.detail, new RegExp(`^127\\.0\\.0\\.1:${gone} .*ECONNREFUSED`))
    })
  )

  it.live("keeps one connection for a burst of alerts and closes it when the Layer's scope closes", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(layerEmail(target(server)), scope)
      const notifier = Context.get(context, Notifier)
      yield* Effect.forEach(["one", "two", "three"], (title) => notifier.send({ ...alert, title }))
      assert.lengthOf(server.mails, 3)
      assert.strictEqual(server.connectionsOpened(), 1)
      assert.strictEqual(server.openConnections(), 1)
      yield* Scope.close(scope, Exit.void)
      yield* Effect.suspend(() => (server.openConnections() === 0 ? Effect.void : Effect.fail("still open"))).pipe(
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo({ times: 100 })))
      )
      assert.strictEqual(server.openConnections(), 0)
    })
  )
})
