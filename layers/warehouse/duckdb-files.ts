import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Predicate } from "effect"
import type { ObjectStore } from "../../src/services/ObjectStore.ts"
import { WarehouseError } from "../../src/services/Warehouse.ts"
import { storeFailure } from "./store-errors.ts"

export interface LocalFile {
  readonly key: string
  /** Where DuckDB reads it. */
  readonly path: string
  /** A temporary copy, whose path means nothing to users. */
  readonly downloaded: boolean
}

const messageOf = (cause: unknown): string =>
  Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause)

// `memory://…` or `s3://…` are not paths; DuckDB here has no httpfs (nothing is downloaded at run time).
const isLocalPath = (uri: string): boolean => path.isAbsolute(uri) && !uri.includes("://")

/**
 * Local paths of the files for one load. Keys the store keeps as local files are read in place (checked to exist
 * first, so a missing one is named by its key); the others are downloaded one at a time into a temporary folder,
 * removed when the scope closes. Downloads get fresh names, so DuckDB never sees two files under one path.
 */
export const localFiles = Effect.fnUntraced(function* (
  store: ObjectStore["Service"],
  dataset: string,
  keys: ReadonlyArray<string>
) {
  let folder: string | undefined
  const download = Effect.fnUntraced(function* (key: string, index: number) {
    if (folder === undefined) {
      folder = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => fs.mkdtemp(path.join(os.tmpdir(), "storeflow-duckdb-")),
          catch: (cause) =>
            new WarehouseError({
              operation: "load",
              dataset,
              reason: "Unavailable",
              detail: `cannot create a temporary folder for the downloaded files: ${messageOf(cause)}`,
              cause
            })
        }),
        (created) => Effect.promise(() => fs.rm(created, { recursive: true, force: true }).catch(() => undefined))
      )
    }
    const bytes = yield* store.get(key).pipe(Effect.mapError(storeFailure(dataset, key)))
    const target = path.join(folder, `${index}.parquet`)
    yield* Effect.tryPromise({
      try: () => fs.writeFile(target, bytes),
      catch: (cause) =>
        new WarehouseError({
          operation: "load",
          dataset,
          reason: "Unavailable",
          detail: `cannot write the downloaded file ${key} to ${target}: ${messageOf(cause)}`,
          cause
        })
    })
    return target
  })

  const files: Array<LocalFile> = []
  for (const [index, key] of keys.entries()) {
    const uri = store.uri(key)
    if (isLocalPath(uri)) {
      yield* store.head(key).pipe(Effect.mapError(storeFailure(dataset, key)))
      files.push({ key, path: uri, downloaded: false })
    } else {
      files.push({ key, path: yield* download(key, index), downloaded: true })
    }
  }
  return files
})

/** DuckDB's message with downloaded files' temporary paths replaced by their keys, which is what users know. */
export const withKeys = (message: string, files: ReadonlyArray<LocalFile>): string =>
  files.reduce((text, file) => (file.downloaded ? text.replaceAll(file.path, file.key) : text), message)
