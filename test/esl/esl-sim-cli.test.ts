import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Console, Effect, Exit, Fiber } from "effect"
import { Command } from "effect/cli"
import { eslSimCommand } from "../../src/cli/esl-sim.ts"

const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")

/** Runs `esl-sim` in-process, collecting what it prints. */
const run = (args: ReadonlyArray<string>) => {
  const out: Array<string> = []
  const console: Console.Console = Object.assign(Object.create(globalThis.console), {
    log: (...a: ReadonlyArray<unknown>) => out.push(text(a)),
    error: (...a: ReadonlyArray<unknown>) => out.push(text(a))
  })
  const effect = Command.runWith(eslSimCommand, { version: "test" })(args).pipe(
    Effect.provideService(Console.Console, console),
    Effect.provide(NodeServices.layer)
  )
  return { out, effect }
}

const json = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init.headers } })
    return { status: response.status, body: await response.json() }
  })

describe("esl-sim command", () => {
  it.live("prints the port it got, serves the configured companies and account, and stops when interrupted", () =>
    Effect.gen(function* () {
      const { out, effect } = run([
        "--port",
        "0",
        "--companies",
        "ACME:S001,S002;OTHER:X1",
        "--token-ttl",
        "90",
        "--username",
        "operator",
        "--password",
        "hunter22"
      ])
      const fiber = yield* Effect.forkChild(effect)
      for (let i = 0; i < 300 && out.length === 0; i++) yield* Effect.sleep("10 millis")
      const match = /^ESL simulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(out[0] ?? "")
      assert.isNotNull(match, out.join("\n"))
      const url = match?.[1] ?? ""
      assert.notStrictEqual(Number(match?.[2]), 0)
      assert.notInclude(out.join("\n"), "hunter22")
      const base = `${url}/c1/common/api/v2`
      const login = yield* json(`${base}/token`, {
        method: "POST",
        body: JSON.stringify({ username: "operator", password: "hunter22" })
      })
      const token = (login.body as { responseMessage: { expires_in: number; access_token: string } }).responseMessage
      assert.strictEqual(token.expires_in, 90)
      const authorization = `Bearer ${token.access_token}`
      const put = (company: string, store: string) =>
        json(`${base}/common/articles?company=${company}&store=${store}`, {
          method: "PUT",
          headers: { authorization },
          body: JSON.stringify([{ articleId: "a", articleName: "A", data: {} }])
        })
      assert.strictEqual((yield* put("OTHER", "X1")).status, 200)
      assert.strictEqual((yield* put("ACME", "S002")).status, 200)
      assert.strictEqual((yield* put("ACME", "X1")).status, 405)
      assert.strictEqual((yield* put("DEMO", "S001")).status, 403)
      yield* Fiber.interrupt(fiber)
      const closed = yield* Effect.promise(() =>
        fetch(`${url}/__sim/stats`).then(
          () => "open",
          () => "closed"
        )
      )
      assert.strictEqual(closed, "closed")
    })
  )

  it.live("--host 0.0.0.0 listens on every interface (as in a container)", () =>
    Effect.gen(function* () {
      const { out, effect } = run(["--host", "0.0.0.0", "--port", "0"])
      const fiber = yield* Effect.forkChild(effect)
      for (let i = 0; i < 300 && out.length === 0; i++) yield* Effect.sleep("10 millis")
      const url = /listening on (http:\/\/\S+)$/.exec(out[0] ?? "")?.[1] ?? ""
      const stats = yield* Effect.promise(() => fetch(`${url}/__sim/stats`).then((r) => r.status))
      assert.strictEqual(stats, 200)
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("refuses a malformed --companies and a non-positive --token-ttl", () =>
    Effect.gen(function* () {
      for (const [args, expected] of [
        [["--companies", "ACME"], `"ACME" is not COMPANY:STORE[,STORE…]`],
        [["--companies", "ACME:"], `"ACME:" is not COMPANY:STORE[,STORE…]`],
        [["--companies", " ; "], "no company given"],
        [["--token-ttl", "0"], "--token-ttl must be positive, got 0"]
      ] as const) {
        const { out, effect } = run(["--port", "0", ...args])
        const exit = yield* Effect.exit(effect)
        const printed = out.join("\n")
        assert.isTrue(Exit.isFailure(exit))
        assert.include(printed, expected)
        assert.notMatch(printed, /listening on/)
      }
    })
  )
})
