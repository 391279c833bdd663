import { Context, type Effect, type Option, Schema } from "effect"
import type {
  JobName,
  Materialization,
  RunCounts,
  RunRecord,
  RunStatus,
  Watermark,
  WatermarkKey
} from "../domain/Run.ts"

/** The content hash of an accepted article, to record. */
export interface ArticleHash {
  readonly articleId: string
  readonly hash: string
  /**
   * True when the pass knew no hash was stored for the article (its lookup found none, or the store had none): a
   * store may then insert rather than upsert it. Only a hint: a row stored meanwhile is still replaced.
   */
  readonly isNew?: boolean | undefined
}

export class RunStoreError extends Schema.TaggedError<RunStoreError>()("RunStoreError", {
  operation: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `state database ${this.operation}: ${this.detail} (check STOREFLOW_STATE_DB_URL and that the database is reachable)`
  }
}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  id: Schema.String
}) {
  override get message(): string {
    return `no run with id ${this.id} (list runs with: storeflow runs)`
  }
}

export interface StartRun {
  readonly id: string
  readonly tenant: string
  readonly job: JobName
  readonly store?: string | undefined
  readonly pipeline?: string | undefined
  readonly partition?: string | undefined
}

export interface FinishRun {
  readonly status: Exclude<RunStatus, "running">
  readonly counts?: RunCounts | undefined
  readonly error?: string | undefined
  readonly summary?: unknown
}

export interface RunQuery {
  readonly tenant?: string | undefined
  readonly job?: JobName | undefined
  readonly store?: string | undefined
  readonly pipeline?: string | undefined
  readonly status?: RunStatus | undefined
  /** Newest first; default 50. */
  readonly limit?: number | undefined
}

export interface MaterializationQuery {
  readonly tenant: string
  readonly pipeline?: string | undefined
  /** Inclusive partition bounds (`YYYY-MM-DD`, compared as text). */
  readonly from?: string | undefined
  readonly to?: string | undefined
}

/** Where an alert condition stands, so the same condition is not announced again on every run. */
export interface AlertState {
  readonly tenant: string
  /** What the condition is about, e.g. `esl:S001`. */
  readonly scope: string
  /** Which condition, e.g. `run_failed`, `volume`, `slow_response`, `mismatch`. */
  readonly condition: string
  readonly active: boolean
  /** When it last became active (or cleared, when inactive). */
  readonly since: Date
  /** When people were last told about it. */
  readonly notifiedAt: Date
  /** The figure that triggered it, for the reminder text. */
  readonly detail: string
}

/** A lease on a named lock: held by `owner` until `expiresAt` unless renewed. */
export interface Lease {
  readonly name: string
  readonly owner: string
  readonly expiresAt: Date
}

/**
 * storeflow's own state: watermarks, run records, materializations and job locks. The Postgres Layer shares it between
 * daemon processes; every write is one transaction.
 */
export class RunStore extends Context.Service<
  RunStore,
  {
    /** The watermark of (tenant, store, source), if any was committed. */
    readonly getWatermark: (key: WatermarkKey) => Effect.Effect<Option.Option<Watermark>, RunStoreError>
    /** Commits a watermark (replacing the previous one). */
    readonly setWatermark: (
      key: WatermarkKey,
      value: { readonly value: string; readonly key: string }
    ) => Effect.Effect<Watermark, RunStoreError>
    /** Records a run as `running`. */
    readonly startRun: (run: StartRun) => Effect.Effect<RunRecord, RunStoreError>
    /** Ends a run with its status, counts, error and summary. Fails with `RunNotFound` for an unknown id. */
    readonly finishRun: (id: string, result: FinishRun) => Effect.Effect<RunRecord, RunStoreError | RunNotFound>
    readonly getRun: (id: string) => Effect.Effect<RunRecord, RunStoreError | RunNotFound>
    /** Runs matching the query, newest first. */
    readonly listRuns: (query: RunQuery) => Effect.Effect<ReadonlyArray<RunRecord>, RunStoreError>
    /** Records (or replaces) the committed state of a partition. */
    readonly putMaterialization: (materialization: Materialization) => Effect.Effect<void, RunStoreError>
    readonly getMaterialization: (
      tenant: string,
      pipeline: string,
      partition: string
    ) => Effect.Effect<Option.Option<Materialization>, RunStoreError>
    /** Materializations ordered by pipeline, then partition. */
    readonly listMaterializations: (
      query: MaterializationQuery
    ) => Effect.Effect<ReadonlyArray<Materialization>, RunStoreError>
    /**
     * Takes the named lock for `ttlMs` if it is free, expired, or already held by `owner` (then it is extended).
     * Returns the lease, or `None` when another owner holds it. Safe across processes.
     */
    readonly acquireLock: (
      name: string,
      owner: string,
      ttlMs: number
    ) => Effect.Effect<Option.Option<Lease>, RunStoreError>
    /** Gives the lock up if `owner` holds it; otherwise does nothing. */
    readonly releaseLock: (name: string, owner: string) => Effect.Effect<void, RunStoreError>
    /**
     * Whether any article of (tenant, store) has a stored hash. A store without any (never delivered) has nothing to
     * look up: its pass sends every article, as a `--full` pass does.
     */
    readonly hasArticleHashes: (tenant: string, store: string) => Effect.Effect<boolean, RunStoreError>
    /**
     * Content hashes of the articles last accepted by the ESL API for (tenant, store), for the ids asked; ids never
     * accepted are absent from the map.
     */
    readonly getArticleHashes: (
      tenant: string,
      store: string,
      articleIds: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, string>, RunStoreError>
    /** Records the hashes of accepted articles (replacing earlier ones), in one transaction. */
    readonly putArticleHashes: (
      tenant: string,
      store: string,
      hashes: ReadonlyArray<ArticleHash>
    ) => Effect.Effect<void, RunStoreError>
    /** Forgets hashes, so those articles are sent again next time even if unchanged; all of the store's when omitted. */
    readonly clearArticleHashes: (
      tenant: string,
      store: string,
      articleIds?: ReadonlyArray<string>
    ) => Effect.Effect<void, RunStoreError>
    /** Queues source keys of a store to be sent on its next sync, whatever the watermark says (idempotent). */
    readonly requeue: (tenant: string, store: string, keys: ReadonlyArray<string>) => Effect.Effect<void, RunStoreError>
    /** The queued keys of a store, oldest first (they stay queued until `dequeue`). */
    readonly requeued: (tenant: string, store: string) => Effect.Effect<ReadonlyArray<string>, RunStoreError>
    /** Removes keys from the queue once they were delivered. */
    readonly dequeue: (tenant: string, store: string, keys: ReadonlyArray<string>) => Effect.Effect<void, RunStoreError>
    /**
     * Every alert condition of a tenant (active or cleared), by scope then condition; with `scope`, only that scope's
     * (a run reads its own store's, not every store's of the tenant).
     */
    readonly alertStates: (tenant: string, scope?: string) => Effect.Effect<ReadonlyArray<AlertState>, RunStoreError>
    /** Records (or replaces) the state of one alert condition. */
    readonly putAlertState: (state: AlertState) => Effect.Effect<void, RunStoreError>
  }
>()("storeflow/RunStore") {}
