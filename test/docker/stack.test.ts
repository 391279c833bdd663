import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { parse } from "yaml"
import { imageNodeFlags } from "../../bench/node-flags.ts"
import { loadTenants } from "../../src/config/load.ts"
import { projectRoot } from "../support/tenants.ts"

/** The parts of docker-compose.yml these checks read. */
interface Service {
  readonly image?: string
  readonly build?: unknown
  readonly entrypoint?: ReadonlyArray<string>
  readonly command?: ReadonlyArray<string>
  readonly profiles?: ReadonlyArray<string>
  readonly environment?: Readonly<Record<string, string>>
  readonly ports?: ReadonlyArray<string>
  readonly volumes?: ReadonlyArray<string>
  readonly healthcheck?: { readonly test: ReadonlyArray<string> }
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
}

const read = (...path: ReadonlyArray<string>) => readFileSync(join(projectRoot, ...path), "utf8")
const compose = parse(read("docker-compose.yml")) as { services: Record<string, Service> }
const services = Object.entries(compose.services)
const service = (name: string): Service => compose.services[name] ?? assert.fail(`no service ${name}`)
const dockerfile = read("Dockerfile")
const { version } = JSON.parse(read("package.json")) as { version: string }

/** Dockerfile instructions, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"))
const instruction = (name: string) => instructions.filter((line) => line.startsWith(`${name} `))
const finalStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith("FROM ")))

const runsDaemon = (s: Service) => s.build !== undefined && s.entrypoint === undefined && s.command?.[0] === "daemon"
/** Its own healthcheck, or the Dockerfile's, which only fits the daemon. */
const hasHealthcheck = (s: Service) => s.healthcheck !== undefined || runsDaemon(s)

/**
 * Runs a `node -e` healthcheck script against a local server answering `status` (0: nothing listening) on the port
 * it asks, and returns its exit code.
 */
const healthcheckExit = async (script: string, port: string, status: number): Promise<number | null> => {
  const server = createServer((_, res) => {
    res.statusCode = status
    res.end()
  }).listen(0, "127.0.0.1")
  await once(server, "listening")
  const address = server.address()
  const actual = typeof address === "object" && address !== null ? address.port : 0
  if (status === 0) server.close()
  try {
    const child = spawn(process.execPath, ["-e", script.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${actual}`)])
    const [code] = (await once(child, "exit")) as [number | null]
    return code
  } finally {
    server.close()
  }
}

describe("docker-compose.yml", () => {
  it("pins every image to a version: no latest, no bare name", () => {
    for (const [name, s] of services) {
      const image = s.image ?? assert.fail(`${name} has no image`)
      const tag = /^(?:[^/]+\/)*[^/:@]+:([^/@]+)$/.exec(image)?.[1]
      assert.isDefined(tag, `${name}: ${image} has no tag`)
      assert.notMatch(tag ?? "", /^(latest|stable|main)$/, `${name}: ${image}`)
    }
  })

  it("builds storeflow's own image under the package version for both the daemon and the simulator", () => {
    const built = services.filter(([, s]) => s.build !== undefined)
    assert.sameMembers(
      built.map(([name]) => name),
      ["storeflow", "esl-sim"]
    )
    for (const [, s] of built) assert.strictEqual(s.image, `storeflow:${version}`)
  })

  it("runs the daemon on 0.0.0.0:9464 for the compose tenant, published on localhost", () => {
    const s = service("storeflow")
    assert.deepStrictEqual(s.command, ["daemon", "--listen", "0.0.0.0:9464", "--tenant", "compose"])
    assert.include(s.ports ?? [], "127.0.0.1:9464:9464")
    assert.isTrue(runsDaemon(s))
  })

  it("has a healthcheck wherever something waits for health or a port is published", () => {
    for (const [name, s] of services) {
      if ((s.ports ?? []).length > 0) assert.isTrue(hasHealthcheck(s), `${name} publishes ports without a healthcheck`)
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = service(dependency)
        if (condition === "service_healthy") assert.isTrue(hasHealthcheck(target), `${name} waits on ${dependency}`)
        if (condition === "service_completed_successfully") assert.isUndefined(target.healthcheck)
      }
    }
    // The simulator runs from the daemon's image but is not the daemon: the image's /healthz check would fail there.
    assert.include(service("esl-sim").healthcheck?.test.join(" "), "127.0.0.1:8090")
  })

  it("starts the daemon after the services it needs are healthy, and never the grafana profile's before it", () => {
    const deps = service("storeflow").depends_on ?? {}
    for (const name of ["postgres", "trino", "esl-sim"]) assert.strictEqual(deps[name]?.condition, "service_healthy")
    assert.strictEqual(deps["minio-init"]?.condition, "service_completed_successfully")
    for (const [name, s] of services.filter(([, s]) => s.profiles === undefined)) {
      for (const dependency of Object.keys(s.depends_on ?? {})) {
        assert.isUndefined(service(dependency).profiles, `${name} (always on) depends on ${dependency} (a profile)`)
      }
    }
  })

  it("runs the simulator on the container's network, on the port the tenant and the healthcheck use", () => {
    const s = service("esl-sim")
    const command = s.command ?? []
    assert.strictEqual(command[0], "esl-sim")
    assert.strictEqual(command[command.indexOf("--host") + 1], "0.0.0.0")
    assert.strictEqual(command[command.indexOf("--port") + 1], "8090")
    assert.strictEqual(service("storeflow").environment?.STOREFLOW_COMPOSE_ESL_URL, "http://esl-sim:8090")
  })

  it("mounts only files that exist", () => {
    for (const [name, s] of services) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(":")[0] ?? ""
        if (source.startsWith("./")) assert.isTrue(existsSync(join(projectRoot, source)), `${name}: ${source}`)
      }
    }
  })

  it("gives Trino every variable its catalogs read, and the flags storeflow's Hive loads need", () => {
    const environment = service("trino").environment ?? {}
    for (const file of ["hive.properties", "iceberg.properties"]) {
      const properties = read("docker", "trino", "catalog", file)
      for (const [, variable] of properties.matchAll(/\$\{ENV:(\w+)\}/g)) {
        assert.property(environment, variable ?? "", `${file} reads ${variable}`)
      }
    }
    const hive = read("docker", "trino", "catalog", "hive.properties")
    assert.include(hive, "hive.allow-register-partition-procedure=true")
    assert.include(hive, "hive.non-managed-table-writes-enabled=true")
    assert.include(read("docker", "trino", "catalog", "iceberg.properties"), "iceberg.add-files-procedure.enabled=true")
  })

  it.effect("the compose tenant is valid with exactly the environment the stack gives the daemon", () =>
    Effect.gen(function* () {
      const daemon = service("storeflow")
      // The image looks for tenants in /app/tenants; the stack mounts this one there.
      assert.include(daemon.volumes ?? [], "./docker/tenants/compose:/app/tenants/compose:ro")
      assert.strictEqual(daemon.environment?.STOREFLOW_TENANTS_DIR, "/app/tenants")
      const env = daemon.environment ?? {}
      const { tenants, invalid } = yield* loadTenants(join(projectRoot, "docker", "tenants"), env)
      assert.deepStrictEqual(
        invalid.map((e) => e.message),
        []
      )
      assert.deepStrictEqual(
        tenants.map((t) => t.id),
        ["compose"]
      )
      const config = tenants[0]?.config ?? assert.fail("no compose tenant")
      assert.deepInclude(config.warehouse, { type: "trino", url: "http://trino:8080", catalog: "hive" })
      assert.deepInclude(config.object_store, { type: "s3", endpoint: "http://minio:9000", bucket: "storeflow-lake" })
      assert.strictEqual(config.esl?.api.base_url, "http://esl-sim:8090")
      // The bucket minio-init creates is the one the tenant writes to and Trino's catalogs read.
      assert.include(service("minio-init").command?.join(" "), "lake/storeflow-lake")
      assert.include(read("docker", "trino", "catalog", "hive.properties"), "s3://storeflow-lake/")
    }).pipe(Effect.provide(NodeServices.layer))
  )
})

describe("Dockerfile", () => {
  it("runs on the official Node 24 slim image as an unprivileged user", () => {
    assert.deepStrictEqual(
      instruction("ARG").filter((line) => line.startsWith("ARG NODE_IMAGE")),
      ["ARG NODE_IMAGE=node:24-slim"]
    )
    assert.isTrue(instruction("FROM").every((line) => line.startsWith("FROM ${NODE_IMAGE}")))
    const user = finalStage.filter((line) => line.startsWith("USER ")).at(-1)
    assert.isDefined(user)
    assert.notMatch(user ?? "", /^USER (root|0)\b/)
  })

  it("installs production dependencies only, then starts the daemon listening for the healthcheck", () => {
    assert.isTrue(instruction("RUN").some((line) => line.includes("npm ci --omit=dev")))
    assert.deepStrictEqual(instruction("ENTRYPOINT"), ['ENTRYPOINT ["node", "src/main.ts"]'])
    assert.deepStrictEqual(instruction("CMD"), ['CMD ["daemon", "--listen", "0.0.0.0:9464"]'])
    assert.deepStrictEqual(instruction("EXPOSE"), ["EXPOSE 9464"])
    const healthcheck = instruction("HEALTHCHECK")
    assert.lengthOf(healthcheck, 1)
    assert.include(healthcheck[0], "http://127.0.0.1:9464/healthz")
  })

  it("has healthchecks that pass on a 200, and fail on an error status or a closed port", async () => {
    const image = JSON.parse(/ CMD (\[.*\])$/.exec(instruction("HEALTHCHECK")[0] ?? "")?.[1] ?? "[]") as Array<string>
    const simulator = (service("esl-sim").healthcheck?.test ?? []).slice(1)
    for (const [argv, port] of [
      [image, "9464"],
      [simulator, "8090"]
    ] as const) {
      assert.deepStrictEqual(argv.slice(0, 2), ["node", "-e"])
      const outcomes = await Promise.all([200, 503, 0].map((status) => healthcheckExit(argv[2] ?? "", port, status)))
      assert.deepStrictEqual(outcomes, [0, 1, 1], argv[2])
    }
  })

  it("bounds V8's heap with NODE_OPTIONS that Node accepts (the benchmarks run with the same flags)", () => {
    const flags = imageNodeFlags(join(projectRoot, "Dockerfile"))
    assert.deepStrictEqual(flags, ["--max-semi-space-size=16", "--max-old-space-size=1024"])
    const probe = spawnSync(
      process.execPath,
      ["-e", "process.stdout.write(String(require('node:v8').getHeapStatistics().heap_size_limit))"],
      { env: { ...process.env, NODE_OPTIONS: flags.join(" ") }, encoding: "utf8" }
    )
    assert.strictEqual(probe.status, 0, probe.stderr)
    // The old-space limit plus the young generation: near 1 GiB, not the host-sized default.
    const limit = Number(probe.stdout)
    assert.isAbove(limit, 1024 * 2 ** 20)
    assert.isBelow(limit, 1200 * 2 ** 20)
  })

  it("copies only what .dockerignore lets into the build context, and never .env", () => {
    const rules = read(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
    assert.strictEqual(rules[0], "*", "everything is excluded first")
    const allowed = rules.filter((rule) => rule.startsWith("!")).map((rule) => rule.slice(1).replace(/\/$/, ""))
    assert.notInclude(allowed.join(" "), ".env")
    const sources = finalStage
      .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
      .flatMap((line) => line.split(/\s+/).slice(1, -1))
    assert.includeMembers(sources, ["src", "layers", "otel", "tenants", "package.json", "package-lock.json"])
    for (const source of sources) {
      assert.include(allowed, source, `${source} is copied but excluded from the context`)
      assert.isTrue(existsSync(join(projectRoot, source)), source)
    }
  })
})
