import { assert, describe, it } from "@effect/vitest"
import { idleWindows, storeCodes, tenantYaml } from "../../bench/daemon-plan.ts"

describe("daemon benchmark plan", () => {
  it("measures idle CPU only where no store's tick is due, clear of the ticks on both sides", () => {
    // Offsets 0.5–19.5 s of a 30 s interval: the gap is 19.5 s → 30.5 s, less a 1 s margin at each end.
    const windows = idleWindows(60_000, 150_000, 30_000, [12_000, 500, 19_500, 7_000], 1_000)
    assert.deepStrictEqual(windows, [
      { from: 80_500, to: 89_500 },
      { from: 110_500, to: 119_500 },
      { from: 140_500, to: 149_500 }
    ])
  })

  it("finds the gap where it wraps past the interval boundary, and leaves out a window running past the end", () => {
    // Ticks at 10 s and 22 s of every 30 s: the widest gap is 22 s → 40 s (10 s into the next interval).
    const windows = idleWindows(0, 60_000, 30_000, [10_000, 22_000], 500)
    assert.deepStrictEqual(windows, [{ from: 22_500, to: 39_500 }])
  })

  it("writes a tenant with every store on the interval and jitter asked for", () => {
    const yaml = tenantYaml({
      tenant: "bench",
      company: "B",
      stores: storeCodes(3),
      intervalMs: 30_000,
      jitterMs: 20_000
    })
    assert.include(yaml, "    - S00001\n    - S00002\n    - S00003\n")
    assert.include(yaml, "schedule: { every: 30s, jitter: 20s }")
  })
})
