// Each filter's JSON configuration, produced from its section of the policy
// plus the shared sections. The filters keep their own documented JSON
// (filters/<name>/README.md): this is a front end, so a section's fields go
// through as they are, and only what the deployment knows is added here —
// the sidecar's own listener addresses (broker and route rewrite) and the
// names of the clusters the shared sections become.
import type { BridgePolicy, KafkaPolicy, Policy } from "./policy.ts";

/** The Envoy clusters the shared sections and the bridge's pubsubs become. */
export const CLUSTERS = {
  otlp: "mqmesh_otlp",
  ratelimit: "mqmesh_ratelimit",
  kafkaTunnel: "kafka_tunnel",
  rocketmqGrpc: "rocketmq_proxy_grpc",
} as const;

export type FilterName = "kafka" | "rocketmq" | "rocketmq-grpc" | "http-mq-bridge";

/**
 * How Envoy runs each filter: network or HTTP filter, the root id the module
 * answers to (its README's), and the Wasm VM it shares with its own kind.
 */
export const FILTERS: Record<FilterName, { kind: "network" | "http"; rootId: string; vmId: string; section: string }> = {
  kafka: { kind: "network", rootId: "mqmesh_kafka", vmId: "mqmesh_kafka", section: "kafka" },
  rocketmq: { kind: "network", rootId: "mqmesh_rocketmq", vmId: "mqmesh_rocketmq", section: "rocketmq.remoting" },
  "rocketmq-grpc": { kind: "http", rootId: "mqmesh_rocketmq_grpc", vmId: "mqmesh_rocketmq_grpc", section: "rocketmq.grpc" },
  "http-mq-bridge": { kind: "http", rootId: "http_mq_bridge", vmId: "mqmesh_http_mq_bridge", section: "bridge" },
};

/** What only the deployment knows: where this sidecar's listeners are, what its clusters are called. */
export interface Listeners {
  /** Cluster names other than CLUSTERS' (Istio's outbound|port||host clusters). */
  clusters?: Partial<Record<keyof typeof CLUSTERS, string>>;
  /** Kafka: the sidecar's listener per broker node id ("host:port"), for the broker address rewrite. */
  kafkaBrokers?: { nodeId: number; address: string }[];
  /** RocketMQ: the sidecar's remoting listener, where route answers send remoting clients. */
  rocketmqRemoting?: string;
  /** RocketMQ: the sidecar's gRPC listener, where route and assignment answers send gRPC clients. */
  rocketmqGrpc?: string;
  /** The bridge: the tunnel cluster per Kafka broker node id (several brokers). */
  kafkaTunnels?: Record<string, string>;
}

type Json = Record<string, unknown>;

function hostPort(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i).replace(/^\[|\]$/g, ""), Number(address.slice(i + 1))];
}

/** The shared tracing section with the filter's overrides, as the filters read it. */
function tracingConfig(policy: Policy, own: { inject?: string; sampling?: number; serviceName?: string } | undefined, filter: FilterName, listeners: Listeners): Json | undefined {
  const t = policy.tracing;
  if (!t) return undefined;
  return {
    inject: own?.inject ?? "sampled",
    sampling: own?.sampling ?? t.sampling ?? 1,
    collector: { cluster: listeners.clusters?.otlp ?? CLUSTERS.otlp, authority: t.collector, path: t.path ?? "/v1/traces", timeoutMs: t.timeoutMs ?? 5000 },
    serviceName: own?.serviceName ?? t.serviceName ?? `mqmesh-${filter}`,
    resource: t.resource,
    maxQueueSpans: t.maxQueueSpans,
    maxBatchSpans: t.maxBatchSpans,
    exportIntervalMs: t.exportIntervalMs,
  };
}

/** The global limiter's block, only for a filter with a `global: true` rule (the others need none). */
function rateLimitConfig(policy: Policy, rules: { global?: boolean }[] | undefined, listeners: Listeners): Json | undefined {
  const r = policy.rateLimitService;
  if (!r || !rules?.some((rule) => rule.global)) return undefined;
  return { cluster: listeners.clusters?.ratelimit ?? CLUSTERS.ratelimit, domain: r.domain ?? "mqmesh", timeoutMs: r.timeoutMs ?? 200, failureMode: r.failureMode ?? "open" };
}

/** Drops undefined fields, so the JSON carries only what the policy says. */
function compact(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function kafkaFilterConfig(policy: Policy, listeners: Listeners = {}): Json {
  const { brokers: _upstreams, tracing, ...own }: KafkaPolicy = policy.kafka ?? {};
  const brokerAddresses = listeners.kafkaBrokers?.length
    ? Object.fromEntries(listeners.kafkaBrokers.map((b) => [String(b.nodeId), b.address]))
    : undefined;
  return compact({
    ...own,
    brokerAddresses,
    tracing: tracingConfig(policy, tracing, "kafka", listeners),
    rateLimitService: rateLimitConfig(policy, own.quotas?.rules, listeners),
  });
}

/** The rocketmq filter, on the remoting and on the name server listener (route answers of both are rewritten). */
export function rocketmqFilterConfig(policy: Policy, listeners: Listeners = {}): Json {
  const { tracing, routeRewrite, ...own } = policy.rocketmq?.remoting ?? {};
  const address = routeRewrite?.address ?? (routeRewrite ? listeners.rocketmqRemoting : undefined);
  return compact({
    ...own,
    routeRewrite: address ? { address } : undefined,
    tracing: tracingConfig(policy, tracing, "rocketmq", listeners),
    rateLimitService: rateLimitConfig(policy, own.limits?.rules, listeners),
  });
}

export function rocketmqGrpcFilterConfig(policy: Policy, listeners: Listeners = {}): Json {
  const { tracing, endpoints, ...own } = policy.rocketmq?.grpc ?? {};
  let rewrite = endpoints;
  if (!rewrite && listeners.rocketmqGrpc) {
    const [host, port] = hostPort(listeners.rocketmqGrpc);
    rewrite = { host, port };
  }
  return compact({
    ...own,
    endpoints: rewrite,
    tracing: tracingConfig(policy, tracing, "rocketmq-grpc", listeners),
    rateLimitService: rateLimitConfig(policy, own.limits?.rules, listeners),
  });
}

export function bridgeFilterConfig(policy: Policy, listeners: Listeners = {}): Json {
  const { pubsubs, routes, tracing, listen: _listen, ...own }: BridgePolicy = policy.bridge ?? { pubsubs: {} };
  const out: Record<string, Json> = {};
  for (const [name, ps] of Object.entries(pubsubs)) {
    const cluster = ps.type === "kafka" ? (listeners.clusters?.kafkaTunnel ?? CLUSTERS.kafkaTunnel) : (listeners.clusters?.rocketmqGrpc ?? CLUSTERS.rocketmqGrpc);
    const brokers = ps.type === "kafka" && listeners.kafkaTunnels && Object.keys(listeners.kafkaTunnels).length > 1 ? listeners.kafkaTunnels : undefined;
    const own = routes?.filter((r) => r.pubsub === name).map((r) => ({ pattern: r.pattern, topic: r.topic }));
    out[name] = compact({ ...ps, cluster, brokers, routes: own?.length ? own : undefined });
  }
  return compact({
    ...own,
    pubsubs: out,
    tracing: tracingConfig(policy, tracing, "http-mq-bridge", listeners),
    rateLimitService: rateLimitConfig(policy, own.limits?.rules, listeners),
  });
}

/** Every filter's configuration at once, by filter name. */
export function filterConfigs(policy: Policy, listeners: Listeners = {}): Record<FilterName, Json> {
  return {
    kafka: kafkaFilterConfig(policy, listeners),
    rocketmq: rocketmqFilterConfig(policy, listeners),
    "rocketmq-grpc": rocketmqGrpcFilterConfig(policy, listeners),
    "http-mq-bridge": bridgeFilterConfig(policy, listeners),
  };
}
