import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Redacted, Schema } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { RunStore } from "../services/RunStore.ts"
import type { Metrics } from "./metrics.ts"
import type { DaemonState } from "./state.ts"

export class ListenFailed extends Schema.TaggedError<ListenFailed>()("ListenFailed", {
  address: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot listen on ${this.address}: ${this.detail} (pick another --listen address)`
  }
}

export interface Listen {
  readonly host: string
  readonly port: number
}

/** Parses `host:port` (`[::1]:9464` for IPv6); the port may be 0 to pick a free one. */
export const parseListen = (text: string): Listen | undefined => {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match === null || !(port >= 0 && port <= 65535)) return undefined
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port }
}

/**
 * `/healthz` (the process is up), `/readyz` (the state database answers), `/status` (tenants, jobs, next and last
 * runs as JSON) and `/metrics` (Prometheus text). With a token, every route but `/healthz` wants
 * `Authorization: Bearer <token>`.
 */
export const serveStatus = Effect.fn("daemon.http")(function* (
  listen: Listen,
  state: DaemonState,
  metrics: Metrics,
  token: Redacted.Redacted<string> | undefined
) {
  const runStore = yield* RunStore
  const router = yield* HttpRouter.make
  const authorized = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    if (token === undefined) return true
    return request.headers.authorization === `Bearer ${Redacted.value(token)}`
  })
  const guarded = (response: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
    Effect.flatMap(authorized, (ok) =>
      ok ? response : Effect.succeed(HttpServerResponse.jsonUnsafe({ error: "unauthorized" }, { status: 401 }))
    )
  yield* router.add("GET", "/healthz", Effect.succeed(HttpServerResponse.text("ok\n")))
  yield* router.add(
    "GET",
    "/readyz",
    guarded(
      runStore.listRuns({ limit: 1 }).pipe(
        Effect.as(HttpServerResponse.text("ready\n")),
        Effect.catch((error) =>
          Effect.succeed(HttpServerResponse.text(`not ready: ${error.message}\n`, { status: 503 }))
        )
      )
    )
  )
  yield* router.add("GET", "/status", guarded(Effect.sync(() => HttpServerResponse.jsonUnsafe(state.toJSON()))))
  yield* router.add(
    "GET",
    "/metrics",
    guarded(
      Effect.sync(() =>
        HttpServerResponse.text(metrics.render(), { contentType: "text/plain; version=0.0.4; charset=utf-8" })
      )
    )
  )
  const server = createServer()
  const address = `${listen.host}:${listen.port}`
  const http = yield* NodeHttpServer.make(() => server, { port: listen.port, host: listen.host }).pipe(
    Effect.mapError((error) => new ListenFailed({ address, detail: error.message }))
  )
  yield* http.serve(router.asHttpEffect())
  yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
  return "port" in http.address ? http.address.port : listen.port
})
