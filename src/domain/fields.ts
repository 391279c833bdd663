import { Cron, Duration, Effect, Result, Schema, SchemaTransformation } from "effect"

/**
 * A SQL identifier taken from config (table, column, schema name). Restricted so that quoting it is always safe and
 * it means the same thing in PostgreSQL, Trino and DuckDB.
 */
export const Identifier = Schema.String.check(
  Schema.makeFilter((s: string) =>
    /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(s)
      ? true
      : `"${s}" is not a valid identifier: use letters, digits and _, not starting with a digit, at most 63 characters`
  )
)

/** Tenant and pipeline ids: lower case, used in paths, table names and lock names. */
export const Slug = Schema.String.check(
  Schema.makeFilter((s: string) =>
    /^[a-z][a-z0-9_]{0,62}$/.test(s)
      ? true
      : `"${s}" is not a valid id: use lower-case letters, digits and _, starting with a letter, at most 63 characters`
  )
)

export const isValidTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return zone.length > 0
  } catch {
    return false
  }
}

export const TimeZone = Schema.String.check(
  Schema.makeFilter((s: string) =>
    isValidTimeZone(s) ? true : `"${s}" is not an IANA time zone (e.g. Asia/Seoul, Europe/Berlin, UTC)`
  )
)

const shortUnits: Record<string, Duration.Unit> = {
  ms: "millis",
  s: "seconds",
  sec: "seconds",
  m: "minutes",
  min: "minutes",
  h: "hours",
  d: "days"
}

/** Parses `500ms`, `30s`, `5m`, `2h`, `1d` and Effect's `5 minutes`; a bare number is seconds. */
export const parseDuration = (input: string | number): Duration.Duration | undefined => {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? Duration.seconds(input) : undefined
  const short = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)\s*$/.exec(input)
  if (short?.[1] !== undefined && short[2] !== undefined) {
    const unit = shortUnits[short[2]]
    return unit === undefined ? undefined : Duration.fromInputUnsafe(`${Number(short[1])} ${unit}`)
  }
  const long = Schema.decodeUnknownResult(Schema.DurationFromString)(input.trim())
  return Result.isSuccess(long) ? long.success : undefined
}

const DurationInput = Schema.Union([Schema.String, Schema.Number]).check(
  Schema.makeFilter((s: string | number) =>
    parseDuration(s) !== undefined ? true : `"${s}" is not a duration (write e.g. 500ms, 30s, 5m, 2h)`
  )
)

export const DurationField = DurationInput.pipe(
  Schema.decodeTo(
    Schema.Duration,
    SchemaTransformation.transform<Duration.Duration, string | number>({
      decode: (input) => parseDuration(input) ?? Duration.zero,
      encode: (duration) => `${Duration.toMillis(duration)}ms`
    })
  )
)

/** A 5- or 6-field cron expression, validated when the config is read. */
export const CronExpression = Schema.String.check(
  Schema.makeFilter((s: string) => {
    const parsed = Cron.parse(s)
    return Result.isSuccess(parsed) ? true : `"${s}" is not a valid cron expression: ${parsed.failure.message}`
  })
)

/** A secret: kept `Redacted` from the moment it is read, so it never shows in logs, spans or errors. */
export const Secret = Schema.RedactedFromValue(Schema.String)

/** A number, also accepted as text so `port: ${PG_PORT}` works. */
export const Num = Schema.Union([Schema.Finite, Schema.FiniteFromString])

/** A boolean, also accepted as the text `true` / `false` (from an environment variable). */
export const Bool = Schema.Union([
  Schema.Boolean,
  Schema.Literals(["true", "false"]).pipe(
    Schema.decodeTo(
      Schema.Boolean,
      SchemaTransformation.transform<boolean, "true" | "false">({
        decode: (text) => text === "true",
        encode: (bool) => (bool ? "true" : "false")
      })
    )
  )
])

export const PositiveInt = Num.check(
  Schema.makeFilter((n: number) => (Number.isInteger(n) && n > 0) || "must be a positive integer")
)

export const NonNegativeInt = Num.check(
  Schema.makeFilter((n: number) => (Number.isInteger(n) && n >= 0) || "must be a whole number, 0 or more")
)

export const Ratio = Num.check(Schema.makeFilter((n: number) => (n >= 0 && n <= 1) || "must be between 0 and 1"))

/** A key that takes `value` (in its written form) when absent from the file. */
export const defaulted = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))
