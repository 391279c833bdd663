import type { Article, ArticleBatch } from "../domain/Article.ts"
import { articleText, contentHash } from "./articles.ts"

/**
 * A chunk's articles serialized once, one per article id: each article's JSON text as UTF-8 in one buffer, with the
 * content hash of those bytes. When two rows give one article id, the later row's article takes the first one's place,
 * as it would end up on the API. The bytes are hashed and sent as they are: nothing is serialized or encoded twice, and
 * the chunk's texts live outside V8's heap while the chunk waits on the state database and the API.
 */
export interface SerializedArticles {
  readonly ids: ReadonlyArray<string>
  /** `hashes[i]` is the content hash of article `ids[i]`. */
  readonly hashes: ReadonlyArray<string>
  /** The index in `ids` of each article id. */
  readonly indexOf: ReadonlyMap<string, number>
  /** Article `ids[i]` is `bytes[starts[i]..ends[i])`. */
  readonly bytes: Buffer
  readonly starts: ReadonlyArray<number>
  readonly ends: ReadonlyArray<number>
}

/** Serializes and hashes a chunk's articles (see `SerializedArticles`). */
export const serializeArticles = (articles: ReadonlyArray<Article>): SerializedArticles => {
  const texts = articles.map(articleText)
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: room for every text, written without a length pass first.
  let room = 0
  for (const text of texts) room += text.length * 3
  const bytes = Buffer.allocUnsafe(room)
  const ids: Array<string> = []
  const hashes: Array<string> = []
  const starts: Array<number> = []
  const ends: Array<number> = []
  const indexOf = new Map<string, number>()
  let end = 0
  for (let i = 0; i < articles.length; i++) {
    const id = (articles[i] as Article).articleId
    const start = end
    end += bytes.write(texts[i] as string, start, "utf8")
    const hash = contentHash(bytes.subarray(start, end))
    const at = indexOf.get(id)
    if (at === undefined) {
      indexOf.set(id, ids.length)
      ids.push(id)
      hashes.push(hash)
      starts.push(start)
      ends.push(end)
    } else {
      hashes[at] = hash
      starts[at] = start
      ends[at] = end
    }
  }
  return { ids, hashes, indexOf, bytes, starts, ends }
}

/** The article at `index` as the text it was serialized to. */
export const textAt = (serialized: SerializedArticles, index: number): string =>
  serialized.bytes.toString("utf8", serialized.starts[index], serialized.ends[index])

const OPEN = 0x5b // [
const COMMA = 0x2c
const CLOSE = 0x5d // ]

/** The upsert body of the articles at `indexes` (in that order): their bytes as one JSON array. */
export const batchOf = (serialized: SerializedArticles, indexes: ReadonlyArray<number>): ArticleBatch => {
  const { bytes, starts, ends } = serialized
  // The brackets and a comma between each two articles.
  let size = 2 + Math.max(0, indexes.length - 1)
  for (const i of indexes) size += (ends[i] as number) - (starts[i] as number)
  const body = Buffer.allocUnsafe(size)
  body[0] = OPEN
  let at = 1
  indexes.forEach((i, n) => {
    if (n > 0) body[at++] = COMMA
    at += bytes.copy(body, at, starts[i], ends[i])
  })
  body[at] = CLOSE
  return { ids: indexes.map((i) => serialized.ids[i] as string), body }
}
