import { pathToFileURL } from "node:url"
import { Effect, FileSystem, Path, Schema, SchemaIssue } from "effect"
import { type Document, LineCounter, parseDocument } from "yaml"
import { TenantConfig } from "../domain/TenantConfig.ts"
import { defaultTransfer, isTransfer, type Transfer } from "../etl/transfer.ts"
import { ConfigInvalid, type ConfigIssue, TenantNotFound, TenantsDirNotFound } from "./errors.ts"
import { type Path as FieldPath, interpolate } from "./interpolate.ts"
import { checkTenant } from "./validate.ts"

export type Env = Readonly<Record<string, string | undefined>>

export interface LoadedTenant {
  readonly id: string
  readonly dir: string
  readonly file: string
  readonly config: TenantConfig
  /** The transfer of each pipeline with `transfer` on, by pipeline name. */
  readonly transfers: ReadonlyMap<string, Transfer>
}

export interface LoadedTenants {
  readonly tenants: ReadonlyArray<LoadedTenant>
  readonly invalid: ReadonlyArray<ConfigInvalid>
}

export const TENANT_FILE = "tenant.yaml"
export const TRANSFER_FILE = "transfer.ts"
/** A folder of shared transfer code every tenant may refer to by export name. */
export const COMMON_DIR = "default"

export const formatPath = (path: FieldPath): string =>
  path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc === "" ? part : `${acc}.${part}`),
    ""
  )

const lineOf = (doc: Document, counter: LineCounter, path: FieldPath): number | undefined => {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined
    if (node?.range !== undefined) return counter.linePos(node.range[0]).line
  }
  return undefined
}

const schemaIssues = SchemaIssue.makeFormatterStandardSchemaV1()
const decodeTenant = Schema.decodeUnknownExit(TenantConfig)

/** Imports a transfer module's exports that are transfers; a module that fails to load is a config problem. */
const importTransfers = (file: string) =>
  Effect.tryPromise({
    try: async () => {
      const module: Record<string, unknown> = await import(pathToFileURL(file).href)
      return new Map(Object.entries(module).filter((entry): entry is [string, Transfer] => isTransfer(entry[1])))
    },
    catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
  })

const optionalTransfers = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const exists = yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))
  if (!exists) return new Map<string, Transfer>()
  return yield* importTransfers(file)
})

/** Reads, interpolates, decodes and checks one tenant directory, reporting every problem at once. */
export const loadTenant = Effect.fn("config.loadTenant")(function* (dir: string, env: Env) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.join(dir, TENANT_FILE)
  const id = path.basename(dir)
  const invalid = (issues: ReadonlyArray<ConfigIssue>) => new ConfigInvalid({ tenant: id, file, issues })

  const text = yield* fs
    .readFileString(file)
    .pipe(Effect.mapError((e) => invalid([{ path: "", message: `cannot read the file: ${e.message}` }])))
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return yield* invalid(
      doc.errors.map((e) => ({ path: "", line: counter.linePos(e.pos[0]).line, message: `YAML: ${e.message}` }))
    )
  }

  const issueAt = (fieldPath: FieldPath, message: string): ConfigIssue => {
    const line = lineOf(doc, counter, fieldPath)
    return line === undefined
      ? { path: formatPath(fieldPath), message }
      : { path: formatPath(fieldPath), line, message }
  }

  const resolved = interpolate(doc.toJS(), env)
  const issues: Array<ConfigIssue> = resolved.issues.map((i) => issueAt(i.path, i.message))
  const decoded = decodeTenant(resolved.value, { errors: "all", onExcessProperty: "error" })
  if (decoded._tag === "Failure") {
    const error = decoded.cause.reasons.find((r) => r._tag === "Fail")?.error
    const found = error === undefined ? [] : schemaIssues(error.issue).issues
    for (const i of found) {
      const fieldPath = (i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)) as Array<string | number>
      issues.push(issueAt(fieldPath, i.message))
    }
    return yield* invalid(issues)
  }
  const config = decoded.value
  issues.push(...checkTenant(config, id).map((p) => issueAt(p.path, p.message)))

  const transferFile = path.join(dir, TRANSFER_FILE)
  const commonFile = path.join(path.dirname(dir), COMMON_DIR, TRANSFER_FILE)
  const own = yield* optionalTransfers(transferFile).pipe(
    Effect.catch((detail) => {
      issues.push({ path: "", message: `${transferFile} cannot be loaded: ${detail}` })
      return Effect.succeed(new Map<string, Transfer>())
    })
  )
  const common = yield* optionalTransfers(commonFile).pipe(
    Effect.catch((detail) => {
      issues.push({ path: "", message: `${commonFile} cannot be loaded: ${detail}` })
      return Effect.succeed(new Map<string, Transfer>())
    })
  )
  const transfers = new Map<string, Transfer>()
  config.pipelines.forEach((pipeline, index) => {
    if (pipeline.transfer === false) return
    const name = pipeline.transfer === true ? pipeline.name : pipeline.transfer
    const found = own.get(name) ?? common.get(name) ?? (pipeline.transfer === true ? defaultTransfer : undefined)
    if (found !== undefined) transfers.set(pipeline.name, found)
    else {
      const exported = [...own.keys(), ...common.keys()]
      issues.push(
        issueAt(
          ["pipelines", index, "transfer"],
          `no transfer named "${name}" in ${TRANSFER_FILE} or ${COMMON_DIR}/${TRANSFER_FILE} (exported: ${exported.length === 0 ? "none" : exported.join(", ")})`
        )
      )
    }
  })

  if (issues.length > 0) return yield* invalid(issues)
  return { id, dir, file, config, transfers } satisfies LoadedTenant
})

/** Tenant directories: folders holding a tenant.yaml, except those starting with `_` (templates). Sorted by id. */
export const tenantIds = Effect.fn("config.tenantIds")(function* (tenantsDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const entries = yield* fs
    .readDirectory(tenantsDir)
    .pipe(Effect.mapError(() => new TenantsDirNotFound({ tenantsDir })))
  const ids: Array<string> = []
  for (const entry of entries.toSorted()) {
    if (entry.startsWith("_") || entry.startsWith(".")) continue
    const hasFile = yield* fs.exists(path.join(tenantsDir, entry, TENANT_FILE)).pipe(Effect.orElseSucceed(() => false))
    if (hasFile) ids.push(entry)
  }
  return ids
})

/** Loads every tenant; an invalid one does not stop the others. */
export const loadTenants = Effect.fn("config.loadTenants")(function* (tenantsDir: string, env: Env) {
  const path = yield* Path.Path
  const ids = yield* tenantIds(tenantsDir)
  const results = yield* Effect.forEach(ids, (id) => Effect.result(loadTenant(path.join(tenantsDir, id), env)))
  const tenants: Array<LoadedTenant> = []
  const invalid: Array<ConfigInvalid> = []
  for (const result of results) {
    if (result._tag === "Success") tenants.push(result.success)
    else invalid.push(result.failure)
  }
  return { tenants, invalid } satisfies LoadedTenants
})

/** Loads one tenant by id. */
export const loadTenantById = Effect.fn("config.loadTenantById")(function* (tenantsDir: string, id: string, env: Env) {
  const path = yield* Path.Path
  const ids = yield* tenantIds(tenantsDir)
  if (!ids.includes(id)) return yield* new TenantNotFound({ tenant: id, tenantsDir, available: ids })
  return yield* loadTenant(path.join(tenantsDir, id), env)
})
