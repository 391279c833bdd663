import { Context, Effect, Layer } from "effect"
import { type Alert, Notifier, NotifierError } from "../../src/services/Notifier.ts"

/** Reads and steers the recording Notifier from tests. */
export class NotifierRecording extends Context.Service<
  NotifierRecording,
  {
    /** Every alert passed to `send`, in order, including those a failing channel refused. */
    readonly sent: Effect.Effect<ReadonlyArray<Alert>>
    /** Forgets the recorded alerts and the failing channels. */
    readonly clear: Effect.Effect<void>
    /** From now on `send` fails naming this channel, as a real Notifier does when one channel refuses. */
    readonly failWith: (channel: string) => Effect.Effect<void>
  }
>()("storeflow/NotifierRecording") {}

/** A Notifier that keeps every alert in memory, plus `NotifierRecording` to read them back. */
export const layerRecording: Layer.Layer<Notifier | NotifierRecording> = Layer.effectContext(
  Effect.sync(() => {
    const sent: Array<Alert> = []
    const failing = new Set<string>()

    const send = Effect.fn("Notifier.send")(function* (alert: Alert) {
      // Recorded even when a channel fails: the other channels of a real Notifier still deliver it.
      sent.push(alert)
      if (failing.size > 0) {
        const channel = [...failing].join(", ")
        return yield* new NotifierError({ channel, detail: "the channel refused the alert (simulated failure)" })
      }
    })

    const recording = NotifierRecording.of({
      sent: Effect.sync(() => [...sent]),
      clear: Effect.sync(() => {
        sent.length = 0
        failing.clear()
      }),
      failWith: (channel) => Effect.sync(() => void failing.add(channel))
    })

    return Context.make(Notifier, Notifier.of({ send })).pipe(Context.add(NotifierRecording, recording))
  })
)
