/** A growable byte buffer written through its array directly: hot loops call `reserve` once, then index `bytes`. */
export class ByteSink {
  bytes: Uint8Array
  length = 0

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity)
  }

  /** Makes room for `count` more bytes; returns the (possibly new) array. */
  reserve(count: number): Uint8Array {
    const needed = this.length + count
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
    return this.bytes
  }

  reset(): void {
    this.length = 0
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }

  byte(value: number): void {
    this.reserve(1)[this.length++] = value
  }

  uint32(value: number): void {
    const bytes = this.reserve(4)
    const at = this.length
    bytes[at] = value & 0xff
    bytes[at + 1] = (value >>> 8) & 0xff
    bytes[at + 2] = (value >>> 16) & 0xff
    bytes[at + 3] = (value >>> 24) & 0xff
    this.length = at + 4
  }

  /** Unsigned LEB128 of the value's low 32 bits. */
  varint(value: number): void {
    const bytes = this.reserve(5)
    let at = this.length
    let rest = value >>> 0
    while (rest > 0x7f) {
      bytes[at++] = (rest & 0x7f) | 0x80
      rest >>>= 7
    }
    bytes[at++] = rest
    this.length = at
  }

  append(source: Uint8Array): void {
    this.reserve(source.length).set(source, this.length)
    this.length += source.length
  }
}

/**
 * The RLE / bit-packed hybrid encoding of `values[from, to)` at `bitWidth` ≤ 24 bits (definition levels, dictionary
 * indexes): runs of 8 or more equal values become RLE runs, the rest bit-packed groups of 8.
 */
export const writeHybrid = (
  sink: ByteSink,
  values: ArrayLike<number>,
  from: number,
  to: number,
  bitWidth: number
): void => {
  const valueBytes = (bitWidth + 7) >>> 3
  let i = from
  let packedStart = from
  let packedGroups = 0
  while (i < to) {
    const value = values[i] as number
    let run = 1
    while (i + run < to && values[i + run] === value) run++
    if (run >= 8) {
      if (packedGroups > 0) writePacked(sink, values, packedStart, to, packedGroups, bitWidth)
      packedGroups = 0
      sink.varint(run << 1)
      for (let b = 0; b < valueBytes; b++) sink.byte((value >>> (8 * b)) & 0xff)
      i += run
    } else {
      if (packedGroups === 0) packedStart = i
      packedGroups++
      i += 8
    }
  }
  if (packedGroups > 0) writePacked(sink, values, packedStart, to, packedGroups, bitWidth)
}

/** Groups of 8 values, least significant bit first; values past `to` (only in the last group) are zeros. */
const writePacked = (
  sink: ByteSink,
  values: ArrayLike<number>,
  start: number,
  to: number,
  groups: number,
  bitWidth: number
): void => {
  sink.varint((groups << 1) | 1)
  const bytes = sink.reserve(groups * bitWidth)
  let at = sink.length
  let buffer = 0
  let used = 0
  const end = start + groups * 8
  for (let i = start; i < end; i++) {
    buffer |= (i < to ? (values[i] as number) : 0) << used
    used += bitWidth
    while (used >= 8) {
      bytes[at++] = buffer & 0xff
      buffer >>>= 8
      used -= 8
    }
  }
  sink.length = at
}

// Thrift compact protocol: a field header is (id delta << 4) | type; 5 is i32, 12 a struct, 0 ends a struct.
const I32 = 5
const STRUCT = 12

const zigzag = (value: number): number => (value << 1) ^ (value >> 31)

const field = (sink: ByteSink, delta: number, type: number): void => sink.byte((delta << 4) | type)

/** An i32 field, `delta` ids after the previous one. */
const i32 = (sink: ByteSink, delta: number, value: number): void => {
  field(sink, delta, I32)
  sink.varint(zigzag(value))
}

/** The fields every page header starts with: 1 type, 2 uncompressed size, 3 compressed size. */
const pageHeaderStart = (sink: ByteSink, type: number, uncompressedSize: number, compressedSize: number): void => {
  i32(sink, 1, type)
  i32(sink, 1, uncompressedSize)
  i32(sink, 1, compressedSize)
}

/** Encoding ids of the Parquet thrift definition. */
export const PLAIN = 0
export const RLE = 3
export const RLE_DICTIONARY = 8

/** A DATA_PAGE (v1) header; levels are RLE-encoded. */
export const writeDataPageHeader = (
  sink: ByteSink,
  uncompressedSize: number,
  compressedSize: number,
  values: number,
  encoding: number
): void => {
  pageHeaderStart(sink, 0, uncompressedSize, compressedSize) // DATA_PAGE
  field(sink, 2, STRUCT) // 5: data_page_header
  i32(sink, 1, values)
  i32(sink, 1, encoding)
  i32(sink, 1, RLE) // definition levels
  i32(sink, 1, RLE) // repetition levels
  sink.byte(0)
  sink.byte(0)
}

export const writeDictionaryPageHeader = (
  sink: ByteSink,
  uncompressedSize: number,
  compressedSize: number,
  values: number
): void => {
  pageHeaderStart(sink, 2, uncompressedSize, compressedSize) // DICTIONARY_PAGE
  field(sink, 4, STRUCT) // 7: dictionary_page_header
  i32(sink, 1, values)
  i32(sink, 1, PLAIN)
  sink.byte(0)
  sink.byte(0)
}
