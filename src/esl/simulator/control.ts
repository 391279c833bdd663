import { Effect, Schema } from "effect"
import { type HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { ActiveFault } from "./faults.ts"
import { FaultRule } from "./options.ts"
import { envelope } from "./pipeline.ts"
import type { SimArticle, SimStats } from "./state.ts"

/** What the `/__sim` routes act on; the programmatic handle offers the same. */
export interface SimControl {
  readonly articles: (company: string, store: string) => ReadonlyArray<SimArticle>
  readonly stats: () => SimStats
  readonly faults: () => ReadonlyArray<ActiveFault>
  readonly addFaults: (rules: ReadonlyArray<FaultRule>) => ReadonlyArray<number>
  readonly removeFault: (id: number) => boolean
  readonly clearFaults: () => void
  readonly reset: () => void
}

const decodeRules = Schema.decodeUnknownResult(Schema.Union([FaultRule, Schema.Array(FaultRule)]))

const query = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const params = new URL(request.url, "http://simulator").searchParams
  return (name: string) => params.get(name) ?? ""
})

const json = (body: unknown, status = 200) => HttpServerResponse.jsonUnsafe(body, { status })

/** Introspection and steering under `/__sim`, outside the contract's base path. */
export const addControlRoutes = (router: HttpRouter.HttpRouter, control: SimControl) =>
  Effect.all(
    [
      router.add(
        "GET",
        "/__sim/articles",
        Effect.map(query, (param) => {
          const articles = control.articles(param("company"), param("store"))
          return json({ company: param("company"), store: param("store"), total: articles.length, articles })
        })
      ),
      router.add(
        "GET",
        "/__sim/stats",
        Effect.sync(() => json(control.stats()))
      ),
      router.add(
        "POST",
        "/__sim/reset",
        Effect.sync(() => {
          control.reset()
          return json({ reset: true })
        })
      ),
      router.add(
        "GET",
        "/__sim/faults",
        Effect.sync(() => json({ faults: control.faults() }))
      ),
      router.add("POST", "/__sim/faults", (request) =>
        Effect.gen(function* () {
          const body = yield* request.json.pipe(Effect.catch(() => Effect.succeed(undefined)))
          const decoded = decodeRules(body)
          if (decoded._tag === "Failure") return json({ error: decoded.failure.message }, 400)
          const rules = Array.isArray(decoded.success) ? decoded.success : [decoded.success as FaultRule]
          return json({ ids: control.addFaults(rules) })
        })
      ),
      router.add(
        "DELETE",
        "/__sim/faults",
        Effect.sync(() => {
          control.clearFaults()
          return json({ cleared: true })
        })
      ),
      router.add("DELETE", "/__sim/faults/:id", (request) => {
        const id = Number(new URL(request.url, "http://simulator").pathname.split("/").pop())
        return Effect.succeed(
          control.removeFault(id) ? json({ removed: id }) : json({ error: `no fault with id ${id}` }, 404)
        )
      }),
      // Anything else gets an envelope too, so a client pointed at a wrong path sees the documented shape.
      router.add("*", "/*", Effect.succeed(envelope(404, "NOT_FOUND")))
    ],
    { discard: true }
  )
