import {
  type _Error as DeleteError,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { Clock, Effect, Layer, Redacted, Stream } from "effect"
import {
  isValidKey,
  type ObjectInfo,
  ObjectNotFound,
  ObjectStore,
  ObjectStoreError,
  type PutOptions
} from "../../src/services/ObjectStore.ts"
import { clampRange, compareKeys, validateKey } from "./keys.ts"
import { isInvalidRange, isNotFound, type S3ErrorContext, toStoreError } from "./s3-errors.ts"
import { uploadStream } from "./s3-upload.ts"

type Operation = ObjectStoreError["operation"]

export interface S3Options {
  readonly bucket: string
  /** Folder inside the bucket that holds this store's keys; leading, trailing and doubled `/` are ignored. */
  readonly prefix: string
  readonly region: string
  /** An S3-compatible server (MinIO, …); AWS when absent. */
  readonly endpoint?: string | undefined
  readonly forcePathStyle: boolean
  /** Without both keys, the AWS SDK's default credential chain (env, profile, instance role) is used. */
  readonly accessKeyId?: Redacted.Redacted<string> | undefined
  readonly secretAccessKey?: Redacted.Redacted<string> | undefined
  /** Multipart part size in bytes, at least (and by default) 5 MiB; a streamed put buffers about `queueSize + 1` parts. */
  readonly partSize?: number | undefined
  /** Parts uploaded in parallel by one put (default 4). */
  readonly queueSize?: number | undefined
  /** Keys per ListObjectsV2 page (default and maximum 1000). */
  readonly listPageSize?: number | undefined
  /** Attempts the SDK makes per request on retryable failures before reporting one (its default is 3). */
  readonly maxAttempts?: number | undefined
}

const minPartSize = 5 * 1024 * 1024
// DeleteObjects accepts at most this many keys per request.
const deleteBatch = 1000

const normalizePrefix = (prefix: string): string =>
  prefix
    .split("/")
    .filter((segment) => segment !== "")
    .join("/")

// HEAD answers with an HTTP date (whole seconds) while a listing may carry milliseconds: both are cut to seconds so
// `list` and `head` agree on one object.
const toSeconds = (date: Date | undefined): Date => new Date(Math.floor((date?.getTime() ?? 0) / 1000) * 1000)

/** Refused by the credential provider, so the mistake surfaces as a non-retryable error on the first call. */
const incompleteCredentials = (): Error => {
  const error = new Error("only one of access_key_id and secret_access_key is set")
  error.name = "IncompleteCredentials"
  return error
}

/**
 * Objects in an S3 bucket (or an S3-compatible server) under `prefix`. One `S3Client` per Layer, destroyed when the
 * Layer's scope closes. Streamed puts are multipart uploads that are aborted on failure or interruption, so readers
 * see the old object or the whole new one. Errors say whether a retry can help: network trouble, throttling and 5xx
 * are retryable; a missing bucket, denied access or a wrong region are not, and name what to check. Credentials
 * never appear in an error. A HEAD on a missing bucket cannot be told from a missing key (a 404 without body), so it
 * fails with `ObjectNotFound`.
 */
export const layerS3 = (options: S3Options): Layer.Layer<ObjectStore> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const { bucket, accessKeyId, secretAccessKey } = options
      const prefix = normalizePrefix(options.prefix)
      const partSize = Math.max(minPartSize, options.partSize ?? minPartSize)
      const queueSize = Math.max(1, options.queueSize ?? 4)
      const pageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000))

      const client = yield* Effect.acquireRelease(
        Effect.sync(
          () =>
            new S3Client({
              region: options.region,
              forcePathStyle: options.forcePathStyle,
              ...(options.maxAttempts === undefined ? {} : { maxAttempts: Math.max(1, options.maxAttempts) }),
              ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
              // Without these the SDK needs the length of a streamed body up front, which S3-compatible servers reject.
              requestChecksumCalculation: "WHEN_REQUIRED",
              responseChecksumValidation: "WHEN_REQUIRED",
              ...(accessKeyId === undefined && secretAccessKey === undefined
                ? {}
                : {
                    // A provider rather than values, so the secrets are unwrapped only when a request is signed.
                    credentials: async () => {
                      if (accessKeyId === undefined || secretAccessKey === undefined) throw incompleteCredentials()
                      return {
                        accessKeyId: Redacted.value(accessKeyId),
                        secretAccessKey: Redacted.value(secretAccessKey)
                      }
                    }
                  })
            })
        ),
        (client) => Effect.sync(() => client.destroy())
      )

      const context: S3ErrorContext = {
        bucket,
        prefix,
        region: options.region,
        endpoint: options.endpoint,
        secrets: () =>
          [accessKeyId, secretAccessKey].flatMap((value) => (value === undefined ? [] : [Redacted.value(value)]))
      }
      const s3KeyOf = (key: string) => (prefix === "" ? key : `${prefix}/${key}`)
      const keyOf = (s3Key: string) => (prefix === "" ? s3Key : s3Key.slice(prefix.length + 1))
      const storeError = (operation: Operation, key: string) => (cause: unknown) =>
        toStoreError(context, operation, key, cause)

      const send = <A>(operation: Operation, key: string, run: (signal: AbortSignal) => Promise<A>) =>
        Effect.tryPromise({ try: (signal) => run(signal), catch: storeError(operation, key) })

      // Reads map a missing key to ObjectNotFound; every other failure stays an ObjectStoreError.
      const read = <A>(operation: Operation, key: string, run: (signal: AbortSignal) => Promise<A>) =>
        Effect.tryPromise({
          try: (signal) => run(signal),
          catch: (cause): ObjectNotFound | ObjectStoreError =>
            isNotFound(cause) ? new ObjectNotFound({ key }) : toStoreError(context, operation, key, cause)
        })

      const headObject = (operation: Operation, key: string) =>
        read(operation, key, (abortSignal) =>
          client.send(new HeadObjectCommand({ Bucket: bucket, Key: s3KeyOf(key) }), { abortSignal })
        ).pipe(
          Effect.map(
            (output): ObjectInfo => ({
              key,
              size: output.ContentLength ?? 0,
              lastModified: toSeconds(output.LastModified),
              etag: output.ETag
            })
          )
        )

      const putBytes = (key: string, bytes: Uint8Array, contentType: string | undefined) =>
        send("put", key, (abortSignal) =>
          client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: s3KeyOf(key),
              Body: bytes,
              ContentLength: bytes.length,
              ...(contentType === undefined ? {} : { ContentType: contentType })
            }),
            { abortSignal }
          )
        ).pipe(Effect.map((output) => ({ size: bytes.length, etag: output.ETag })))

      const put = Effect.fn("ObjectStore.put")(function* (
        key: string,
        body: Uint8Array | Stream.Stream<Uint8Array, unknown>,
        putOptions?: PutOptions
      ) {
        yield* validateKey("put", key)
        const contentType = putOptions?.contentType
        const target = { client, bucket, s3Key: s3KeyOf(key), key, contentType, partSize, queueSize }
        const written =
          body instanceof Uint8Array && body.length <= partSize
            ? yield* putBytes(key, body, contentType)
            : yield* uploadStream(
                target,
                // A large byte array goes up in parts too; each part is copied, not the whole array at once.
                body instanceof Uint8Array
                  ? Stream.range(0, Math.ceil(body.length / partSize) - 1).pipe(
                      Stream.map((part) => body.subarray(part * partSize, (part + 1) * partSize))
                    )
                  : body,
                storeError("put", key)
              )
        // The HEAD confirms the object is there and gives the server's modification time, as `list` reports it.
        const stored = yield* headObject("put", key).pipe(
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
        )
        const lastModified = stored?.lastModified ?? toSeconds(new Date(yield* Clock.currentTimeMillis))
        return { key, size: written.size, lastModified, etag: written.etag ?? stored?.etag } satisfies ObjectInfo
      })

      const get = Effect.fn("ObjectStore.get")(function* (key: string) {
        yield* validateKey("get", key)
        return yield* read("get", key, async (abortSignal) => {
          const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: s3KeyOf(key) }), {
            abortSignal
          })
          return output.Body === undefined ? new Uint8Array(0) : await output.Body.transformToByteArray()
        })
      })

      const getRange = Effect.fn("ObjectStore.getRange")(function* (key: string, start: number, end: number) {
        yield* validateKey("get", key)
        yield* clampRange(key, start, end, Number.MAX_SAFE_INTEGER)
        // An HTTP Range cannot ask for zero bytes; the object must still exist.
        if (start === end) return yield* headObject("get", key).pipe(Effect.as(new Uint8Array(0)))
        return yield* read("get", key, async (abortSignal) => {
          const range = `bytes=${start}-${end - 1}`
          const output = await client
            .send(new GetObjectCommand({ Bucket: bucket, Key: s3KeyOf(key), Range: range }), { abortSignal })
            .catch((cause: unknown) => {
              // 416: the range starts at or past the end of an existing object.
              if (isInvalidRange(cause)) return undefined
              throw cause
            })
          if (output === undefined) return new Uint8Array(0)
          const bytes = output.Body === undefined ? new Uint8Array(0) : await output.Body.transformToByteArray()
          // A server that ignores the Range sends the whole object: cut it here.
          return output.ContentRange === undefined ? bytes.slice(start, end) : bytes
        })
      })

      const head = Effect.fn("ObjectStore.head")(function* (key: string) {
        yield* validateKey("head", key)
        return yield* headObject("head", key)
      })

      const list = Effect.fn("ObjectStore.list")(function* (listPrefix: string) {
        const found: Array<ObjectInfo> = []
        let token: string | undefined
        do {
          const continuationToken = token
          const page = yield* send("list", listPrefix, (abortSignal) =>
            client.send(
              new ListObjectsV2Command({
                Bucket: bucket,
                Prefix: s3KeyOf(listPrefix),
                MaxKeys: pageSize,
                ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken })
              }),
              { abortSignal }
            )
          )
          for (const object of page.Contents ?? []) {
            const key = keyOf(object.Key ?? "")
            // Objects written by other tools under names this store cannot address (folder markers such as `x/`,
            // `a//b`) are left out, as every key handed out must work with get and delete.
            if (!isValidKey(key)) continue
            found.push({
              key,
              size: object.Size ?? 0,
              lastModified: toSeconds(object.LastModified),
              etag: object.ETag
            })
          }
          token = page.IsTruncated === true ? page.NextContinuationToken : undefined
        } while (token !== undefined)
        return found.sort((a, b) => compareKeys(a.key, b.key))
      })

      // DeleteObjects answers 200 and lists the keys it could not delete; all of them are reported.
      const deleteFailed = (errors: ReadonlyArray<DeleteError>) => {
        const failures = errors.map((error) =>
          toStoreError(
            context,
            "delete",
            keyOf(error.Key ?? ""),
            Object.assign(new Error(error.Message ?? ""), { name: error.Code ?? "Error" })
          )
        )
        const shown = failures.slice(0, 5).map((failure) => `${failure.key}: ${failure.detail}`)
        const more = failures.length > shown.length ? `; and ${failures.length - shown.length} more` : ""
        return new ObjectStoreError({
          operation: "delete",
          key: failures[0]?.key ?? "",
          retryable: failures.every((failure) => failure.retryable),
          detail: `${failures.length} key(s) could not be deleted: ${shown.join("; ")}${more}`
        })
      }

      const remove = Effect.fn("ObjectStore.delete")(function* (keys: ReadonlyArray<string>) {
        for (const key of keys) yield* validateKey("delete", key)
        for (let offset = 0; offset < keys.length; offset += deleteBatch) {
          const batch = keys.slice(offset, offset + deleteBatch)
          const output = yield* send("delete", batch[0] ?? "", (abortSignal) =>
            client.send(
              new DeleteObjectsCommand({
                Bucket: bucket,
                Delete: { Objects: batch.map((key) => ({ Key: s3KeyOf(key) })), Quiet: true }
              }),
              { abortSignal }
            )
          )
          // Deleting a missing key succeeds on S3; a server that reports it anyway is not failing.
          const errors = (output.Errors ?? []).filter((error) => error.Code !== "NoSuchKey")
          if (errors.length > 0) return yield* deleteFailed(errors)
        }
      })

      return ObjectStore.of({
        put,
        get,
        getRange,
        head,
        list,
        delete: remove,
        uri: (key) => `s3://${bucket}/${s3KeyOf(key)}`
      })
    })
  )
