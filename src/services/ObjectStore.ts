import { Context, type Effect, Schema, type Stream } from "effect"

export interface ObjectInfo {
  /** Key relative to the store's root (bucket + prefix), `/`-separated. */
  readonly key: string
  readonly size: number
  readonly lastModified: Date
  readonly etag?: string | undefined
}

export interface PutOptions {
  readonly contentType?: string | undefined
}

export class ObjectNotFound extends Schema.TaggedError<ObjectNotFound>()("ObjectNotFound", {
  key: Schema.String
}) {
  override get message(): string {
    return `object not found: ${this.key}`
  }
}

export class ObjectStoreError extends Schema.TaggedError<ObjectStoreError>()("ObjectStoreError", {
  operation: Schema.Literals(["put", "get", "head", "list", "delete"]),
  key: Schema.String,
  /** Network trouble, throttling or a 5xx: the same call may succeed later. */
  retryable: Schema.Boolean,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const hint = this.retryable
      ? "the object store is unreachable or busy; it is retried"
      : "check the bucket/path, prefix and credentials in tenant.yaml"
    return `object store ${this.operation} ${this.key}: ${this.detail} (${hint})`
  }
}

export const isValidKey = (key: string): boolean =>
  key.length > 0 &&
  key.length <= 1024 &&
  !key.startsWith("/") &&
  !key.split("/").some((part) => part === "" || part === "." || part === "..")

/**
 * Stores objects under keys, like S3. Writes are atomic: a reader sees the whole new object or the old one, never a
 * partial write. Keys are validated (no empty, `.` or `..` segments; no leading `/`).
 */
export class ObjectStore extends Context.Service<
  ObjectStore,
  {
    /** Writes (or replaces) an object from bytes or a byte stream; returns its info once it is durable. */
    readonly put: (
      key: string,
      body: Uint8Array | Stream.Stream<Uint8Array, unknown>,
      options?: PutOptions
    ) => Effect.Effect<ObjectInfo, ObjectStoreError>
    /** The whole object. */
    readonly get: (key: string) => Effect.Effect<Uint8Array, ObjectNotFound | ObjectStoreError>
    /** Bytes `[start, end)` of the object, e.g. a Parquet footer. */
    readonly getRange: (
      key: string,
      start: number,
      end: number
    ) => Effect.Effect<Uint8Array, ObjectNotFound | ObjectStoreError>
    /** The object's size and modification time. */
    readonly head: (key: string) => Effect.Effect<ObjectInfo, ObjectNotFound | ObjectStoreError>
    /** Every object whose key starts with `prefix`, in ascending key order (as S3 lists them). */
    readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<ObjectInfo>, ObjectStoreError>
    /** Removes objects; deleting a missing key succeeds (S3 semantics). */
    readonly delete: (keys: ReadonlyArray<string>) => Effect.Effect<void, ObjectStoreError>
    /** The location a warehouse reads the key from (`s3://bucket/prefix/key`, an absolute path, `memory://…`). */
    readonly uri: (key: string) => string
  }
>()("storeflow/ObjectStore") {}
