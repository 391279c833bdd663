import type { IncomingMessage } from "node:http"
import { Clock, Duration, Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { Faults } from "./faults.ts"
import type { SimRoute } from "./options.ts"
import type { SimArticle, SimState } from "./state.ts"

export interface SimContext {
  readonly state: SimState
  readonly faults: Faults
  readonly tokenTtlSeconds: number
  readonly credentials: { readonly username: string; readonly password: string }
}

/** The documented envelope: `{ responseCode, responseMessage, ...extra }` with the same code as the HTTP status. */
export const envelope = (status: number, responseMessage: unknown, extra: Record<string, unknown> = {}) =>
  HttpServerResponse.jsonUnsafe({ responseCode: String(status), responseMessage, ...extra }, { status })

/** Handlers answer early by failing with the response. */
export type Answer = Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse>

export const invalidBody = envelope(405, "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST")

const defaultMessages: Record<number, string> = {
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT"
}

/** What a route handler gets once the common checks passed. */
export interface Call {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly url: URL
  readonly route: SimRoute
  readonly company: string | undefined
  readonly store: string | undefined
  /** The store's articles, when the route names a store (checked to exist). */
  readonly held: Map<string, SimArticle>
  readonly now: number
}

export interface Checks {
  /** Needs a valid bearer token. */
  readonly auth: boolean
  /** Needs a known `company` (403) with a valid licence. */
  readonly company: boolean
  /** Needs a known `store` of that company (405). */
  readonly store: boolean
}

/** The request body as JSON, or `undefined` when it is missing or not JSON. */
export const jsonBody = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<unknown> =>
  request.json.pipe(Effect.catch(() => Effect.succeed(undefined)))

/**
 * Runs one contract route: counts it, applies transport faults (latency, reset, error, throttle, malformed), then the
 * token, company, licence and store checks, then the handler.
 */
export const handle = (ctx: SimContext, route: SimRoute, checks: Checks, handler: (call: Call) => Answer) =>
  Effect.suspend(() => {
    const { state, faults } = ctx
    let outcome = "aborted"
    // The counters of the moment the call arrived: a reset meanwhile must not make inFlight negative.
    const stats = state.stats()
    stats.inFlight += 1
    return Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://simulator")
      const company = url.searchParams.get("company") ?? undefined
      const store = url.searchParams.get("store") ?? undefined
      const info = { route, company }

      const latency = faults.all(["latency"], info).reduce((sum, rule) => sum + rule.ms, 0)
      if (latency > 0) yield* Effect.sleep(Duration.millis(latency))

      const fault = faults.first(["reset", "error", "throttle", "malformed"], info)
      switch (fault?.kind) {
        case "reset":
          outcome = "reset"
          ;(request.source as IncomingMessage).socket.destroy()
          // Node interrupts this fiber once it sees the connection close.
          return yield* Effect.never
        case "error":
          return yield* Effect.fail(
            envelope(fault.status, fault.responseMessage ?? defaultMessages[fault.status] ?? "SIMULATED_ERROR")
          )
        case "throttle": {
          const throttled = envelope(429, "TOO_MANY_REQUESTS")
          return yield* Effect.fail(
            fault.retryAfter === undefined
              ? throttled
              : HttpServerResponse.setHeader(throttled, "retry-after", String(fault.retryAfter))
          )
        }
        case "malformed":
          return yield* Effect.fail(
            HttpServerResponse.text("<html><body>upstream says hello</body></html>", { contentType: "text/html" })
          )
      }

      const now = yield* Clock.currentTimeMillis
      if (checks.auth) {
        const check = state.checkToken(request.headers.authorization, now)
        if (!check.ok) return yield* Effect.fail(envelope(401, check.responseMessage))
        if (faults.first(["tokenExpired"], info) !== undefined) {
          state.expireToken(request.headers.authorization)
          return yield* Effect.fail(envelope(401, "TOKEN_EXPIRED"))
        }
      }
      let held = new Map<string, SimArticle>()
      if (checks.company) {
        if (!state.hasCompany(company)) return yield* Effect.fail(envelope(403, "COMPANY_NOT_FOUND"))
        if (faults.first(["licenseExpired"], info) !== undefined) {
          return yield* Effect.fail(envelope(403, "LICENSE_EXPIRED"))
        }
        if (checks.store) {
          const found = state.store(company, store)
          if (found === undefined) return yield* Effect.fail(envelope(405, "STORE_CODE_NOT_FOUND"))
          held = found
        }
      }
      return yield* handler({ request, url, route, company, store, held, now })
    }).pipe(
      Effect.catch((response) => Effect.succeed(response)),
      Effect.tap((response) =>
        Effect.sync(() => {
          outcome = String(response.status)
        })
      ),
      Effect.ensuring(
        Effect.sync(() => {
          stats.inFlight -= 1
          state.count(route, outcome)
        })
      )
    )
  })
