/**
 * The Trino warehouse against a real Trino with a Hive catalog over S3. Runs only when TRINO_URL is set.
 *
 * Setup (MinIO from docker-compose plus a Trino container on the same network):
 *   etc/catalog/hive.properties:
 *     connector.name=hive
 *     hive.metastore=file
 *     hive.metastore.catalog.dir=s3://storeflow-lake/_trino_metastore
 *     hive.allow-register-partition-procedure=true
 *     fs.native-s3.enabled=true
 *     s3.endpoint=http://minio:9000
 *     s3.region=us-east-1
 *     s3.path-style-access=true
 *     s3.aws-access-key=minioadmin
 *     s3.aws-secret-key=minioadmin
 *   docker run -d --network <compose network> -p 127.0.0.1:8080:8080 \
 *     -v $PWD/etc/catalog/hive.properties:/etc/trino/catalog/hive.properties trinodb/trino
 * Environment (defaults in brackets): TRINO_URL, TRINO_CATALOG [hive], TRINO_USER [storeflow], TRINO_S3_BUCKET
 * [storeflow-lake], S3_ENDPOINT [http://127.0.0.1:9000], AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [minioadmin],
 * AWS_REGION [us-east-1]. The S3 endpoint is the one this test writes to; Trino reaches the same bucket its own way.
 * Everything is created under a random prefix and schema, and removed afterwards (tables are external: dropping them
 * leaves the files, which the test then deletes).
 */
import { randomUUID } from "node:crypto"
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layerTrino } from "../../layers/warehouse/trino.ts"
import { ObjectStore } from "../../src/services/ObjectStore.ts"
import type { Column } from "../../src/services/SourceDb.ts"
import { type LoadRequest, Warehouse } from "../../src/services/Warehouse.ts"
import { decimal, int64, parquetFile, timestampMicros, utf8 } from "./parquet-files.ts"

const env = process.env
const bucket = env.TRINO_S3_BUCKET ?? "storeflow-lake"
const catalog = env.TRINO_CATALOG ?? "hive"
const run = randomUUID().slice(0, 8)
const prefix = `storeflow-it/${run}`
const schema = `storeflow_it_${run}`

const s3 = new S3Client({
  endpoint: env.S3_ENDPOINT ?? "http://127.0.0.1:9000",
  region: env.AWS_REGION ?? "us-east-1",
  forcePathStyle: true,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
  credentials: {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "minioadmin",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "minioadmin"
  }
})

const listKeys = async (under: string): Promise<Array<string>> => {
  const keys: Array<string> = []
  let token: string | undefined
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/${under}`, ContinuationToken: token })
    )
    for (const object of page.Contents ?? [])
      if (object.Key !== undefined) keys.push(object.Key.slice(prefix.length + 1))
    token = page.NextContinuationToken
  } while (token !== undefined)
  return keys
}

const removeKeys = async (keys: ReadonlyArray<string>) => {
  if (keys.length === 0) return
  await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((key) => ({ Key: `${prefix}/${key}` })) } })
  )
}

/** The ObjectStore methods a Trino load uses, on the test's bucket and prefix. */
const store = Layer.mock(ObjectStore)({
  uri: (key) => `s3://${bucket}/${prefix}/${key}`,
  list: (under) =>
    Effect.promise(() => listKeys(under)).pipe(
      Effect.map((keys) => keys.map((key) => ({ key, size: 0, lastModified: new Date(0) })))
    )
})

const provide = <A, E>(effect: Effect.Effect<A, E, Warehouse>) =>
  Effect.provide(
    effect,
    Layer.fresh(
      layerTrino({
        url: env.TRINO_URL ?? "",
        catalog,
        user: env.TRINO_USER ?? "storeflow",
        tableFormat: "hive",
        queryTimeout: "2 minutes",
        source: "storeflow-it"
      })
    ).pipe(Layer.provide(store))
  )

const columns: ReadonlyArray<Column> = [
  { name: "id", type: "int64", nullable: false },
  { name: "name", type: "string", nullable: true },
  { name: "price", type: "decimal", nullable: true, precision: 12, scale: 2 },
  { name: "changed_at", type: "timestamp", nullable: true }
]

/** Writes a file of items with these ids and returns its key (relative to the test's prefix). */
const putItems = (key: string, ids: ReadonlyArray<bigint>) =>
  Effect.promise(async () => {
    const body = parquetFile([
      int64("id", ids),
      utf8(
        "name",
        ids.map((id) => `item-${id}`)
      ),
      decimal(
        "price",
        2,
        ids.map((id) => id * 100n + 50n)
      ),
      timestampMicros(
        "changed_at",
        ids.map((id) => 1_709_296_496_123_456n + id)
      )
    ])
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: body }))
    return key
  })

const request = (table: string, files: ReadonlyArray<string>, expectedRows: number, day?: string): LoadRequest => ({
  dataset: { schema, table },
  columns,
  files,
  expectedRows,
  partition: day === undefined ? undefined : { column: "dt", value: day }
})

describe.runIf(env.TRINO_URL)(
  "Trino warehouse against a real Trino (needs TRINO_URL and a Hive catalog over S3)",
  () => {
    it.live(
      "loads, re-loads and replaces partitions, swaps master data, verifies counts and reads values back exactly",
      () =>
        Effect.gen(function* () {
          const warehouse = yield* Warehouse
          const day1 = "2024-03-01"
          const items = { schema, table: "items" }
          const a = yield* putItems(`acme/items/dt=${day1}/part-r1-00000.parquet`, [1n, 2n])
          const b = yield* putItems(`acme/items/dt=${day1}/part-r1-00001.parquet`, [3n])
          assert.deepStrictEqual(yield* warehouse.load(request("items", [a, b], 3, day1)), { rows: 3 })
          assert.deepStrictEqual(yield* warehouse.load(request("items", [a, b], 3, day1)), { rows: 3 })
          const c = yield* putItems("acme/items/dt=2024-03-02/part-r1-00000.parquet", [4n])
          yield* warehouse.load(request("items", [c], 1, "2024-03-02"))

          // A new run of day 1: the old run's files go, the partition then shows only the new one.
          yield* Effect.promise(() => removeKeys([a, b]))
          const d = yield* putItems(`acme/items/dt=${day1}/part-r2-00000.parquet`, [7n])
          yield* warehouse.load(request("items", [d], 1, day1))
          assert.strictEqual(yield* warehouse.count(items, { column: "dt", value: day1 }), 1)
          assert.strictEqual(yield* warehouse.count(items), 2)
          const [row] = yield* warehouse.rows(items, { partition: { column: "dt", value: day1 } })
          assert.deepStrictEqual(row, {
            id: 7n,
            name: "item-7",
            price: "7.50",
            changed_at: "2024-03-01T12:34:56.123463",
            dt: day1
          })

          const mismatch = yield* Effect.flip(warehouse.load(request("items", [d], 5, day1)))
          assert.strictEqual(mismatch.reason, "RowCountMismatch")

          const m = yield* putItems("acme/stores/latest/part-r1-00000.parquet", [1n, 2n])
          assert.deepStrictEqual(yield* warehouse.load(request("stores", [m], 2)), { rows: 2 })
          assert.deepStrictEqual(yield* warehouse.tables(schema), ["items", "stores"])
          const missing = yield* Effect.flip(warehouse.count({ schema, table: "nope" }))
          assert.strictEqual(missing.reason, "NotFound")
        }).pipe(
          Effect.ensuring(
            Effect.gen(function* () {
              const warehouse = yield* Warehouse
              for (const table of ["items", "stores"]) {
                yield* Effect.ignore(warehouse.query(`DROP TABLE IF EXISTS "${catalog}"."${schema}"."${table}"`))
              }
              yield* Effect.ignore(warehouse.query(`DROP SCHEMA IF EXISTS "${catalog}"."${schema}"`))
              yield* Effect.promise(async () => removeKeys(await listKeys("")))
            })
          ),
          provide
        ),
      180_000
    )
  }
)
