import type { Alert } from "../../src/services/Notifier.ts"
import { oneLine, severityEmoji, truncate } from "./format.ts"

// Slack refuses the whole message (`invalid_blocks`) when a block exceeds its limits, so texts are cut to fit.
const headerMax = 150
const sectionMax = 3000
const fieldMax = 2000
const fieldNameMax = 100
const fieldsPerSection = 10
const maxFieldSections = 10

interface TextObject {
  readonly type: "plain_text" | "mrkdwn"
  readonly text: string
  readonly emoji?: boolean
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: TextObject }
  | { readonly type: "section"; readonly text: TextObject }
  | { readonly type: "section"; readonly fields: ReadonlyArray<TextObject> }
  | { readonly type: "context"; readonly elements: ReadonlyArray<TextObject> }

/** The JSON body posted to an incoming webhook. */
export interface SlackMessage {
  /** Shown in notifications and by clients that cannot render blocks. */
  readonly text: string
  readonly blocks: ReadonlyArray<SlackBlock>
  /** Honoured by legacy webhooks only; app webhooks always post to the channel they were created for. */
  readonly channel?: string
}

/** Slack's mrkdwn treats these three as control characters; everything else is shown as written. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** Escapes, then cuts without leaving half an entity such as `&am` behind. */
const mrkdwn = (text: string, max: number): string => {
  const escaped = escapeMrkdwn(text)
  return escaped.length <= max ? escaped : truncate(escaped, max).replace(/&[a-z]*…$/, "…")
}

const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/** The Block Kit message for an alert: header (emoji + title), text, fields in two columns, then tenant and severity. */
export const slackMessage = (alert: Alert, channel?: string): SlackMessage => {
  const emoji = severityEmoji[alert.severity]
  const fields: Array<TextObject> = Object.entries(alert.fields).map(([name, value]) => {
    const label = mrkdwn(oneLine(name), fieldNameMax)
    return { type: "mrkdwn", text: `*${label}*\n${mrkdwn(value, fieldMax - label.length - 3)}` }
  })
  const blocks: Array<SlackBlock> = [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(oneLine(`${emoji} ${alert.title}`), headerMax), emoji: true }
    }
  ]
  // An empty text object is refused by Slack, so an alert without text simply has no text section.
  if (alert.text.trim() !== "")
    blocks.push({ type: "section", text: { type: "mrkdwn", text: mrkdwn(alert.text, sectionMax) } })
  for (const group of chunk(fields, fieldsPerSection).slice(0, maxFieldSections)) {
    blocks.push({ type: "section", fields: group })
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `${alert.severity} · tenant *${escapeMrkdwn(alert.tenant)}* · storeflow` }]
  })
  const fallback = mrkdwn(
    `${emoji} [${alert.severity}] ${alert.tenant}: ${oneLine(alert.title)}. ${alert.text}`,
    sectionMax
  )
  return channel === undefined ? { text: fallback, blocks } : { text: fallback, blocks, channel }
}
