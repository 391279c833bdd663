import type { Column, ColumnType } from "../services/SourceDb.ts"

export interface SchemaDiff {
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly retyped: ReadonlyArray<{
    readonly column: string
    readonly from: string
    readonly to: string
    readonly compatible: boolean
  }>
}

const describe = (column: Column): string =>
  column.type === "decimal" && column.precision !== undefined
    ? `decimal(${column.precision},${column.scale ?? 0})`
    : column.type

const widening: Partial<Record<ColumnType, ReadonlyArray<ColumnType>>> = {
  int16: ["int32", "int64"],
  int32: ["int64"],
  float32: ["float64"]
}

/** Whether loaded data of type `from` can be read as `to` without loss (the warehouse can widen the column). */
const widens = (from: Column, to: Column): boolean => {
  if (from.type === to.type) {
    if (from.type !== "decimal") return true
    if (from.precision === undefined || to.precision === undefined) return from.precision === to.precision
    return (from.scale ?? 0) === (to.scale ?? 0) && to.precision >= from.precision
  }
  return widening[from.type]?.includes(to.type) ?? false
}

/** How the current columns differ from those of the last materialization. */
export const diffColumns = (previous: ReadonlyArray<Column>, current: ReadonlyArray<Column>): SchemaDiff => {
  const before = new Map(previous.map((c) => [c.name, c]))
  const now = new Map(current.map((c) => [c.name, c]))
  return {
    added: current.filter((c) => !before.has(c.name)).map((c) => c.name),
    removed: previous.filter((c) => !now.has(c.name)).map((c) => c.name),
    retyped: current.flatMap((c) => {
      const old = before.get(c.name)
      if (old === undefined || describe(old) === describe(c)) return []
      return [{ column: c.name, from: describe(old), to: describe(c), compatible: widens(old, c) }]
    })
  }
}

export const isUnchanged = (diff: SchemaDiff): boolean =>
  diff.added.length === 0 && diff.removed.length === 0 && diff.retyped.length === 0

/** Every change, in words, for run summaries. */
export const describeDiff = (diff: SchemaDiff): ReadonlyArray<string> => [
  ...diff.added.map((c) => `column ${c} was added`),
  ...diff.removed.map((c) => `column ${c} was removed`),
  ...diff.retyped.map((r) => `column ${r.column} changed from ${r.from} to ${r.to}${r.compatible ? " (widened)" : ""}`)
]

/**
 * The changes loaded data cannot follow: a removed column (queries over earlier partitions would break) or a type
 * change that is not a lossless widening. Added columns flow through (earlier partitions read them as NULL).
 */
export const incompatibleChanges = (diff: SchemaDiff): ReadonlyArray<string> => [
  ...diff.removed.map((c) => `column ${c} was removed from the source`),
  ...diff.retyped
    .filter((r) => !r.compatible)
    .map((r) => `column ${r.column} changed type from ${r.from} to ${r.to}, which cannot be converted without loss`)
]
