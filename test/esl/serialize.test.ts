import { assert, describe, it } from "@effect/vitest"
import type { Article } from "../../src/domain/Article.ts"
import { articleText, contentHash } from "../../src/esl/articles.ts"
import { batchOf, serializeArticles, textAt } from "../../src/esl/serialize.ts"

const articles: ReadonlyArray<Article> = [
  { articleId: "A1", articleName: '사과 "부사" 1kg', data: { NAME: "a\\b\nc", PRICE: "1000" } },
  { articleId: "A2", articleName: "Pear", nfcUrl: "https://x/y?z=1", eans: ["880", "881"], data: {} },
  { articleId: "A3", articleName: "\u0001\u2028 emoji 🍎 \ud800", eans: [], data: { M: "\u00e9" } }
]
const body = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes))

describe("a chunk's articles serialized once", () => {
  it("hashes each article's text and sends the same text", () => {
    const serialized = serializeArticles(articles)
    assert.deepStrictEqual(serialized.ids, ["A1", "A2", "A3"])
    articles.forEach((article, i) => {
      assert.strictEqual(textAt(serialized, i), articleText(article))
      assert.strictEqual(serialized.hashes[i], contentHash(articleText(article)))
    })
    const batch = batchOf(serialized, [0, 1, 2])
    assert.deepStrictEqual(batch.ids, ["A1", "A2", "A3"])
    assert.deepStrictEqual(body(batch.body), articles)
  })

  it("sends the chosen articles in the given order, and an empty batch as an empty array", () => {
    const serialized = serializeArticles(articles)
    const batch = batchOf(serialized, [2, 0])
    assert.deepStrictEqual(batch.ids, ["A3", "A1"])
    assert.deepStrictEqual(body(batch.body), [articles[2], articles[0]])
    assert.deepStrictEqual(body(batchOf(serialized, []).body), [])
  })

  it("keeps one article per id: the later row's, in the first one's place", () => {
    const later = { ...(articles[0] as Article), articleName: "사과 2kg" }
    const serialized = serializeArticles([articles[0] as Article, articles[1] as Article, later])
    assert.deepStrictEqual(serialized.ids, ["A1", "A2"])
    assert.strictEqual(serialized.indexOf.get("A1"), 0)
    assert.strictEqual(serialized.hashes[0], contentHash(articleText(later)))
    assert.deepStrictEqual(body(batchOf(serialized, [0, 1]).body), [later, articles[1]])
  })
})
