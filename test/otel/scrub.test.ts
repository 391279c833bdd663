import { assert, describe, it } from "@effect/vitest"
import { isSensitiveKey, makeScrubber } from "../../otel/observability.ts"

const scrub = makeScrubber(["known-header-value", "abc"])

describe("the secret scrubber", () => {
  it("masks the password of URLs but keeps user, host and path", () => {
    assert.strictEqual(
      scrub.text("connect failed: postgres://app:p%40ss@db.internal:5432/acme?sslmode=require"),
      "connect failed: postgres://app:***@db.internal:5432/acme?sslmode=require"
    )
    assert.strictEqual(scrub.text("https://:tok@example.com/x"), "https://:***@example.com/x")
    assert.strictEqual(scrub.text("http://example.com:8080/a@b"), "http://example.com:8080/a@b")
  })

  it("masks key=value and JSON-ish secrets, and bearer tokens", () => {
    assert.strictEqual(scrub.text("host=db password=hunter2 user=app"), "host=db password=*** user=app")
    assert.strictEqual(scrub.text('{"username":"u","password":"hunter2"}'), '{"username":"u","password":"***"}')
    assert.strictEqual(scrub.text("api_key: 12345, retry"), "api_key: ***, retry")
    assert.strictEqual(scrub.text("Authorization: Bearer eyJhbGciOi.J9"), "Authorization: Bearer ***")
  })

  it("masks the literal secrets it was given, but not values too short to be safe to replace", () => {
    assert.strictEqual(scrub.text("collector rejected known-header-value"), "collector rejected ***")
    assert.strictEqual(scrub.text("abc is fine"), "abc is fine")
  })

  it("leaves ordinary telemetry alone", () => {
    const text = "esl.get_token took 12ms; token refreshed for ACME/S001; 2 articles sent"
    assert.strictEqual(scrub.text(text), text)
  })

  it("tells secret keys from ordinary ones", () => {
    for (const key of [
      "password",
      "esl.api.password",
      "accessToken",
      "refresh_token",
      "x-api-key",
      "db_passwd",
      "Authorization"
    ]) {
      assert.isTrue(isSensitiveKey(key), key)
    }
    for (const key of ["tenant.id", "esl.store", "counts.tokenFetches", "esl.token_fetches", "etl.rows", "keyColumn"]) {
      assert.isFalse(isSensitiveKey(key), key)
    }
  })

  it("redacts OTLP attributes by key, keeping their shape, and scrubs every string in the payload", () => {
    const data = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  name: "esl.send",
                  attributes: [
                    { key: "esl.api.password", value: { stringValue: "hunter2" } },
                    { key: "db.url", value: { stringValue: "postgres://a:hunter2@h/db" } },
                    { key: "esl.articles", value: { intValue: 2 } }
                  ],
                  status: { code: 2, message: "login failed: password=hunter2" }
                }
              ]
            }
          ]
        }
      ]
    }
    const scrubbed = scrub.value(data)
    const span = scrubbed.resourceSpans[0]?.scopeSpans[0]?.spans[0]
    assert.deepStrictEqual(span?.attributes, [
      { key: "esl.api.password", value: { stringValue: "<redacted>" } },
      { key: "db.url", value: { stringValue: "postgres://a:***@h/db" } },
      { key: "esl.articles", value: { intValue: 2 } }
    ])
    assert.strictEqual(span?.status.message, "login failed: password=***")
    assert.notInclude(JSON.stringify(scrubbed), "hunter2")
    assert.include(JSON.stringify(data), "hunter2", "the input is not mutated")
  })
})
