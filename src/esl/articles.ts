import { hash } from "node:crypto"
import type { Article } from "../domain/Article.ts"
import type { EslConfig, FieldMapping } from "../domain/TenantConfig.ts"
import type { Row, Value } from "../services/SourceDb.ts"
import { type Format, formatValue } from "./format.ts"

export const NFC_URL_MAX = 254
export const ID_MAX = 200

/** A source row that could not become an article: never sent, recorded with its key and why. */
export interface Quarantined {
  readonly key: string
  readonly reason: string
}

/** A row that passed validation, with its `data` fields already written in their formats. */
export interface ValidRow {
  readonly key: string
  readonly articleId: string
  readonly articleName: string
  readonly nfcUrl: string | undefined
  readonly eans: ReadonlyArray<string> | undefined
  readonly data: Readonly<Record<string, string>>
}

interface Field {
  readonly name: string
  readonly column: string
  readonly format: Format
  readonly decimals: number | undefined
  readonly maxLength: number | undefined
  readonly required: boolean
}

const fieldOf = (name: string, mapping: FieldMapping): Field =>
  typeof mapping === "string"
    ? { name, column: mapping, format: "text", decimals: undefined, maxLength: undefined, required: false }
    : {
        name,
        column: mapping.column,
        format: mapping.format,
        decimals: mapping.decimals,
        maxLength: mapping.max_length,
        required: mapping.required
      }

const isBlank = (value: Value | undefined): value is null | undefined | "" =>
  value === null || value === undefined || (typeof value === "string" && value.trim() === "")

/** Source values used as ids and keys: text of strings, integers and decimals. */
export const keyText = (value: Value | undefined): string | undefined => {
  if (isBlank(value)) return undefined
  if (typeof value === "string") return value.trim()
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  return undefined
}

/** Builds the row checker for a tenant's mapping: every problem of a row is reported, not only the first. */
export const makeValidator = (esl: EslConfig, timeZone: string) => {
  const mapping = esl.mapping
  const fields = Object.entries(mapping.data).map(([name, m]) => fieldOf(name, m))
  const keyColumn = esl.source.key_column

  return (row: Row): { readonly valid: ValidRow } | { readonly invalid: Quarantined } => {
    const key = keyText(row[keyColumn]) ?? ""
    const problems: Array<string> = []
    if (key === "") problems.push(`${keyColumn} (key) is empty`)

    const articleId = keyText(row[mapping.article_id])
    if (articleId === undefined) problems.push(`${mapping.article_id} (article id) is empty`)
    else if (articleId.length > ID_MAX) problems.push(`${mapping.article_id} (article id) is longer than ${ID_MAX}`)

    const nameValue = row[mapping.article_name]
    const articleName = isBlank(nameValue) ? undefined : String(nameValue).trim()
    if (articleName === undefined) problems.push(`${mapping.article_name} (article name) is empty`)

    let nfcUrl: string | undefined
    if (mapping.nfc_url !== undefined && !isBlank(row[mapping.nfc_url])) {
      nfcUrl = String(row[mapping.nfc_url])
      if (nfcUrl.length > NFC_URL_MAX) problems.push(`${mapping.nfc_url} (nfc url) is longer than ${NFC_URL_MAX}`)
    }

    let eans: ReadonlyArray<string> | undefined
    if (mapping.eans !== undefined && !isBlank(row[mapping.eans])) {
      eans = String(row[mapping.eans])
        .split(",")
        .map((code) => code.trim())
        .filter((code) => code !== "")
    }

    const data: Record<string, string> = {}
    for (const field of fields) {
      const value = row[field.column]
      if (isBlank(value)) {
        if (field.required) problems.push(`${field.column} (${field.name}) is required`)
        data[field.name] = ""
        continue
      }
      const written = formatValue(value, field.format, field.decimals, timeZone)
      if (!written.ok) {
        problems.push(`${field.column} (${field.name}): ${written.reason}`)
        continue
      }
      if (field.maxLength !== undefined && written.text.length > field.maxLength) {
        problems.push(`${field.column} (${field.name}) is longer than ${field.maxLength} characters`)
        continue
      }
      data[field.name] = written.text
    }

    if (problems.length > 0 || articleId === undefined || articleName === undefined) {
      return { invalid: { key, reason: problems.join("; ") } }
    }
    return { valid: { key, articleId, articleName, nfcUrl, eans, data } }
  }
}

export const toArticle = (row: ValidRow): Article => ({
  articleId: row.articleId,
  articleName: row.articleName,
  ...(row.nfcUrl === undefined ? {} : { nfcUrl: row.nfcUrl }),
  ...(row.eans === undefined ? {} : { eans: row.eans }),
  data: row.data
})

/** A stable digest of everything the API would store: equal articles hash equally whatever the key order. */
export const articleHash = (article: Article): string => {
  const canonical = JSON.stringify([
    article.articleId,
    article.articleName,
    article.nfcUrl ?? null,
    article.eans ?? null,
    Object.keys(article.data)
      .sort()
      .map((k) => [k, article.data[k]])
  ])
  // One-shot: a third faster than createHash().update().digest() for these short texts, same digest.
  return hash("sha256", canonical, "base64url")
}
