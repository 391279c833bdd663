/**
 * The words of a transport error and of up to three of its causes, with their codes (e.g. "fetch failed: other side
 * closed (UND_ERR_SOCKET)"): never the request, its headers or its body, so no secret travels into a message.
 */
export const transportErrorText = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message)
    current = current.cause
  }
  return parts.filter((part) => part !== "").join(": ")
}
