import { Schema, Stream } from "effect"
import type { Column, Row } from "../services/SourceDb.ts"

export interface TransferContext {
  readonly tenant: string
  readonly pipeline: string
  /** `YYYY-MM-DD` for a daily partition, undefined for `latest/`. */
  readonly partition: string | undefined
  readonly timezone: string
}

export class TransferError extends Schema.TaggedError<TransferError>()("TransferError", {
  pipeline: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `transfer of pipeline ${this.pipeline} failed: ${this.detail} (check the tenant's transfer.ts)`
  }
}

const TransferTypeId = Symbol.for("storeflow/Transfer")

/**
 * A transfer (transform) stage: a declared output schema and a Stream transformation of rows. Tenants export theirs
 * from `tenants/<id>/transfer.ts` with `defineTransfer`; the export's name is what `transfer:` in tenant.yaml refers to.
 */
export interface Transfer {
  readonly [TransferTypeId]: typeof TransferTypeId
  /** The output columns, given the input columns. */
  readonly columns: (input: ReadonlyArray<Column>) => ReadonlyArray<Column>
  /** Transforms the rows; must emit rows with exactly the declared output columns. */
  readonly rows: <E, R>(
    rows: Stream.Stream<Row, E, R>,
    context: TransferContext
  ) => Stream.Stream<Row, E | TransferError, R>
}

export const defineTransfer = (transfer: Omit<Transfer, typeof TransferTypeId>): Transfer => ({
  ...transfer,
  [TransferTypeId]: TransferTypeId
})

export const isTransfer = (value: unknown): value is Transfer =>
  typeof value === "object" && value !== null && TransferTypeId in value

const normalizeText = (row: Row): Row => {
  const out: Record<string, Row[string]> = {}
  for (const [key, value] of Object.entries(row)) {
    out[key] = typeof value === "string" ? value.normalize("NFC").trim() : value
  }
  return out
}

/**
 * The common default, used by `transfer: true` when the tenant defines no transfer named like the pipeline: text
 * values are trimmed and NFC-normalized (Korean text from different systems compares equal), the schema is unchanged.
 */
export const defaultTransfer: Transfer = defineTransfer({
  columns: (input) => input,
  rows: (rows) => Stream.map(rows, normalizeText)
})
