import { Duration, Effect, Random, type Redacted, Result, Schema } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { transportErrorText } from "../transport-error.ts"

/**
 * Trino's client protocol (POST /v1/statement, then GET nextUri until it is absent), spoken directly over effect's
 * HttpClient instead of through `trino-client` 0.2.9, because that package stands in the way of every rule a load
 * depends on:
 * - its requests take no AbortSignal, so an interrupted or timed-out Effect would leave the HTTP call running;
 * - its iterator hides the current nextUri, so there is nothing to `DELETE` when the query must be cancelled
 *   (its own `cancel` targets `/v1/query/{id}`, and only once the POST has answered);
 * - a 502/503/504 on a poll surfaces as a thrown AxiosError mid-iteration, with no way to retry just that GET;
 * - axios parses JSON into doubles, so a bigint above 2^53 arrives already rounded;
 * - an AxiosError carries the request config, Basic-auth password included, into whatever logs or wraps it;
 * - response headers (`X-Trino-Set-*`) are copied into state shared by every query of the client.
 * Here each call builds its own headers and keeps its own cursor: one "client" per statement, nothing shared.
 * Session-changing response headers are ignored on purpose: every statement carries its full context.
 * A statement interrupted before its POST was answered cannot be cancelled (its id is unknown); Trino abandons a
 * query whose client stops polling (`query.client.timeout`).
 */

export interface TrinoSession {
  /** Coordinator base URL, e.g. `http://trino:8080`. */
  readonly url: string
  readonly user: string
  readonly password?: Redacted.Redacted<string> | undefined
  readonly source: string
  readonly catalog: string
  readonly schema?: string | undefined
  /** Sent as `X-Trino-Session` (`catalog.property=value`). */
  readonly properties?: Readonly<Record<string, string>> | undefined
  /** For the whole statement, queueing and every poll included; on expiry the query is cancelled. */
  readonly timeout: Duration.Duration
}

export interface TrinoColumn {
  readonly name: string
  readonly type: string
}

export interface TrinoResult {
  readonly queryId: string | undefined
  readonly columns: ReadonlyArray<TrinoColumn>
  readonly data: ReadonlyArray<ReadonlyArray<unknown>>
}

/** What went wrong with one statement; the warehouse Layer turns it into a `WarehouseError`. No secrets inside. */
export class TrinoFailure extends Schema.TaggedError<TrinoFailure>()("TrinoFailure", {
  kind: Schema.Literals(["Transport", "Http", "Query", "Timeout", "Protocol"]),
  detail: Schema.String,
  status: Schema.optional(Schema.Number),
  errorName: Schema.optional(Schema.String),
  errorType: Schema.optional(Schema.String),
  queryId: Schema.optional(Schema.String)
}) {}

const Page = Schema.Struct({
  id: Schema.optional(Schema.String),
  nextUri: Schema.optional(Schema.String),
  columns: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, type: Schema.String }))),
  data: Schema.optional(Schema.Array(Schema.Array(Schema.Unknown))),
  error: Schema.optional(
    Schema.Struct({
      message: Schema.optional(Schema.String),
      errorName: Schema.optional(Schema.String),
      errorType: Schema.optional(Schema.String)
    })
  )
})
type Page = typeof Page.Type
const decodePage = Schema.decodeUnknownResult(Page)

/** Polls answered 502/503/504 are repeated after 50-100 ms, at most this many times in a row. */
const maxPollRetries = 20
const retryStatuses: ReadonlySet<number> = new Set([502, 503, 504])
/** A cancel is best effort and must not hold up the failure it follows. */
const cancelTimeout = Duration.seconds(5)

/**
 * JSON with integers beyond 2^53 kept exact as bigint (Trino sends bigint columns as plain JSON numbers). Uses the
 * reviver's source text (Node 21+); doubles written as `1.0E20` are left alone.
 */
export const parseJson = (text: string): unknown =>
  JSON.parse(text, (_key, value: unknown, context?: { readonly source?: string }) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value
  )

const truncate = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max)}…` : text)

/**
 * The endpoint without credentials someone may have written into the URL: fetch refuses such URLs with an error
 * that quotes them, and the URL ends up in error texts. Passwords go in `password`.
 */
export const withoutCredentials = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString().replace(/\/+$/, "")
  } catch {
    return "(invalid Trino URL)"
  }
}

interface Answer {
  readonly status: number
  readonly text: string
}

/** Runs one statement to its end and returns every row; fails with a `TrinoFailure`, cancelling what it leaves. */
export const runStatement = (
  http: HttpClient.HttpClient,
  session: TrinoSession,
  sql: string
): Effect.Effect<TrinoResult, TrinoFailure> =>
  Effect.suspend(() => {
    const base = withoutCredentials(session.url)
    const headers: Record<string, string> = {
      "X-Trino-User": session.user,
      "X-Trino-Source": session.source,
      "X-Trino-Catalog": session.catalog,
      ...(session.schema === undefined ? {} : { "X-Trino-Schema": session.schema }),
      ...(session.properties === undefined || Object.keys(session.properties).length === 0
        ? {}
        : {
            "X-Trino-Session": Object.entries(session.properties)
              .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
              .join(",")
          })
    }
    const prepare = (request: HttpClientRequest.HttpClientRequest) => {
      const withHeaders = HttpClientRequest.setHeaders(request, headers)
      // The password is unwrapped here and only here; the HttpClient redacts Authorization in its spans.
      return session.password === undefined
        ? withHeaders
        : HttpClientRequest.basicAuth(withHeaders, session.user, session.password)
    }

    let queryId: string | undefined
    // The nextUri not yet answered: what a cancel has to DELETE.
    let pending: string | undefined
    let columns: ReadonlyArray<TrinoColumn> = []
    const data: Array<ReadonlyArray<unknown>> = []

    const exchange = (
      method: string,
      request: HttpClientRequest.HttpClientRequest
    ): Effect.Effect<Answer, TrinoFailure> =>
      http.execute(prepare(request)).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text): Answer => ({ status: response.status, text }))),
        Effect.catchTag("HttpClientError", (error) => {
          const reason = error.reason
          const cause = "cause" in reason ? transportErrorText(reason.cause) : ""
          return Effect.fail(
            new TrinoFailure({
              kind: "Transport",
              queryId,
              detail: `${method} to Trino at ${base} failed: ${[reason._tag, cause].filter((p) => p !== "").join(": ")}`
            })
          )
        })
      )

    const toPage = (method: string, answer: Answer): Effect.Effect<Page, TrinoFailure> => {
      if (answer.status !== 200) {
        const body = answer.text.trim().replace(/\s+/g, " ")
        return Effect.fail(
          new TrinoFailure({
            kind: "Http",
            status: answer.status,
            queryId,
            detail: `Trino at ${base} answered ${method} with HTTP ${answer.status}${body === "" ? "" : `: ${truncate(body, 200)}`}`
          })
        )
      }
      let json: unknown
      try {
        json = parseJson(answer.text)
      } catch {
        json = undefined
      }
      const page = decodePage(json)
      return Result.isSuccess(page)
        ? Effect.succeed(page.success)
        : Effect.fail(
            new TrinoFailure({
              kind: "Protocol",
              queryId,
              detail: `Trino at ${base} sent an answer that is not a statement result: ${truncate(answer.text.trim(), 200)}`
            })
          )
    }

    const poll = (uri: string, retries = 0): Effect.Effect<Page, TrinoFailure> =>
      Effect.flatMap(exchange("GET", HttpClientRequest.get(uri)), (answer) =>
        retryStatuses.has(answer.status) && retries < maxPollRetries
          ? Random.nextIntBetween(50, 100).pipe(
              Effect.flatMap((millis) => Effect.sleep(Duration.millis(millis))),
              Effect.andThen(poll(uri, retries + 1))
            )
          : toPage("GET", answer)
      )

    const cancel = (uri: string) =>
      http.execute(prepare(HttpClientRequest.make("DELETE")(uri))).pipe(
        Effect.flatMap((response) => response.text),
        Effect.timeout(cancelTimeout),
        Effect.ignore
      )

    const follow = Effect.gen(function* () {
      // Never retried: the query is registered when the POST arrives, so a repeat after a lost answer runs it twice.
      const post = HttpClientRequest.post(`${base}/v1/statement`).pipe(
        HttpClientRequest.bodyText(sql, "text/plain; charset=utf-8")
      )
      let page = yield* Effect.flatMap(exchange("POST", post), (answer) => toPage("POST", answer))
      while (true) {
        queryId ??= page.id
        if (page.columns !== undefined && columns.length === 0) columns = page.columns
        // A loop, not push(...rows): spreading a large page would overflow the call stack.
        for (const row of page.data ?? []) data.push(row)
        pending = page.nextUri
        if (page.error !== undefined) {
          return yield* new TrinoFailure({
            kind: "Query",
            queryId,
            errorName: page.error.errorName,
            errorType: page.error.errorType,
            detail: `${page.error.errorName ?? "QUERY_FAILED"}: ${page.error.message ?? "the query failed"}`
          })
        }
        if (pending === undefined) return { queryId, columns, data } satisfies TrinoResult
        page = yield* poll(pending)
      }
    })

    return follow.pipe(
      Effect.onExit(() => (pending === undefined ? Effect.void : cancel(pending))),
      Effect.timeoutOrElse({
        duration: session.timeout,
        orElse: () =>
          Effect.fail(
            new TrinoFailure({
              kind: "Timeout",
              queryId,
              detail: `no result from Trino at ${base} within ${Duration.format(session.timeout)}${pending === undefined ? "" : "; the query was cancelled"}`
            })
          )
      })
    )
  })
