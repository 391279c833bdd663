import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { SMTPServer } from "smtp-server"

export interface ReceivedMail {
  /** The SMTP envelope, which is who really gets the mail (headers can say anything). */
  readonly mailFrom: string
  readonly rcptTo: ReadonlyArray<string>
  /** The user that logged in with AUTH. */
  readonly user: unknown
  readonly raw: string
}

export interface SmtpServer {
  readonly port: number
  readonly user: string
  readonly password: string
  readonly mails: Array<ReceivedMail>
  /** Open client connections right now (a pooled transport keeps one open between alerts). */
  readonly openConnections: () => number
  /** Connections opened since the server started. */
  readonly connectionsOpened: () => number
  /** Recipients answered with `550 mailbox unavailable`. */
  readonly refuse: Set<string>
  /** Resolves once `count` mails have arrived. */
  readonly waitForMails: (count: number) => Promise<void>
}

/**
 * A local SMTP server requiring AUTH (PLAIN or LOGIN, unless `authOptional`) as `alerts` with `password`, keeping every
 * mail it accepts.
 * No TLS: nodemailer then sends AUTH in the clear, which `allowInsecureAuth` permits on this test server only.
 */
export const smtpServer = (
  options: { readonly password?: string; readonly authOptional?: boolean } = {}
): Effect.Effect<SmtpServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const password = options.password ?? "s3cret-smtp-password"
      const mails: Array<ReceivedMail> = []
      const refuse = new Set<string>()
      const waiters: Array<() => void> = []
      let open = 0
      let opened = 0
      const server = new SMTPServer({
        authMethods: ["PLAIN", "LOGIN"],
        authOptional: options.authOptional ?? false,
        allowInsecureAuth: true,
        disabledCommands: ["STARTTLS"],
        disableReverseLookup: true,
        logger: false,
        onConnect: (_session, callback) => {
          open++
          opened++
          callback()
        },
        onClose: () => {
          open--
        },
        onAuth: (auth, _session, callback) => {
          if (auth.username === "alerts" && auth.password === password) return callback(null, { user: auth.username })
          const error = Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 })
          callback(error)
        },
        onRcptTo: (address, _session, callback) => {
          if (!refuse.has(address.address)) return callback()
          callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }))
        },
        onData: (stream, session, callback) => {
          const chunks: Array<Buffer> = []
          stream.on("data", (chunk: Buffer) => chunks.push(chunk))
          stream.on("end", () => {
            const { envelope } = session
            mails.push({
              mailFrom: envelope.mailFrom === false ? "" : envelope.mailFrom.address,
              rcptTo: envelope.rcptTo.map((r) => r.address),
              user: session.user,
              raw: Buffer.concat(chunks).toString("utf8")
            })
            for (const wake of waiters.splice(0)) wake()
            callback()
          })
        }
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.server.address() as AddressInfo
      const waitForMails = async (count: number): Promise<void> => {
        while (mails.length < count) await new Promise<void>((resolve) => waiters.push(resolve))
      }
      return {
        server,
        api: {
          port,
          user: "alerts",
          password,
          mails,
          openConnections: () => open,
          connectionsOpened: () => opened,
          refuse,
          waitForMails
        }
      }
    }),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  ).pipe(Effect.map(({ api }): SmtpServer => api))
