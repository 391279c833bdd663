import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { projectRoot } from "./support/tenants.ts"

describe("toolchain", () => {
  it("runs on the pinned Node 24 (npm scripts put node_modules/.bin first)", () => {
    assert.match(process.version, /^v24\./)
  })

  it("the README's first commands are the ones CI runs", () => {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8")
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ""
    assert.include(firstBlock, "npm ci && npm start")
    assert.include(firstBlock, "npm ci && npm test")
    const ci = readFileSync(join(projectRoot, ".ci", "run"), "utf8")
    assert.include(ci, "npm ci")
    assert.include(ci, "npm test")
  })
})
