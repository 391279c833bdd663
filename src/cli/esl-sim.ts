import { Console, Effect, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { defaultCredentials, parseCompanies } from "../esl/simulator/options.ts"

const companiesFlag = Flag.String("companies").pipe(
  Flag.withDescription("Companies and their stores: COMPANY:STORE,STORE;COMPANY:STORE"),
  Flag.withDefault("DEMO:S001,S002,S003"),
  Flag.filterMap(
    (text) => {
      const parsed = parseCompanies(text)
      return typeof parsed === "string" ? Option.none() : Option.some(parsed)
    },
    (text) => {
      const parsed = parseCompanies(text)
      return typeof parsed === "string" ? parsed : ""
    }
  )
)

export const eslSimCommand = Command.make(
  "esl-sim",
  {
    // 8090 is where the demo tenant looks for it (tenants/demo/tenant.yaml); 0 picks a free port.
    port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (0 picks a free one)"), Flag.withDefault(8090)),
    host: Flag.String("host").pipe(
      Flag.withDescription("Address to listen on (0.0.0.0 to be reachable from other containers)"),
      Flag.withDefault("127.0.0.1")
    ),
    companies: companiesFlag,
    tokenTtl: Flag.Int("token-ttl").pipe(
      Flag.withDescription("Access-token lifetime in seconds"),
      Flag.withDefault(3600),
      Flag.filterMap(
        (seconds) => (seconds > 0 ? Option.some(seconds) : Option.none()),
        (seconds) => `--token-ttl must be positive, got ${seconds}`
      )
    ),
    username: Flag.String("username").pipe(
      Flag.withDescription("The username POST /token accepts"),
      Flag.withDefault(defaultCredentials.username)
    ),
    password: Flag.Redacted("password").pipe(
      Flag.withDescription("The password POST /token accepts"),
      Flag.withDefault(Redacted.make(defaultCredentials.password))
    )
  },
  ({ port, host, companies, tokenTtl, username, password }) =>
    Effect.gen(function* () {
      // The simulator's server code loads only when it is asked for.
      const { startSimulator } = yield* Effect.promise(() => import("../esl/simulator/server.ts"))
      const sim = yield* startSimulator({
        port,
        host,
        companies,
        tokenTtlSeconds: tokenTtl,
        credentials: { username, password: Redacted.value(password) }
      })
      yield* Console.log(`ESL simulator listening on ${sim.url}`)
      const list = Object.entries(companies).map(([company, stores]) => `${company} (${stores.join(", ")})`)
      yield* Console.log(`  companies: ${list.join("; ")}`)
      yield* Console.log(`  API: ${sim.baseUrl("")} and ${sim.baseUrl("/c1")}; introspection: ${sim.url}/__sim/stats`)
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Runs the ESL vendor API simulator (shared/specs/esl-api.md) from memory until interrupted, for the demo and tests"
  )
)
