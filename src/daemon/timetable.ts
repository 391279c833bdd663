/**
 * The daemon's one timetable: every scheduled job's next tick in a binary min-heap ordered by time (then by insertion,
 * so ticks due at the same instant come out in the order they were planned). One sleeping fiber serves all of it,
 * instead of one fiber, timer and context per job: ten thousand stores cost ten thousand small heap entries.
 */
export class Timetable<T> {
  private readonly times: Array<number> = []
  private readonly seqs: Array<number> = []
  private readonly items: Array<T> = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  /** The earliest planned time, or undefined when nothing is planned. */
  next(): number | undefined {
    return this.times[0]
  }

  add(at: number, item: T): void {
    this.times.push(at)
    this.seqs.push(this.seq++)
    this.items.push(item)
    this.up(this.items.length - 1)
  }

  /** Takes every item planned at or before `now`, earliest first. */
  takeDue(now: number): Array<T> {
    const due: Array<T> = []
    while (this.items.length > 0 && (this.times[0] as number) <= now) due.push(this.pop())
    return due
  }

  private pop(): T {
    const top = this.items[0] as T
    const last = this.items.length - 1
    this.swap(0, last)
    this.times.pop()
    this.seqs.pop()
    this.items.pop()
    if (this.items.length > 0) this.down(0)
    return top
  }

  private before(i: number, j: number): boolean {
    const a = this.times[i] as number
    const b = this.times[j] as number
    return a < b || (a === b && (this.seqs[i] as number) < (this.seqs[j] as number))
  }

  private swap(i: number, j: number): void {
    ;[this.times[i], this.times[j]] = [this.times[j] as number, this.times[i] as number]
    ;[this.seqs[i], this.seqs[j]] = [this.seqs[j] as number, this.seqs[i] as number]
    ;[this.items[i], this.items[j]] = [this.items[j] as T, this.items[i] as T]
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    const n = this.items.length
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < n && this.before(left, least)) least = left
      if (right < n && this.before(right, least)) least = right
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }
}
