import { describe, expect, it } from "vitest"
import { Timetable } from "../../src/daemon/timetable.ts"

describe("Timetable", () => {
  it("hands out due items earliest first, same-time items in the order they were planned, later ones stay", () => {
    const table = new Timetable<string>()
    expect(table.next()).toBeUndefined()
    for (const [at, item] of [
      [30, "c"],
      [10, "a1"],
      [20, "b"],
      [10, "a2"],
      [40, "d"],
      [10, "a3"]
    ] as const) {
      table.add(at, item)
    }
    expect(table.next()).toBe(10)
    expect(table.takeDue(9)).toEqual([])
    expect(table.takeDue(20)).toEqual(["a1", "a2", "a3", "b"])
    expect(table.size).toBe(2)
    expect(table.next()).toBe(30)
    table.add(25, "e")
    expect(table.takeDue(Number.POSITIVE_INFINITY)).toEqual(["e", "c", "d"])
    expect(table.next()).toBeUndefined()
  })

  it("keeps order over many random times", () => {
    const table = new Timetable<number>()
    const times = Array.from({ length: 5_000 }, (_, i) => (i * 7919) % 1_000)
    times.forEach((at, i) => {
      table.add(at, i)
    })
    const out = table.takeDue(1_000)
    expect(out).toHaveLength(times.length)
    const expected = times.map((at, i) => ({ at, i })).sort((x, y) => x.at - y.at || x.i - y.i)
    expect(out).toEqual(expected.map((e) => e.i))
  })
})
