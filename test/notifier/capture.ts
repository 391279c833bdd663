import { inspect } from "node:util"
import { Cause, Effect, type Exit, Logger, Option, References, Tracer } from "effect"

export interface Captured<A, E> {
  readonly exit: Exit.Exit<A, E>
  /** The typed failure, when the effect failed with one. */
  readonly error: E | undefined
  /** Every log line (all levels), as structured records. */
  readonly logs: ReadonlyArray<ReturnType<typeof Logger.formatStructured.log>>
  readonly spans: ReadonlyArray<Tracer.NativeSpan>
  /** Everything an operator could ever see of the run, as text: the exit (error and cause), log lines and spans. */
  readonly visible: string
}

const deep = (value: unknown) => inspect(value, { depth: 12, breakLength: Number.POSITIVE_INFINITY })

/** Runs `effect` recording every log line at every level and every span, with names, attributes, events and exits. */
export const capture = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Captured<A, E>, never, R> =>
  Effect.gen(function* () {
    const logs: Array<ReturnType<typeof Logger.formatStructured.log>> = []
    const spans: Array<Tracer.NativeSpan> = []
    const logger = Logger.make((options) => void logs.push(Logger.formatStructured.log(options)))
    const tracer = Tracer.make({
      span(options) {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const exit = yield* effect.pipe(
      Effect.exit,
      Effect.provide(Logger.layer([logger])),
      Effect.provideService(References.MinimumLogLevel, "All"),
      Effect.withTracer(tracer)
    )
    const errorText =
      exit._tag === "Failure" ? [Cause.pretty(exit.cause), deep(exit.cause), JSON.stringify(exit.cause)].join("\n") : ""
    const visible = [
      errorText,
      ...logs.map(deep),
      ...spans.map((span) =>
        deep({ name: span.name, attributes: [...span.attributes], events: span.events, status: span.status })
      )
    ].join("\n")
    const error = exit._tag === "Failure" ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
    return { exit, error, logs, spans, visible }
  })
