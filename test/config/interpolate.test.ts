import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { interpolate } from "../../src/config/interpolate.ts"
import { isValidTimeZone, parseDuration } from "../../src/domain/fields.ts"

describe("interpolate", () => {
  it("replaces references anywhere, with defaults and $$ escapes", () => {
    const result = interpolate(
      { a: "postgres://${USER}:${PASS}@host/db", b: ["${MISSING:-fallback}", "cost: $$5"], c: 3, d: null },
      { USER: "u", PASS: "p" }
    )
    assert.deepStrictEqual(result.value, {
      a: "postgres://u:p@host/db",
      b: ["fallback", "cost: $5"],
      c: 3
    })
    assert.deepStrictEqual(result.issues, [])
  })

  it("treats an empty variable as unset", () => {
    const result = interpolate({ a: "${EMPTY:-d}" }, { EMPTY: "" })
    assert.deepStrictEqual(result.value, { a: "d" })
  })

  it("names every missing variable with the path that uses it", () => {
    const result = interpolate({ x: { y: ["ok", "${ONE} ${TWO}"] } }, {})
    assert.deepStrictEqual(
      result.issues.map((i) => [i.path, i.message.split(" (")[0]]),
      [
        [["x", "y", 1], "environment variable ONE is not set"],
        [["x", "y", 1], "environment variable TWO is not set"]
      ]
    )
  })

  it("rejects malformed references", () => {
    const result = interpolate({ a: "${not valid}" }, {})
    assert.include(result.issues[0]?.message, "not a valid reference")
  })
})

describe("config fields", () => {
  it("parses short and long durations, and bare seconds", () => {
    const ms = (input: string | number) => {
      const d = parseDuration(input)
      return d === undefined ? undefined : Duration.toMillis(d)
    }
    assert.strictEqual(ms("500ms"), 500)
    assert.strictEqual(ms("30s"), 30_000)
    assert.strictEqual(ms("5m"), 300_000)
    assert.strictEqual(ms("2h"), 7_200_000)
    assert.strictEqual(ms("1d"), 86_400_000)
    assert.strictEqual(ms("5 minutes"), 300_000)
    assert.strictEqual(ms(10), 10_000)
    assert.isUndefined(ms("soon"))
    assert.isUndefined(ms(-1))
  })

  it("accepts IANA time zones only", () => {
    assert.isTrue(isValidTimeZone("Asia/Seoul"))
    assert.isTrue(isValidTimeZone("UTC"))
    assert.isFalse(isValidTimeZone("Mars/Olympus"))
    assert.isFalse(isValidTimeZone(""))
  })
})
