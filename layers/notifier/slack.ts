import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Clock, Duration, Effect, Layer, Predicate, Redacted, Schedule } from "effect"
import { HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import type { SlackTarget } from "../../src/domain/TenantConfig.ts"
import { type Alert, Notifier, NotifierError } from "../../src/services/Notifier.ts"
import { oneLine, truncate } from "./format.ts"
import { slackMessage } from "./slack-message.ts"

export interface SlackOptions {
  /** Per attempt, covering the request and Slack's answer. Default 10 seconds. */
  readonly timeout?: Duration.Input
  /** Further attempts after a 429, a 5xx or a refused connection. Default 3. */
  readonly retries?: number
  /** First backoff delay, doubled on each retry (with jitter). Default 500 ms. */
  readonly backoffBase?: Duration.Input
  /** Longest backoff delay, before jitter. Default 10 seconds. */
  readonly backoffCap?: Duration.Input
  /** A longer `Retry-After` is not waited for: the alert fails at once instead of holding up its caller. Default 60 s. */
  readonly maxRetryAfter?: Duration.Input
}

/** Why one attempt failed, worded so it can be shown as is: it never contains the webhook URL. */
interface AttemptFailure {
  readonly detail: string
  readonly retryable: boolean
  readonly retryAfter?: Duration.Duration | undefined
}

/** Reads `Retry-After` as seconds or as an HTTP date; anything else is ignored. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Duration.seconds(Number(text))
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - nowMillis))
}

/** The most specific error code in a cause chain (`ECONNREFUSED`, `UND_ERR_SOCKET`, …); messages may hold the URL. */
const errorCode = (cause: unknown): string | undefined => {
  for (let current = cause, depth = 0; depth < 5; depth++) {
    if (Predicate.hasProperty(current, "code") && Predicate.isString(current.code)) return current.code
    current = Predicate.hasProperty(current, "cause") ? current.cause : undefined
  }
  return undefined
}

const describeClientError = (error: HttpClientError.HttpClientError, host: string): AttemptFailure => {
  switch (error.reason._tag) {
    case "TransportError":
      // The request most likely never reached Slack, so sending it again cannot post the alert twice.
      return {
        detail: `could not reach ${host} (${errorCode(error.reason.cause) ?? "network error"})`,
        retryable: true
      }
    case "InvalidUrlError":
      return { detail: "the webhook_url is not a valid URL", retryable: false }
    default:
      return { detail: `could not read Slack's answer (${error.reason._tag})`, retryable: false }
  }
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500

/**
 * A Notifier posting each alert to a Slack incoming webhook as a Block Kit message. A 429, a 5xx or a refused
 * connection is retried with capped, jittered exponential backoff, waiting at least as long as `Retry-After` asks.
 * The webhook URL is a credential: it is unwrapped only for the request and kept out of errors, logs and spans
 * (the HttpClient's own span, which records the full URL, is switched off for this request).
 */
export const layerSlack = (
  target: typeof SlackTarget.Type,
  options: SlackOptions = {}
): Layer.Layer<Notifier, never, HttpClient.HttpClient> =>
  Layer.effect(
    Notifier,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const timeout = Duration.fromInputUnsafe(options.timeout ?? "10 seconds")
      const maxRetryAfter = Duration.fromInputUnsafe(options.maxRetryAfter ?? "60 seconds")
      const host = URL.canParse(Redacted.value(target.webhook_url))
        ? new URL(Redacted.value(target.webhook_url)).host
        : "the Slack webhook"

      const retrySchedule = Schedule.min([
        Schedule.exponential(options.backoffBase ?? "500 millis"),
        Schedule.spaced(options.backoffCap ?? "10 seconds")
      ]).pipe(
        Schedule.jittered,
        Schedule.setInputType<AttemptFailure>(),
        Schedule.modifyDelay(({ duration, input }) =>
          Effect.succeed(input.retryAfter === undefined ? duration : Duration.max(duration, input.retryAfter))
        ),
        Schedule.while(({ input }) => input.retryable),
        Schedule.upTo({ times: options.retries ?? 3 }),
        Schedule.tap(({ input, duration }) =>
          Effect.logDebug(`Slack webhook: ${input.detail}; retrying in ${Duration.format(duration)}`)
        )
      )

      const failedAnswer = Effect.fnUntraced(function* (
        status: number,
        body: string,
        retryAfterHeader: string | undefined
      ): Effect.fn.Return<AttemptFailure> {
        const answer = truncate(oneLine(body), 200)
        const detail = `Slack answered ${status}${answer === "" ? "" : ` ${answer}`}`
        if (!isRetryableStatus(status)) return { detail, retryable: false }
        const retryAfter = parseRetryAfter(retryAfterHeader, yield* Clock.currentTimeMillis)
        if (retryAfter !== undefined && Duration.isGreaterThan(retryAfter, maxRetryAfter)) {
          return { detail: `${detail} (asked to retry after ${Duration.format(retryAfter)})`, retryable: false }
        }
        return { detail, retryable: true, retryAfter }
      })

      const post = (body: unknown): Effect.Effect<void, AttemptFailure> =>
        Effect.gen(function* () {
          const request = HttpClientRequest.post(Redacted.value(target.webhook_url)).pipe(
            HttpClientRequest.bodyJsonUnsafe(body)
          )
          const [status, headers, text] = yield* client.execute(request).pipe(
            Effect.flatMap((response) =>
              Effect.map(response.text, (text) => [response.status, response.headers, text] as const)
            ),
            Effect.mapError((error) => describeClientError(error, host))
          )
          yield* Effect.annotateCurrentSpan("http.response.status_code", status)
          if (status >= 200 && status < 300) return
          return yield* Effect.fail(yield* failedAnswer(status, text, headers["retry-after"]))
        }).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            // Not retried: Slack may have posted the alert and only its answer was late.
            orElse: () =>
              Effect.fail<AttemptFailure>({
                detail: `no answer from ${host} within ${Duration.format(timeout)}`,
                retryable: false
              })
          }),
          Effect.provideService(HttpClient.TracerDisabledWhen, () => true),
          Effect.withSpan("Notifier.slack.post", { attributes: { "server.address": host } })
        )

      const send = Effect.fn("Notifier.send")(function* (alert: Alert) {
        yield* Effect.annotateCurrentSpan({
          "notifier.channel": "slack",
          tenant: alert.tenant,
          severity: alert.severity
        })
        yield* post(slackMessage(alert, target.channel)).pipe(
          Effect.retry(retrySchedule),
          Effect.mapError((failure) => new NotifierError({ channel: "slack", detail: failure.detail }))
        )
      })

      return Notifier.of({ send })
    })
  )

/** `layerSlack` on Node's HTTP client (undici). */
export const layerSlackNode = (target: typeof SlackTarget.Type, options?: SlackOptions): Layer.Layer<Notifier> =>
  layerSlack(target, options).pipe(Layer.provide(NodeHttpClient.layerUndici))
