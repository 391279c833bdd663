import { createHash } from "node:crypto"
import { assert, describe, expect, it } from "@effect/vitest"
import type { Article } from "../../src/domain/Article.ts"
import type { FieldMappingEncoded } from "../../src/domain/TenantConfig.ts"
import {
  articleText,
  contentHash,
  dataKeyOrder,
  isQuarantined,
  legacyText,
  makeRowCheck,
  sameContent
} from "../../src/esl/articles.ts"
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

describe("article text and content hash", () => {
  // Hashes stored before the hash was taken of the sent text were taken of this JSON: the legacy text must stay the
  // same, character for character, or every article with such a hash would be sent again.
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
  const legacyHash = (a: Article) => createHash("sha256").update(reference(a)).digest("base64url")
  const articles: ReadonlyArray<Article> = [
    { articleId: "A1", articleName: '사과 "부사" 1kg', data: { PRICE: "1000", NAME: "a\\b\nc", EMPTY: "" } },
    { articleId: "A2", articleName: "Pear", nfcUrl: "https://x/y?z=1", eans: ["880", "881"], data: {} },
    { articleId: "A3", articleName: "\u0001\u2028 emoji 🍎", eans: [], data: { Z: "1", A: "2", M: "\u00e9" } }
  ]
  const mapping = (data: Record<string, FieldMappingEncoded>) =>
    tenantConfig({ mapping: { article_id: "item_code", article_name: "item_name", data } }).esl ??
    assert.fail("no esl section")
  const built = (esl: ReturnType<typeof mapping>, row = item("A1", "S001", 1, "1200.5", "우유")) => {
    const article = makeRowCheck(esl, "UTC")(row)
    return isQuarantined(article) ? assert.fail(article.reason) : article
  }
  const data = {
    ZED: "item_name",
    SALE_PRICE: { column: "sale_price", format: "price" },
    ALPHA: "store_code"
  } as const satisfies Record<string, FieldMappingEncoded>

  it("keeps the legacy text of the hashes stored before", () => {
    for (const article of articles) expect(legacyText(article)).toBe(reference(article))
  })

  it("sends and hashes the data fields sorted by name, whatever their order in the tenant file", () => {
    const forward = built(mapping(data))
    const backward = built(mapping({ ALPHA: data.ALPHA, SALE_PRICE: data.SALE_PRICE, ZED: data.ZED }))
    assert.deepStrictEqual(dataKeyOrder(mapping(data)), ["ALPHA", "SALE_PRICE", "ZED"])
    assert.strictEqual(
      articleText(forward),
      '{"articleId":"A1","articleName":"우유","data":{"ALPHA":"S001","SALE_PRICE":"1201","ZED":"우유"}}'
    )
    assert.strictEqual(articleText(backward), articleText(forward))
    assert.strictEqual(contentHash(articleText(backward)), contentHash(articleText(forward)))
  })

  it("changes with any value the API stores", () => {
    const esl = mapping(data)
    const base = contentHash(articleText(built(esl)))
    assert.notStrictEqual(contentHash(articleText(built(esl, item("A1", "S001", 1, "1300", "우유")))), base)
    assert.notStrictEqual(contentHash(articleText(built(esl, item("A1", "S001", 1, "1200.5", "사과")))), base)
    assert.notStrictEqual(contentHash(articleText(built(esl, item("A2", "S001", 1, "1200.5", "우유")))), base)
  })

  it("recognises the API's content by a stored hash of either format", () => {
    for (const article of articles) {
      const text = () => articleText(article)
      const hash = contentHash(text())
      assert.strictEqual(contentHash(Buffer.from(text())), hash, "the same digest of the text's UTF-8")
      assert.isTrue(sameContent(hash, hash, text))
      assert.isTrue(sameContent(legacyHash(article), hash, text), "a hash stored in the legacy format")
      assert.isFalse(sameContent(undefined, hash, text), "nothing stored")
      const other = { ...article, articleName: `${article.articleName}!` }
      assert.isFalse(sameContent(contentHash(articleText(other)), hash, text))
      assert.isFalse(sameContent(legacyHash(other), hash, text), "a legacy hash of other content")
    }
  })
})
