import { Context, type Effect, Schema, type Stream } from "effect"

/**
 * Logical column types storeflow understands. Every SourceDb Layer maps its database's types onto these and returns
 * values in the canonical representation below, so stages never see driver quirks (e.g. millisecond `Date`s).
 *
 * | type        | value                                                    |
 * |-------------|----------------------------------------------------------|
 * | int16/int32 | number                                                   |
 * | int64       | bigint                                                   |
 * | float32/64  | number                                                   |
 * | decimal     | string, exact (`"1234.50"`)                              |
 * | string      | string                                                   |
 * | boolean     | boolean                                                  |
 * | date        | string `YYYY-MM-DD`                                      |
 * | timestamp   | string `YYYY-MM-DDTHH:MM:SS.ffffff` (no zone: wall time) |
 * | timestamptz | string `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC)               |
 * | json        | string (the JSON text)                                   |
 * | uuid        | string                                                   |
 * | bytes       | Uint8Array                                               |
 */
export const ColumnType = Schema.Literals([
  "int16",
  "int32",
  "int64",
  "float32",
  "float64",
  "decimal",
  "string",
  "boolean",
  "date",
  "timestamp",
  "timestamptz",
  "json",
  "uuid",
  "bytes"
])
export type ColumnType = typeof ColumnType.Type

export const Column = Schema.Struct({
  name: Schema.String,
  type: ColumnType,
  nullable: Schema.Boolean,
  /** For `decimal`: total digits and digits after the point, when the source declares them. */
  precision: Schema.optionalKey(Schema.Int),
  scale: Schema.optionalKey(Schema.Int)
})
export type Column = typeof Column.Type

export type Value = string | number | bigint | boolean | Uint8Array | null
export type Row = Readonly<Record<string, Value>>

/** Where rows come from: a table (schema-qualified or not) or a SQL query used as a sub-select. */
export type Source =
  | { readonly _tag: "Table"; readonly schema?: string | undefined; readonly table: string }
  | { readonly _tag: "Query"; readonly sql: string }

/** A filter on one column; values are always bound as parameters, never spliced into SQL. */
export type Condition =
  | {
      readonly _tag: "Compare"
      readonly column: string
      readonly op: "=" | "<" | "<=" | ">" | ">="
      readonly value: Value
    }
  | { readonly _tag: "IsNull"; readonly column: string }
  | { readonly _tag: "IsNotNull"; readonly column: string }
  /** Row-value comparison `(c1, c2) > (v1, v2)`: keyset pagination after a watermark. */
  | { readonly _tag: "After"; readonly columns: readonly [string, string]; readonly values: readonly [Value, Value] }
  /** The column equals one of the values (`= ANY($1)`); an empty list matches nothing. */
  | { readonly _tag: "In"; readonly column: string; readonly values: ReadonlyArray<Value> }

export interface ReadRequest {
  readonly source: Source
  /** Columns to return; all when omitted. */
  readonly columns?: ReadonlyArray<string> | undefined
  /** All must hold. */
  readonly where?: ReadonlyArray<Condition> | undefined
  /** Ascending order, NULLs last. */
  readonly orderBy?: ReadonlyArray<string> | undefined
  readonly limit?: number | undefined
}

export class SourceDbError extends Schema.TaggedError<SourceDbError>()("SourceDbError", {
  tenant: Schema.String,
  operation: Schema.String,
  reason: Schema.Literals(["Unavailable", "NotFound", "QueryFailed"]),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  get retryable(): boolean {
    return this.reason === "Unavailable"
  }
  override get message(): string {
    const hint =
      this.reason === "Unavailable"
        ? "check that the source database is reachable and the credentials are right"
        : this.reason === "NotFound"
          ? "check the table, column and query names in tenant.yaml"
          : "check the query and the database user's permissions"
    return `source database (tenant ${this.tenant}) ${this.operation}: ${this.detail} (${hint})`
  }
}

/** Reads a tenant's source database. Rows arrive in the canonical representation described on `ColumnType`. */
export class SourceDb extends Context.Service<
  SourceDb,
  {
    /** Columns of a table or query, in their declared order. Fails with `NotFound` when the source does not exist. */
    readonly columns: (source: Source) => Effect.Effect<ReadonlyArray<Column>, SourceDbError>
    /** Streams the matching rows in the requested order; memory does not grow with the number of rows. */
    readonly stream: (request: ReadRequest) => Stream.Stream<Row, SourceDbError>
    /** Whether at least one row matches: one cheap query, used to skip runs with nothing to do. */
    readonly exists: (request: ReadRequest) => Effect.Effect<boolean, SourceDbError>
    /**
     * The database's current time and the start time of its oldest transaction that is still open and has written
     * (both canonical `timestamptz` text, UTC). Rows such a transaction changes may still appear later with change
     * timestamps at or after that start, so change detection must not move past it. PostgreSQL reads
     * `pg_stat_activity` (`backend_xid IS NOT NULL`); without the privilege to see other sessions it reports none.
     */
    readonly horizon: Effect.Effect<
      { readonly now: string; readonly oldestOpenTransaction: string | undefined },
      SourceDbError
    >
  }
>()("storeflow/SourceDb") {}
