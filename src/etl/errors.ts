import { Schema } from "effect"

/** A stage of an ETL pipeline failed for a reason the pipeline itself detected. */
export class EtlError extends Schema.TaggedError<EtlError>()("EtlError", {
  tenant: Schema.String,
  pipeline: Schema.String,
  partition: Schema.String,
  stage: Schema.Literals(["extract", "transfer", "load"]),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `${this.tenant}/${this.stage}/${this.pipeline} [${this.partition}]: ${this.detail}`
  }
}

/** The source's columns changed against the last materialization in a way the loaded data cannot follow. */
export class SchemaChanged extends Schema.TaggedError<SchemaChanged>()("SchemaChanged", {
  tenant: Schema.String,
  pipeline: Schema.String,
  changes: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${this.tenant}/${this.pipeline}: the source schema changed incompatibly: ${this.changes.join("; ")} (nothing was written; adapt the warehouse table or the pipeline, then re-run)`
  }
}
