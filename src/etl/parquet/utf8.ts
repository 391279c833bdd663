import type { ByteSink } from "./sink.ts"

/** `writePlainText` met a UTF-16 unit from U+D800 up, where UTF-16 order and code point order may differ. */
export const HIGH_UNITS = 1
/** `writePlainText` met an unpaired surrogate, which UTF-8 cannot hold. */
export const UNPAIRED = 2

/**
 * Appends `text` in PLAIN BYTE_ARRAY form: a 4-byte little-endian length, then the UTF-8 bytes. A JavaScript loop
 * beats Buffer.write and TextEncoder.encodeInto on the short strings of a table's cells, and it finds unpaired
 * surrogates (which those would silently replace with U+FFFD) on the way. Returns the HIGH_UNITS and UNPAIRED flags.
 */
export const writePlainText = (sink: ByteSink, text: string): number => {
  const length = text.length
  const out = sink.reserve(4 + 3 * length)
  const start = sink.length
  let at = start + 4
  let seen = 0
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) {
      out[at++] = unit
    } else if (unit < 0x800) {
      out[at++] = 0xc0 | (unit >> 6)
      out[at++] = 0x80 | (unit & 0x3f)
    } else if (unit < 0xd800) {
      out[at++] = 0xe0 | (unit >> 12)
      out[at++] = 0x80 | ((unit >> 6) & 0x3f)
      out[at++] = 0x80 | (unit & 0x3f)
    } else {
      seen |= HIGH_UNITS
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0
      if (unit >= 0xe000) {
        out[at++] = 0xe0 | (unit >> 12)
        out[at++] = 0x80 | ((unit >> 6) & 0x3f)
        out[at++] = 0x80 | (unit & 0x3f)
      } else if (unit < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00)
        out[at++] = 0xf0 | (point >> 18)
        out[at++] = 0x80 | ((point >> 12) & 0x3f)
        out[at++] = 0x80 | ((point >> 6) & 0x3f)
        out[at++] = 0x80 | (point & 0x3f)
        i++
      } else {
        seen |= UNPAIRED
      }
    }
  }
  const bytes = at - start - 4
  out[start] = bytes & 0xff
  out[start + 1] = (bytes >>> 8) & 0xff
  out[start + 2] = (bytes >>> 16) & 0xff
  out[start + 3] = bytes >>> 24
  sink.length = at
  return seen
}

/** The 4-byte little-endian length that starts a PLAIN BYTE_ARRAY value at `at`. */
export const plainLength = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)) >>>
  0

/** UTF-16 units from U+D800 up, reordered so that surrogates (code points above U+FFFF) sort after U+E000–U+FFFF. */
const codePointRank = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000)

/** Orders strings as their UTF-8 bytes (code point order), the order Parquet statistics of STRING columns use. */
export const compareUtf8 = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y
  }
  return a.length - b.length
}

/** Orders two PLAIN BYTE_ARRAY values of `bytes` (at their length prefixes) byte-wise, unsigned. */
export const comparePlain = (bytes: Uint8Array, a: number, b: number): number => {
  const lengthA = plainLength(bytes, a)
  const lengthB = plainLength(bytes, b)
  const length = Math.min(lengthA, lengthB)
  for (let i = 4; i < length + 4; i++) {
    const difference = (bytes[a + i] as number) - (bytes[b + i] as number)
    if (difference !== 0) return difference
  }
  return lengthA - lengthB
}
