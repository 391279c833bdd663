import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { layerFromConfigNode, type NotifierOptions } from "../../layers/notifier/fromConfig.ts"
import type { NotificationsConfig } from "../../src/domain/TenantConfig.ts"
import { type Alert, Notifier } from "../../src/services/Notifier.ts"
import { capture } from "./capture.ts"
import { type SmtpServer, smtpServer } from "./smtpServer.ts"
import { type WebhookServer, webhookServer } from "./webhookServer.ts"

const alert: Alert = {
  severity: "warning",
  tenant: "acme",
  title: "Mismatch above threshold",
  text: "12% of the articles sent are missing at the vendor.",
  fields: { store: "s1", ratio: "0.12" }
}

const options: NotifierOptions = {
  slack: { backoffBase: "1 millis", backoffCap: "5 millis", timeout: "3 seconds" },
  email: { timeout: "3 seconds" }
}

const slack = (server: WebhookServer) => ({ webhook_url: Redacted.make(server.url("/services/T/B/token")) })

const email = (server: SmtpServer, password = server.password) => ({
  smtp_host: "127.0.0.1",
  smtp_port: server.port,
  secure: false,
  user: server.user,
  password: Redacted.make(password),
  from: "alerts@storeflow.example",
  to: ["ops@acme.example"]
})

const send = (notifications: typeof NotificationsConfig.Type) =>
  capture(
    Notifier.use((notifier) => notifier.send(alert)).pipe(
      Effect.provide(layerFromConfigNode("acme", notifications, options))
    )
  )

/** The log lines the alert itself produced (retries and the like may log too). */
const alertLines = (run: Effect.Success<ReturnType<typeof send>>) =>
  run.logs.filter((line) => line.annotations.title === alert.title)

describe("Notifier from tenant config", () => {
  it.live("with no target configured, only logs the alert", () =>
    Effect.gen(function* () {
      const run = yield* send({})
      assert.isTrue(Exit.isSuccess(run.exit))
      assert.lengthOf(alertLines(run), 1)
      assert.strictEqual(alertLines(run)[0]?.level, "WARN")
      assert.deepStrictEqual(alertLines(run)[0]?.message, alert.text)
    })
  )

  it.live("sends to Slack and email and logs, all for one call", () =>
    Effect.gen(function* () {
      const hook = yield* webhookServer
      const smtp = yield* smtpServer()
      const run = yield* send({ slack: slack(hook), email: email(smtp) })
      assert.isTrue(Exit.isSuccess(run.exit))
      assert.lengthOf(hook.requests, 1)
      assert.lengthOf(smtp.mails, 1)
      assert.lengthOf(alertLines(run), 1)
    })
  )

  it.live("sends to the channels concurrently, not one after the other", () =>
    Effect.gen(function* () {
      const hook = yield* webhookServer
      const smtp = yield* smtpServer()
      // Slack answers only once the mail has arrived: sending one channel after the other would time out here.
      hook.answer({ before: () => smtp.waitForMails(1) })
      const run = yield* send({ slack: slack(hook), email: email(smtp) })
      assert.isTrue(Exit.isSuccess(run.exit), String(run.error))
      assert.lengthOf(hook.requests, 1)
      assert.lengthOf(smtp.mails, 1)
    })
  )

  it.live("when Slack refuses, still delivers the email and the log line, then fails naming slack", () =>
    Effect.gen(function* () {
      const hook = yield* webhookServer
      const smtp = yield* smtpServer()
      hook.answer({ status: 400, body: "invalid_payload" })
      const run = yield* send({ slack: slack(hook), email: email(smtp) })
      assert.strictEqual(run.error?._tag, "NotifierError")
      assert.strictEqual(run.error?.channel, "slack")
      assert.strictEqual(run.error?.detail, "Slack answered 400 invalid_payload")
      assert.lengthOf(smtp.mails, 1)
      assert.lengthOf(alertLines(run), 1)
    })
  )

  it.live("when every channel fails, one error names each of them with its reason", () =>
    Effect.gen(function* () {
      const hook = yield* webhookServer
      const smtp = yield* smtpServer()
      hook.answer({ status: 404, body: "no_service" })
      const run = yield* send({ slack: slack(hook), email: email(smtp, "not-the-password") })
      assert.strictEqual(run.error?.channel, "slack, email")
      assert.match(run.error?.detail ?? "", /^slack: Slack answered 404 no_service; email: .*535/)
      assert.match(run.error?.message ?? "", /through slack, email/)
      assert.lengthOf(alertLines(run), 1)
      assert.notInclude(run.visible, "not-the-password")
      assert.notInclude(run.visible, "/services/T/B/token")
    })
  )
})
