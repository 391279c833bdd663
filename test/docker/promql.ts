/**
 * Just enough PromQL reading to check a dashboard against the metrics contract: which series an expression selects,
 * with which label matchers, and which labels it groups or matches on. Not a parser: it relies on the dashboard's
 * queries being well-formed (Grafana variables are replaced by plain values first).
 */

export interface Selector {
  readonly metric: string
  readonly labels: ReadonlyArray<string>
}

export interface ExpressionParts {
  readonly selectors: ReadonlyArray<Selector>
  /** Labels named in `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`. */
  readonly grouping: ReadonlyArray<string>
  /** Labels an expression makes itself (the first argument of `count_values`). */
  readonly made: ReadonlyArray<string>
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"])
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g

const names = (list: string): Array<string> =>
  list
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "")

/** Grafana's variables, replaced by values of the kind they stand for. */
export const withoutVariables = (expr: string): string =>
  expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$__range", "6h")
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => (name === "tz_offset" ? "9" : name))

export const partsOf = (rawExpr: string): ExpressionParts => {
  const expr = withoutVariables(rawExpr)
  const made = [...expr.matchAll(/\bcount_values\s*\(\s*"(\w+)"/g)].map((m) => m[1] ?? "")
  const grouping = [...expr.matchAll(GROUPING)].flatMap((m) => names(m[1] ?? ""))
  const selectors: Array<Selector> = []
  // Strings, grouping clauses and ranges go first, so what remains of a bare word is a metric or a function.
  const rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(GROUPING, " ")
    .replace(/\[[^\]]*\]/g, " ")
  for (const m of rest.matchAll(/([a-zA-Z_:][\w:]*)?\s*(\{[^}]*\})|([a-zA-Z_:][\w:]*)(?!\s*[({\w])/g)) {
    const metric = m[1] ?? m[3]
    if (metric === undefined) {
      if (m[2] !== undefined) selectors.push({ metric: "", labels: labelsOf(m[2]) })
      continue
    }
    if (KEYWORDS.has(metric.toLowerCase()) || /^\d/.test(metric)) continue
    selectors.push({ metric, labels: m[2] === undefined ? [] : labelsOf(m[2]) })
  }
  return { selectors, grouping, made }
}

const labelsOf = (matchers: string): Array<string> =>
  [...matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] ?? "")

/** `{{label}}` references in a legend format. */
export const legendLabels = (legend: string): Array<string> =>
  [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? "")
