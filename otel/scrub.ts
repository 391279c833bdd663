/**
 * The last line of defence for secrets on their way out (OTLP export, log lines). storeflow keeps secrets `Redacted`,
 * which already print as `<redacted>`; this catches what escapes that: a driver's error text that echoes a
 * connection string, a vendor's answer that repeats a password, an attribute someone named `password`.
 */

export const REDACTED = "<redacted>"
const MASK = "***"

/** Attribute and annotation keys whose values are secrets, whatever they hold. */
const SENSITIVE_KEY =
  /(^|_)(password|passwd|pwd|passphrase|secret|token|api_?key|authorization|cookie|credentials?|private_?key)$/

export const isSensitiveKey = (key: string): boolean => {
  // camelCase → snake_case, then look at the last dotted segment: `esl.api.password`, `accessToken`, `x-api-key`.
  const snake = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()
  const last = snake.split(/[.\s/]/).at(-1) ?? snake
  return SENSITIVE_KEY.test(last.replaceAll("-", "_"))
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]+@/gi
const KEY_VALUE_SECRET =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)(["']?\s*[=:]\s*["']?)[^\s"'&,;)]+/gi
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g

export interface Scrubber {
  /** The text with credentials in URLs, `password=…` pairs, bearer tokens and the known secrets masked. */
  readonly text: (text: string) => string
  /**
   * A deep copy of a JSON-like value with every string scrubbed and the values of sensitive keys replaced: plain
   * object properties (log annotations) and OTLP `{ key, value }` attributes alike.
   */
  readonly value: <A>(value: A) => A
}

/** `secrets`: literal values known to be secret (e.g. the OTLP header values), masked wherever they appear. */
export const makeScrubber = (secrets: Iterable<string> = []): Scrubber => {
  // Longest first, so a secret that contains another is masked whole; very short values would mask too much.
  const known = [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  const text = (input: string): string => {
    let out = input
    for (const secret of known) out = out.replaceAll(secret, MASK)
    return out
      .replace(URL_PASSWORD, `$1:${MASK}@`)
      .replace(KEY_VALUE_SECRET, `$1$2${MASK}`)
      .replace(AUTH_SCHEME, `$1 ${MASK}`)
  }
  const value = (input: unknown): unknown => {
    if (typeof input === "string") return text(input)
    if (Array.isArray(input)) return input.map(value)
    if (input === null || typeof input !== "object") return input
    const proto = Object.getPrototypeOf(input)
    // Class instances (Uint8Array ids, Redacted, Date) are left alone: only JSON-like data is walked.
    if (proto !== Object.prototype && proto !== null) return input
    const record = input as Record<string, unknown>
    if (typeof record.key === "string" && "value" in record && isSensitiveKey(record.key)) {
      // An OTLP attribute: keep its shape, drop its value.
      return { ...record, value: { stringValue: REDACTED } }
    }
    const copy: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(record)) copy[k] = isSensitiveKey(k) ? REDACTED : value(v)
    return copy
  }
  return { text, value: value as <A>(input: A) => A }
}
