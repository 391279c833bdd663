import { Context, Effect, Layer, Result } from "effect"
import { HttpClient } from "effect/http"
import type { NotificationsConfig } from "../../src/domain/TenantConfig.ts"
import { type Alert, Notifier, NotifierError } from "../../src/services/Notifier.ts"
import type { EmailOptions } from "./email.ts"
import { layerLog } from "./log.ts"
import type { SlackOptions } from "./slack.ts"

export interface NotifierOptions {
  readonly slack?: SlackOptions
  readonly email?: EmailOptions
}

interface Channel {
  readonly name: string
  readonly send: (alert: Alert) => Effect.Effect<void, NotifierError>
}

const channel = <E, R>(name: string, layer: Layer.Layer<Notifier, E, R>) =>
  Layer.build(layer).pipe(Effect.map((context): Channel => ({ name, send: Context.get(context, Notifier).send })))

/**
 * The tenant's Notifier: every alert is logged, and sent at the same time to each target in `notifications` (Slack,
 * email). A channel that fails does not stop the others; `send` then fails once, naming every channel that failed.
 * With no target configured, alerts are only logged. Clients (the SMTP transport) live as long as this Layer.
 */
export const layerFromConfig = (
  tenantId: string,
  notifications: typeof NotificationsConfig.Type,
  options: NotifierOptions = {}
): Layer.Layer<Notifier, never, HttpClient.HttpClient> =>
  Layer.effect(
    Notifier,
    Effect.gen(function* () {
      const log = yield* channel("log", layerLog)
      const targets: Array<Channel> = []
      // Each channel's client code (nodemailer, the Slack sender) loads only for a tenant that has the target.
      if (notifications.slack !== undefined) {
        const { layerSlack } = yield* Effect.promise(() => import("./slack.ts"))
        targets.push(yield* channel("slack", layerSlack(notifications.slack, options.slack)))
      }
      if (notifications.email !== undefined) {
        const { layerEmail } = yield* Effect.promise(() => import("./email.ts"))
        targets.push(yield* channel("email", layerEmail(notifications.email, options.email)))
      }

      const send = Effect.fn("Notifier.send")(function* (alert: Alert) {
        yield* Effect.annotateCurrentSpan({
          "notifier.channels": targets.map((t) => t.name).join(","),
          tenant: tenantId,
          severity: alert.severity
        })
        // The log line is written whatever happens to the other channels, so no alert is ever lost without trace.
        const [, ...results] = yield* Effect.forEach([log, ...targets], (target) => Effect.result(target.send(alert)), {
          concurrency: "unbounded"
        })
        const failures = results.filter(Result.isFailure).map((result) => result.failure)
        const [first, ...others] = failures
        if (first === undefined) return
        // One failure already names its channel; several are merged so the caller sees every channel that failed.
        if (others.length === 0) return yield* first
        return yield* new NotifierError({
          channel: failures.map((failure) => failure.channel).join(", "),
          detail: failures.map((failure) => `${failure.channel}: ${failure.detail}`).join("; ")
        })
      })

      return Notifier.of({ send })
    })
  )

/** Stands in where no channel sends over HTTP: nothing calls it. */
const noHttpClient = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make(() => Effect.die(new Error("no notification channel of this tenant sends over HTTP")))
)

/**
 * `layerFromConfig` with Node's HTTP client (undici) for Slack. The client, and the undici package with it, is built
 * only for a tenant with a Slack target: the others never send over HTTP.
 */
export const layerFromConfigNode = (
  tenantId: string,
  notifications: typeof NotificationsConfig.Type,
  options?: NotifierOptions
): Layer.Layer<Notifier> =>
  layerFromConfig(tenantId, notifications, options).pipe(
    Layer.provide(
      notifications.slack === undefined
        ? noHttpClient
        : Layer.unwrap(
            Effect.promise(() => import("@effect/platform-node/NodeHttpClient")).pipe(
              Effect.map((NodeHttpClient) => NodeHttpClient.layerUndici)
            )
          )
    )
  )
