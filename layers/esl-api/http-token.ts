import { Clock, Duration, Effect, Predicate, Redacted, Schema, Semaphore } from "effect"
import { HttpClientRequest } from "effect/http"
import { EslApiError, type EslToken } from "../../src/services/EslApi.ts"
import { type Answer, failure, type Where } from "./http-answer.ts"

const renewBeforeMillis = Duration.toMillis("5 minutes")

const TokenMessage = Schema.Struct({
  access_token: Schema.String.check(Schema.isMinLength(1)),
  expires_in: Schema.Union([Schema.Finite, Schema.FiniteFromString]),
  refresh_token: Schema.optional(Schema.String)
})
const decodeTokenMessage = Schema.decodeUnknownResult(TokenMessage)

interface Held {
  readonly token: EslToken
  readonly refreshToken: Redacted.Redacted<string> | undefined
}

export interface TokenOptions {
  readonly send: (where: Where, request: HttpClientRequest.HttpClientRequest) => Effect.Effect<Answer, EslApiError>
  /** `{baseUrl}{clusterPrefix}/common/api/v2` */
  readonly base: string
  readonly username: string
  readonly password: Redacted.Redacted<string>
}

/**
 * One token per company, shared by its stores. Renewal (refresh first, login if that fails) runs under a per-company
 * permit, so concurrent callers wait for the one renewal in progress and then reuse its token.
 */
export const makeTokens = (options: TokenOptions) => {
  const held = new Map<string, Held>()
  const locks = new Map<string, Semaphore.Semaphore>()
  const lockFor = (company: string) => {
    const existing = locks.get(company)
    if (existing !== undefined) return existing
    const lock = Semaphore.makeUnsafe(1)
    locks.set(company, lock)
    return lock
  }

  /** A 200 carrying `access_token` is a token; a 200 without one is a refused login, as the vendor answers it. */
  const toHeld = (where: Where, answer: Answer) =>
    Effect.gen(function* () {
      if (answer.status !== 200) {
        const error = yield* failure(where, answer)
        return yield* answer.status === 401 ? new EslApiError({ ...error, reason: "AuthFailed" }) : error
      }
      const message = Predicate.isObject(answer.body)
        ? (answer.body as { responseMessage?: unknown }).responseMessage
        : undefined
      const decoded = decodeTokenMessage(message)
      if (decoded._tag === "Failure") {
        return yield* new EslApiError({
          ...where,
          reason: "AuthFailed",
          status: answer.status,
          // Only a text message is echoed: an object here could hold half a token.
          responseMessage: typeof message === "string" && message !== "" ? message : "LOGIN_FAILED (no access_token)"
        })
      }
      const now = yield* Clock.currentTimeMillis
      const { access_token, expires_in, refresh_token } = decoded.success
      return {
        token: {
          company: where.company,
          accessToken: Redacted.make(access_token),
          expiresAt: new Date(now + expires_in * 1000)
        },
        refreshToken: refresh_token === undefined ? undefined : Redacted.make(refresh_token)
      } satisfies Held
    })

  const login = (company: string) => {
    const where = { operation: "token", company }
    const request = HttpClientRequest.post(`${options.base}/token`).pipe(
      HttpClientRequest.bodyJsonUnsafe({ username: options.username, password: Redacted.value(options.password) })
    )
    return Effect.flatMap(options.send(where, request), (answer) => toHeld(where, answer))
  }

  const refresh = (company: string, refreshToken: Redacted.Redacted<string>) => {
    const where = { operation: "token", company }
    const request = HttpClientRequest.post(`${options.base}/token/refresh`).pipe(
      HttpClientRequest.bodyJsonUnsafe({ refreshToken: Redacted.value(refreshToken) })
    )
    return Effect.flatMap(options.send(where, request), (answer) => toHeld(where, answer))
  }

  const renew = (company: string, current: Held | undefined) =>
    (current?.refreshToken === undefined
      ? login(company)
      : refresh(company, current.refreshToken).pipe(Effect.catch(() => login(company)))
    ).pipe(
      Effect.tap((fresh) => Effect.sync(() => held.set(company, fresh))),
      // A failed renewal leaves nothing cached: the next call starts with a clean login.
      Effect.tapError(() => Effect.sync(() => held.delete(company))),
      Effect.map((fresh) => fresh.token)
    )

  const usable = (current: Held | undefined, now: number): current is Held =>
    current !== undefined && now < current.token.expiresAt.getTime() - renewBeforeMillis

  /** The cached token, renewed first when it is within 5 minutes of expiry. */
  const get = (company: string): Effect.Effect<EslToken, EslApiError> =>
    lockFor(company).withPermits(1)(
      Effect.gen(function* () {
        const current = held.get(company)
        if (usable(current, yield* Clock.currentTimeMillis)) return current.token
        return yield* renew(company, current)
      })
    )

  /** After the server refused `rejected` (401): renew, unless another caller already did while we waited. */
  const renewAfterRejection = (company: string, rejected: EslToken): Effect.Effect<EslToken, EslApiError> =>
    lockFor(company).withPermits(1)(
      Effect.gen(function* () {
        const current = held.get(company)
        if (current !== undefined && current.token !== rejected && usable(current, yield* Clock.currentTimeMillis)) {
          return current.token
        }
        return yield* renew(company, current)
      })
    )

  return { get, renewAfterRejection }
}
