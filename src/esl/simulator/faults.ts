import type { FaultKind, FaultRule, SimRoute } from "./options.ts"

/** A fault installed in the simulator, with the counters its trigger reads. */
export interface ActiveFault {
  readonly id: number
  readonly rule: FaultRule
  /** Calls counted so far (on its routes and company, where its kind applies). */
  seen: number
  /** How often it fired. */
  fired: number
}

/** The call a fault is matched against. */
export interface CallInfo {
  readonly route: SimRoute
  readonly company: string | undefined
}

export type RuleOf<K extends FaultKind> = Extract<FaultRule, { readonly kind: K }>

/** mulberry32: tiny, fast and good enough to make `rate` and `share` repeatable from a seed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const matches = (rule: FaultRule, call: CallInfo): boolean => {
  const route = rule.route ?? "*"
  const onRoute = route === "*" || (typeof route === "string" ? route === call.route : route.includes(call.route))
  return onRoute && (rule.company === undefined || rule.company === call.company)
}

export interface Faults {
  readonly add: (rules: ReadonlyArray<FaultRule>) => ReadonlyArray<number>
  readonly remove: (id: number) => boolean
  readonly clear: () => void
  readonly list: () => ReadonlyArray<ActiveFault>
  /** Back to the start: the given rules with fresh counters, and the generator reseeded. */
  readonly reset: (rules: ReadonlyArray<FaultRule>) => void
  /** The first rule of these kinds that fires for the call (every candidate counts the call). */
  readonly first: <K extends FaultKind>(kinds: ReadonlyArray<K>, call: CallInfo) => RuleOf<K> | undefined
  /** Every rule of these kinds that fires for the call, in the order they were added. */
  readonly all: <K extends FaultKind>(kinds: ReadonlyArray<K>, call: CallInfo) => ReadonlyArray<RuleOf<K>>
  /** The next number of the seeded generator, in [0, 1). */
  readonly random: () => number
}

export const makeFaults = (seed: number, initial: ReadonlyArray<FaultRule>): Faults => {
  let random = seededRandom(seed)
  let nextId = 1
  let active: Array<ActiveFault> = []

  const add = (rules: ReadonlyArray<FaultRule>) =>
    rules.map((rule) => {
      const id = nextId++
      active.push({ id, rule, seen: 0, fired: 0 })
      return id
    })

  /** Counts the call for the fault and tells whether its trigger holds; firing is recorded by the caller. */
  const triggered = (fault: ActiveFault): boolean => {
    const { nth, afterCalls, rate, times } = fault.rule
    fault.seen += 1
    if (times !== undefined && fault.fired >= times) return false
    return (
      (nth === undefined || fault.seen === nth) &&
      (afterCalls === undefined || fault.seen > afterCalls) &&
      (rate === undefined || random() < rate)
    )
  }

  const candidates = <K extends FaultKind>(kinds: ReadonlyArray<K>, call: CallInfo) =>
    active.filter(
      (fault): fault is ActiveFault & { readonly rule: RuleOf<K> } =>
        (kinds as ReadonlyArray<FaultKind>).includes(fault.rule.kind) && matches(fault.rule, call)
    )

  add(initial)
  return {
    add,
    remove: (id) => {
      const before = active.length
      active = active.filter((fault) => fault.id !== id)
      return active.length < before
    },
    clear: () => {
      active = []
    },
    list: () => active.map((fault) => ({ ...fault })),
    reset: (rules) => {
      active = []
      nextId = 1
      random = seededRandom(seed)
      add(rules)
    },
    first: (kinds, call) => {
      // Every candidate counts the call, so `nth` means the n-th call of the route whatever other faults did.
      const chosen = candidates(kinds, call)
        .map((fault) => ({ fault, hit: triggered(fault) }))
        .find(({ hit }) => hit)?.fault
      if (chosen !== undefined) chosen.fired += 1
      return chosen?.rule
    },
    all: (kinds, call) =>
      candidates(kinds, call)
        .filter(triggered)
        .map((fault) => {
          fault.fired += 1
          return fault.rule
        }),
    random: () => random()
  }
}
