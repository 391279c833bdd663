import { Clock, Duration, Effect } from "effect"
import type { EslConfig } from "../domain/TenantConfig.ts"
import { type Alert, Notifier, type Severity } from "../services/Notifier.ts"
import { type AlertState, RunStore } from "../services/RunStore.ts"
import type { EslRunSummary } from "./summary.ts"

/** One alert condition as a run sees it; `active: undefined` means this run cannot tell (state kept as it is). */
export interface Condition {
  readonly condition: string
  readonly active: boolean | undefined
  readonly severity: Severity
  readonly title: string
  readonly detail: string
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`

/** The conditions an ESL run reports on, with the figures that decide them. */
export const syncConditions = (summary: EslRunSummary, alerts: EslConfig["alerts"]): ReadonlyArray<Condition> => {
  const ran = summary.status === "succeeded" || summary.status === "failed"
  const { extracted, rejected, sent } = summary.counts
  const slowMs = Duration.toMillis(alerts.slow_response)
  const ratio = sent === 0 ? 0 : rejected / sent
  return [
    {
      condition: "run_failed",
      active: summary.status === "interrupted" ? undefined : summary.status === "failed",
      severity: "critical",
      title: "ESL sync failed",
      detail: summary.error ?? "the run failed"
    },
    {
      condition: "volume",
      active: ran ? extracted > alerts.volume : undefined,
      severity: "warning",
      title: "Large ESL change volume",
      detail: `${extracted} changed records in one run (threshold ${alerts.volume})`
    },
    {
      condition: "slow_response",
      active: ran && summary.latencyMs.calls > 0 ? summary.latencyMs.max > slowMs : undefined,
      severity: "warning",
      title: "Slow ESL API",
      detail: `slowest API answer ${summary.latencyMs.max} ms (threshold ${slowMs} ms)`
    },
    {
      condition: "mismatch",
      active: ran && sent > 0 ? ratio > alerts.mismatch_ratio : undefined,
      severity: "warning",
      title: "ESL articles rejected",
      detail: `${rejected} of ${sent} sent articles rejected (${percent(ratio)}, threshold ${percent(alerts.mismatch_ratio)})`
    }
  ]
}

export interface AlertContext {
  readonly tenant: string
  readonly tenantName: string
  readonly scope: string
  readonly fields: Readonly<Record<string, string>>
  readonly remindEvery: Duration.Duration
}

/**
 * Announces changes of state: a condition that becomes active alerts once, is reminded at most every
 * `remindEvery` while it persists, and sends a recovery message when it clears. Delivery problems are logged, never
 * fail the run. Returns the alerts it sent.
 */
export const notifyConditions = Effect.fn("esl.notify")(function* (
  context: AlertContext,
  conditions: ReadonlyArray<Condition>
) {
  const runStore = yield* RunStore
  const notifier = yield* Notifier
  const now = new Date(yield* Clock.currentTimeMillis)
  const known = new Map(
    (yield* runStore.alertStates(context.tenant, context.scope)).map((s) => [s.condition, s] as const)
  )
  const sent: Array<Alert> = []
  for (const c of conditions) {
    if (c.active === undefined) continue
    const previous = known.get(c.condition)
    const wasActive = previous?.active === true
    let kind: "fired" | "reminder" | "resolved" | undefined
    if (c.active && !wasActive) kind = "fired"
    else if (c.active && previous !== undefined) {
      const due = now.getTime() - previous.notifiedAt.getTime() >= Duration.toMillis(context.remindEvery)
      if (due) kind = "reminder"
    } else if (!c.active && wasActive) kind = "resolved"
    if (kind === undefined) continue

    const alert: Alert = {
      severity: kind === "resolved" ? "resolved" : c.severity,
      tenant: context.tenant,
      title: kind === "resolved" ? `Recovered: ${c.title}` : kind === "reminder" ? `Still: ${c.title}` : c.title,
      text:
        kind === "resolved"
          ? `${context.tenantName}: ${c.title.toLowerCase()} has cleared (was: ${previous?.detail ?? ""}).`
          : `${context.tenantName}: ${c.detail}.`,
      fields: {
        ...context.fields,
        condition: c.condition,
        ...(kind === "reminder" && previous ? { since: previous.since.toISOString() } : {})
      }
    }
    yield* notifier
      .send(alert)
      .pipe(
        Effect.catch((error) => Effect.logWarning(`alert not delivered: ${error.message}`, { tenant: context.tenant }))
      )
    sent.push(alert)
    const state: AlertState = {
      tenant: context.tenant,
      scope: context.scope,
      condition: c.condition,
      active: c.active,
      since: kind === "reminder" && previous !== undefined ? previous.since : now,
      notifiedAt: now,
      detail: c.detail
    }
    yield* runStore.putAlertState(state)
  }
  return sent
})
