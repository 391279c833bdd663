import { Readable } from "node:stream"
import type { S3Client } from "@aws-sdk/client-s3"
import { Upload } from "@aws-sdk/lib-storage"
import { Cause, Effect, Option, Stream } from "effect"
import type { ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { bodyFailed } from "./keys.ts"

export interface UploadTarget {
  readonly client: S3Client
  readonly bucket: string
  /** The full S3 key, store prefix included. */
  readonly s3Key: string
  /** The key as the caller named it, for errors. */
  readonly key: string
  readonly contentType?: string | undefined
  readonly partSize: number
  readonly queueSize: number
}

/**
 * A Node `Readable` that pulls the next chunk only when the uploader asks for more, so at most about one part is
 * buffered ahead of the parts in flight. Chunks are copied: the producer may reuse its buffer once it hands over the
 * next one, while the uploader still holds the previous one until its part is full.
 */
const readableOf = (iterator: AsyncIterator<Uint8Array>, counted: (bytes: number) => void): Readable => {
  let pulling = false
  return new Readable({
    read() {
      if (pulling) return
      pulling = true
      const pull = (): void => {
        iterator.next().then(
          (result) => {
            if (this.destroyed) return
            if (result.done) {
              pulling = false
              this.push(null)
            } else if (result.value.length === 0) {
              // An empty chunk would not wake a non-object-mode Readable up again.
              pull()
            } else {
              counted(result.value.length)
              pulling = false
              this.push(Buffer.from(result.value))
            }
          },
          (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error)))
        )
      }
      pull()
    },
    destroy(error, callback) {
      // Closes the stream's scope and interrupts a pending pull, so an interrupted put does not wait for the source.
      Promise.resolve(iterator.return?.()).then(
        () => callback(error),
        () => callback(error)
      )
    }
  })
}

const interrupted = new Error("the put was interrupted")

/**
 * Streams a body of unknown length with a multipart `Upload` (a single PutObject when it fits in one part). Memory
 * stays near `(queueSize + 1) * partSize`. On any failure or interruption the multipart upload is aborted before this
 * completes, so no partial object ever becomes visible and no orphaned parts are left. Returns the number of bytes
 * written and the ETag.
 */
export const uploadStream = (
  target: UploadTarget,
  body: Stream.Stream<Uint8Array, unknown>,
  onUploadError: (cause: unknown) => ObjectStoreError
): Effect.Effect<{ readonly size: number; readonly etag: string | undefined }, ObjectStoreError> =>
  Effect.gen(function* () {
    // The async-iterable bridge squashes the stream's failure; the original is kept here for `bodyFailed`.
    let bodyFailure: Cause.Cause<unknown> | undefined
    const source = body.pipe(
      Stream.catchCause((cause) => {
        bodyFailure = cause
        return Stream.fail(new Error("the body stream failed"))
      })
    )
    const iterable = yield* Stream.toAsyncIterableEffect(source)
    let size = 0
    const readable = readableOf(iterable[Symbol.asyncIterator](), (bytes) => {
      size += bytes
    })
    const result = yield* Effect.callback<{ readonly ETag?: string | undefined }, unknown>((resume) => {
      const upload = new Upload({
        client: target.client,
        params: {
          Bucket: target.bucket,
          Key: target.s3Key,
          Body: readable,
          ...(target.contentType === undefined ? {} : { ContentType: target.contentType })
        },
        partSize: target.partSize,
        queueSize: target.queueSize,
        leavePartsOnError: false
      })
      const done = upload.done()
      done.then(
        (output) => resume(Effect.succeed(output)),
        (error: unknown) => resume(Effect.fail(error))
      )
      // Failing the body makes the uploader abort the multipart upload; waiting for `done` waits for that abort.
      return Effect.promise(() => {
        readable.destroy(interrupted)
        return done.then(
          () => undefined,
          () => undefined
        )
      })
    }).pipe(
      Effect.ensuring(Effect.sync(() => readable.destroy())),
      Effect.catch((error) => {
        if (bodyFailure === undefined) return Effect.fail(onUploadError(error))
        const failure = Cause.findErrorOption(bodyFailure)
        return Option.isSome(failure)
          ? Effect.fail(bodyFailed(target.key, failure.value))
          : Effect.die(Cause.squash(bodyFailure))
      })
    )
    return { size, etag: result.ETag }
  })
