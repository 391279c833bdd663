import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"

/** A scratch tenants folder with one `<id>/tenant.yaml` per entry (id, YAML text); removed with the scope. */
export const scratchTenants = (prefix: string, tenants: ReadonlyArray<readonly [id: string, yaml: string]>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      for (const [id, yaml] of tenants) {
        mkdirSync(join(dir, id))
        writeFileSync(join(dir, id, "tenant.yaml"), yaml)
      }
      return dir
    }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** An effect's result and how long it took, in milliseconds. */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const result = yield* effect
    return { result, ms: performance.now() - start }
  })
