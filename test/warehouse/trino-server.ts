import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/**
 * A local stand-in for a Trino coordinator speaking the client protocol: `POST /v1/statement` answers QUEUED with a
 * nextUri, each `GET nextUri` moves the query on (RUNNING, then FINISHED or FAILED), `columns` and `data` arrive on
 * the last two pages, and `DELETE nextUri` cancels. It records every statement, request and cancellation.
 */

export interface StatementAnswer {
  readonly columns?: ReadonlyArray<{ readonly name: string; readonly type: string }>
  /** Rows in Trino's JSON encoding; bigints are written as plain JSON numbers, as Trino does. */
  readonly rows?: ReadonlyArray<ReadonlyArray<unknown>>
  /** The query ends FAILED with this error instead of FINISHED. */
  readonly error?: { readonly errorName: string; readonly errorType: string; readonly message: string }
  /** RUNNING pages before the final one (1 by default). */
  readonly running?: number
  /** Stays RUNNING for ever, until cancelled. */
  readonly hang?: boolean
  /** Pages (1-based poll numbers) whose first GET is answered 503; the repeated GET gets the page. */
  readonly unavailablePolls?: ReadonlyArray<number>
  /** The POST is answered with this HTTP status and no query is created. */
  readonly postStatus?: number
  /** Extra headers on the POST's answer (e.g. `X-Trino-Set-Catalog`). */
  readonly postHeaders?: Readonly<Record<string, string>>
  /** Milliseconds before each poll is answered. */
  readonly pollDelay?: number
}

export type Handler = (sql: string) => StatementAnswer

export interface RecordedStatement {
  readonly id: string
  readonly sql: string
  readonly headers: IncomingHttpHeaders
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  /** The query the request belongs to (`POST`s get the id they create). */
  readonly queryId: string | undefined
  /** `performance.now()` when the request arrived, to check the waits between attempts. */
  readonly at: number
}

export interface TrinoServer {
  readonly url: string
  readonly statements: Array<RecordedStatement>
  readonly requests: Array<RecordedRequest>
  /** Query ids whose nextUri was DELETEd. */
  readonly cancellations: Array<string>
  /** Answers statements matching `pattern` (a RegExp, or a prefix of the SQL); the latest registration wins. */
  readonly on: (pattern: RegExp | string, answer: StatementAnswer | Handler) => void
  /** The SQL texts received so far, in order. */
  readonly sql: () => ReadonlyArray<string>
}

interface Query {
  readonly id: string
  readonly answer: StatementAnswer
  readonly failedPolls: Set<number>
}

/** JSON with bigints written as numbers, the way Trino writes bigint columns. */
const trinoJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `\u0000big:${v}` : v)).replace(
    /"\\u0000big:(-?\d+)"/g,
    "$1"
  )

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(typeof body === "string" ? body : trinoJson(body))
}

export const trinoServer: Effect.Effect<TrinoServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    const statements: Array<RecordedStatement> = []
    const requests: Array<RecordedRequest> = []
    const cancellations: Array<string> = []
    const handlers: Array<{ readonly pattern: RegExp | string; readonly answer: StatementAnswer | Handler }> = []
    const queries = new Map<string, Query>()
    let sequence = 0
    let base = ""

    const answerFor = (sql: string): StatementAnswer => {
      for (let i = handlers.length - 1; i >= 0; i--) {
        const handler = handlers[i]
        if (handler === undefined) continue
        const matches =
          typeof handler.pattern === "string" ? sql.startsWith(handler.pattern) : handler.pattern.test(sql)
        if (matches) return typeof handler.answer === "function" ? handler.answer(sql) : handler.answer
      }
      return {}
    }

    const page = (query: Query, poll: number) => {
      const { answer, id } = query
      const uri = `${base}/v1/statement/executing/${id}/${poll + 1}`
      const running = answer.running ?? 1
      if (answer.hang === true || poll < running) {
        const last = answer.hang !== true && poll === running - 1 && answer.error === undefined
        const half = Math.ceil((answer.rows?.length ?? 0) / 2)
        return {
          id,
          nextUri: uri,
          stats: { state: "RUNNING" },
          ...(last && answer.columns !== undefined ? { columns: answer.columns } : {}),
          ...(last && answer.rows !== undefined && half > 0 ? { data: answer.rows.slice(0, half) } : {})
        }
      }
      if (answer.error !== undefined) {
        return { id, stats: { state: "FAILED" }, error: { ...answer.error, errorCode: 1, failureInfo: {} } }
      }
      const rest = answer.rows?.slice(Math.ceil(answer.rows.length / 2)) ?? []
      return {
        id,
        stats: { state: "FINISHED" },
        ...(answer.columns === undefined ? {} : { columns: answer.columns }),
        ...(rest.length > 0 ? { data: rest } : {})
      }
    }

    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", async () => {
        const at = performance.now()
        const method = req.method ?? ""
        const path = req.url ?? ""
        if (method === "POST" && path === "/v1/statement") {
          const sql = Buffer.concat(chunks).toString("utf8")
          const id = `q${String(++sequence).padStart(4, "0")}`
          const answer = answerFor(sql)
          statements.push({ id, sql, headers: req.headers })
          requests.push({ method, path, headers: req.headers, queryId: id, at })
          if (answer.postStatus !== undefined) return send(res, answer.postStatus, "gateway says no")
          queries.set(id, { id, answer, failedPolls: new Set() })
          return send(
            res,
            200,
            {
              id,
              infoUri: `${base}/ui/query.html?${id}`,
              nextUri: `${base}/v1/statement/executing/${id}/0`,
              stats: { state: "QUEUED" }
            },
            { ...answer.postHeaders }
          )
        }
        const match = /^\/v1\/statement\/executing\/(q\d+)\/(\d+)$/.exec(path)
        const query = match?.[1] === undefined ? undefined : queries.get(match[1])
        requests.push({ method, path, headers: req.headers, queryId: query?.id, at })
        if (query === undefined) return send(res, 404, { message: "no such query" })
        if (method === "DELETE") {
          cancellations.push(query.id)
          res.writeHead(204)
          return res.end()
        }
        const poll = Number(match?.[2])
        if ((query.answer.unavailablePolls ?? []).includes(poll + 1) && !query.failedPolls.has(poll)) {
          query.failedPolls.add(poll)
          return send(res, 503, "<html>503 Service Temporarily Unavailable</html>", { "content-type": "text/html" })
        }
        const delay = query.answer.pollDelay ?? (query.answer.hang === true ? 20 : 0)
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
        if (res.destroyed) return
        send(res, 200, page(query, poll))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const api: TrinoServer = {
      url: base,
      statements,
      requests,
      cancellations,
      on: (pattern, answer) => void handlers.push({ pattern, answer }),
      sql: () => statements.map((statement) => statement.sql)
    }
    return { server, api }
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
