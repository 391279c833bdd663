import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import type { RunRecord } from "../domain/Run.ts"
import { RunStore } from "../services/RunStore.ts"
import { jsonFlag } from "./shared.ts"

const target = (run: RunRecord): string =>
  [run.store === null ? "" : `store ${run.store}`, run.pipeline ?? "", run.partition ?? ""]
    .filter((s) => s !== "")
    .join(" ")

const duration = (run: RunRecord): string => {
  if (run.endedAt === null) return "running"
  const ms = run.endedAt.getTime() - run.startedAt.getTime()
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`
}

const counts = (run: RunRecord): string =>
  Object.entries(run.counts)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ")

/** A plain text table: columns padded to their widest cell. */
export const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

export const runsCommand = Command.make(
  "runs",
  {
    tenant: Flag.String("tenant").pipe(Flag.withDescription("Only this tenant's runs"), Flag.optional),
    limit: Flag.Int("limit").pipe(Flag.withDescription("How many runs, newest first"), Flag.withDefault(20)),
    json: jsonFlag
  },
  ({ tenant, limit, json }) =>
    Effect.gen(function* () {
      const store = yield* RunStore
      const runs = yield* store.listRuns({ tenant: Option.getOrUndefined(tenant), limit })
      if (json) return yield* Console.log(JSON.stringify(runs, null, 2))
      if (runs.length === 0) return yield* Console.log("no runs recorded yet")
      const rows = runs.map((run) => [
        run.startedAt.toISOString().replace("T", " ").slice(0, 19),
        run.tenant,
        run.job,
        target(run),
        run.status,
        duration(run),
        counts(run),
        run.error ?? ""
      ])
      yield* Console.log(
        formatTable(["started (UTC)", "tenant", "job", "target", "status", "took", "counts", "error"], rows)
      )
    })
).pipe(Command.withDescription("Recent runs from the state database (STOREFLOW_STATE_DB_URL), newest first"))
