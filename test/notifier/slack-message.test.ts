import { assert, describe, it } from "@effect/vitest"
import { slackMessage } from "../../layers/notifier/slack-message.ts"
import type { Alert } from "../../src/services/Notifier.ts"

const alert = (overrides: Partial<Alert> = {}): Alert => ({
  severity: "warning",
  tenant: "acme",
  title: "Slow ESL API",
  text: "Answers took 12 s.",
  fields: {},
  ...overrides
})

describe("Slack message", () => {
  it("puts at most ten fields in a section, as Slack requires, continuing in the next section", () => {
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, `v${i}`]))
    const sections = slackMessage(alert({ fields })).blocks.filter((b) => b.type === "section" && "fields" in b)
    assert.deepStrictEqual(
      sections.map((s) => ("fields" in s ? s.fields.length : 0)),
      [10, 2]
    )
  })

  it("keeps texts within Slack's limits (header 150, section 3000, field 2000) without half an entity", () => {
    const message = slackMessage(
      alert({ title: "t".repeat(400), text: "&".repeat(5000), fields: { long: "<".repeat(3000) } })
    )
    const [header, text, fields] = message.blocks
    assert.strictEqual(header?.type === "header" ? header.text.text.length : 0, 150)
    const body = text?.type === "section" && "text" in text ? text.text.text : ""
    assert.isAtMost(body.length, 3000)
    assert.match(body, /^(&amp;)+…$/)
    const field = fields?.type === "section" && "fields" in fields ? (fields.fields[0]?.text ?? "") : ""
    assert.isAtMost(field.length, 2000)
    assert.match(field, /^\*long\*\n(&lt;)+…$/)
  })

  it("leaves out the text section when the alert has no text (Slack refuses empty text)", () => {
    const message = slackMessage(alert({ text: "  " }))
    assert.deepStrictEqual(
      message.blocks.map((b) => b.type),
      ["header", "context"]
    )
    assert.notProperty(message, "channel")
  })

  it("keeps the header on one line and shows each severity's emoji", () => {
    const header = (a: Alert) => {
      const block = slackMessage(a).blocks[0]
      return block?.type === "header" ? block.text.text : ""
    }
    assert.strictEqual(header(alert({ title: "two\nlines" })), "⚠️ two lines")
    assert.strictEqual(header(alert({ severity: "resolved" })), "✅ Slow ESL API")
    assert.strictEqual(header(alert({ severity: "info" })), "ℹ️ Slow ESL API")
  })
})
