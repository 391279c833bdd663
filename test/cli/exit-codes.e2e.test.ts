import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { copyTenants, editFile, exampleEnv, projectRoot } from "../support/tenants.ts"

/** The real entry point in a process of its own: what a shell script or a CI job sees. */
const storeflow = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  spawnSync(process.execPath, [join(projectRoot, "src", "main.ts"), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000
  })

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("process exit codes", () => {
  it("0 when every tenant is valid, 1 with the problems when one is not", () => {
    const dir = copyTenants("demo", "project_01")
    dirs.push(dir)
    assert.strictEqual(storeflow(["--tenants-dir", dir, "tenants", "validate"], exampleEnv()).status, 0)
    editFile(join(dir, "demo", "tenant.yaml"), (text) => text.replace("every: 30s", "every: often"))
    const broken = storeflow(["--tenants-dir", dir, "tenants", "validate"], exampleEnv())
    assert.strictEqual(broken.status, 1, broken.stdout + broken.stderr)
    assert.include(broken.stdout, '"often" is not a duration')
  })

  it("2 for a config error (an unknown tenant), 1 for an unknown flag", () => {
    const unknown = storeflow(["esl", "sync", "--tenant", "nope"])
    assert.strictEqual(unknown.status, 2, unknown.stderr)
    assert.include(unknown.stderr, 'no tenant "nope"')
    assert.strictEqual(storeflow(["tenants", "list", "--no-such-flag"]).status, 1)
  })

  it("keeps the compiled modules for the next command (in the temporary folder), and runs without that cache", () => {
    const temp = mkdtempSync(join(tmpdir(), "storeflow-tmp-"))
    dirs.push(temp)
    // As a user runs it: a coverage run of the tests turns the cache off for the processes it starts.
    const first = storeflow(["--version"], {
      TMPDIR: temp,
      NODE_COMPILE_CACHE: undefined,
      NODE_DISABLE_COMPILE_CACHE: undefined
    })
    assert.strictEqual(first.status, 0, first.stderr)
    assert.include(first.stdout, "storeflow v")
    const cached = readdirSync(join(temp, "node-compile-cache"), { recursive: true })
    assert.isAbove(cached.length, 0, "nothing was cached")
    const uncached = storeflow(["--version"], { NODE_DISABLE_COMPILE_CACHE: "1" })
    assert.strictEqual(uncached.status, 0, uncached.stderr)
    assert.strictEqual(uncached.stdout, first.stdout)
  })
})
