import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { layerPostgres } from "../../layers/run-store/postgres.ts"
import { RunStore } from "../../src/services/RunStore.ts"
import { TestDatabase } from "../support/database.ts"

// Two stores on one database: a second process (or pass) writing the same store between a lookup and a put. Ids the
// lookup did not find are put as `isNew`, as the sync does: inserted, or upserted if a row appeared meanwhile.
const twoStores = Effect.gen(function* () {
  const { url } = yield* TestDatabase
  const build = Effect.map(Layer.build(layerPostgres({ url })), (context) => Context.get(context, RunStore))
  return [yield* build, yield* build] as const
})

layer(TestDatabase.layer, { excludeTestServices: true, timeout: "60 seconds" })(
  "Article hashes on PostgreSQL: ids a lookup did not find",
  (it) => {
    it.effect("are stored when put, alongside ids that had a hash", () =>
      Effect.gen(function* () {
        const [store] = yield* twoStores
        yield* store.putArticleHashes("t", "S001", [{ articleId: "old", hash: "h0" }])
        const found = yield* store.getArticleHashes("t", "S001", ["old", "new1", "new2"])
        assert.deepStrictEqual([...found], [["old", "h0"]])
        yield* store.putArticleHashes("t", "S001", [
          { articleId: "old", hash: "h1" },
          { articleId: "new1", hash: "n1", isNew: true },
          { articleId: "new2", hash: "n2", isNew: true }
        ])
        const stored = yield* store.getArticleHashes("t", "S001", ["old", "new1", "new2"])
        assert.deepStrictEqual(Object.fromEntries(stored), { old: "h1", new1: "n1", new2: "n2" })
      })
    )

    it.effect("still end with the hash put last when another writer stored one meanwhile", () =>
      Effect.gen(function* () {
        const [mine, other] = yield* twoStores
        assert.strictEqual((yield* mine.getArticleHashes("t", "S002", ["a1", "a2"])).size, 0)
        yield* other.putArticleHashes("t", "S002", [{ articleId: "a1", hash: "theirs" }])
        yield* mine.putArticleHashes("t", "S002", [
          { articleId: "a1", hash: "mine", isNew: true },
          { articleId: "a2", hash: "mine", isNew: true }
        ])
        const stored = yield* mine.getArticleHashes("t", "S002", ["a1", "a2"])
        assert.deepStrictEqual(Object.fromEntries(stored), { a1: "mine", a2: "mine" })
      })
    )
  }
)
