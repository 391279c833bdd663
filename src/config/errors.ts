import { Schema } from "effect"

export const ConfigIssue = Schema.Struct({
  /** Dotted field path as written in the file, e.g. `esl.stores[1].code`; empty for the whole file. */
  path: Schema.String,
  /** 1-based line in the file, when known. */
  line: Schema.optional(Schema.Number),
  message: Schema.String
})
export type ConfigIssue = typeof ConfigIssue.Type

/** A tenant's configuration is invalid: every problem found, each with its field path. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  tenant: Schema.String,
  file: Schema.String,
  issues: Schema.Array(ConfigIssue)
}) {
  override get message(): string {
    return [`${this.file}: ${this.issues.length} problem(s)`, ...this.issues.map((i) => `  ${formatIssue(i)}`)].join(
      "\n"
    )
  }
}

export const formatIssue = (issue: ConfigIssue): string => {
  const where = issue.path === "" ? "" : issue.path
  const line = issue.line === undefined ? "" : `line ${issue.line}`
  const location = [where, line].filter((s) => s !== "").join(", ")
  return location === "" ? issue.message : `${location}: ${issue.message}`
}

/** The tenants directory (or a named tenant) does not exist. */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {
  tenant: Schema.String,
  tenantsDir: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  override get message(): string {
    const known = this.available.length === 0 ? "none" : this.available.join(", ")
    return `no tenant "${this.tenant}" in ${this.tenantsDir} (tenants there: ${known}; see storeflow tenants list)`
  }
}

export class TenantsDirNotFound extends Schema.TaggedError<TenantsDirNotFound>()("TenantsDirNotFound", {
  tenantsDir: Schema.String
}) {
  override get message(): string {
    return `tenants directory ${this.tenantsDir} does not exist (pass --tenants-dir or run from the project root)`
  }
}
