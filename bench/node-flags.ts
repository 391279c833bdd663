import { readFileSync } from "node:fs"
import { join } from "node:path"
import { projectRoot } from "./processes.ts"

/**
 * The Node flags the container image runs storeflow with: the `NODE_OPTIONS` of the Dockerfile's `ENV`, read from the
 * Dockerfile itself so a benchmark cannot drift from what is deployed. The measured processes of the benchmarks run
 * with them: a figure is the deployment's figure.
 */
export const imageNodeFlags = (dockerfile = join(projectRoot, "Dockerfile")): ReadonlyArray<string> => {
  const text = readFileSync(dockerfile, "utf8").replace(/\\\n/g, " ")
  const match = /\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(text)
  const value = match?.[1] ?? match?.[2]
  if (value === undefined) throw new Error(`${dockerfile}: no NODE_OPTIONS in an ENV instruction`)
  return value.split(/\s+/).filter((flag) => flag !== "")
}

/** The flags as the benchmark sections print them. */
export const flagsText = (flags: ReadonlyArray<string>): string =>
  flags.length === 0 ? "none (Node's defaults)" : `\`${flags.join(" ")}\``
