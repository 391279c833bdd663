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

/** An article as the API reports it back when listing a store. */
export interface StoredArticle extends Article {
  readonly lastUpdated: string
}
