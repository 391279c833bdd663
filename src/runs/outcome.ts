import { Cause } from "effect"

/** The message of a run's first failure (an error's message), else the first line of the cause. */
export const failureText = (cause: Cause.Cause<unknown>): string => {
  const failure = cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) return failure.error instanceof Error ? failure.error.message : String(failure.error)
  return Cause.pretty(cause).split("\n")[0] ?? "unexpected failure"
}

/** How a run that did not succeed ended: `interrupted` (shutdown, Ctrl-C) or `failed`, with what to record as its error. */
export const unsuccessfulOutcome = (
  cause: Cause.Cause<unknown>
): { readonly status: "interrupted" | "failed"; readonly error: string } =>
  Cause.hasInterruptsOnly(cause)
    ? { status: "interrupted", error: "interrupted before it finished" }
    : { status: "failed", error: failureText(cause) }
