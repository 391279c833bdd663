import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Redacted } from "effect"
import { layerSlackNode, parseRetryAfter, type SlackOptions } from "../../layers/notifier/slack.ts"
import { type Alert, Notifier } from "../../src/services/Notifier.ts"
import { capture } from "./capture.ts"
import { webhookServer } from "./webhookServer.ts"

const token = "xoxSECRETwebhookToken42"
const secretPath = `/services/T0STORE/B0FLOW/${token}`

const alert: Alert = {
  severity: "critical",
  tenant: "acme",
  title: "ESL sync failed",
  text: "3 articles were rejected: <price> & name too long.",
  fields: { store: "s1", run: "run-42" }
}

/** Tiny backoff so retries take milliseconds; Retry-After is still honoured as Slack sends it. */
const fast: SlackOptions = { backoffBase: "1 millis", backoffCap: "5 millis", retries: 3 }

const send = (url: string, options: SlackOptions = fast, channel?: string) =>
  Notifier.use((notifier) => notifier.send(alert)).pipe(
    Effect.provide(
      layerSlackNode({ webhook_url: Redacted.make(url), ...(channel === undefined ? {} : { channel }) }, options)
    )
  )

describe("Slack notifier against a local webhook", () => {
  it.live("posts one Block Kit message: emoji header, text, fields in two columns, tenant context, text fallback", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      yield* send(server.url(secretPath), fast, "#store-alerts")
      assert.lengthOf(server.requests, 1)
      const [request] = server.requests
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.path, secretPath)
      assert.match(String(request?.headers["content-type"]), /^application\/json/)
      assert.deepStrictEqual(JSON.parse(request?.body ?? ""), {
        text: "🚨 [critical] acme: ESL sync failed. 3 articles were rejected: &lt;price&gt; &amp; name too long.",
        channel: "#store-alerts",
        blocks: [
          { type: "header", text: { type: "plain_text", text: "🚨 ESL sync failed", emoji: true } },
          {
            type: "section",
            text: { type: "mrkdwn", text: "3 articles were rejected: &lt;price&gt; &amp; name too long." }
          },
          {
            type: "section",
            fields: [
              { type: "mrkdwn", text: "*store*\ns1" },
              { type: "mrkdwn", text: "*run*\nrun-42" }
            ]
          },
          { type: "context", elements: [{ type: "mrkdwn", text: "critical · tenant *acme* · storeflow" }] }
        ]
      })
    })
  )

  it.live("retries 5xx answers with backoff and succeeds once Slack accepts", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer({ status: 500, body: "no_service" }, { status: 503, body: "upstream unavailable" })
      yield* send(server.url(secretPath))
      assert.lengthOf(server.requests, 3)
      assert.deepStrictEqual(
        server.requests.map((r) => r.body),
        server.requests.map(() => server.requests[0]?.body),
        "every attempt posts the same message"
      )
    })
  )

  it.live("after a 429 waits as long as Retry-After asks, not just the backoff", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer({ status: 429, headers: { "retry-after": "1" }, body: "rate_limited" })
      yield* send(server.url(secretPath))
      assert.lengthOf(server.requests, 2)
      const waited = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0)
      assert.isAtLeast(waited, 950, `retried after ${waited} ms`)
    })
  )

  it.live("fails at once when Retry-After asks for longer than maxRetryAfter", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer({ status: 429, headers: { "retry-after": "3600" }, body: "rate_limited" })
      const error = yield* Effect.flip(send(server.url(secretPath)))
      assert.lengthOf(server.requests, 1)
      assert.strictEqual(error.channel, "slack")
      assert.match(error.detail, /429 rate_limited \(asked to retry after 1h\)/)
    })
  )

  it.live("a 400 invalid_payload fails without retry, naming slack, the status and Slack's answer", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer({ status: 400, body: "invalid_payload" })
      const error = yield* Effect.flip(send(server.url(secretPath)))
      assert.lengthOf(server.requests, 1)
      assert.strictEqual(error._tag, "NotifierError")
      assert.strictEqual(error.channel, "slack")
      assert.strictEqual(error.detail, "Slack answered 400 invalid_payload")
      assert.match(error.message, /through slack: Slack answered 400 invalid_payload/)
    })
  )

  it.live("gives up after the configured retries, reporting the last answer", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer(...Array.from({ length: 10 }, () => ({ status: 500, body: "no_service" })))
      const error = yield* Effect.flip(send(server.url(secretPath), { ...fast, retries: 2 }))
      assert.lengthOf(server.requests, 3)
      assert.strictEqual(error.detail, "Slack answered 500 no_service")
    })
  )

  it.live("an unreachable webhook is retried, then fails with the network error", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      const error = yield* Effect.flip(send(`http://127.0.0.1:${server.closedPort}${secretPath}`))
      assert.strictEqual(error.channel, "slack")
      assert.strictEqual(error.detail, `could not reach 127.0.0.1:${server.closedPort} (ECONNREFUSED)`)
    })
  )

  it.live("a webhook_url that is not a URL fails at once without repeating it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(send(`hooks.slack.com${secretPath}`))
      assert.strictEqual(error.detail, "the webhook_url is not a valid URL")
      assert.notInclude(error.message, token)
    })
  )

  it.live("an answer slower than the timeout fails without a second post (the first may have gone through)", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      server.answer({ hang: true })
      const started = Date.now()
      const error = yield* Effect.flip(send(server.url(secretPath), { ...fast, timeout: "200 millis" }))
      assert.isBelow(Date.now() - started, 5_000)
      assert.lengthOf(server.requests, 1)
      assert.strictEqual(error.detail, `no answer from ${new URL(server.url("/")).host} within 200ms`)
    })
  )

  it.live("never shows the webhook URL in errors, logs or spans", () =>
    Effect.gen(function* () {
      const server = yield* webhookServer
      const closed = `http://127.0.0.1:${server.closedPort}${secretPath}`
      server.answer(
        { status: 400, body: "invalid_payload" },
        ...Array.from({ length: 4 }, () => ({ status: 500, body: "no_service" })),
        { status: 429, headers: { "retry-after": "3600" } },
        { hang: true }
      )
      const runs = [
        yield* capture(send(server.url(secretPath))),
        yield* capture(send(server.url(secretPath))),
        yield* capture(send(server.url(secretPath))),
        yield* capture(send(server.url(secretPath), { ...fast, timeout: "100 millis" })),
        yield* capture(send(closed))
      ]
      assert.isTrue(runs.every((run) => Exit.isFailure(run.exit)))
      const visible = runs.map((run) => run.visible).join("\n")
      // The capture does see what an operator sees: the spans, the retry log lines and the error details.
      assert.include(visible, "Notifier.slack.post")
      assert.include(visible, "retrying in")
      assert.include(visible, "invalid_payload")
      assert.include(visible, "ECONNREFUSED")
      assert.notInclude(visible, token)
      assert.notInclude(visible, "/services/")
      for (const run of runs) {
        for (const span of run.spans) assert.isFalse(span.attributes.has("url.full"), `span ${span.name} has url.full`)
      }
    })
  )
})

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T10:00:00Z")

  it("reads seconds and HTTP dates, and ignores anything else", () => {
    assert.deepStrictEqual(parseRetryAfter("30", now), Duration.seconds(30))
    assert.deepStrictEqual(parseRetryAfter(" 0 ", now), Duration.seconds(0))
    assert.deepStrictEqual(parseRetryAfter("Sun, 01 Mar 2026 10:00:05 GMT", now), Duration.millis(5000))
    assert.deepStrictEqual(parseRetryAfter("Sun, 01 Mar 2026 09:00:00 GMT", now), Duration.millis(0))
    assert.isUndefined(parseRetryAfter("soon", now))
    assert.isUndefined(parseRetryAfter(undefined, now))
  })
})
