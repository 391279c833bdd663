import { Schema } from "effect"

/** An ESL article as the vendor API takes it: `data` values are always strings. */
export const Article = Schema.Struct({
  articleId: Schema.String,
  articleName: Schema.String,
  nfcUrl: Schema.optionalKey(Schema.String),
  eans: Schema.optionalKey(Schema.Array(Schema.String)),
  data: Schema.Record(Schema.String, Schema.String)
})
export type Article = typeof Article.Type

/**
 * Articles already serialized, as the sync sends them: the request body (their JSON array, UTF-8) and their ids in the
 * same order. The sync hashes each article's bytes, so it serializes each article once and sends those bytes.
 */
export interface ArticleBatch {
  readonly ids: ReadonlyArray<string>
  readonly body: Uint8Array
}

/** Whether an upsert was given article objects rather than their texts. */
export const isArticleList = (articles: ReadonlyArray<Article> | ArticleBatch): articles is ReadonlyArray<Article> =>
  Array.isArray(articles)

/** An article as the API reports it back when listing a store. */
export interface StoredArticle extends Article {
  readonly lastUpdated: string
}

/**
 * What an API stores for an article: only the contract's fields, copied, so a caller changing its object afterwards
 * (or sending unknown fields) cannot change what is held.
 */
export const storedArticle = (article: Article, lastUpdated: string): StoredArticle => ({
  articleId: article.articleId,
  articleName: article.articleName,
  ...(article.nfcUrl === undefined ? {} : { nfcUrl: article.nfcUrl }),
  ...(article.eans === undefined ? {} : { eans: [...article.eans] }),
  data: { ...article.data },
  lastUpdated
})
