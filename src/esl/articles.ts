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
  // In `dataKeyOrder`: the article's JSON text, which is sent and hashed, does not depend on the order of the mapping
  // in the tenant file.
  const fields = sortedDataFields(esl).map(([name, m]) => fieldOf(name, m))
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
    return buildArticle(articleId, articleName, nfcUrl, eans, data)
  }
}

/**
 * An article with its fields in the one order `articleText` relies on: id, name, NFC URL, barcodes, data. `data` must
 * hold its keys in `dataKeyOrder`. Literal objects of fixed shapes rather than spreads: cheaper for many articles.
 */
export const buildArticle = (
  articleId: string,
  articleName: string,
  nfcUrl: string | undefined,
  eans: ReadonlyArray<string> | undefined,
  data: Record<string, string>
): Article => {
  if (nfcUrl === undefined) {
    return eans === undefined ? { articleId, articleName, data } : { articleId, articleName, eans, data }
  }
  return eans === undefined ? { articleId, articleName, nfcUrl, data } : { articleId, articleName, nfcUrl, eans, data }
}

/** The mapping's data fields sorted by name (code unit order): the order of every article's data keys. */
const sortedDataFields = (esl: EslConfig): Array<[string, FieldMapping]> =>
  Object.entries(esl.mapping.data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The data keys of every article `makeRowCheck` builds for this mapping, in the order they are sent and hashed. */
export const dataKeyOrder = (esl: EslConfig): ReadonlyArray<string> => sortedDataFields(esl).map(([name]) => name)

/**
 * The JSON text an article is sent as, and its content hash is taken of. Equal content gives equal text for articles
 * built by `makeRowCheck` or `buildArticle` (fixed field order, data keys in `dataKeyOrder`), whatever the mapping's
 * order in the tenant file.
 */
export const articleText = (article: Article): string => JSON.stringify(article)

/** Hashes of `articleText` carry this prefix; a stored hash without it was taken of `legacyText`, as they once were. */
const HASH_PREFIX = "2:"

/** A stable digest of everything the API stores for an article: SHA-256 of its `articleText` (or of its UTF-8). */
export const contentHash = (content: string | Uint8Array): string =>
  // One-shot: a third faster than createHash().update().digest() for these short texts, same digest.
  `${HASH_PREFIX}${hash("sha256", content, "base64url")}`

/**
 * The text hashes were taken of before they were taken of the sent text: id, name, NFC URL, barcodes and the data
 * pairs in sorted key order, as one JSON array. Kept so that hashes stored then still spare unchanged articles.
 */
export const legacyText = (article: Article): string =>
  JSON.stringify([
    article.articleId,
    article.articleName,
    article.nfcUrl ?? null,
    article.eans ?? null,
    Object.keys(article.data)
      .sort()
      .map((k) => [k, article.data[k]])
  ])

/**
 * Whether the hash stored for an article (after it was last accepted) says the API holds this content already:
 * `hashOfText` is the article's `contentHash`, `text` its `articleText`. A hash stored in the earlier format is compared
 * with that format's hash of the same article, so upgrading storeflow does not send every article again.
 */
export const sameContent = (stored: string | undefined, hashOfText: string, text: () => string): boolean => {
  if (stored === undefined) return false
  if (stored.startsWith(HASH_PREFIX)) return stored === hashOfText
  return stored === hash("sha256", legacyText(JSON.parse(text()) as Article), "base64url")
}
