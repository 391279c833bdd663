import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import { Cause, Effect, Exit, Fiber, Option, Stream } from "effect"
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

interface CompletedPart {
  readonly PartNumber: number
  readonly ETag: string | undefined
}

/** Marks the body's own failure in the error channel, apart from the store's. */
class BodyFailure {
  readonly cause: Cause.Cause<unknown>
  constructor(cause: Cause.Cause<unknown>) {
    this.cause = cause
  }
}

/**
 * Streams a body of unknown length as a multipart upload (a single PutObject when it fits in one part). Chunks are
 * copied into part buffers that are reused once their part is uploaded: at most `queueSize + 1` buffers of `partSize`
 * bytes per put, and the caller's chunks can die as soon as they are copied. (The SDK's `Upload` makes fresh buffers
 * for every part, which outlive V8's young generation while a part fills and wait for a full collection: 20–30 MB
 * more peak RSS in the ETL extract benchmark, BENCHMARKS.md.) On any failure or interruption the multipart upload is
 * aborted before this completes, so no partial object ever becomes visible and no orphaned parts are left. Returns the
 * number of bytes written and the ETag.
 */
export const uploadStream = (
  target: UploadTarget,
  body: Stream.Stream<Uint8Array, unknown>,
  onUploadError: (cause: unknown) => ObjectStoreError
): Effect.Effect<{ readonly size: number; readonly etag: string | undefined }, ObjectStoreError> => {
  const { client, bucket, s3Key, partSize, queueSize, contentType } = target
  const send = <A>(run: (signal: AbortSignal) => Promise<A>) => Effect.tryPromise({ try: run, catch: onUploadError })

  let uploadId: string | undefined
  let size = 0
  let partNumber = 0
  const parts: Array<CompletedPart> = []
  const inFlight: Array<Fiber.Fiber<void, ObjectStoreError>> = []
  const free: Array<Buffer> = []
  let current: Buffer | undefined
  let filled = 0

  // Uninterruptible, so that an upload that was created is always known, and aborted.
  const createUpload = Effect.uninterruptible(
    send((abortSignal) =>
      client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: s3Key,
          ...(contentType === undefined ? {} : { ContentType: contentType })
        }),
        { abortSignal }
      )
    ).pipe(
      Effect.flatMap((output) =>
        output.UploadId === undefined
          ? Effect.fail(onUploadError(new Error("the server answered CreateMultipartUpload without an UploadId")))
          : Effect.sync(() => {
              uploadId = output.UploadId
              return output.UploadId as string
            })
      )
    )
  )

  /** Uploads a full buffer as the next part, once fewer than `queueSize` parts are in flight. */
  const uploadPart = (buffer: Buffer, length: number) =>
    Effect.gen(function* () {
      const id = uploadId ?? (yield* createUpload)
      while (inFlight.length >= queueSize) yield* Fiber.join(inFlight.shift() as Fiber.Fiber<void, ObjectStoreError>)
      partNumber += 1
      const number = partNumber
      const fiber = yield* Effect.forkChild(
        send((abortSignal) =>
          client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: s3Key,
              UploadId: id,
              PartNumber: number,
              Body: buffer.subarray(0, length),
              ContentLength: length
            }),
            { abortSignal }
          )
        ).pipe(
          Effect.tap((output) =>
            Effect.sync(() => {
              parts.push({ PartNumber: number, ETag: output.ETag })
              free.push(buffer)
            })
          ),
          Effect.asVoid
        )
      )
      inFlight.push(fiber)
    })

  /** Copies `chunk` from `offset` on into part buffers; a full buffer is uploaded only once more bytes follow it. */
  const copy = (chunk: Uint8Array, offset: number): Effect.Effect<void, ObjectStoreError> => {
    while (offset < chunk.length) {
      if (current !== undefined && filled === partSize) {
        const full = current
        current = undefined
        return Effect.andThen(
          uploadPart(full, partSize),
          Effect.suspend(() => copy(chunk, offset))
        )
      }
      if (current === undefined) {
        current = free.pop() ?? Buffer.allocUnsafe(partSize)
        filled = 0
      }
      const take = Math.min(chunk.length - offset, partSize - filled)
      current.set(offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take), filled)
      filled += take
      offset += take
      size += take
    }
    return Effect.void
  }

  const finish = Effect.gen(function* () {
    const last = current?.subarray(0, filled) ?? Buffer.alloc(0)
    if (uploadId === undefined && partNumber === 0) {
      const output = yield* send((abortSignal) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: s3Key,
            Body: last,
            ContentLength: last.length,
            ...(contentType === undefined ? {} : { ContentType: contentType })
          }),
          { abortSignal }
        )
      )
      return output.ETag
    }
    if (current !== undefined) yield* uploadPart(current, filled)
    current = undefined
    while (inFlight.length > 0) yield* Fiber.join(inFlight.shift() as Fiber.Fiber<void, ObjectStoreError>)
    const id = uploadId as string
    const output = yield* send((abortSignal) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: s3Key,
          UploadId: id,
          MultipartUpload: { Parts: parts.toSorted((a, b) => a.PartNumber - b.PartNumber) }
        }),
        { abortSignal }
      )
    )
    return output.ETag
  })

  // A failed body lets the parts in flight settle; an interruption cuts them off. Either way the upload is aborted.
  const abort = (exit: Exit.Exit<unknown, unknown>) =>
    Effect.gen(function* () {
      const fibers = inFlight.splice(0)
      if (Exit.hasInterrupts(exit)) yield* Fiber.interruptAll(fibers)
      else for (const fiber of fibers) yield* Effect.ignore(Fiber.join(fiber))
      const id = uploadId
      if (id === undefined) return
      yield* Effect.ignore(
        send((abortSignal) =>
          client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: s3Key, UploadId: id }), {
            abortSignal
          })
        )
      )
    })

  return body.pipe(
    Stream.catchCause((cause) => Stream.fail(new BodyFailure(cause))),
    Stream.runForEach((chunk) => copy(chunk, 0)),
    Effect.andThen(finish),
    Effect.onExit((exit) => (Exit.isFailure(exit) ? abort(exit) : Effect.void)),
    Effect.map((etag) => ({ size, etag })),
    Effect.catch((error) => {
      if (!(error instanceof BodyFailure)) return Effect.fail(error)
      const failure = Cause.findErrorOption(error.cause)
      return Option.isSome(failure)
        ? Effect.fail(bodyFailed(target.key, failure.value))
        : Effect.die(Cause.squash(error.cause))
    })
  )
}
