import { inspect } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { objectStoreLayer } from "../../layers/object-store/fromConfig.ts"
import { layerS3, type S3Options } from "../../layers/object-store/s3.ts"
import { ObjectStore, type ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { closedPort, type S3Server, s3rverKey, startS3Server } from "./s3-server.ts"

let server: S3Server
beforeAll(async () => {
  server = await startS3Server("storeflow-errors")
})
afterAll(() => server?.close())

const options = (overrides: Partial<S3Options> = {}): S3Options => ({
  bucket: server.bucket,
  prefix: "errors",
  region: "us-east-1",
  endpoint: server.endpoint,
  forcePathStyle: true,
  accessKeyId: Redacted.make(s3rverKey),
  secretAccessKey: Redacted.make(s3rverKey),
  ...overrides
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Every operation that talks to the server, each expected to fail with an ObjectStoreError. */
const failures = (opts: S3Options) =>
  ObjectStore.use((store) =>
    Effect.forEach(
      [
        store.put("k/a", bytes("x")),
        store.put("k/b", Stream.make(bytes("x"), bytes("y"))),
        store.get("k/a"),
        store.getRange("k/a", 0, 1),
        store.list("k/"),
        store.delete(["k/a"])
      ] as ReadonlyArray<Effect.Effect<unknown, ObjectStoreError>>,
      (attempt) => Effect.flip(attempt)
    )
  ).pipe(Effect.provide(layerS3(opts)))

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`

/** Everything a user or a log could see of an error. */
const renderings = (error: ObjectStoreError): ReadonlyArray<string> => [
  error.message,
  error.detail,
  String(error),
  JSON.stringify(error),
  inspect(error, { depth: 10 }),
  inspect(error.cause, { depth: 10 }),
  JSON.stringify(error.cause)
]

describe("ObjectStore s3 errors (s3rver)", () => {
  it.live("a missing bucket is not retryable and names the bucket to check", () =>
    Effect.gen(function* () {
      const errors = yield* failures(options({ bucket: "no-such-bucket" }))
      assert.deepStrictEqual(
        errors.map((error) => error.operation),
        ["put", "put", "get", "get", "list", "delete"]
      )
      for (const error of errors) {
        assert.strictEqual(error._tag, "ObjectStoreError")
        assert.isFalse(error.retryable, error.detail)
        assert.include(error.detail, 'bucket "no-such-bucket" does not exist')
        assert.include(error.detail, "object_store.bucket")
        assert.include(error.message, "NoSuchBucket")
      }
    })
  )

  it.live("an unreachable endpoint is retryable and names the endpoint", () =>
    Effect.gen(function* () {
      const endpoint = `http://127.0.0.1:${yield* Effect.promise(closedPort)}`
      const errors = yield* failures(options({ endpoint }))
      for (const error of errors) {
        assert.isTrue(error.retryable, error.detail)
        assert.include(error.detail, `cannot reach ${endpoint}`)
        assert.include(error.detail, "ECONNREFUSED")
      }
      const head = yield* Effect.flip(
        ObjectStore.use((store) => store.head("k/a")).pipe(Effect.provide(layerS3(options({ endpoint }))))
      )
      assert.strictEqual(head._tag, "ObjectStoreError")
    })
  )

  it.live("refused credentials are not retryable, and no error shows the access key id or the secret", () => {
    const accessKeyId = "AKIALEAKCHECK0000001"
    const secret = "wJalrXUtnFEMI-never-shown-secret"
    return Effect.gen(function* () {
      const refused = yield* failures(
        options({ accessKeyId: Redacted.make(accessKeyId), secretAccessKey: Redacted.make(secret) })
      )
      for (const error of refused) {
        assert.isFalse(error.retryable, error.detail)
        assert.include(error.detail, "InvalidAccessKeyId")
        assert.include(error.detail, "check object_store.access_key_id and secret_access_key")
      }
      const unreachable = yield* failures(
        options({
          endpoint: `http://127.0.0.1:${yield* Effect.promise(closedPort)}`,
          accessKeyId: Redacted.make(accessKeyId),
          secretAccessKey: Redacted.make(secret)
        })
      )
      for (const error of [...refused, ...unreachable]) {
        for (const rendering of renderings(error)) {
          assert.notInclude(rendering, accessKeyId)
          assert.notInclude(rendering, secret)
        }
      }
    })
  })

  it.live("an access key without its secret fails every call with a hint, not with the default credentials", () =>
    Effect.gen(function* () {
      const errors = yield* failures(options({ accessKeyId: Redacted.make(s3rverKey), secretAccessKey: undefined }))
      for (const error of errors) {
        assert.isFalse(error.retryable)
        assert.include(error.detail, "give both object_store.access_key_id and secret_access_key")
      }
    })
  )

  it.live("a malformed endpoint is not retryable and names the setting", () =>
    Effect.gen(function* () {
      const errors = yield* failures(options({ endpoint: "not a url" }))
      for (const error of errors) {
        assert.isFalse(error.retryable)
        assert.include(error.detail, "object_store.endpoint")
      }
    })
  )

  it.live("throttling and server errors are retryable; denied access and a wrong region are not", () => {
    const cases = [
      [503, "SlowDown", true, "is busy or failing"],
      [500, "InternalError", true, "is busy or failing"],
      [403, "AccessDenied", false, "check object_store.access_key_id"],
      [301, "PermanentRedirect", false, "check object_store.region"]
    ] as const
    return Effect.gen(function* () {
      for (const [status, code, retryable, hint] of cases) {
        server.intercept = (_, url) =>
          url.startsWith(`/${server.bucket}/errors/`) ? { status, body: errorXml(code, `${code} happened`) } : undefined
        const start = server.requests.length
        const error = yield* Effect.flip(
          ObjectStore.use((store) => store.get("k/a")).pipe(Effect.provide(layerS3(options({ maxAttempts: 1 }))))
        )
        // The SDK's own retries are off here: the error is what storeflow's retry policy sees.
        assert.lengthOf(server.requests.slice(start), 1)
        assert.strictEqual(error._tag, "ObjectStoreError")
        const storeError = error as ObjectStoreError
        assert.strictEqual(storeError.retryable, retryable, code)
        assert.include(storeError.detail, hint)
        assert.include(storeError.detail, `${code} (HTTP ${status})`)
      }
    }).pipe(Effect.ensuring(Effect.sync(() => (server.intercept = () => undefined))))
  })

  it.live("keys a DeleteObjects request could not delete are all reported", () => {
    const answer = (errors: ReadonlyArray<readonly [string, string]>) => {
      server.intercept = (method, url) =>
        method === "POST" && url.includes("delete")
          ? {
              status: 200,
              body: `<DeleteResult>${errors.map(([key, code]) => `<Error><Key>errors/${key}</Key><Code>${code}</Code><Message>${code} for ${key}</Message></Error>`).join("")}</DeleteResult>`
            }
          : undefined
    }
    const remove = (keys: ReadonlyArray<string>) =>
      Effect.flip(ObjectStore.use((store) => store.delete(keys)).pipe(Effect.provide(layerS3(options()))))
    return Effect.gen(function* () {
      answer([
        ["k/a", "AccessDenied"],
        ["k/b", "InternalError"]
      ])
      const mixed = yield* remove(["k/a", "k/b", "k/c"])
      assert.strictEqual(mixed.operation, "delete")
      assert.strictEqual(mixed.key, "k/a")
      assert.isFalse(mixed.retryable)
      assert.include(mixed.detail, "2 key(s) could not be deleted")
      assert.include(mixed.detail, "k/a: access denied")
      assert.include(mixed.detail, "k/b: ")
      assert.include(mixed.detail, "InternalError for k/b")
      answer([["k/b", "InternalError"]])
      assert.isTrue((yield* remove(["k/b"])).retryable)
    }).pipe(Effect.ensuring(Effect.sync(() => (server.intercept = () => undefined))))
  })

  it.live("a tenant's s3 object_store config reaches the bucket under its prefix", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("from/config.txt", bytes("configured"))
      assert.strictEqual(new TextDecoder().decode(yield* store.get("from/config.txt")), "configured")
      assert.strictEqual(store.uri("from/config.txt"), `s3://${server.bucket}/tenant-x/from/config.txt`)
    }).pipe(
      Effect.provide(
        objectStoreLayer({
          type: "s3",
          bucket: server.bucket,
          prefix: "tenant-x/",
          region: "us-east-1",
          endpoint: server.endpoint,
          force_path_style: true,
          access_key_id: Redacted.make(s3rverKey),
          secret_access_key: Redacted.make(s3rverKey)
        })
      )
    )
  )
})
