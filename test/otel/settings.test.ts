import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { type OtelEnv, otelEnvConfig, resolveSettings } from "../../otel/observability.ts"

const resolve = (env: OtelEnv, isTty = false) => resolveSettings(env, { isTty })
const endpoint = "http://collector:4318"

describe("OTLP export settings", () => {
  it("exports nothing without an endpoint, whatever else is set", () => {
    const s = resolve({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })
    assert.isUndefined(s.traces)
    assert.isUndefined(s.logs)
    assert.deepStrictEqual(s.warnings, [])
  })

  it("an endpoint alone exports traces and logs with http/protobuf (the spec's defaults)", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
    assert.strictEqual(s.traces?.url, "http://collector:4318/v1/traces")
    assert.strictEqual(s.traces?.protocol, "http/protobuf")
    assert.strictEqual(s.logs?.url, "http://collector:4318/v1/logs")
    assert.strictEqual(s.logs?.protocol, "http/protobuf")
    assert.deepStrictEqual(s.warnings, [])
  })

  it("appends /v1/<signal> to the endpoint's path with or without trailing slashes", () => {
    assert.strictEqual(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/` }).traces?.url, `${endpoint}/v1/traces`)
    assert.strictEqual(
      resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/tenant-a//" }).traces?.url,
      "https://otlp.example.com/tenant-a/v1/traces"
    )
    assert.strictEqual(
      resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/otlp" }).logs?.url,
      "https://otlp.example.com/otlp/v1/logs"
    )
  })

  it("uses a signal's own endpoint verbatim and lets it win over the generic one", () => {
    const s = resolve({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/custom/path"
    })
    assert.strictEqual(s.traces?.url, "http://tempo:4318/custom/path")
    assert.strictEqual(s.logs?.url, `${endpoint}/v1/logs`)
    const tracesOnly = resolve({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/v1/traces" })
    assert.strictEqual(tracesOnly.traces?.url, "http://tempo:4318/v1/traces")
    assert.isUndefined(tracesOnly.logs)
  })

  it("OTEL_TRACES_EXPORTER=none turns traces off; logs follow their own exporter setting", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: "none" })
    assert.isUndefined(s.traces)
    assert.strictEqual(s.logs?.url, `${endpoint}/v1/logs`)
    const none = resolve({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_TRACES_EXPORTER: "None",
      OTEL_LOGS_EXPORTER: "none"
    })
    assert.isUndefined(none.traces)
    assert.isUndefined(none.logs)
  })

  it("OTEL_SDK_DISABLED=true turns every exporter off", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: "true" })
    assert.isUndefined(s.traces)
    assert.isUndefined(s.logs)
  })

  it("an exporter list with otlp and an unsupported name exports and warns about the other", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: "zipkin, otlp" })
    assert.isDefined(s.traces)
    assert.deepStrictEqual(s.warnings, [
      'OTEL_TRACES_EXPORTER: exporter "zipkin" is not supported (only otlp and none); ignored'
    ])
    assert.isUndefined(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: "console" }).traces)
  })

  it("honours the generic protocol and lets a signal's protocol override it", () => {
    const s = resolve({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "http/protobuf"
    })
    assert.strictEqual(s.traces?.protocol, "http/json")
    assert.strictEqual(s.logs?.protocol, "http/protobuf")
  })

  it("grpc falls back to http/protobuf with one warning that names the OTLP/HTTP port", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })
    assert.strictEqual(s.traces?.protocol, "http/protobuf")
    assert.strictEqual(s.logs?.protocol, "http/protobuf")
    assert.strictEqual(s.warnings.length, 1)
    assert.match(s.warnings[0] ?? "", /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported.*4318/)
    const unknown = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "thrift" })
    assert.strictEqual(unknown.traces?.protocol, "http/protobuf")
    assert.match(unknown.warnings[0] ?? "", /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=thrift is not a known protocol/)
  })

  it("an endpoint that is not an http(s) URL exports nothing and says so", () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })
    assert.isUndefined(s.traces)
    assert.isUndefined(s.logs)
    assert.deepStrictEqual(s.warnings, [
      "OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (OTLP/HTTP); nothing is exported to it"
    ])
    assert.match(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }).warnings[0] ?? "", /is not a URL/)
  })

  it("parses percent-encoded headers, keeps them Redacted and never puts a value in a warning", () => {
    const s = resolve({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: Redacted.make("x-api-key=s3cr%3Dt , authorization=Basic%20dXNlcg==,broken-s3cr3t"),
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: Redacted.make("x-logs-key=only-logs")
    })
    const headers = s.traces?.headers
    assert.isTrue(headers !== undefined && Redacted.isRedacted(headers))
    assert.strictEqual(String(headers), "<redacted>")
    assert.deepStrictEqual(headers && Redacted.value(headers), {
      "x-api-key": "s3cr=t",
      authorization: "Basic dXNlcg=="
    })
    assert.deepStrictEqual(s.logs && Redacted.value(s.logs.headers), { "x-logs-key": "only-logs" })
    assert.deepStrictEqual(s.warnings, [
      "OTEL_EXPORTER_OTLP_HEADERS: entry 3 is not a percent-encoded key=value pair; ignored"
    ])
  })

  it("takes the service name from OTEL_SERVICE_NAME, then service.name, then storeflow", () => {
    const attributes = "service.name=from%20attrs,deployment.environment=prod%2Feu,team=retail"
    assert.strictEqual(resolve({}).serviceName, "storeflow")
    const s = resolve({ OTEL_RESOURCE_ATTRIBUTES: attributes })
    assert.strictEqual(s.serviceName, "from attrs")
    assert.deepStrictEqual(s.resourceAttributes, { "deployment.environment": "prod/eu", team: "retail" })
    assert.strictEqual(resolve({ OTEL_RESOURCE_ATTRIBUTES: attributes, OTEL_SERVICE_NAME: "sf" }).serviceName, "sf")
    const bad = resolve({ OTEL_RESOURCE_ATTRIBUTES: "a=%E0%A4%A,b=2" })
    assert.deepStrictEqual(bad.resourceAttributes, { b: "2" })
    assert.strictEqual(bad.warnings.length, 1)
  })

  it("logs as pretty on a terminal and as JSON otherwise, unless LOG_FORMAT says", () => {
    assert.strictEqual(resolve({}, true).logFormat, "pretty")
    assert.isTrue(resolve({}, true).logColors)
    assert.isFalse(resolve({ NO_COLOR: "1" }, true).logColors)
    assert.strictEqual(resolve({}, false).logFormat, "json")
    assert.strictEqual(resolve({ LOG_FORMAT: "JSON" }, true).logFormat, "json")
    assert.strictEqual(resolve({ LOG_FORMAT: "pretty" }, false).logFormat, "pretty")
    assert.isFalse(resolve({ LOG_FORMAT: "pretty" }, false).logColors)
    const bad = resolve({ LOG_FORMAT: "xml" }, false)
    assert.strictEqual(bad.logFormat, "json")
    assert.deepStrictEqual(bad.warnings, ["LOG_FORMAT=xml is not json or pretty; using json"])
  })

  it.effect("reads the variables through Config, headers as Redacted, empty values as unset", () =>
    Effect.gen(function* () {
      const env = yield* otelEnvConfig
      assert.strictEqual(env.OTEL_EXPORTER_OTLP_ENDPOINT, endpoint)
      assert.isTrue(env.OTEL_EXPORTER_OTLP_HEADERS !== undefined && Redacted.isRedacted(env.OTEL_EXPORTER_OTLP_HEADERS))
      assert.isUndefined(env.OTEL_TRACES_EXPORTER)
      assert.strictEqual(resolve(env).traces?.url, `${endpoint}/v1/traces`)
    }).pipe(
      Effect.provide(
        ConfigProvider.layer(
          ConfigProvider.fromEnvRecord({
            OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
            OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc",
            OTEL_TRACES_EXPORTER: ""
          })
        )
      )
    )
  )
})
