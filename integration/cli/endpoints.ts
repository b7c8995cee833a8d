// The endpoints `mqmesh up` prints: as text for people, as JSON with --json.

/** A filter a sidecar runs and what its configuration (from the policy) makes it enforce. */
export interface FilterEndpoint {
  name: string;
  /** The .wasm it runs. */
  wasm: string;
  /** One line per feature: "metrics", "ACL: 2 rules, default allow, denies payments.*", … */
  enforces: string[];
}

export interface KafkaEndpoints {
  /** Bootstrap through the Envoy sidecar with the kafka filter. Use this one. */
  bootstrap: string;
  filters: FilterEndpoint[];
  /** Admin URL of the sidecar Envoy. */
  adminUrl: string;
  /** Through a second Envoy with plain tcp_proxy (for comparisons). */
  baseline: string;
  baselineAdminUrl: string;
  /** The brokers' own PLAINTEXT listeners (bypassing Envoy). */
  direct: string;
  brokers: number;
  version: string;
}

export interface RocketMQEndpoints {
  /** Name server through the sidecar: what remoting clients (Java, mqadmin) take as namesrvAddr. */
  namesrv: string;
  /** The proxy's remoting port through the sidecar. */
  remoting: string;
  /** The proxy's gRPC port through the sidecar: the endpoint of gRPC clients (rocketmq-client-nodejs, Java 5.x). */
  grpc: string;
  /** rocketmq on the remoting and name server listeners, rocketmq-grpc on the gRPC listener. */
  filters: FilterEndpoint[];
  adminUrl: string;
  /** The components' own addresses (bypassing Envoy). */
  direct: { namesrv: string; proxyRemoting: string; proxyGrpc: string; broker: string };
  mode: string;
  clusterName: string;
  version: string;
}

export interface Endpoints {
  /** The policy file the filters are configured from (edits are applied while up runs). */
  policy: string;
  /** Services the policy names that mqmesh up does not start (its collector, rate limit service). */
  services: string[];
  kafka: KafkaEndpoints | null;
  rocketmq: RocketMQEndpoints | null;
  /** The HTTP bridge's listener (Dapr publish, CloudEvents, Kafka REST-style records); null without a bridge section. */
  http: { url: string; filters: FilterEndpoint[]; adminUrl: string } | null;
  /** With --monitoring: Prometheus scraping every sidecar, and the Grafana dashboard that reads it. */
  monitoring: { prometheus: string; dashboard: string } | null;
  /** With a tracing section: Jaeger, where every filter exports its spans (UI and query API, OTLP/HTTP receiver). */
  tracing: { ui: string; query: string; otlpHttp: string } | null;
  envoy: { version: string; admin: Record<string, string> };
  /** Logs of every process of this run. */
  logs: string;
}

/** The text `mqmesh up` prints once everything answers. */
export function formatEndpoints(e: Endpoints, seconds: number): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(26)} ${value}`);
  const filters = (fs: FilterEndpoint[]) => {
    for (const f of fs) row(`filter ${f.name}`, f.enforces.join("; "));
  };
  lines.push(`mqmesh is up (${seconds.toFixed(1)} s) — everything on 127.0.0.1`);
  lines.push(`policy: ${e.policy} (saving it reconfigures the sidecars)`);
  for (const s of e.services) lines.push(`  ${s}`);
  lines.push("");
  if (e.kafka) {
    const k = e.kafka;
    lines.push(`Kafka ${k.version} (${k.brokers} broker${k.brokers === 1 ? "" : "s"})`);
    row("bootstrap (sidecar)", k.bootstrap);
    filters(k.filters);
    if (!k.filters.length) row("filter", "none (plain tcp_proxy, MQMESH_KAFKA_WASM=off)");
    row("baseline (no filter)", k.baseline);
    row("direct to brokers", k.direct);
  } else lines.push("Kafka                      off (--no-kafka)");
  lines.push("");
  if (e.rocketmq) {
    const r = e.rocketmq;
    lines.push(`RocketMQ ${r.version} (${r.mode} mode, cluster ${r.clusterName})`);
    row("name server (sidecar)", `${r.namesrv}   remoting clients: namesrvAddr`);
    row("proxy remoting (sidecar)", r.remoting);
    row("proxy gRPC (sidecar)", `${r.grpc}   gRPC clients: endpoints`);
    filters(r.filters);
    row("direct", `namesrv ${r.direct.namesrv}, proxy ${r.direct.proxyRemoting} / gRPC ${r.direct.proxyGrpc}, broker ${r.direct.broker}`);
  } else lines.push("RocketMQ                   off (--no-rocketmq)");
  lines.push("");
  if (e.http) {
    lines.push(`HTTP bridge                ${e.http.url}`);
    row("publish", "POST /v1.0/publish/<pubsub>/<topic>, /v1.0-alpha1/publish/bulk/<pubsub>/<topic> (Dapr), /v1.0/cloudevents/<pubsub>/<topic>, /topics/<topic> (REST)");
    filters(e.http.filters);
  } else lines.push("HTTP bridge                none (no bridge section in the policy, or no broker for its pubsubs)");
  lines.push("");
  if (e.monitoring) {
    lines.push(`Prometheus                 ${e.monitoring.prometheus}   scraping every sidecar's /stats/prometheus`);
    row("Grafana dashboard", `${e.monitoring.dashboard}   (import it; data source: that Prometheus)`);
    lines.push("");
  }
  if (e.tracing) {
    lines.push(`Jaeger                     ${e.tracing.ui}   traces of every filter (query API: ${e.tracing.query}/api/traces)`);
    row("OTLP/HTTP receiver", e.tracing.otlpHttp);
    lines.push("");
  }
  lines.push(`Envoy ${e.envoy.version} admin (metrics: <admin>/stats/prometheus)`);
  for (const [name, url] of Object.entries(e.envoy.admin)) row(name, url);
  lines.push("");
  lines.push(`logs: ${e.logs}`);
  return lines.join("\n");
}
