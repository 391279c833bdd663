import { Config, Context, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import type { Env } from "../config/load.ts"

/** Ends the CLI with an exit code once the command has printed what it had to say. */
export class ExitCode extends Schema.TaggedError<ExitCode>()("ExitCode", {
  code: Schema.Int
}) {}

export const tenantsDirFlag = Flag.Directory("tenants-dir").pipe(
  Flag.withDescription("Folder holding one sub-folder per tenant (env STOREFLOW_TENANTS_DIR)"),
  Flag.withFallbackConfig(Config.String("STOREFLOW_TENANTS_DIR")),
  Flag.withDefault("./tenants")
)

export const jsonFlag = Flag.Boolean("json").pipe(
  Flag.withDescription("Print one JSON document instead of text"),
  Flag.withDefault(false)
)

/** The root command; subcommands read the global `--tenants-dir` by yielding it. */
export const root = Command.make("storeflow").pipe(
  Command.withSharedFlags({ tenantsDir: tenantsDirFlag }),
  Command.withDescription(
    "Multi-tenant ESL sync and lakehouse ETL: changed product/price rows → ESL labels; tables → Parquet → warehouse"
  )
)

/** The process environment the CLI resolves `${VAR}` from: `.env` values, overridden by real variables. */
export class CliEnv extends Context.Service<CliEnv, { readonly vars: Env }>()("storeflow/CliEnv") {}
