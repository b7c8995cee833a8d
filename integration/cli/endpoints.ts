// The endpoints `mqmesh up` prints: as text for people, as JSON with --json.

export interface KafkaEndpoints {
  /** Bootstrap through the Envoy sidecar (with the kafka filter when built). Use this one. */
  bootstrap: string;
  /** The .wasm the sidecar runs, or null for plain tcp_proxy. */
  filter: string | null;
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
  /** The .wasm the sidecar runs, or null (plain tcp_proxy / HTTP/2 router). */
  filter: string | null;
  adminUrl: string;
  /** The components' own addresses (bypassing Envoy). */
  direct: { namesrv: string; proxyRemoting: string; proxyGrpc: string; broker: string };
  mode: string;
  clusterName: string;
  version: string;
}

export interface Endpoints {
  kafka: KafkaEndpoints | null;
  rocketmq: RocketMQEndpoints | null;
  /** The HTTP-to-Kafka bridge's listener (Dapr publish and REST-style records APIs); null without Kafka. */
  http: { url: string; filter: string | null; adminUrl: string } | null;
  envoy: { version: string; admin: Record<string, string> };
  /** Logs of every process of this run. */
  logs: string;
}

/** The text `mqmesh up` prints once everything answers. */
export function formatEndpoints(e: Endpoints, seconds: number): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(26)} ${value}`);
  lines.push(`mqmesh is up (${seconds.toFixed(1)} s) — everything on 127.0.0.1`);
  lines.push("");
  if (e.kafka) {
    const k = e.kafka;
    lines.push(`Kafka ${k.version} (${k.brokers} broker${k.brokers === 1 ? "" : "s"})`);
    row("bootstrap (sidecar)", `${k.bootstrap}   filter: ${k.filter ?? "none (tcp_proxy)"}`);
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
    row("filters", r.filter ?? "none (tcp_proxy / HTTP/2 router)");
    row("direct", `namesrv ${r.direct.namesrv}, proxy ${r.direct.proxyRemoting} / gRPC ${r.direct.proxyGrpc}, broker ${r.direct.broker}`);
  } else lines.push("RocketMQ                   off (--no-rocketmq)");
  lines.push("");
  lines.push(
    e.http
      ? `HTTP bridge                ${e.http.url}   POST /v1.0/publish/kafka/<topic> and /v1.0-alpha1/publish/bulk/kafka/<topic> (Dapr), /v1.0/cloudevents/kafka/<topic> (CloudEvents), /topics/<topic> (REST)   filter: ${e.http.filter ?? "none"}`
      : "HTTP bridge                none (no Kafka, or build/http-mq-bridge.wasm missing)",
  );
  lines.push("");
  lines.push(`Envoy ${e.envoy.version} admin`);
  for (const [name, url] of Object.entries(e.envoy.admin)) row(name, url);
  lines.push("");
  lines.push(`logs: ${e.logs}`);
  return lines.join("\n");
}
