import { Clock, Duration, Effect, Predicate, Schema } from "effect"
import type { HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { EslApiError, type EslFailure } from "../../src/services/EslApi.ts"
import { transportErrorText } from "../transport-error.ts"

/** Which call an error belongs to; copied into every EslApiError. */
export interface Where {
  readonly operation: string
  readonly company: string
  readonly store?: string | undefined
}

/** An HTTP answer read whole: the status to act on, headers, and the body as JSON (undefined when not JSON). */
export interface Answer {
  /** The HTTP status, or the envelope's error `responseCode` when a gateway wraps an error in a 200. */
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: unknown
  readonly text: string
}

const truncate = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text)

const parseJson = (text: string): unknown => {
  try {
    return text === "" ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

const envelopeCode = (body: unknown): number | undefined => {
  if (!Predicate.isObject(body) || !("responseCode" in body)) return undefined
  const code = Number(body.responseCode)
  return Number.isInteger(code) ? code : undefined
}

/** The server's text for an answer: the envelope's `responseMessage`, else the body, else the status. */
export const messageOf = (answer: Answer): string => {
  const message = Predicate.isObject(answer.body)
    ? (answer.body as { responseMessage?: unknown }).responseMessage
    : undefined
  if (typeof message === "string" && message !== "") return truncate(message)
  if (Predicate.isObject(message)) return truncate(JSON.stringify(message))
  const text = answer.text.trim()
  return text === "" ? `HTTP ${answer.status}` : truncate(text.replace(/\s+/g, " "), 200)
}

/** 405 is the vendor's "invalid parameter", not "method not allowed"; 401 here is one the replay did not cure. */
export const reasonFor = (status: number): EslFailure =>
  status === 401
    ? "AuthFailed"
    : status === 403
      ? "Forbidden"
      : status === 400 || status === 405
        ? "InvalidRequest"
        : status === 429
          ? "Throttled"
          : status >= 500
            ? "ServerError"
            : "UnexpectedResponse"

/** `Retry-After` as seconds or an HTTP date. */
export const retryAfterOf = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

/** The typed error for a non-success answer. */
export const failure = (where: Where, answer: Answer) =>
  Effect.map(
    Clock.currentTimeMillis,
    (now) =>
      new EslApiError({
        ...where,
        reason: reasonFor(answer.status),
        status: answer.status,
        responseMessage: messageOf(answer),
        retryAfter: answer.status === 429 ? retryAfterOf(answer.headers["retry-after"], now) : undefined
      })
  )

/** A body that is not what the contract documents for a success. */
export const unexpected = (where: Where, answer: Answer, what: string) =>
  new EslApiError({
    ...where,
    reason: "UnexpectedResponse",
    status: answer.status,
    responseMessage: `${what}: ${answer.text.trim() === "" ? "(empty body)" : truncate(answer.text.trim(), 200)}`
  })

/** Decodes a success body, ignoring unknown fields; anything else is `UnexpectedResponse`. */
export const decodeAnswer = <S extends Schema.Decoder<unknown>>(schema: S, what: string) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (where: Where, answer: Answer): Effect.Effect<S["Type"], EslApiError> => {
    const result = decode(answer.body)
    return result._tag === "Success" ? Effect.succeed(result.success) : Effect.fail(unexpected(where, answer, what))
  }
}

const transportFailure = (where: Where, error: HttpClientError.HttpClientError) => {
  const reason = error.reason
  const detail = "cause" in reason ? transportErrorText(reason.cause) : ""
  const description = "description" in reason && typeof reason.description === "string" ? reason.description : ""
  const text = [reason._tag, description, detail].filter((p) => p !== "").join(": ")
  return new EslApiError({
    ...where,
    // A URL that cannot be built is a configuration mistake, not something a retry fixes.
    reason: reason._tag === "InvalidUrlError" ? "UnexpectedResponse" : "Transport",
    responseMessage: truncate(text)
  })
}

/** Sends one request and reads the whole answer, within `timeout`; transport problems become `Transport`. */
export const makeSend =
  (client: HttpClient.HttpClient, timeout: Duration.Duration) =>
  (where: Where, request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, EslApiError> =>
    client.execute(request).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.text, (text): Answer => {
          const body = parseJson(text)
          const code = envelopeCode(body)
          const status = response.status === 200 && code !== undefined && code >= 400 ? code : response.status
          return { status, headers: response.headers, body, text }
        })
      ),
      Effect.catchTag("HttpClientError", (error) => Effect.fail(transportFailure(where, error))),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new EslApiError({
              ...where,
              reason: "Transport",
              responseMessage: `no answer within ${Duration.format(timeout)}`
            })
          )
      }),
      Effect.tap((answer) => Effect.annotateCurrentSpan("http.response.status_code", answer.status))
    )
