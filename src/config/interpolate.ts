import { Predicate } from "effect"

export type Path = ReadonlyArray<string | number>

export interface InterpolationIssue {
  readonly path: Path
  readonly message: string
}

const reference = /\$\$|\$\{([^}]*)\}/g
const variableName = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

const substitute = (
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: Path,
  issues: Array<InterpolationIssue>
): string =>
  text.replace(reference, (match, inner: string | undefined) => {
    if (match === "$$") return "$"
    const parsed = variableName.exec(inner ?? "")
    if (parsed?.[1] === undefined) {
      issues.push({ path, message: `"${match}" is not a valid reference: write \${NAME} or \${NAME:-default}` })
      return match
    }
    const value = env[parsed[1]]
    if (value !== undefined && value !== "") return value
    if (parsed[2] !== undefined) return parsed[2]
    issues.push({
      path,
      message: `environment variable ${parsed[1]} is not set (set it, add it to .env, or write \${${parsed[1]}:-default})`
    })
    return ""
  })

/**
 * Resolves `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree; `$$` writes a literal `$`. A key left
 * empty (`key:` or `key: null`, e.g. a section whose lines are all commented out) is dropped, so it takes its
 * default. Values stay strings (numeric and boolean fields accept their text form). Every missing variable is reported with the path of the
 * field that uses it.
 */
export const interpolate = (
  value: unknown,
  env: Readonly<Record<string, string | undefined>>
): { readonly value: unknown; readonly issues: ReadonlyArray<InterpolationIssue> } => {
  const issues: Array<InterpolationIssue> = []
  const walk = (node: unknown, path: Path): unknown => {
    if (Predicate.isString(node)) {
      return substitute(node, env, path, issues)
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]))
    if (Predicate.isObject(node)) {
      return Object.fromEntries(
        Object.entries(node)
          .filter(([, item]) => item !== null)
          .map(([key, item]) => [key, walk(item, [...path, key])])
      )
    }
    return node
  }
  return { value: walk(value, []), issues }
}
