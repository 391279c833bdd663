import { Schema } from "effect"

/** Every contract route the simulator serves, named `METHOD /path` below `{clusterPrefix}/common/api/v2`. */
export const SimRoute = Schema.Literals([
  "POST /token",
  "POST /token/refresh",
  "PUT /common/articles",
  "POST /common/articles",
  "DELETE /common/articles",
  "GET /common/articles/history",
  "GET /common/articles/validationerror/logs",
  "GET /common/config/article/info"
])
export type SimRoute = typeof SimRoute.Type

const Share = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * When a fault fires. Every condition given must hold; none given means every matching call. Calls are counted per
 * rule, only on its routes (and company) and only where its kind can apply (e.g. `tokenExpired` counts calls that
 * carried a valid token).
 */
const trigger = {
  /** One route, several, or `"*"` (the default): every route where the kind applies. */
  route: Schema.optionalKey(Schema.Union([Schema.Literal("*"), SimRoute, Schema.Array(SimRoute)])),
  /** Only calls naming this company (token calls name none, so they never match). */
  company: Schema.optionalKey(Schema.String),
  /** Fire on the n-th counted call only (1-based). */
  nth: Schema.optionalKey(PositiveInt),
  /** Fire only once k calls have been counted: on call k+1 and later. */
  afterCalls: Schema.optionalKey(NonNegativeInt),
  /** Fire with this probability, drawn from the simulator's seeded random generator. */
  rate: Schema.optionalKey(Share),
  /** Fire at most this many times. */
  times: Schema.optionalKey(PositiveInt)
}

/** Which articles an article-level fault hits: the given ids, a random share, or (neither given) all of them. */
const selection = {
  articleIds: Schema.optionalKey(Schema.Array(Schema.String)),
  share: Schema.optionalKey(Share)
}

/** A fault to inject, by `kind`. */
export const FaultRule = Schema.Union([
  /** Answer after this extra delay (Clock time); the call then proceeds normally. Adds up with other latencies. */
  Schema.Struct({ kind: Schema.Literal("latency"), ms: NonNegativeInt, ...trigger }),
  /** Answer this status (e.g. 500, 502, 503) with an envelope. */
  Schema.Struct({
    kind: Schema.Literal("error"),
    status: Schema.Int.check(Schema.isBetween({ minimum: 400, maximum: 599 })),
    responseMessage: Schema.optionalKey(Schema.String),
    ...trigger
  }),
  /** Destroy the connection without answering. */
  Schema.Struct({ kind: Schema.Literal("reset"), ...trigger }),
  /** 429; `retryAfter` is sent as the Retry-After header (a number of seconds, or a string such as an HTTP date). */
  Schema.Struct({
    kind: Schema.Literal("throttle"),
    retryAfter: Schema.optionalKey(Schema.Union([NonNegativeInt, Schema.String])),
    ...trigger
  }),
  /** 200 with a body that is not the documented envelope. */
  Schema.Struct({ kind: Schema.Literal("malformed"), ...trigger }),
  /** The presented (valid) token expires now: 401 TOKEN_EXPIRED, and it stays expired. */
  Schema.Struct({ kind: Schema.Literal("tokenExpired"), ...trigger }),
  /** `POST /token/refresh` refuses the refresh token: 401 TOKEN_IS_INVALID. */
  Schema.Struct({ kind: Schema.Literal("refreshFailure"), ...trigger }),
  /** 403 LICENSE_EXPIRED on the company's calls. */
  Schema.Struct({ kind: Schema.Literal("licenseExpired"), ...trigger }),
  /** Upserts refuse the selected articles (invalidCount + validation-error log) and store the rest. */
  Schema.Struct({
    kind: Schema.Literal("reject"),
    ...selection,
    errorText: Schema.optionalKey(Schema.String),
    /** Leave `articleId` out of the log entries (some servers give only `errorIndex`). */
    omitArticleId: Schema.optionalKey(Schema.Boolean),
    ...trigger
  }),
  /** Upserts answer success for the selected articles but do not store them. */
  Schema.Struct({ kind: Schema.Literal("drop"), ...selection, ...trigger }),
  /** The batch stays `PROCESSING` in the history. */
  Schema.Struct({ kind: Schema.Literal("processing"), ...trigger }),
  /** Answer like an older server: `{ responseCode, responseMessage: "SUCCESS" }` without `customBatchId`. */
  Schema.Struct({ kind: Schema.Literal("omitBatchId"), ...trigger })
])
export type FaultRule = typeof FaultRule.Type
export type FaultKind = FaultRule["kind"]

export const SimulatorOptions = Schema.Struct({
  /** 0 (the default) picks a free port. */
  port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
  /** The address to listen on: 127.0.0.1 (the default) or e.g. 0.0.0.0 inside a container. */
  host: Schema.optionalKey(Schema.String),
  /** company code → its store codes; anything else is unknown (403 / 405). */
  companies: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  /** The one account `POST /token` accepts; `demo` / `demo` by default, as the demo tenant uses. */
  credentials: Schema.optionalKey(Schema.Struct({ username: Schema.String, password: Schema.String })),
  /** Access-token lifetime (`expires_in`), 3600 by default. */
  tokenTtlSeconds: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  /** Seed of the random generator behind `rate` and `share`, so runs repeat exactly. */
  seed: Schema.optionalKey(Schema.Int),
  /** Faults active from the start. */
  faults: Schema.optionalKey(Schema.Array(FaultRule))
})
export type SimulatorOptions = typeof SimulatorOptions.Type

export const defaultCredentials = { username: "demo", password: "demo" } as const

/** Parses `ACME:S001,S002;OTHER:X1` into `{ ACME: ["S001", "S002"], OTHER: ["X1"] }`. */
export const parseCompanies = (text: string): Record<string, ReadonlyArray<string>> | string => {
  const companies: Record<string, ReadonlyArray<string>> = {}
  for (const part of text.split(";").map((p) => p.trim())) {
    if (part === "") continue
    const [company, stores, ...rest] = part.split(":").map((p) => p.trim())
    const codes = (stores ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
    if (company === undefined || company === "" || rest.length > 0 || codes.length === 0) {
      return `"${part}" is not COMPANY:STORE[,STORE…]`
    }
    companies[company] = [...(companies[company] ?? []), ...codes]
  }
  return Object.keys(companies).length === 0 ? "no company given" : companies
}
