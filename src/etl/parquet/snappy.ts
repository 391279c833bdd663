import type { ByteSink } from "./sink.ts"

// Snappy compression (the format of google/snappy, as in snappyjs and hyparquet-writer) writing straight into a
// preallocated array: hyparquet-writer's version appends byte by byte through a DataView and manages ~70 MB/s,
// which made it the slowest step of encoding a row group.

const MAX_HASH_TABLE_BITS = 14
const MAX_OFFSET = 0xffff
const INPUT_MARGIN = 15
const hashTables: Array<Int32Array | undefined> = []

const load32 = (view: DataView, at: number): number => view.getInt32(at, true)

const hash = (key: number, shift: number): number => Math.imul(key, 0x1e35a7bd) >>> shift

const emitLiteral = (input: Uint8Array, from: number, length: number, out: Uint8Array, at: number): number => {
  const n = length - 1
  if (n < 60) {
    out[at++] = n << 2
  } else if (n < 0x100) {
    out[at++] = 60 << 2
    out[at++] = n
  } else if (n < 0x10000) {
    out[at++] = 61 << 2
    out[at++] = n & 0xff
    out[at++] = n >>> 8
  } else if (n < 0x1000000) {
    out[at++] = 62 << 2
    out[at++] = n & 0xff
    out[at++] = (n >>> 8) & 0xff
    out[at++] = n >>> 16
  } else {
    out[at++] = 63 << 2
    out[at++] = n & 0xff
    out[at++] = (n >>> 8) & 0xff
    out[at++] = (n >>> 16) & 0xff
    out[at++] = n >>> 24
  }
  if (length < 64) {
    for (let k = 0; k < length; k++) out[at + k] = input[from + k] as number
  } else {
    out.set(input.subarray(from, from + length), at)
  }
  return at + length
}

const emitCopyUpTo64 = (out: Uint8Array, at: number, offset: number, length: number): number => {
  if (length < 12 && offset < 2048) {
    out[at] = 1 + ((length - 4) << 2) + ((offset >>> 8) << 5)
    out[at + 1] = offset & 0xff
    return at + 2
  }
  out[at] = 2 + ((length - 1) << 2)
  out[at + 1] = offset & 0xff
  out[at + 2] = offset >>> 8
  return at + 3
}

const emitCopy = (out: Uint8Array, at: number, offset: number, length: number): number => {
  let rest = length
  while (rest >= 68) {
    at = emitCopyUpTo64(out, at, offset, 64)
    rest -= 64
  }
  if (rest > 64) {
    at = emitCopyUpTo64(out, at, offset, 60)
    rest -= 60
  }
  return emitCopyUpTo64(out, at, offset, rest)
}

/** Appends the Snappy compression of `input` to `sink`. */
export const snappyCompress = (input: Uint8Array, sink: ByteSink): void => {
  const size = input.length
  sink.varint(size)
  const out = sink.reserve(32 + size + Math.ceil(size / 6))
  let at = sink.length
  let bits = 1
  while (1 << bits <= size && bits <= MAX_HASH_TABLE_BITS) bits++
  bits--
  const shift = 32 - bits
  let table = hashTables[bits]
  if (table === undefined) {
    table = new Int32Array(1 << bits)
    hashTables[bits] = table
  } else {
    table.fill(0)
  }
  let emitFrom = 0
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  if (size >= INPUT_MARGIN) {
    const limit = size - INPUT_MARGIN
    let ip = 1
    let nextHash = hash(load32(view, ip), shift)
    scan: for (;;) {
      let skip = 32
      let nextIp = ip
      let candidate = 0
      do {
        ip = nextIp
        const current = nextHash
        // The step grows while nothing matches, so incompressible data is skipped quickly (as google/snappy does).
        const step = skip >>> 5
        skip += step
        nextIp = ip + step
        if (nextIp > limit) break scan
        nextHash = hash(load32(view, nextIp), shift)
        candidate = table[current] as number
        table[current] = ip
      } while (ip - candidate > MAX_OFFSET || load32(view, ip) !== load32(view, candidate))
      at = emitLiteral(input, emitFrom, ip - emitFrom, out, at)
      do {
        const base = ip
        let matched = 4
        while (
          ip + matched + 4 <= size &&
          view.getInt32(ip + matched, true) === view.getInt32(candidate + matched, true)
        ) {
          matched += 4
        }
        while (ip + matched < size && input[ip + matched] === input[candidate + matched]) matched++
        ip += matched
        at = emitCopy(out, at, base - candidate, matched)
        emitFrom = ip
        if (ip >= limit) break scan
        table[hash(load32(view, ip - 1), shift)] = ip - 1
        const current = hash(load32(view, ip), shift)
        candidate = table[current] as number
        table[current] = ip
      } while (ip - candidate <= MAX_OFFSET && load32(view, ip) === load32(view, candidate))
      nextHash = hash(load32(view, ++ip), shift)
    }
  }
  if (emitFrom < size) at = emitLiteral(input, emitFrom, size - emitFrom, out, at)
  sink.length = at
}
