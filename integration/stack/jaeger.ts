// Jaeger, the trace backend of the kit: OTLP in (HTTP and gRPC), query API and
// UI out, traces in memory. Jaeger's Go module (`cmd/jaeger`, the
// OpenTelemetry-Collector-based Jaeger) is built from the module proxy into
// the cache on first use (go.ts, "tool" way: its go.mod has replace
// directives, which `go install pkg@version` refuses). The first build
// compiles about 2,000 packages: half an hour on 2 busy cores; later starts
// take about a second.
//
// A build from the module carries Jaeger's placeholder page instead of the
// UI: the UI's assets are built by Jaeger's release from a separate npm
// project and are not in the Go module. The query API (what tests and
// `mqmesh up` use) is complete.
//
//   MQMESH_JAEGER_VERSION  module version to build (default JAEGER_VERSION)
//   JAEGER_BIN             use this jaeger binary instead of building one
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { progress, runPath } from "./cache.ts";
import { goBinary } from "./go.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";

export const JAEGER_VERSION = process.env.MQMESH_JAEGER_VERSION || "v1.75.0";
const JAEGER_PACKAGE = "github.com/jaegertracing/jaeger/cmd/jaeger";

/** The jaeger binary: JAEGER_BIN, else built on first use into the cache. */
export async function jaegerBinary(): Promise<string> {
  if (process.env.JAEGER_BIN) return process.env.JAEGER_BIN;
  return (await goBinary({ name: "jaeger", pkg: JAEGER_PACKAGE, version: JAEGER_VERSION, via: "tool" })).path;
}

interface JaegerPorts {
  otlpHttp: number;
  otlpGrpc: number;
  queryHttp: number;
  queryGrpc: number;
  health: number;
}

/** Jaeger's collector configuration: OTLP receivers → batch → in-memory store, read by jaeger_query. */
export function jaegerConfigYaml(ports: JaegerPorts, maxTraces = 100_000): string {
  const at = (port: number) => ({ endpoint: `${LOOPBACK}:${port}` });
  return stringify({
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      // No internal metrics endpoint: it would take a fixed port (8888).
      telemetry: { resource: { "service.name": "jaeger" }, metrics: { level: "none" }, logs: { level: "info" } },
    },
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
      // No traces of Jaeger's own: they would go to a fixed 127.0.0.1:4317, perhaps another Jaeger.
      jaeger_query: { storage: { traces: "memstore" }, http: at(ports.queryHttp), grpc: at(ports.queryGrpc), enable_tracing: false },
      healthcheckv2: { use_v2: true, http: at(ports.health) },
    },
    receivers: { otlp: { protocols: { http: at(ports.otlpHttp), grpc: at(ports.otlpGrpc) } } },
    // A short batch timeout: spans are queryable within a fraction of a second.
    processors: { batch: { timeout: "200ms" } },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  });
}

export interface Jaeger {
  /** "127.0.0.1:<port>": OTLP/HTTP receiver; spans go to `http://<it>/v1/traces`. */
  otlpHttpAddress: string;
  /** "127.0.0.1:<port>": OTLP/gRPC receiver. */
  otlpGrpcAddress: string;
  /** "http://127.0.0.1:<port>": the query API (/api/services, /api/traces). */
  queryUrl: string;
  /** The UI's address (the same server as the query API). */
  uiUrl: string;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

export async function startJaeger(opts: { name?: string; maxTraces?: number } = {}): Promise<Jaeger> {
  const name = opts.name ?? "jaeger";
  const bin = await jaegerBinary();
  const started = Date.now();
  const ports: JaegerPorts = { otlpHttp: await freePort(), otlpGrpc: await freePort(), queryHttp: await freePort(), queryGrpc: await freePort(), health: await freePort() };
  const configFile = join(runPath(name), "config.yaml");
  writeFileSync(configFile, jaegerConfigYaml(ports, opts.maxTraces));
  const proc = spawnManaged({ name, command: bin, args: ["--config", configFile] });
  const queryUrl = `http://${LOOPBACK}:${ports.queryHttp}`;
  const release = () => Object.values(ports).forEach(releasePort);
  try {
    await waitUntil(
      async () => {
        const [health, services] = await Promise.all([
          fetch(`http://${LOOPBACK}:${ports.health}/status`, { signal: AbortSignal.timeout(2000) }),
          fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(2000) }),
        ]);
        return health.ok && services.ok;
      },
      { what: `${name} health and query API`, timeoutMs: 60_000, intervalMs: 200, proc },
    );
  } catch (e) {
    await proc.stop();
    release();
    throw e;
  }
  progress(name, `Jaeger ${JAEGER_VERSION} ready: OTLP/HTTP ${LOOPBACK}:${ports.otlpHttp}, query/UI ${queryUrl}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    otlpHttpAddress: `${LOOPBACK}:${ports.otlpHttp}`,
    otlpGrpcAddress: `${LOOPBACK}:${ports.otlpGrpc}`,
    queryUrl,
    uiUrl: `${queryUrl}/`,
    proc,
    async stop() {
      await proc.stop();
      release();
    },
  };
}

// ---------- the query API (Jaeger's HTTP JSON API, as its UI uses it) ----------

export interface JaegerTag {
  key: string;
  type: "string" | "bool" | "int64" | "float64" | "binary";
  value: string | number | boolean;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: "CHILD_OF" | "FOLLOWS_FROM"; traceID: string; spanID: string }[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerTag[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

export interface TraceQuery {
  service: string;
  operation?: string;
  /** Span tags that must match, e.g. {"messaging.destination.name": "orders"}. */
  tags?: Record<string, string>;
  limit?: number;
  /** e.g. "1h" (Jaeger's default lookback is one hour). */
  lookback?: string;
}

export interface JaegerQuery {
  services(): Promise<string[]>;
  operations(service: string): Promise<string[]>;
  traces(q: TraceQuery): Promise<JaegerTrace[]>;
  trace(traceId: string): Promise<JaegerTrace | undefined>;
}

/** A span's tag value by key, or undefined. */
export function spanTag(span: JaegerSpan, key: string): JaegerTag["value"] | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

/** A typed client of Jaeger's query API at `queryUrl` ("http://host:port"). */
export function jaegerQuery(queryUrl: string): JaegerQuery {
  const get = async <T>(path: string, missingOk = false): Promise<T | undefined> => {
    const res = await fetch(`${queryUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (missingOk && res.status === 404) return undefined;
    const body = (await res.json()) as { data: T; errors?: { code: number; msg: string }[] | null };
    if (!res.ok || body.errors?.length) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
    return body.data;
  };
  return {
    services: async () => (await get<string[]>("/api/services")) ?? [],
    operations: async (service) => (await get<string[]>(`/api/services/${encodeURIComponent(service)}/operations`)) ?? [],
    async traces(q) {
      const params = new URLSearchParams({ service: q.service, limit: String(q.limit ?? 20), lookback: q.lookback ?? "1h" });
      if (q.operation) params.set("operation", q.operation);
      if (q.tags) params.set("tags", JSON.stringify(q.tags));
      return (await get<JaegerTrace[]>(`/api/traces?${params}`)) ?? [];
    },
    trace: async (traceId) => (await get<JaegerTrace[]>(`/api/traces/${traceId}`, true))?.[0],
  };
}
