import { assert, describe, expect, it } from "@effect/vitest"
import type { Article } from "../../src/domain/Article.ts"
import { articleHash, canonicalText, dataKeyOrder, isQuarantined, makeRowCheck } from "../../src/esl/articles.ts"
import { decimalText, formatDateTime, formatValue, roundDecimal } from "../../src/esl/format.ts"
import { changeBound, textValue, utcMicros, valueText } from "../../src/esl/watermark.ts"
import { item, tenantConfig } from "./fixtures.ts"

const text = (r: ReturnType<typeof formatValue>) => (r.ok ? r.text : `!${r.reason}`)

describe("article value formatting", () => {
  it("writes prices with fixed decimals, rounding half away from zero, without float artifacts", () => {
    assert.strictEqual(text(formatValue("1234.5", "price", 0, "UTC")), "1235")
    assert.strictEqual(text(formatValue("1234.49", "price", 0, "UTC")), "1234")
    assert.strictEqual(text(formatValue("-2.5", "price", 0, "UTC")), "-3")
    assert.strictEqual(text(formatValue("19.9", "price", 2, "UTC")), "19.90")
    assert.strictEqual(text(formatValue(0.1 + 0.2, "decimal", 2, "UTC")), "0.30")
    assert.strictEqual(text(formatValue(12345678901234567890n, "price", 0, "UTC")), "12345678901234567890")
    assert.strictEqual(text(formatValue("-0.001", "decimal", 2, "UTC")), "0.00")
    assert.strictEqual(text(formatValue("99999999999999999.995", "decimal", 2, "UTC")), "100000000000000000.00")
  })

  it("rejects values that are not numbers where numbers are expected", () => {
    assert.strictEqual(text(formatValue("12,000", "price", 0, "UTC")), '!"12,000" is not a number')
    assert.strictEqual(text(formatValue("abc", "integer", undefined, "UTC")), '!"abc" is not a number')
    assert.strictEqual(text(formatValue("1.5", "integer", undefined, "UTC")), '!"1.5" is not a whole number')
    assert.strictEqual(text(formatValue("7.000", "integer", undefined, "UTC")), "7")
    assert.strictEqual(text(formatValue(true, "decimal", 2, "UTC")), '!"true" is not a number')
  })

  it("writes text without float artifacts and refuses binary", () => {
    assert.strictEqual(text(formatValue(0.1 + 0.2, "text", undefined, "UTC")), "0.3")
    assert.strictEqual(text(formatValue(1e21, "text", undefined, "UTC")), "1000000000000000000000")
    assert.strictEqual(text(formatValue(42n, "text", undefined, "UTC")), "42")
    assert.strictEqual(text(formatValue("서울우유 1L", "text", undefined, "UTC")), "서울우유 1L")
    assert.isFalse(formatValue(new Uint8Array([1]), "text", undefined, "UTC").ok)
  })

  it("writes dates in the tenant's time zone; zone-less timestamps are already local", () => {
    assert.strictEqual(
      text(formatValue("2026-11-22T15:30:00.123456Z", "datetime", undefined, "Asia/Seoul")),
      "2026-11-23 00:30:00"
    )
    assert.strictEqual(text(formatValue("2026-11-22T15:30:00.123456Z", "date", undefined, "Asia/Seoul")), "2026-11-23")
    assert.strictEqual(
      text(formatValue("2026-11-22T15:30:00.5", "datetime", undefined, "Asia/Seoul")),
      "2026-11-22 15:30:00"
    )
    assert.strictEqual(text(formatValue("2026-11-22", "date", undefined, "Asia/Seoul")), "2026-11-22")
    assert.isFalse(formatValue("yesterday", "date", undefined, "UTC").ok)
    assert.isFalse(formatValue(5, "datetime", undefined, "UTC").ok)
    assert.isUndefined(formatDateTime("2026-13", "UTC", true))
  })

  it("writes booleans from their usual spellings", () => {
    assert.strictEqual(text(formatValue(true, "boolean", undefined, "UTC")), "true")
    assert.strictEqual(text(formatValue("Y", "boolean", undefined, "UTC")), "true")
    assert.strictEqual(text(formatValue("0", "boolean", undefined, "UTC")), "false")
    assert.isFalse(formatValue("maybe", "boolean", undefined, "UTC").ok)
  })

  it("exact decimal helpers", () => {
    assert.strictEqual(decimalText(" 12.50 "), "12.50")
    assert.isUndefined(decimalText(Number.NaN))
    assert.isUndefined(decimalText(null))
    assert.strictEqual(roundDecimal("0.005", 2), "0.01")
    assert.strictEqual(roundDecimal("not", 2), "not")
  })
})

describe("watermark values", () => {
  it("round-trips watermark text to typed parameters", () => {
    assert.strictEqual(textValue(valueText(123n), "int64"), 123n)
    assert.strictEqual(textValue("7", "int32"), 7)
    assert.strictEqual(textValue("2026-11-22T10:00:00.000001", "timestamp"), "2026-11-22T10:00:00.000001")
    assert.strictEqual(textValue("true", "boolean"), true)
    assert.strictEqual(valueText(null), "")
    assert.strictEqual(valueText(new Uint8Array([255, 1])), "ff01")
  })

  it("bounds a pass below the oldest open transaction, keeping microseconds", () => {
    const horizon = { now: "2026-11-22T10:00:00.000000Z", oldestOpenTransaction: "2026-11-22T09:59:58.123456Z" }
    assert.strictEqual(changeBound(horizon, 0, "timestamptz", "Asia/Seoul"), "2026-11-22T09:59:58.123456Z")
    assert.strictEqual(changeBound(horizon, 0, "timestamp", "Asia/Seoul"), "2026-11-22T18:59:58.123456")
    assert.isUndefined(changeBound(horizon, 0, "int64", "Asia/Seoul"))
  })

  it("bounds a pass by the safety lag when no transaction is open or the lag reaches further back", () => {
    const quiet = { now: "2026-11-22T10:00:00.000000Z", oldestOpenTransaction: undefined }
    assert.strictEqual(changeBound(quiet, 0, "timestamptz", "UTC"), "2026-11-22T10:00:00.000000Z")
    assert.strictEqual(changeBound(quiet, 5000, "timestamptz", "UTC"), "2026-11-22T09:59:55.000000Z")
    const open = { now: "2026-11-22T10:00:00.000000Z", oldestOpenTransaction: "2026-11-22T09:59:59.5Z" }
    assert.strictEqual(changeBound(open, 5000, "timestamptz", "UTC"), "2026-11-22T09:59:55.000000Z")
    assert.isUndefined(changeBound({ now: "garbage", oldestOpenTransaction: undefined }, 0, "timestamptz", "UTC"))
    assert.strictEqual(utcMicros("2026-11-22T10:00:00Z"), 1795341600000000n)
  })
})

describe("article hash", () => {
  // Stored hashes were taken of this JSON: the text must stay the same, character for character.
  const reference = (a: Article) =>
    JSON.stringify([
      a.articleId,
      a.articleName,
      a.nfcUrl ?? null,
      a.eans ?? null,
      Object.keys(a.data)
        .sort()
        .map((k) => [k, a.data[k]])
    ])
  const articles: ReadonlyArray<Article> = [
    { articleId: "A1", articleName: '사과 "부사" 1kg', data: { PRICE: "1000", NAME: "a\\b\nc", EMPTY: "" } },
    { articleId: "A2", articleName: "Pear", nfcUrl: "https://x/y?z=1", eans: ["880", "881"], data: {} },
    { articleId: "A3", articleName: "\u0001\u2028 emoji 🍎", eans: [], data: { Z: "1", A: "2", M: "\u00e9" } }
  ]

  it("is taken of the same text as the JSON of [id, name, nfcUrl, eans, sorted data pairs]", () => {
    for (const article of articles) expect(canonicalText(article)).toBe(reference(article))
  })

  it("does not depend on the order of the data keys, and changes with any value", () => {
    const a = articles[0] as Article
    const reordered = { ...a, data: { EMPTY: "", NAME: "a\\b\nc", PRICE: "1000" } }
    expect(articleHash(reordered)).toBe(articleHash(a))
    expect(articleHash({ ...a, data: { ...a.data, PRICE: "1001" } })).not.toBe(articleHash(a))
    expect(articleHash({ ...a, articleName: "사과" })).not.toBe(articleHash(a))
  })

  it("takes the key order of a mapping once per pass: the same hash as sorting each article's keys", () => {
    const config = tenantConfig({
      mapping: {
        article_id: "item_code",
        article_name: "item_name",
        data: { ZED: "item_name", SALE_PRICE: { column: "sale_price", format: "price" }, ALPHA: "store_code" }
      }
    })
    const esl = config.esl ?? assert.fail("no esl section")
    const article = makeRowCheck(esl, "UTC")(item("A1", "S001", 1, "1200.5", "우유"))
    if (isQuarantined(article)) return assert.fail(article.reason)
    assert.deepStrictEqual(dataKeyOrder(esl), ["ALPHA", "SALE_PRICE", "ZED"])
    expect(canonicalText(article, dataKeyOrder(esl))).toBe(reference(article))
    expect(articleHash(article, dataKeyOrder(esl))).toBe(articleHash(article))
  })
})
