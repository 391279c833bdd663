import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { parse } from "yaml"
import { Metrics } from "../../src/daemon/metrics.ts"
import { projectRoot } from "../support/tenants.ts"
import { legendLabels, partsOf } from "./promql.ts"

const read = (...path: ReadonlyArray<string>) => readFileSync(join(projectRoot, ...path), "utf8")

interface Documented {
  readonly type: string
  readonly labels: ReadonlyArray<string>
}

/** The metrics table of otel/README.md: the contract the daemon implements and the dashboard reads. */
const contract = new Map<string, Documented>(
  [...read("otel", "README.md").matchAll(/^\| `(storeflow_\w+)` \| (counter|histogram) \| ([^|]+) \|/gm)].map((m) => [
    m[1] ?? "",
    { type: m[2] ?? "", labels: [...(m[3] ?? "").matchAll(/`(\w+)`/g)].map((l) => l[1] ?? "") }
  ])
)

/** A series name of the contract: a metric, or one of a histogram's _bucket/_sum/_count series. */
const seriesOf = (name: string): { metric: string; labels: ReadonlyArray<string> } | undefined => {
  const direct = contract.get(name)
  if (direct !== undefined) return { metric: name, labels: direct.labels }
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name)
  const histogram = contract.get(suffix?.[1] ?? "")
  if (suffix === null || histogram?.type !== "histogram") return undefined
  return { metric: suffix[1] ?? "", labels: suffix[2] === "bucket" ? [...histogram.labels, "le"] : histogram.labels }
}

interface Target {
  readonly expr?: string
  readonly legendFormat?: string
  readonly datasource?: { readonly uid: string }
}
interface Panel {
  readonly title: string
  readonly datasource?: { readonly uid: string }
  readonly targets?: ReadonlyArray<Target>
}
const dashboard = JSON.parse(read("otel", "grafana", "dashboards", "storeflow.json")) as {
  readonly uid: string
  readonly panels: ReadonlyArray<Panel>
  readonly templating: { readonly list: ReadonlyArray<{ readonly name: string; readonly definition?: string }> }
}
const queries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).flatMap((target) =>
    target.expr === undefined ? [] : [{ panel: panel.title, expr: target.expr, legend: target.legendFormat ?? "" }]
  )
)

describe("the metrics contract (otel/README.md)", () => {
  it("lists the metrics the daemon exposes, with their types and labels", () => {
    assert.deepStrictEqual(Object.fromEntries(contract), {
      storeflow_runs_total: { type: "counter", labels: ["job", "tenant", "status"] },
      storeflow_records_synced_total: { type: "counter", labels: ["tenant", "store"] },
      storeflow_esl_api_latency_seconds: { type: "histogram", labels: ["tenant", "operation"] },
      storeflow_job_duration_seconds: { type: "histogram", labels: ["job", "tenant"] },
      storeflow_skipped_ticks_total: { type: "counter", labels: ["job", "tenant"] },
      storeflow_errors_total: { type: "counter", labels: ["tenant", "job", "type"] },
      storeflow_tick_lateness_seconds: { type: "histogram", labels: ["job"] }
    })
  })

  it("is exactly what the daemon's registry declares on /metrics", () => {
    const declared = [...new Metrics().render().matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]])
    assert.sameDeepMembers(
      declared,
      [...contract].map(([name, { type }]) => [name, type])
    )
  })
})

describe("the Grafana dashboard", () => {
  it("queries only the documented metrics, with their own labels", () => {
    assert.isAbove(queries.length, 10)
    for (const { panel, expr, legend } of queries) {
      const parts = partsOf(expr)
      assert.isNotEmpty(parts.selectors, `${panel}: ${expr}`)
      const available = new Set(parts.made)
      for (const selector of parts.selectors) {
        const series = seriesOf(selector.metric)
        assert.isDefined(series, `${panel}: ${selector.metric} is not in the metrics contract`)
        for (const label of series?.labels ?? []) available.add(label)
        for (const label of selector.labels) {
          assert.include(series?.labels, label, `${panel}: ${selector.metric} has no label ${label}`)
        }
      }
      for (const label of [...parts.grouping, ...legendLabels(legend)]) {
        assert.isTrue(available.has(label), `${panel}: no label ${label} in ${expr}`)
      }
    }
  })

  it("shows every documented metric and the KPIs of the design", () => {
    const used = new Set(queries.flatMap(({ expr }) => partsOf(expr).selectors.map((s) => seriesOf(s.metric)?.metric)))
    assert.sameMembers([...used], [...contract.keys()])
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join("\n")
    for (const kpi of ["success rate", "records per", "response time", "errors by type", "peak hours"]) {
      assert.include(titles, kpi)
    }
  })

  it("refers only to the provisioned data sources, by uid", () => {
    const provisioned = parse(read("otel", "grafana", "provisioning", "datasources", "datasources.yaml")) as {
      datasources: ReadonlyArray<{ uid: string }>
    }
    const uids = provisioned.datasources.map((d) => d.uid)
    const referenced = dashboard.panels.flatMap((p) => [
      p.datasource?.uid,
      ...(p.targets ?? []).map((t) => t.datasource?.uid)
    ])
    for (const uid of referenced) if (uid !== undefined) assert.include(uids, uid)
    for (const variable of dashboard.templating.list) {
      if (variable.definition !== undefined) assert.include(variable.definition, "storeflow_runs_total")
    }
  })
})

describe("the grafana profile's config (otel/*.yaml)", () => {
  const compose = parse(read("docker-compose.yml")) as {
    services: Record<string, { volumes?: ReadonlyArray<string>; command?: ReadonlyArray<string> }>
  }

  it("wires the collector's pipelines from components it defines, out to Tempo and Jaeger", () => {
    const collector = parse(read("otel", "collector.yaml")) as {
      receivers: Record<string, unknown>
      processors: Record<string, unknown>
      exporters: Record<string, { endpoint: string }>
      service: {
        pipelines: Record<string, { receivers: Array<string>; processors: Array<string>; exporters: Array<string> }>
      }
    }
    const traces = collector.service.pipelines.traces ?? assert.fail("no traces pipeline")
    for (const name of traces.receivers) assert.property(collector.receivers, name)
    for (const name of traces.processors) assert.property(collector.processors, name)
    assert.sameMembers(
      traces.exporters.map((name) => collector.exporters[name]?.endpoint),
      ["tempo:4317", "jaeger:4317"]
    )
  })

  it("has Tempo receive OTLP from other containers and Prometheus scrape the daemon keeping its job label", () => {
    const tempo = parse(read("otel", "tempo.yaml")) as {
      distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: string } } } } }
    }
    assert.strictEqual(tempo.distributor.receivers.otlp.protocols.grpc.endpoint, "0.0.0.0:4317")
    const prometheus = parse(read("otel", "prometheus.yaml")) as {
      scrape_configs: ReadonlyArray<{
        honor_labels?: boolean
        static_configs: ReadonlyArray<{ targets: Array<string> }>
      }>
    }
    const scrape = prometheus.scrape_configs[0]
    assert.isTrue(scrape?.honor_labels)
    assert.deepStrictEqual(scrape?.static_configs[0]?.targets, ["storeflow:9464"])
  })

  it("provisions the dashboard from the folder compose mounts, with each mounted config where its service reads it", () => {
    const provider = parse(read("otel", "grafana", "provisioning", "dashboards", "storeflow.yaml")) as {
      providers: ReadonlyArray<{ options: { path: string } }>
    }
    const grafanaVolumes = compose.services.grafana?.volumes ?? []
    assert.include(grafanaVolumes, `./otel/grafana/dashboards:${provider.providers[0]?.options.path}:ro`)
    assert.include(grafanaVolumes, "./otel/grafana/provisioning:/etc/grafana/provisioning:ro")
    const mounted = (service: string, file: string) =>
      (compose.services[service]?.volumes ?? []).find((v) => v.startsWith(`./otel/${file}:`))?.split(":")[1]
    for (const [service, file] of [
      ["otel-collector", "collector.yaml"],
      ["tempo", "tempo.yaml"],
      ["prometheus", "prometheus.yaml"]
    ] as const) {
      const path = mounted(service, file)
      assert.isDefined(path, `${service} mounts otel/${file}`)
      assert.isTrue(
        (compose.services[service]?.command ?? []).some((arg) => arg.endsWith(`=${path}`)),
        `${service} reads ${path}`
      )
    }
  })
})
