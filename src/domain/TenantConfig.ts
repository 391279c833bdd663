import { Schema } from "effect"
import {
  Bool,
  CronExpression,
  DurationField,
  defaulted,
  Identifier,
  NonNegativeInt,
  PositiveInt,
  Ratio,
  Secret,
  Slug,
  TimeZone
} from "./fields.ts"

/**
 * The typed form of `tenants/<id>/tenant.yaml`. Keys are snake_case as written in the file, so an error's field path
 * is exactly what the user wrote. Every `${VAR}` is resolved before decoding; secrets decode to `Redacted`.
 */

export const SslMode = Schema.Literals(["disable", "prefer", "require", "verify-ca", "verify-full"])
export type SslMode = typeof SslMode.Type

/** The tenant's source PostgreSQL database: a URL, or its parts. */
export const SourceConfig = Schema.Struct({
  /** `postgres://user:password@host:port/db` (a secret: it carries the password). */
  url: Schema.optionalKey(Secret),
  host: Schema.optionalKey(Schema.String),
  port: defaulted(PositiveInt, 5432),
  database: Schema.optionalKey(Schema.String),
  user: Schema.optionalKey(Schema.String),
  password: Schema.optionalKey(Secret),
  sslmode: defaulted(SslMode, "prefer"),
  /** PEM file of the CA that signed the server's certificate, for `verify-ca` / `verify-full`. */
  ssl_root_cert: Schema.optionalKey(Schema.String),
  /** Default schema for tables named without one. */
  schema: defaulted(Identifier, "public"),
  max_connections: defaulted(PositiveInt, 5)
}).check(
  Schema.makeFilter((s) =>
    s.url !== undefined || (s.host !== undefined && s.database !== undefined)
      ? true
      : "give either url or host and database"
  )
)
export type SourceConfig = typeof SourceConfig.Type

export const S3Store = Schema.Struct({
  type: Schema.Literal("s3"),
  bucket: Schema.String,
  prefix: defaulted(Schema.String, ""),
  region: defaulted(Schema.String, "us-east-1"),
  /** For S3-compatible servers (MinIO, …); AWS when absent. */
  endpoint: Schema.optionalKey(Schema.String),
  force_path_style: defaulted(Bool, false),
  /** When absent, the AWS SDK's default chain is used (env, profile, instance role). */
  access_key_id: Schema.optionalKey(Secret),
  secret_access_key: Schema.optionalKey(Secret)
})

export const FileSystemStore = Schema.Struct({
  type: Schema.Literal("filesystem"),
  /** Root folder; relative paths are resolved against the directory storeflow runs in. */
  path: Schema.String,
  prefix: defaulted(Schema.String, "")
})

export const ObjectStoreConfig = Schema.Union([S3Store, FileSystemStore])
export type ObjectStoreConfig = typeof ObjectStoreConfig.Type

export const TrinoWarehouse = Schema.Struct({
  type: Schema.Literal("trino"),
  url: Schema.String,
  catalog: defaulted(Identifier, "hive"),
  schema: Identifier,
  user: defaulted(Schema.String, "storeflow"),
  password: Schema.optionalKey(Secret),
  /** How loaded data is registered: Hive external tables or Iceberg `add_files`. */
  table_format: defaulted(Schema.Literals(["hive", "iceberg"]), "hive"),
  query_timeout: defaulted(DurationField, "10m")
})

export const DuckDbWarehouse = Schema.Struct({
  type: Schema.Literal("duckdb"),
  /** Database file; relative paths are resolved against the directory storeflow runs in. */
  path: Schema.String,
  schema: defaulted(Identifier, "main")
})

export const NoWarehouse = Schema.Struct({ type: Schema.Literal("none") })

export const WarehouseConfig = Schema.Union([TrinoWarehouse, DuckDbWarehouse, NoWarehouse])
export type WarehouseConfig = typeof WarehouseConfig.Type

/** Where rows come from: `table` (optionally in `schema`) or a read-only `query`. */
export const SourceRefConfig = Schema.Struct({
  table: Schema.optionalKey(Identifier),
  schema: Schema.optionalKey(Identifier),
  query: Schema.optionalKey(Schema.String)
}).check(
  Schema.makeFilter((s) =>
    (s.table === undefined) !== (s.query === undefined) ? true : "give exactly one of table or query"
  )
)
export type SourceRefConfig = typeof SourceRefConfig.Type

export const FieldFormat = Schema.Literals(["text", "integer", "decimal", "price", "date", "datetime", "boolean"])
export type FieldFormat = typeof FieldFormat.Type

/** One article `data` field: the source column and how its value is written. A bare column name means `text`. */
export const FieldMapping = Schema.Union([
  Identifier,
  Schema.Struct({
    column: Identifier,
    format: defaulted(FieldFormat, "text"),
    /** Digits after the point for `decimal` / `price` (prices default to 0: KRW has no minor unit). */
    decimals: Schema.optionalKey(NonNegativeInt.check(Schema.makeFilter((n: number) => n <= 12 || "at most 12"))),
    /** Longer values are quarantined, not truncated. */
    max_length: Schema.optionalKey(PositiveInt),
    required: defaulted(Bool, false)
  })
])
export type FieldMapping = typeof FieldMapping.Type
export type FieldMappingEncoded = typeof FieldMapping.Encoded

export const ArticleMapping = Schema.Struct({
  article_id: Identifier,
  article_name: Identifier,
  nfc_url: Schema.optionalKey(Identifier),
  /** A column holding barcodes, comma-separated. */
  eans: Schema.optionalKey(Identifier),
  data: Schema.Record(Schema.String, FieldMapping)
})

/** A store: its code at the ESL vendor, and which source rows belong to it. */
export const StoreConfig = Schema.Union([
  Schema.String,
  Schema.Struct({
    code: Schema.String,
    name: Schema.optionalKey(Schema.String),
    /** Value of `store_column` for this store's rows, when it differs from the code. */
    store_value: Schema.optionalKey(Schema.String),
    /** Extra equality filters on source columns (ANDed), instead of or besides `store_column`. */
    filter: Schema.optionalKey(Schema.Record(Identifier, Schema.Union([Schema.String, Schema.Number, Bool])))
  })
])
export type StoreConfig = typeof StoreConfig.Type

export const AlertThresholds = Schema.Struct({
  /** Alert when one run has more changed records than this. */
  volume: defaulted(PositiveInt, 1000),
  /** Alert when an API answer takes longer than this. */
  slow_response: defaulted(DurationField, "10s"),
  /** Alert when (rejected + missing) / sent exceeds this share. */
  mismatch_ratio: defaulted(Ratio, 0.1),
  /** While a condition persists, remind at most this often. */
  remind_every: defaulted(DurationField, "1h")
})

export const EslConfig = Schema.Struct({
  enabled: defaulted(Bool, true),
  api: Schema.Struct({
    base_url: Schema.String,
    cluster_prefix: defaulted(Schema.Literals(["", "/c1"]), ""),
    username: Schema.String,
    password: Secret,
    timeout: defaulted(DurationField, "30s")
  }),
  company: Schema.String,
  stores: Schema.Array(StoreConfig).check(Schema.makeFilter((a) => a.length > 0 || "list at least one store")),
  source: Schema.Struct({
    table: Schema.optionalKey(Identifier),
    schema: Schema.optionalKey(Identifier),
    query: Schema.optionalKey(Schema.String),
    change_column: Identifier,
    key_column: Identifier,
    store_column: Schema.optionalKey(Identifier),
    /**
     * Rows newer than now minus this are left for the next pass, for writers whose change timestamps come from a
     * clock behind the database's. Transactions still open are waited for whatever this says.
     */
    safety_lag: defaulted(DurationField, "0s")
  }),
  mapping: ArticleMapping,
  batch_size: defaulted(
    PositiveInt.check(Schema.makeFilter((n: number) => n <= 1000 || "the API takes at most 1000 articles per call")),
    500
  ),
  concurrency: defaulted(PositiveInt, 4),
  store_concurrency: defaulted(PositiveInt, 8),
  /** Transient failures (5xx, timeouts, resets, 429) are retried with capped, jittered exponential backoff. */
  retry: defaulted(
    Schema.Struct({
      base: defaulted(DurationField, "1s"),
      cap: defaulted(DurationField, "10s"),
      attempts: defaulted(PositiveInt, 5)
    }),
    {}
  ),
  schedule: defaulted(
    Schema.Struct({
      every: defaulted(DurationField, "5m"),
      jitter: defaulted(DurationField, "30s")
    }),
    {}
  ),
  alerts: defaulted(AlertThresholds, {})
})
export type EslConfig = typeof EslConfig.Type

export const SlackTarget = Schema.Struct({
  webhook_url: Secret,
  channel: Schema.optionalKey(Schema.String)
})

export const EmailTarget = Schema.Struct({
  smtp_host: Schema.String,
  smtp_port: defaulted(PositiveInt, 587),
  secure: defaulted(Bool, false),
  user: Schema.optionalKey(Schema.String),
  password: Schema.optionalKey(Secret),
  from: Schema.String,
  to: Schema.Array(Schema.String).check(Schema.makeFilter((a) => a.length > 0 || "list at least one recipient"))
})

export const NotificationsConfig = Schema.Struct({
  slack: Schema.optionalKey(SlackTarget),
  email: Schema.optionalKey(EmailTarget)
})

export const PipelineConfig = Schema.Struct({
  name: Slug,
  description: Schema.optionalKey(Schema.String),
  source: SourceRefConfig,
  /** Rows are split into daily partitions by this column (in the tenant's time zone); absent → `latest/`. */
  date_column: Schema.optionalKey(Identifier),
  /** `true`: the tenant's transfer named like the pipeline (or the common default); a name: that function. */
  transfer: defaulted(Schema.Union([Bool, Schema.String]), false),
  load: defaulted(Bool, false),
  /** Warehouse table name; defaults to the pipeline name. */
  table: Schema.optionalKey(Identifier)
})
export type PipelineConfig = typeof PipelineConfig.Type

export const JobSchedule = Schema.Struct({
  cron: CronExpression,
  /** Defaults to the tenant's time zone. */
  timezone: Schema.optionalKey(TimeZone),
  enabled: defaulted(Bool, true),
  /** After downtime: run the latest missed partition, all missed ones, or none. */
  catchup: defaulted(Schema.Literals(["latest", "all", "none"]), "latest")
})
export type JobSchedule = typeof JobSchedule.Type

export const JobsConfig = Schema.Struct({
  daily_etl_job: Schema.optionalKey(JobSchedule),
  master_sync_job: Schema.optionalKey(JobSchedule)
})

export const TenantConfig = Schema.Struct({
  id: Slug,
  name: Schema.String,
  timezone: defaulted(TimeZone, "Asia/Seoul"),
  source: SourceConfig,
  object_store: Schema.optionalKey(ObjectStoreConfig),
  warehouse: defaulted(WarehouseConfig, { type: "none" }),
  esl: Schema.optionalKey(EslConfig),
  notifications: defaulted(NotificationsConfig, {}),
  pipelines: defaulted(Schema.Array(PipelineConfig), []),
  jobs: defaulted(JobsConfig, {})
})
export type TenantConfig = typeof TenantConfig.Type
export type TenantConfigEncoded = typeof TenantConfig.Encoded
