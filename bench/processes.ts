import { type ChildProcess, fork, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, type Scope } from "effect"

export const projectRoot = resolve(import.meta.dirname, "..")

/** Extra flags for the measured child processes, e.g. `BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=prof"`. */
const childFlags = (): Array<string> => (process.env.BENCH_NODE_OPTIONS ?? "").split(/\s+/).filter((f) => f !== "")

const tail = (chunks: Array<string>, text: string, keep = 40) => {
  chunks.push(...text.split("\n").filter((line) => line.trim() !== ""))
  if (chunks.length > keep) chunks.splice(0, chunks.length - keep)
}

/** Ends a child we started, by its pid: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export const stop = (child: ChildProcess, graceMs = 5_000): Promise<void> =>
  new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done()
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL")
    }, graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      done()
    })
    process.kill(child.pid, "SIGTERM")
  })

/** CPU time (user + system) a process has used so far, from Linux `/proc`, in milliseconds; NaN elsewhere. */
export const processCpuMs = (pid: number | undefined): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

export interface RunningSimulator {
  readonly url: string
  /** CPU time the simulator process has used so far (Linux `/proc`), in milliseconds; NaN elsewhere. */
  readonly cpuMs: () => number
  /** The simulator's counters, read over its `/__sim/stats` route. */
  readonly stats: () => Promise<{ readonly articleWrites: number; readonly routes: Record<string, { calls: number }> }>
}

/**
 * The shipped simulator (bench/simulator.ts: what `storeflow esl-sim` starts) in a process of its own, as a vendor API
 * would be: its CPU and memory are not the measured process's. Default credentials (demo/demo); stopped with the scope.
 */
export const simulatorProcess = (companies: string): Effect.Effect<RunningSimulator, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ readonly child: ChildProcess; readonly url: string }, Error>((resume) => {
      const child = spawn(process.execPath, [join(projectRoot, "bench/simulator.ts"), companies], {
        cwd: projectRoot,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const output: Array<string> = []
      let found = false
      const onData = (data: Buffer) => {
        const text = data.toString()
        tail(output, text)
        const match = /listening on (http:\/\/\S+)/.exec(text)
        if (match?.[1] !== undefined && !found) {
          found = true
          resume(Effect.succeed({ child, url: match[1] }))
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", (data: Buffer) => tail(output, data.toString()))
      child.once("exit", (code) => {
        if (!found) resume(Effect.fail(new Error(`the simulator exited (${code}):\n${output.join("\n")}`)))
      })
      return Effect.promise(() => stop(child))
    }),
    ({ child }) => Effect.promise(() => stop(child))
  ).pipe(
    Effect.map(({ child, url }) => ({
      url,
      cpuMs: () => processCpuMs(child.pid),
      stats: async () => {
        const response = await fetch(`${url}/__sim/stats`)
        return (await response.json()) as Awaited<ReturnType<RunningSimulator["stats"]>>
      }
    }))
  )

/**
 * Runs `bench/<script>` in a fresh Node process started with `flags` (then `BENCH_NODE_OPTIONS`), hands it `job` over
 * IPC and answers what it sends back. The child is the measured process: its peak RSS is its own, not the bench's or
 * the simulator's.
 */
export const runWorker = <A>(
  script: string,
  job: unknown,
  flags: ReadonlyArray<string> = []
): Effect.Effect<A, Error> =>
  Effect.callback<A, Error>((resume) => {
    const output: Array<string> = []
    const child = fork(join(projectRoot, "bench", script), [], {
      cwd: projectRoot,
      execArgv: [...flags, ...childFlags()],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json"
    })
    child.stdout?.on("data", (data: Buffer) => tail(output, data.toString()))
    child.stderr?.on("data", (data: Buffer) => tail(output, data.toString()))
    let answer: { readonly ok: true; readonly result: A } | { readonly ok: false; readonly error: string } | undefined
    child.on("message", (message) => {
      answer = message as typeof answer
    })
    child.once("exit", (code) => {
      if (answer?.ok === true) resume(Effect.succeed(answer.result))
      else {
        const why = answer?.ok === false ? answer.error : `exited with code ${code}`
        resume(Effect.fail(new Error(`bench worker ${script}: ${why}\n${output.join("\n")}`)))
      }
    })
    child.send(job as object)
    return Effect.promise(() => stop(child))
  })
