import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseEnv } from "node:util"

export const projectRoot = resolve(import.meta.dirname, "../..")
export const shippedTenantsDir = join(projectRoot, "tenants")

/** The variables .env.example documents: the shipped tenants must validate with exactly these. */
export const exampleEnv = (): Record<string, string | undefined> =>
  parseEnv(readFileSync(join(projectRoot, ".env.example"), "utf8"))

/**
 * A scratch tenants folder holding copies of the named shipped tenants (plus `default/` and `_template/`), placed
 * inside the project so their transfer.ts imports of ../../src keep resolving.
 */
export const copyTenants = (...ids: ReadonlyArray<string>): string => {
  const dir = mkdtempSync(join(projectRoot, ".tmp-tenants-"))
  for (const id of ["default", "_template", ...ids])
    cpSync(join(shippedTenantsDir, id), join(dir, id), { recursive: true })
  return dir
}

export const scratchDir = (): string => mkdtempSync(join(tmpdir(), "storeflow-"))

/** Rewrites a file with `edit` applied to its text. */
export const editFile = (file: string, edit: (text: string) => string): void =>
  writeFileSync(file, edit(readFileSync(file, "utf8")))
