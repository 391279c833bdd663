import type { TenantConfig } from "../domain/TenantConfig.ts"
import type { Path } from "./interpolate.ts"

export interface Problem {
  readonly path: Path
  readonly message: string
}

const readOnlyQuery = /^\s*(select|with)\b/i

const checkQuery = (query: string | undefined, path: Path, problems: Array<Problem>): void => {
  if (query === undefined) return
  if (!readOnlyQuery.test(query)) problems.push({ path, message: "a query must be one SELECT (or WITH … SELECT)" })
  else if (/;\s*\S/.test(query)) problems.push({ path, message: "a query must be a single statement (remove the ;)" })
}

const duplicates = (names: ReadonlyArray<string>): ReadonlyArray<string> =>
  names.filter((name, index) => names.indexOf(name) !== index)

/** Rules that span several fields, checked after the file decoded. Returns every problem found. */
export const checkTenant = (config: TenantConfig, directoryName: string): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  if (config.id !== directoryName) {
    problems.push({ path: ["id"], message: `must equal the directory name "${directoryName}"` })
  }

  config.pipelines.forEach((pipeline, index) => {
    const at = ["pipelines", index]
    checkQuery(pipeline.source.query, [...at, "source", "query"], problems)
    if (config.object_store === undefined) {
      problems.push({ path: [...at], message: "pipelines write Parquet to the object store: configure object_store" })
    }
    if (pipeline.load && config.warehouse.type === "none") {
      problems.push({ path: [...at, "load"], message: "load: true needs a warehouse (trino or duckdb)" })
    }
  })
  const store = config.object_store
  if (store?.type === "s3" && (store.access_key_id === undefined) !== (store.secret_access_key === undefined)) {
    problems.push({
      path: ["object_store"],
      message: "set both access_key_id and secret_access_key, or neither (to use the AWS default credential chain)"
    })
  }
  if (config.warehouse.type === "trino" && config.pipelines.some((p) => p.load) && config.object_store?.type !== "s3") {
    problems.push({
      path: ["warehouse"],
      message: "trino reads the loaded Parquet from S3: use an s3 object_store (or the duckdb warehouse)"
    })
  }
  for (const name of new Set(duplicates(config.pipelines.map((p) => p.name)))) {
    problems.push({ path: ["pipelines"], message: `pipeline name "${name}" is used more than once` })
  }

  const partitioned = config.pipelines.filter((p) => p.date_column !== undefined).length
  const latest = config.pipelines.length - partitioned
  if (config.jobs.daily_etl_job !== undefined && partitioned === 0) {
    problems.push({ path: ["jobs", "daily_etl_job"], message: "scheduled, but no pipeline has a date_column" })
  }
  if (config.jobs.master_sync_job !== undefined && latest === 0) {
    problems.push({ path: ["jobs", "master_sync_job"], message: "scheduled, but every pipeline has a date_column" })
  }

  const esl = config.esl
  if (esl !== undefined) {
    const source = esl.source
    if ((source.table === undefined) === (source.query === undefined)) {
      problems.push({ path: ["esl", "source"], message: "give exactly one of table or query" })
    }
    checkQuery(source.query, ["esl", "source", "query"], problems)
    const codes = esl.stores.map((store) => (typeof store === "string" ? store : store.code))
    esl.stores.forEach((store, index) => {
      const hasFilter = typeof store !== "string" && store.filter !== undefined
      if (source.store_column === undefined && !hasFilter) {
        problems.push({
          path: ["esl", "stores", index],
          message: "set esl.source.store_column, or give this store a filter, so its rows can be told apart"
        })
      }
    })
    for (const code of new Set(duplicates(codes))) {
      problems.push({ path: ["esl", "stores"], message: `store code "${code}" is listed more than once` })
    }
  }
  return problems
}
