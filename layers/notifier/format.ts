import type { Severity } from "../../src/services/Notifier.ts"

/** Shown before the title in Slack and in the email heading, so the severity is seen before anything is read. */
export const severityEmoji: Record<Severity, string> = {
  critical: "🚨",
  warning: "⚠️",
  info: "ℹ️",
  resolved: "✅"
}

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`

/** Folds line breaks and runs of spaces into one space, for one-line places such as a subject or a header. */
export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()
