import { Context, type Effect, Schema } from "effect"
import type { Column, Row } from "./SourceDb.ts"

/** A table in the warehouse: `schema.table` (for Trino, inside the tenant's catalog). */
export interface Dataset {
  readonly schema: string
  readonly table: string
}

export interface PartitionRef {
  readonly column: string
  readonly value: string
}

export interface LoadRequest {
  readonly dataset: Dataset
  /** The data columns (the partition column, when there is one, is added by the warehouse). */
  readonly columns: ReadonlyArray<Column>
  /** The partition to replace; absent for non-partitioned data, which replaces the whole table atomically. */
  readonly partition?: PartitionRef | undefined
  /** Object-store keys of the Parquet files that hold exactly the rows of this partition or table. */
  readonly files: ReadonlyArray<string>
  /** Rows the files hold; the load fails when the warehouse sees a different count afterwards. */
  readonly expectedRows: number
}

export interface LoadResult {
  readonly rows: number
}

export class WarehouseError extends Schema.TaggedError<WarehouseError>()("WarehouseError", {
  operation: Schema.String,
  dataset: Schema.String,
  reason: Schema.Literals(["Unavailable", "NotFound", "QueryFailed", "RowCountMismatch"]),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  get retryable(): boolean {
    return this.reason === "Unavailable"
  }
  override get message(): string {
    const hint =
      this.reason === "Unavailable"
        ? "the warehouse is unreachable; it is retried"
        : this.reason === "NotFound"
          ? "load the dataset first or check the schema and table names"
          : this.reason === "RowCountMismatch"
            ? "the loaded data does not match what was extracted; nothing was replaced, re-run the partition"
            : "see the warehouse's message"
    return `warehouse ${this.operation} ${this.dataset}: ${this.detail} (${hint})`
  }
}

export const datasetName = (dataset: Dataset): string => `${dataset.schema}.${dataset.table}`

/** Loads Parquet datasets from the object store into queryable tables. */
export class Warehouse extends Context.Service<
  Warehouse,
  {
    /**
     * Creates the schema and table when missing, then replaces the partition (or the whole table) with the files'
     * rows. Idempotent: loading the same request twice leaves the same table. Verifies the row count after loading.
     */
    readonly load: (request: LoadRequest) => Effect.Effect<LoadResult, WarehouseError>
    /** Rows in the table, or in one partition of it. Fails with `NotFound` when the table does not exist. */
    readonly count: (dataset: Dataset, partition?: PartitionRef) => Effect.Effect<number, WarehouseError>
    /** Reads rows back (for verification and tests), in the canonical value representation of `SourceDb`. */
    readonly rows: (
      dataset: Dataset,
      options?: { readonly partition?: PartitionRef | undefined; readonly limit?: number | undefined }
    ) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
    /** Tables in a schema, sorted by name; empty when the schema does not exist. */
    readonly tables: (schema: string) => Effect.Effect<ReadonlyArray<string>, WarehouseError>
    /**
     * Runs one SQL statement in the warehouse's dialect (SQL transfers, checks) and returns its rows in the canonical
     * value representation. A warehouse that cannot run SQL fails with `QueryFailed`.
     */
    readonly query: (sql: string) => Effect.Effect<ReadonlyArray<Row>, WarehouseError>
  }
>()("storeflow/Warehouse") {}
