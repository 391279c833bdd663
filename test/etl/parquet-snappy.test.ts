import { assert, describe, it } from "@effect/vitest"
import { snappyUncompress } from "hyparquet"
import { ByteSink } from "../../src/etl/parquet/sink.ts"
import { snappyCompress } from "../../src/etl/parquet/snappy.ts"

const roundTrip = (input: Uint8Array): { readonly output: Uint8Array; readonly compressed: number } => {
  const sink = new ByteSink(16)
  snappyCompress(input, sink)
  const output = new Uint8Array(input.length)
  snappyUncompress(sink.view(), output)
  return { output, compressed: sink.length }
}

/** Deterministic pseudo-random bytes (xorshift), so a failure reproduces. */
const noise = (length: number, seed: number): Uint8Array => {
  let state = seed
  return Uint8Array.from({ length }, () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return state & 0xff
  })
}

describe("Snappy compression", () => {
  const text = new TextEncoder().encode("맛있는 상품 12345 번, 신선한 상품 67890 번; ".repeat(5000))
  const inputs: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    "one byte": new Uint8Array([7]),
    "shorter than the input margin": new Uint8Array([1, 2, 3, 1, 2, 3, 1, 2, 3, 1]),
    zeros: new Uint8Array(300_000),
    "random (incompressible, literals over 64 KiB)": noise(200_000, 12345),
    "repetitive text": text,
    "int64 sequence": new Uint8Array(
      BigInt64Array.from({ length: 50_000 }, (_, i) => 1_700_000_000_000_000n + BigInt(i) * 1234n).buffer
    ),
    mixed: Uint8Array.from([...noise(70_000, 99), ...text.subarray(0, 80_000), ...new Uint8Array(70_000)]),
    "short literals between matches": Uint8Array.from([
      ...noise(300, 1),
      ...new Uint8Array(500),
      ...noise(5000, 2),
      0,
      0
    ]),
    "a literal over 16 MiB": noise(17 * 1024 * 1024, 7)
  }
  for (const [label, input] of Object.entries(inputs)) {
    it(`round-trips ${label}`, () => {
      const { output, compressed } = roundTrip(input)
      assert.deepStrictEqual(output, input)
      // Never much larger than the input: snappy's bound is 32 + n + n/6.
      assert.isTrue(compressed <= 37 + input.length + Math.ceil(input.length / 6))
    })
  }

  it("compresses repetitive data", () => {
    assert.isTrue(roundTrip(text).compressed < text.length / 10)
    assert.isTrue(roundTrip(new Uint8Array(300_000)).compressed < 20_000)
  })
})
