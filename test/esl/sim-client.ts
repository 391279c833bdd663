import { Effect } from "effect"
import type { Simulator } from "../../src/esl/simulator/index.ts"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  /** The body parsed as JSON; undefined when empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field and assert on them
  readonly body: any
  readonly text: string
}

export interface Send {
  readonly body?: unknown
  readonly token?: string
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
}

/** One raw HTTP call to the simulator with fetch; a destroyed connection fails with fetch's error. */
export const call = (sim: Simulator, method: string, path: string, options: Send = {}): Effect.Effect<Reply, Error> =>
  Effect.tryPromise({
    try: async () => {
      const response = await fetch(`${sim.url}${path}`, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...options.headers
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal })
      })
      const text = await response.text()
      let body: unknown
      try {
        body = text === "" ? undefined : JSON.parse(text)
      } catch {
        body = undefined
      }
      return { status: response.status, headers: response.headers, body, text }
    },
    catch: (error) => error as Error
  })

export const api = "/common/api/v2"

/** Logs in with the simulator's default credentials and answers the token pair. */
export const login = (sim: Simulator, prefix = "") =>
  Effect.map(
    call(sim, "POST", `${prefix}${api}/token`, { body: { username: "demo", password: "demo" } }),
    (reply) =>
      reply.body.responseMessage as {
        access_token: string
        refresh_token: string
        expires_in: number
        token_type: string
      }
  )

/** A store-level article route with its query. */
export const articles = (company: string, store: string, prefix = "") =>
  `${prefix}${api}/common/articles?company=${company}&store=${store}`

export const item = (articleId: string, data: Record<string, string> = {}) => ({
  articleId,
  articleName: `name ${articleId}`,
  data
})
