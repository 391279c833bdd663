import type { TestProject } from "vitest/node"
import { startEmbeddedPostgres } from "../../layers/postgres/embedded.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server URL on which tests may create and drop their own databases. */
    readonly databaseUrl: string
  }
}

/**
 * Gives every test file a real PostgreSQL: the server at `TEST_DATABASE_URL` when set, else an embedded one started
 * for this run and stopped after it. Tests read the URL with `inject("databaseUrl")`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_DATABASE_URL
  if (external !== undefined && external !== "") {
    project.provide("databaseUrl", external)
    return undefined
  }
  try {
    const server = await startEmbeddedPostgres()
    project.provide("databaseUrl", server.url)
    return () => server.stop()
  } catch (error) {
    // vitest reports a throwing globalSetup only as "No test files found": say what went wrong first.
    console.error(
      "test/setup/postgres.ts: could not start an embedded PostgreSQL (set TEST_DATABASE_URL to use a running server)",
      error
    )
    throw error
  }
}
