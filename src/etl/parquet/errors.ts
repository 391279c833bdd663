import { Schema } from "effect"

/** A value that the column's Parquet type cannot hold exactly (or a NULL in a non-nullable column). */
export class ParquetEncodeError extends Schema.TaggedError<ParquetEncodeError>()("ParquetEncodeError", {
  column: Schema.String,
  /** 0-based index of the row in the file. */
  row: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot write column "${this.column}" of row ${this.row} to Parquet: ${this.detail}`
  }
}

/** The bytes given as a Parquet footer are not one (truncated file, wrong range, not Parquet). */
export class ParquetFooterError extends Schema.TaggedError<ParquetFooterError>()("ParquetFooterError", {
  detail: Schema.String
}) {
  override get message(): string {
    return `not a readable Parquet footer: ${this.detail}`
  }
}
