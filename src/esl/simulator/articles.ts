import { Schema } from "effect"
import { Article, type StoredArticle, storedArticle } from "../../domain/Article.ts"
import type { UpsertMode } from "../../services/EslApi.ts"

// These rules mirror layers/esl-api/memory.ts; test/esl-api/contract.ts runs the same checks against both.
export const maxArticlesPerCall = 1000
export const maxPageSize = 500
const nfcUrlMaxLength = 254

/** Why the server refuses one article of a batch; `undefined` when it is acceptable. */
export const articleProblem = (article: Article): string | undefined => {
  if (article.articleId === "") return "articleId is required"
  if (article.articleName === "") return "articleName is required"
  if (article.nfcUrl !== undefined && article.nfcUrl.length > nfcUrlMaxLength) {
    return `nfcUrl is longer than ${nfcUrlMaxLength} characters`
  }
  return undefined
}

const decodeArticle = Schema.decodeUnknownResult(Article)

/** One element of a request body: an article, or why it is not one (and its id when it has a string one). */
export type Decoded =
  | { readonly _tag: "Article"; readonly article: Article }
  | { readonly _tag: "Invalid"; readonly articleId: string | undefined; readonly errorText: string }

export const decodeElement = (element: unknown): Decoded => {
  const result = decodeArticle(element)
  if (result._tag === "Success") return { _tag: "Article", article: result.success }
  const id =
    typeof element === "object" && element !== null && "articleId" in element && typeof element.articleId === "string"
      ? element.articleId
      : undefined
  return { _tag: "Invalid", articleId: id, errorText: `INVALID_ARTICLE: ${result.failure.message}` }
}

/** `merge` (PUT) merges fields into what is stored; `replace` (POST) stores the article whole. */
export const applyWrite = (
  previous: StoredArticle | undefined,
  article: Article,
  mode: UpsertMode,
  lastUpdated: string
): StoredArticle => {
  const next = storedArticle(article, lastUpdated)
  return mode === "merge" && previous !== undefined
    ? { ...previous, ...next, data: { ...previous.data, ...next.data } }
    : next
}

export const byArticleId = (a: { readonly articleId: string }, b: { readonly articleId: string }): number =>
  a.articleId < b.articleId ? -1 : a.articleId > b.articleId ? 1 : 0

/** A page/size pair the list route accepts, or the 405 message. */
export const pagingProblem = (page: number, size: number): string | undefined => {
  const valid = Number.isInteger(page) && page >= 0 && Number.isInteger(size) && size >= 1 && size <= maxPageSize
  return valid ? undefined : `INVALID_PAGE_OR_SIZE (page ${page}, size ${size}; size must be 1..${maxPageSize})`
}
