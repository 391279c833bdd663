import { Duration, Effect, Layer, Predicate, Redacted } from "effect"
import nodemailer from "nodemailer"
import type { EmailTarget } from "../../src/domain/TenantConfig.ts"
import { type Alert, Notifier, NotifierError } from "../../src/services/Notifier.ts"
import { emailMessage } from "./email-message.ts"
import { oneLine, truncate } from "./format.ts"

export interface EmailOptions {
  /** Longest wait for the connection, the greeting, and any silence of the server after it. Default 30 seconds. */
  readonly timeout?: Duration.Input
}

const stringField = (value: unknown, key: string): string | undefined =>
  Predicate.hasProperty(value, key) && Predicate.isString(value[key]) ? value[key] : undefined

/**
 * Removes the password from a text meant for an error, also in the base64 forms AUTH PLAIN and AUTH LOGIN send.
 * nodemailer keeps credentials out of its messages; this is the belt to those braces.
 */
const scrubber = (user: string | undefined, password: string | undefined) => {
  // A very short password would erase ordinary letters from the message; such a password is no secret anyway.
  if (password === undefined || password.length < 4) return (text: string) => text
  const forms = [
    password,
    Buffer.from(password).toString("base64"),
    Buffer.from(`\u0000${user ?? ""}\u0000${password}`).toString("base64")
  ]
  return (text: string) => forms.reduce((out, form) => out.split(form).join("<redacted>"), text)
}

/** nodemailer's errors carry the SMTP command and the server's answer (e.g. `535 5.7.8 authentication failed`). */
const describeSmtpError = (error: unknown, server: string): string => {
  const code = stringField(error, "code")
  const command = stringField(error, "command")
  const message = error instanceof Error ? error.message : String(error)
  const context = [code, command].filter(Predicate.isNotUndefined).join(" ")
  return truncate(oneLine(`${server}${context === "" ? "" : ` (${context})`}: ${message}`), 500)
}

const describeRejected = (rejected: ReadonlyArray<string>, errors: unknown): string => {
  const answers = Array.isArray(errors) ? errors.map((e) => stringField(e, "response")).filter(Predicate.isString) : []
  const answer = answers.length === 0 ? "" : `: ${answers.join("; ")}`
  return truncate(oneLine(`the server refused ${rejected.join(", ")}${answer} (the other recipients got it)`), 500)
}

/**
 * A Notifier sending each alert as an email (plain text and HTML) through one SMTP transport per Layer, closed with
 * the Layer's scope. The transport keeps one pooled connection, so a burst of alerts does not log in once per alert.
 * Errors carry the SMTP command and the server's answer, never the password.
 */
export const layerEmail = (target: typeof EmailTarget.Type, options: EmailOptions = {}): Layer.Layer<Notifier> =>
  Layer.effect(
    Notifier,
    Effect.gen(function* () {
      const timeout = Duration.toMillis(options.timeout ?? "30 seconds")
      const server = `${target.smtp_host}:${target.smtp_port}`
      const password = target.password === undefined ? undefined : Redacted.value(target.password)
      const scrub = scrubber(target.user, password)

      const transport = yield* Effect.acquireRelease(
        Effect.sync(() =>
          nodemailer.createTransport({
            pool: true,
            maxConnections: 1,
            host: target.smtp_host,
            port: target.smtp_port,
            secure: target.secure,
            ...(target.user === undefined ? {} : { auth: { user: target.user, pass: password ?? "" } }),
            connectionTimeout: timeout,
            greetingTimeout: timeout,
            socketTimeout: timeout,
            logger: false
          })
        ),
        (transport) => Effect.sync(() => transport.close())
      )

      const send = Effect.fn("Notifier.send")(function* (alert: Alert) {
        yield* Effect.annotateCurrentSpan({
          "notifier.channel": "email",
          "server.address": target.smtp_host,
          "server.port": target.smtp_port,
          tenant: alert.tenant,
          severity: alert.severity
        })
        const message = emailMessage(alert)
        const info = yield* Effect.tryPromise({
          try: (signal) =>
            transport.sendMail({
              from: target.from,
              to: [...target.to],
              subject: message.subject,
              text: message.text,
              html: message.html,
              signal
            }),
          catch: (error) => new NotifierError({ channel: "email", detail: scrub(describeSmtpError(error, server)) })
        })
        if (info.rejected.length > 0) {
          const detail = scrub(describeRejected(info.rejected, (info as { rejectedErrors?: unknown }).rejectedErrors))
          return yield* new NotifierError({ channel: "email", detail })
        }
      })

      return Notifier.of({ send })
    })
  )
