import { Context, type Effect, Schema } from "effect"

export const Severity = Schema.Literals(["info", "warning", "critical", "resolved"])
export type Severity = typeof Severity.Type

/** One alert: what happened, for which tenant (and store / pipeline / run), with the figures that matter. */
export interface Alert {
  readonly severity: Severity
  readonly tenant: string
  /** Short headline, e.g. "ESL sync failed". */
  readonly title: string
  /** What happened and what to do, in a sentence or two. */
  readonly text: string
  /** Identifying facts shown as a table: store, run id, figure, threshold, … */
  readonly fields: Readonly<Record<string, string>>
}

export class NotifierError extends Schema.TaggedError<NotifierError>()("NotifierError", {
  channel: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `could not deliver an alert through ${this.channel}: ${this.detail} (check the notification settings in tenant.yaml)`
  }
}

/** Delivers alerts to people (Slack, email, logs). Delivery is best effort per channel and never blocks a run. */
export class Notifier extends Context.Service<
  Notifier,
  {
    /** Sends the alert to every configured channel; fails when any channel refused it, naming that channel. */
    readonly send: (alert: Alert) => Effect.Effect<void, NotifierError>
  }
>()("storeflow/Notifier") {}
