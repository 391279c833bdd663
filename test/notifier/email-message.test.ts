import { assert, describe, it } from "@effect/vitest"
import { emailMessage, escapeHtml } from "../../layers/notifier/email-message.ts"

describe("email message", () => {
  it("escapes the five HTML special characters", () => {
    assert.strictEqual(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    )
  })

  it("an alert without fields has no table and no empty field lines", () => {
    const message = emailMessage({
      severity: "resolved",
      tenant: "acme",
      title: "ESL sync back",
      text: "All good.",
      fields: {}
    })
    assert.strictEqual(message.subject, "[storeflow] resolved acme: ESL sync back")
    assert.notInclude(message.html, "<table")
    assert.strictEqual(
      message.text,
      "✅ ESL sync back\n\nAll good.\n\n-- \nTenant acme, severity resolved. Sent by storeflow."
    )
  })
})
