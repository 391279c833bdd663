import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/** How the fake Slack answers one request. `hang` never answers; `before` runs first (e.g. to wait for an event). */
export interface Answer {
  readonly status?: number
  readonly body?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly hang?: boolean
  readonly before?: () => Promise<void>
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** Milliseconds since the server started, to check the waits between attempts. */
  readonly at: number
}

export interface WebhookServer {
  /** `http://127.0.0.1:<port>` followed by `path`. */
  readonly url: (path: string) => string
  /** A port that was just free: nothing listens on it, so connecting is refused. */
  readonly closedPort: number
  readonly requests: Array<RecordedRequest>
  /** Answers for the next requests, in order; once used up, every request gets `200 ok` like Slack's. */
  readonly answer: (...answers: ReadonlyArray<Answer>) => void
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })

/** A local stand-in for Slack's incoming webhook endpoint, recording every request. Closed with the scope. */
export const webhookServer: Effect.Effect<WebhookServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    const started = Date.now()
    const requests: Array<RecordedRequest> = []
    const queue: Array<Answer> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", async () => {
        requests.push({
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now() - started
        })
        const answer = queue.shift() ?? {}
        await answer.before?.()
        if (answer.hang === true) return
        res.writeHead(answer.status ?? 200, { "content-type": "text/plain", ...answer.headers })
        res.end(answer.body ?? "ok")
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    const closedPort = await freePort()
    return {
      server,
      api: {
        url: (path: string) => `http://127.0.0.1:${port}${path}`,
        closedPort,
        requests,
        answer: (...answers: ReadonlyArray<Answer>) => void queue.push(...answers)
      } satisfies WebhookServer
    }
  }),
  ({ server }) =>
    Effect.promise(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
    )
).pipe(Effect.map(({ api }) => api))
