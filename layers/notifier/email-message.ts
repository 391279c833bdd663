import type { Alert } from "../../src/services/Notifier.ts"
import { oneLine, severityEmoji } from "./format.ts"

export interface EmailMessage {
  readonly subject: string
  readonly text: string
  readonly html: string
}

const htmlEntities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/** Alert texts come from data (store names, error messages), so everything put into HTML goes through here. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => htmlEntities[c] ?? c)

/** `[storeflow] <severity> <tenant>: <title>` on one line: a line break in a header would start a new header. */
export const emailSubject = (alert: Alert): string =>
  oneLine(`[storeflow] ${alert.severity} ${alert.tenant}: ${alert.title}`)

const footer = (alert: Alert): string => `Tenant ${alert.tenant}, severity ${alert.severity}. Sent by storeflow.`

/** The subject, a plain-text body and an HTML body showing the fields as a table. */
export const emailMessage = (alert: Alert): EmailMessage => {
  const fields = Object.entries(alert.fields)
  const text = [
    `${severityEmoji[alert.severity]} ${alert.title}`,
    "",
    alert.text,
    ...(fields.length === 0 ? [] : ["", ...fields.map(([name, value]) => `${name}: ${value}`)]),
    "",
    "-- ",
    footer(alert)
  ].join("\n")
  const rows = fields.map(
    ([name, value]) =>
      `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(name)}</th><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`
  )
  const html = [
    "<!DOCTYPE html>",
    '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
    `<h2>${severityEmoji[alert.severity]} ${escapeHtml(alert.title)}</h2>`,
    `<p style="white-space:pre-wrap">${escapeHtml(alert.text)}</p>`,
    ...(rows.length === 0 ? [] : ['<table style="border-collapse:collapse">', ...rows, "</table>"]),
    `<p style="color:#666;font-size:small">${escapeHtml(footer(alert))}</p>`,
    "</body></html>"
  ].join("\n")
  return { subject: emailSubject(alert), text, html }
}
