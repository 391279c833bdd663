import { randomBytes } from "node:crypto"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { inject } from "vitest"
import { createDatabase, dropDatabase, type PostgresAdminError } from "../../layers/postgres/admin.ts"

/** The server given by the global setup (`test/setup/postgres.ts`). */
export const serverUrl = (): Redacted.Redacted<string> => Redacted.make(inject("databaseUrl"))

/**
 * Creates an empty, uniquely named database on the test server and drops it when the scope closes, so test files
 * running in parallel never see each other's tables or rows.
 */
export const freshDatabase: Effect.Effect<Redacted.Redacted<string>, PostgresAdminError, Scope.Scope> = Effect.gen(
  function* () {
    const server = serverUrl()
    const name = `storeflow_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`
    return yield* Effect.acquireRelease(createDatabase(server, name), () =>
      dropDatabase(server, name).pipe(
        Effect.catch((error) => Effect.logWarning(`could not drop test database ${name}: ${error.message}`))
      )
    )
  }
)

/** A fresh database for one test file (or `layer(...)` block): share it with `layer(TestDatabase.layer)`. */
export class TestDatabase extends Context.Service<TestDatabase, { readonly url: Redacted.Redacted<string> }>()(
  "test/TestDatabase"
) {
  static readonly layer: Layer.Layer<TestDatabase, PostgresAdminError> = Layer.effect(
    TestDatabase,
    Effect.map(freshDatabase, (url) => TestDatabase.of({ url }))
  )
}
