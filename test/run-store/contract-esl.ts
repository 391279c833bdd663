import { assert, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import { type AlertState, RunStore } from "../../src/services/RunStore.ts"
import { unique } from "./contract-support.ts"

const asObject = (map: ReadonlyMap<string, string>): Record<string, string> => Object.fromEntries(map)

const alert = (overrides: Partial<AlertState> & Pick<AlertState, "tenant">): AlertState => ({
  scope: "esl:S001",
  condition: "run_failed",
  active: true,
  since: new Date("2024-03-01T10:00:00.123Z"),
  notifiedAt: new Date("2024-03-01T10:00:01.456Z"),
  detail: "ESL API answered 503",
  ...overrides
})

/** ESL sync state: article hashes, the requeue of source keys, and alert states. */
export const eslContract = (it: Vitest.MethodsNonLive<RunStore>): void => {
  it.effect("article hashes round-trip; ids never accepted are absent", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S001", ["a1", "a2"])), {})

      yield* runStore.putArticleHashes(tenant, "S001", [
        { articleId: "a1", hash: "h1" },
        { articleId: "a2", hash: "h2" },
        { articleId: "a3", hash: "h3" }
      ])
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S001", ["a1", "a3", "a9"])), {
        a1: "h1",
        a3: "h3"
      })
      assert.strictEqual((yield* runStore.getArticleHashes(tenant, "S001", [])).size, 0)
      // Nothing to record is not an error and changes nothing.
      yield* runStore.putArticleHashes(tenant, "S001", [])
      assert.strictEqual((yield* runStore.getArticleHashes(tenant, "S001", ["a1", "a2", "a3"])).size, 3)
    })
  )

  it.effect("a store has stored hashes once some were put, until all are cleared; per tenant and store", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      assert.isFalse(yield* runStore.hasArticleHashes(tenant, "S001"))
      yield* runStore.putArticleHashes(tenant, "S001", [{ articleId: "a1", hash: "h1" }])
      assert.isTrue(yield* runStore.hasArticleHashes(tenant, "S001"))
      assert.isFalse(yield* runStore.hasArticleHashes(tenant, "S002"))
      assert.isFalse(yield* runStore.hasArticleHashes(unique("t"), "S001"))
      // Ids put as new (the store had none when its pass began) while one was stored meanwhile: the put still lands.
      yield* runStore.putArticleHashes(tenant, "S002", [{ articleId: "b1", hash: "h1" }])
      yield* runStore.putArticleHashes(tenant, "S002", [
        { articleId: "b1", hash: "h2", isNew: true },
        { articleId: "b2", hash: "h3", isNew: true }
      ])
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S002", ["b1", "b2"])), {
        b1: "h2",
        b2: "h3"
      })
      yield* runStore.clearArticleHashes(tenant, "S001")
      assert.isFalse(yield* runStore.hasArticleHashes(tenant, "S001"))
    })
  )

  it.effect("a later put replaces an article's hash; within one put the last hash given wins", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      yield* runStore.putArticleHashes(tenant, "S001", [
        { articleId: "a1", hash: "old" },
        { articleId: "a2", hash: "kept" }
      ])
      yield* runStore.putArticleHashes(tenant, "S001", [
        { articleId: "a1", hash: "new" },
        { articleId: "a3", hash: "first" },
        { articleId: "a3", hash: "second" }
      ])
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S001", ["a1", "a2", "a3"])), {
        a1: "new",
        a2: "kept",
        a3: "second"
      })
    })
  )

  it.effect("article ids and hashes with separators, quotes, NULL and non-ASCII text round-trip verbatim", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const awkward = ["a,b", '{"x"}', "back\\slash", "NULL", "", " padded ", "Grüße-😀", "it's"]
      yield* runStore.putArticleHashes(
        tenant,
        "S001",
        awkward.map((id, i) => ({ articleId: id, hash: `${id}|${i}` }))
      )
      const found = yield* runStore.getArticleHashes(tenant, "S001", [...awkward, "null", "a"])
      assert.deepStrictEqual(asObject(found), Object.fromEntries(awkward.map((id, i) => [id, `${id}|${i}`])))
    })
  )

  it.effect("clearing forgets the given ids, or every id of the store when none are given", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const all = ["a1", "a2", "a3", "a4"]
      yield* runStore.putArticleHashes(
        tenant,
        "S001",
        all.map((articleId) => ({ articleId, hash: `h-${articleId}` }))
      )
      yield* runStore.putArticleHashes(tenant, "S002", [{ articleId: "a1", hash: "other-store" }])

      yield* runStore.clearArticleHashes(tenant, "S001", ["a2", "a4", "never-stored"])
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S001", all)), {
        a1: "h-a1",
        a3: "h-a3"
      })
      // An empty list is "none of them", not "all of them".
      yield* runStore.clearArticleHashes(tenant, "S001", [])
      assert.strictEqual((yield* runStore.getArticleHashes(tenant, "S001", all)).size, 2)

      yield* runStore.clearArticleHashes(tenant, "S001")
      assert.strictEqual((yield* runStore.getArticleHashes(tenant, "S001", all)).size, 0)
      assert.deepStrictEqual(asObject(yield* runStore.getArticleHashes(tenant, "S002", ["a1"])), {
        a1: "other-store"
      })
    })
  )

  it.effect("article hashes are kept per (tenant, store)", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const other = unique("t")
      yield* runStore.putArticleHashes(tenant, "S001", [{ articleId: "a1", hash: "t-S001" }])
      yield* runStore.putArticleHashes(tenant, "S002", [{ articleId: "a1", hash: "t-S002" }])
      yield* runStore.putArticleHashes(other, "S001", [{ articleId: "a1", hash: "o-S001" }])

      const hashOf = (t: string, store: string) =>
        Effect.map(runStore.getArticleHashes(t, store, ["a1"]), (found) => found.get("a1"))
      assert.deepStrictEqual(
        [yield* hashOf(tenant, "S001"), yield* hashOf(tenant, "S002"), yield* hashOf(other, "S001")],
        ["t-S001", "t-S002", "o-S001"]
      )
      assert.isUndefined(yield* hashOf(other, "S002"))

      yield* runStore.clearArticleHashes(other, "S001")
      yield* runStore.clearArticleHashes(tenant, "S002", ["a1"])
      assert.deepStrictEqual(
        [yield* hashOf(tenant, "S001"), yield* hashOf(tenant, "S002"), yield* hashOf(other, "S001")],
        ["t-S001", undefined, undefined]
      )
    })
  )

  it.effect("requeued keys come oldest first; queuing a key again keeps its place", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), [])
      // Not in alphabetical order, so the order seen is the queue's.
      yield* runStore.requeue(tenant, "S001", ["sku-9", "sku-2", "sku-2"])
      yield* runStore.requeue(tenant, "S001", ["sku-5", "sku-9"])
      yield* runStore.requeue(tenant, "S001", ["sku-1"])
      yield* runStore.requeue(tenant, "S001", [])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["sku-9", "sku-2", "sku-5", "sku-1"])
      // Reading the queue does not empty it.
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["sku-9", "sku-2", "sku-5", "sku-1"])
    })
  )

  it.effect("dequeue removes only the given keys; a key queued after delivery goes to the back", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      yield* runStore.requeue(tenant, "S001", ["k3", "k1", "k2", "k4"])
      yield* runStore.dequeue(tenant, "S001", ["k1", "k4", "never-queued"])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["k3", "k2"])
      yield* runStore.dequeue(tenant, "S001", [])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["k3", "k2"])
      yield* runStore.requeue(tenant, "S001", ["k1"])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["k3", "k2", "k1"])
    })
  )

  it.effect("requeued keys are kept per (tenant, store)", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      const other = unique("t")
      yield* runStore.requeue(tenant, "S001", ["k1", "k2"])
      yield* runStore.requeue(tenant, "S002", ["k2", "k3"])
      yield* runStore.requeue(other, "S001", ["k1"])

      yield* runStore.dequeue(tenant, "S001", ["k2"])
      yield* runStore.dequeue(other, "S001", ["k1"])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S001"), ["k1"])
      assert.deepStrictEqual(yield* runStore.requeued(tenant, "S002"), ["k2", "k3"])
      assert.deepStrictEqual(yield* runStore.requeued(other, "S001"), [])
      assert.deepStrictEqual(yield* runStore.requeued(other, "S002"), [])
    })
  )

  it.effect("an alert state round-trips exactly and is replaced by the next put of its condition", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      assert.deepStrictEqual(yield* runStore.alertStates(tenant), [])
      const raised = alert({ tenant })
      yield* runStore.putAlertState(raised)
      assert.deepStrictEqual(yield* runStore.alertStates(tenant), [raised])

      const cleared = alert({
        tenant,
        active: false,
        since: new Date("2024-03-01T12:30:00.789Z"),
        notifiedAt: new Date("2024-03-01T12:30:00.999Z"),
        detail: "recovered after 3 failed runs"
      })
      yield* runStore.putAlertState(cleared)
      assert.deepStrictEqual(yield* runStore.alertStates(tenant), [cleared])
    })
  )

  it.effect("alert states are listed by scope then condition, for their tenant only", () =>
    Effect.gen(function* () {
      const runStore = yield* RunStore
      const tenant = unique("t")
      // Put out of order, so the listing's order is the store's doing.
      for (const [scope, condition] of [
        ["esl:S002", "volume"],
        ["esl:S001", "volume"],
        ["etl:sales", "run_failed"],
        ["esl:S001", "mismatch"],
        ["esl:S002", "slow_response"]
      ] as const) {
        yield* runStore.putAlertState(alert({ tenant, scope, condition }))
      }
      yield* runStore.putAlertState(alert({ tenant: unique("t"), scope: "esl:S000", condition: "volume" }))

      const listed = yield* runStore.alertStates(tenant)
      assert.deepStrictEqual(
        listed.map((state) => `${state.scope} ${state.condition}`),
        ["esl:S001 mismatch", "esl:S001 volume", "esl:S002 slow_response", "esl:S002 volume", "etl:sales run_failed"]
      )
      assert.isTrue(listed.every((state) => state.tenant === tenant))
      const one = yield* runStore.alertStates(tenant, "esl:S002")
      assert.deepStrictEqual(
        one.map((state) => `${state.scope} ${state.condition}`),
        ["esl:S002 slow_response", "esl:S002 volume"]
      )
      assert.deepStrictEqual(yield* runStore.alertStates(tenant, "esl:S999"), [])
    })
  )
}
