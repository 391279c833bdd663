import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { processCpuMs, projectRoot, stop } from "./processes.ts"

export interface RunningS3 {
  readonly endpoint: string
  /** CPU time the server process has used so far, in milliseconds. */
  readonly cpuMs: () => number
}

/**
 * s3rver (bench/s3-server.ts, with the test suite's DES workaround for Node 24) in a process of its own, storing in
 * a fresh temporary folder, with `bucket` created; stopped (and its folder removed) with the scope.
 */
export const s3Process = (bucket: string): Effect.Effect<RunningS3, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ readonly child: ChildProcess; readonly endpoint: string }, Error>((resume) => {
      const child = spawn(process.execPath, [join(projectRoot, "bench/s3-server.ts"), bucket], {
        cwd: projectRoot,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const output: Array<string> = []
      let found = false
      child.stdout.on("data", (data: Buffer) => {
        const text = data.toString()
        output.push(text)
        const match = /listening on (http:\/\/\S+)/.exec(text)
        if (match?.[1] !== undefined && !found) {
          found = true
          resume(Effect.succeed({ child, endpoint: match[1] }))
        }
      })
      child.stderr.on("data", (data: Buffer) => output.push(data.toString()))
      child.once("exit", (code) => {
        if (!found) resume(Effect.fail(new Error(`the S3 server exited (${code}):\n${output.join("").slice(-2000)}`)))
      })
      return Effect.promise(() => stop(child))
    }),
    ({ child }) => Effect.promise(() => stop(child))
  ).pipe(Effect.map(({ child, endpoint }) => ({ endpoint, cpuMs: () => processCpuMs(child.pid) })))

export interface CopyResult {
  readonly wallMs: number
  /** CPU time of psql itself (reading the COPY stream and writing it out), in milliseconds. */
  readonly psqlCpuMs: number
}

/**
 * `psql -c "COPY (<select>) TO STDOUT"` with its standard output on /dev/null, timed from the spawn to its exit
 * (connection included). psql's CPU is read from `/proc` just before it exits, via a sampler.
 */
export const psqlCopy = (url: string, select: string): Effect.Effect<CopyResult, Error> =>
  Effect.callback<CopyResult, Error>((resume) => {
    const devNull = openSync("/dev/null", "w")
    const errors: Array<string> = []
    const start = performance.now()
    const child = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", `COPY (${select}) TO STDOUT`], {
      stdio: ["ignore", devNull, "pipe"]
    })
    let cpuMs = 0
    const sampler = setInterval(() => {
      const now = processCpuMs(child.pid)
      if (Number.isFinite(now)) cpuMs = now
    }, 20)
    child.stderr?.on("data", (data: Buffer) => errors.push(data.toString()))
    child.once("error", (error) => {
      clearInterval(sampler)
      closeSync(devNull)
      resume(Effect.fail(new Error(`psql could not start (is it installed?): ${error.message}`)))
    })
    child.once("exit", (code) => {
      const wallMs = performance.now() - start
      clearInterval(sampler)
      closeSync(devNull)
      if (code === 0) resume(Effect.succeed({ wallMs, psqlCpuMs: cpuMs }))
      else resume(Effect.fail(new Error(`psql exited with ${code}: ${errors.join("").slice(-2000)}`)))
    })
    return Effect.promise(() => stop(child))
  })
