/** Just enough MIME to read back what nodemailer sends: unfolded headers, encoded words, and the parts' bodies. */

export interface ParsedMail {
  readonly headers: ReadonlyMap<string, string>
  readonly text: string
  readonly html: string
}

const decodeQuotedPrintable = (body: string): string => {
  const bytes: Array<number> = []
  const soft = body.replace(/=\r?\n/g, "")
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3)
    if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(soft[i] ?? "", "utf8"))
    }
  }
  return Buffer.from(bytes).toString("utf8")
}

const decodeBody = (body: string, encoding: string | undefined): string => {
  switch (encoding?.toLowerCase()) {
    case "quoted-printable":
      return decodeQuotedPrintable(body)
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
    default:
      return body
  }
}

/** RFC 2047 words: `=?UTF-8?Q?...?=` and `=?UTF-8?B?...?=`; whitespace between two words is dropped. */
const decodeWords = (value: string): string =>
  value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?[^?]+\?([QB])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decodeQuotedPrintable(text.replace(/_/g, " "))
    )

const splitHead = (raw: string): { headers: Map<string, string>; body: string } => {
  const end = raw.search(/\r?\n\r?\n/)
  const head = end === -1 ? raw : raw.slice(0, end)
  const body = end === -1 ? "" : raw.slice(end).replace(/^\r?\n\r?\n/, "")
  const headers = new Map<string, string>()
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":")
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()))
  }
  return { headers, body }
}

export const parseMail = (raw: string): ParsedMail => {
  const { headers, body } = splitHead(raw)
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get("content-type") ?? "")?.[1]
  const parts = boundary === undefined ? [raw] : body.split(`--${boundary}`).slice(1, -1)
  let text = ""
  let html = ""
  for (const part of parts) {
    const parsed = splitHead(part.replace(/^\r?\n/, ""))
    const decoded = decodeBody(parsed.body.replace(/\r?\n$/, ""), parsed.headers.get("content-transfer-encoding"))
    const type = parsed.headers.get("content-type") ?? ""
    if (type.startsWith("text/html")) html = decoded
    else if (type.startsWith("text/plain")) text = decoded
  }
  return { headers, text: text.replace(/\r\n/g, "\n"), html: html.replace(/\r\n/g, "\n") }
}
