import { Effect } from "effect"
import type { AlertState, ArticleHash } from "../../src/services/RunStore.ts"
import { compareText, type EslState, keyOf } from "./shared.ts"

/** The entry of `map` at `key`, created empty on first use. */
const entry = <V>(map: Map<string, V>, key: string, empty: () => V): V => {
  const existing = map.get(key)
  if (existing !== undefined) return existing
  const created = empty()
  map.set(key, created)
  return created
}

/** The ESL sync state in process memory, with the same behaviour as `makeEslState` on PostgreSQL. */
export const makeEslStateMemory = (): EslState => {
  // Per (tenant, store): article id → hash.
  const hashes = new Map<string, Map<string, string>>()
  // Per (tenant, store): queued keys in insertion order, which is oldest first since re-queuing does not move a key.
  const queues = new Map<string, Set<string>>()
  const alerts = new Map<string, AlertState>()

  const hasArticleHashes = Effect.fn("RunStore.hasArticleHashes")(function* (tenant: string, store: string) {
    return (hashes.get(keyOf(tenant, store))?.size ?? 0) > 0
  })

  const getArticleHashes = Effect.fn("RunStore.getArticleHashes")(function* (
    tenant: string,
    store: string,
    articleIds: ReadonlyArray<string>
  ) {
    const known = hashes.get(keyOf(tenant, store))
    const found = new Map<string, string>()
    if (known === undefined) return found
    for (const id of articleIds) {
      const hash = known.get(id)
      if (hash !== undefined) found.set(id, hash)
    }
    return found
  })

  const putArticleHashes = Effect.fn("RunStore.putArticleHashes")(function* (
    tenant: string,
    store: string,
    given: ReadonlyArray<ArticleHash>
  ) {
    if (given.length === 0) return
    const known = entry(hashes, keyOf(tenant, store), () => new Map<string, string>())
    for (const { articleId, hash } of given) known.set(articleId, hash)
  })

  const clearArticleHashes = Effect.fn("RunStore.clearArticleHashes")(function* (
    tenant: string,
    store: string,
    articleIds?: ReadonlyArray<string>
  ) {
    if (articleIds === undefined) {
      hashes.delete(keyOf(tenant, store))
      return
    }
    const known = hashes.get(keyOf(tenant, store))
    for (const id of articleIds) known?.delete(id)
  })

  const requeue = Effect.fn("RunStore.requeue")(function* (tenant: string, store: string, keys: ReadonlyArray<string>) {
    if (keys.length === 0) return
    const queue = entry(queues, keyOf(tenant, store), () => new Set<string>())
    for (const key of keys) queue.add(key)
  })

  const requeued = Effect.fn("RunStore.requeued")(function* (tenant: string, store: string) {
    return Array.from(queues.get(keyOf(tenant, store)) ?? [])
  })

  const dequeue = Effect.fn("RunStore.dequeue")(function* (tenant: string, store: string, keys: ReadonlyArray<string>) {
    const queue = queues.get(keyOf(tenant, store))
    for (const key of keys) queue?.delete(key)
  })

  const alertStates = Effect.fn("RunStore.alertStates")(function* (tenant: string, scope?: string) {
    return Array.from(alerts.values())
      .filter((state) => state.tenant === tenant && (scope === undefined || state.scope === scope))
      .sort((a, b) => compareText(a.scope, b.scope) || compareText(a.condition, b.condition))
  })

  // Copies the dates, so a caller mutating its `Date` afterwards does not change what was recorded.
  const putAlertState = Effect.fn("RunStore.putAlertState")(function* (state: AlertState) {
    alerts.set(keyOf(state.tenant, state.scope, state.condition), {
      tenant: state.tenant,
      scope: state.scope,
      condition: state.condition,
      active: state.active,
      since: new Date(state.since.getTime()),
      notifiedAt: new Date(state.notifiedAt.getTime()),
      detail: state.detail
    })
  })

  return {
    hasArticleHashes,
    getArticleHashes,
    putArticleHashes,
    clearArticleHashes,
    requeue,
    requeued,
    dequeue,
    alertStates,
    putAlertState
  }
}
