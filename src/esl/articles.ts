import { hash } from "node:crypto"
import type { Article } from "../domain/Article.ts"
import type { EslConfig, FieldMapping } from "../domain/TenantConfig.ts"
import type { Row, Value } from "../services/SourceDb.ts"
import { type Format, Unwritable, writeValue } from "./format.ts"

export const NFC_URL_MAX = 254
export const ID_MAX = 200

/** A source row that could not become an article: never sent, recorded with its key and why. */
export interface Quarantined {
  readonly key: string
  readonly reason: string
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
  if (typeof value === "string") {
    const trimmed = value.trim()
    return trimmed === "" ? undefined : trimmed
  }
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  return undefined
}

/** The codes of a comma-separated barcode list, trimmed, empty ones dropped. */
const eanList = (text: string): Array<string> => {
  const codes: Array<string> = []
  for (const part of text.split(",")) {
    const code = part.trim()
    if (code !== "") codes.push(code)
  }
  return codes
}

/** The row's problems so far, with one more; the list is only made for a row that has one. */
const withProblem = (problems: Array<string> | undefined, problem: string): Array<string> => {
  if (problems === undefined) return [problem]
  problems.push(problem)
  return problems
}

/** Whether a row check's answer is a quarantined row rather than an article. */
export const isQuarantined = (result: Article | Quarantined): result is Quarantined => "reason" in result

/**
 * Builds the row checker for a tenant's mapping: every problem of a row is reported, not only the first. Runs for every
 * row of a pass, so it answers the article or the quarantined row itself, without a wrapper or an intermediate copy.
 */
export const makeRowCheck = (esl: EslConfig, timeZone: string) => {
  const mapping = esl.mapping
  const fields = Object.entries(mapping.data).map(([name, m]) => fieldOf(name, m))
  const keyColumn = esl.source.key_column

  return (row: Row): Article | Quarantined => {
    const key = keyText(row[keyColumn]) ?? ""
    let problems: Array<string> | undefined
    if (key === "") problems = withProblem(problems, `${keyColumn} (key) is empty`)

    const articleId = keyText(row[mapping.article_id])
    if (articleId === undefined) problems = withProblem(problems, `${mapping.article_id} (article id) is empty`)
    else if (articleId.length > ID_MAX) {
      problems = withProblem(problems, `${mapping.article_id} (article id) is longer than ${ID_MAX}`)
    }

    const nameValue = row[mapping.article_name]
    let articleName: string | undefined
    if (typeof nameValue === "string") {
      const trimmed = nameValue.trim()
      articleName = trimmed === "" ? undefined : trimmed
    } else if (nameValue !== null && nameValue !== undefined) articleName = String(nameValue).trim()
    if (articleName === undefined) problems = withProblem(problems, `${mapping.article_name} (article name) is empty`)

    let nfcUrl: string | undefined
    if (mapping.nfc_url !== undefined && !isBlank(row[mapping.nfc_url])) {
      nfcUrl = String(row[mapping.nfc_url])
      if (nfcUrl.length > NFC_URL_MAX) {
        problems = withProblem(problems, `${mapping.nfc_url} (nfc url) is longer than ${NFC_URL_MAX}`)
      }
    }

    let eans: ReadonlyArray<string> | undefined
    if (mapping.eans !== undefined && !isBlank(row[mapping.eans])) eans = eanList(String(row[mapping.eans]))

    const data: Record<string, string> = {}
    for (const field of fields) {
      const value = row[field.column]
      if (isBlank(value)) {
        if (field.required) problems = withProblem(problems, `${field.column} (${field.name}) is required`)
        data[field.name] = ""
        continue
      }
      const written = writeValue(value, field.format, field.decimals, timeZone)
      if (written instanceof Unwritable) {
        problems = withProblem(problems, `${field.column} (${field.name}): ${written.reason}`)
        continue
      }
      if (field.maxLength !== undefined && written.length > field.maxLength) {
        problems = withProblem(problems, `${field.column} (${field.name}) is longer than ${field.maxLength} characters`)
        continue
      }
      data[field.name] = written
    }

    if (problems !== undefined || articleId === undefined || articleName === undefined) {
      return { key, reason: (problems ?? []).join("; ") }
    }
    // Literal objects of fixed shapes rather than spreads: cheaper, and the key order the API receives stays the same.
    if (nfcUrl === undefined) {
      return eans === undefined ? { articleId, articleName, data } : { articleId, articleName, eans, data }
    }
    return eans === undefined
      ? { articleId, articleName, nfcUrl, data }
      : { articleId, articleName, nfcUrl, eans, data }
  }
}

/**
 * The data keys of every article `makeRowCheck` builds for this mapping, in the order the hash takes them: worked out
 * once for many articles instead of sorting each article's keys.
 */
export const dataKeyOrder = (esl: EslConfig): ReadonlyArray<string> => Object.keys(esl.mapping.data).sort()

/** The text an article's hash is taken of: every field the API stores, the data keys in sorted order. */
export const canonicalText = (
  article: Article,
  sortedKeys: ReadonlyArray<string> = Object.keys(article.data).sort()
): string => {
  const data = article.data
  return JSON.stringify([
    article.articleId,
    article.articleName,
    article.nfcUrl ?? null,
    article.eans ?? null,
    sortedKeys.map((k) => [k, data[k]])
  ])
}

/**
 * A stable digest of everything the API would store: equal articles hash equally whatever the key order. `sortedKeys`
 * (`dataKeyOrder`) must be the sorted keys of `article.data`.
 */
export const articleHash = (article: Article, sortedKeys?: ReadonlyArray<string>): string =>
  // One-shot: a third faster than createHash().update().digest() for these short texts, same digest.
  hash("sha256", canonicalText(article, sortedKeys), "base64url")
