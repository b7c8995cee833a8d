// The Envoy bootstraps mqmesh runs: the Kafka sidecar (one broker, or a
// listener per broker of a cluster), the RocketMQ sidecar (remoting, name
// server and gRPC listeners), and the HTTP bridge (Kafka through an internal
// listener and a tunnel, RocketMQ through the proxy's gRPC port). Used by
// `mqmesh render envoy` and by the integration kit alike. A filter left out
// (undefined) gives that listener plain tcp_proxy / the HTTP router.
import {
  bootstrap, cluster, httpConnectionManager, internalCluster, listener, serviceClusters, tcpProxy, wasmFilter,
  type Delivery, type DownstreamTls, type Obj, type SharedServices, type WasmFilter,
} from "./resources.ts";

/** A listener and where it forwards, both "host:port". */
export interface Hop {
  listen: string;
  upstream: string;
}

interface Common {
  adminPort: number;
  /** Where filter configurations come from (inline by default). */
  delivery?: Delivery;
  /** More clusters, e.g. the policy's collector and rate limit service. */
  extraClusters?: Obj[];
}

/** One listener in front of one Kafka broker: listener kafka_sidecar → cluster kafka_broker (with `tls`, clients must present certificates). */
export function kafkaSidecar(opts: Common & Hop & { filter?: WasmFilter; tls?: DownstreamTls }): Obj {
  const filters = [...(opts.filter ? [wasmFilter(opts.filter, opts.delivery)] : []), tcpProxy("kafka_sidecar", "kafka_broker")];
  return bootstrap({
    adminPort: opts.adminPort,
    // A Kafka client keeps a few long-lived connections: spread them over the
    // workers exactly, so one busy client does not leave a worker idle (and
    // per-worker state such as a quota's shared buckets is exercised).
    listeners: [listener("kafka_sidecar", opts.listen, filters, { connection_balance_config: { exact_balance: {} } }, opts.tls)],
    clusters: [cluster("kafka_broker", opts.upstream), ...(opts.extraClusters ?? [])],
  });
}

/**
 * One listener per broker of a cluster, each with the same kafka filter (so
 * one Wasm VM per worker) and tcp_proxy to its broker: kafka_broker_<node id>.
 */
export function kafkaClusterSidecar(opts: Common & { brokers: (Hop & { nodeId: number })[]; filter?: WasmFilter }): Obj {
  if (opts.brokers.length === 0) throw new Error("kafka cluster sidecar: no brokers");
  if (new Set(opts.brokers.map((b) => b.nodeId)).size !== opts.brokers.length) throw new Error("kafka cluster sidecar: a node id is listed twice");
  const name = (b: { nodeId: number }) => `kafka_broker_${b.nodeId}`;
  return bootstrap({
    adminPort: opts.adminPort,
    listeners: opts.brokers.map((b) =>
      listener(name(b), b.listen, [...(opts.filter ? [wasmFilter(opts.filter, opts.delivery)] : []), tcpProxy(name(b), name(b))]),
    ),
    clusters: [...opts.brokers.map((b) => cluster(name(b), b.upstream)), ...(opts.extraClusters ?? [])],
  });
}

/**
 * Envoy in front of a RocketMQ 5 stack: remoting (→ the proxy's remoting
 * port) and name server listeners with the rocketmq network filter, and a
 * gRPC listener (HTTP/2 → the proxy's gRPC port) with the rocketmq-grpc filter.
 */
export function rocketmqSidecar(
  opts: Common & { remoting: Hop; namesrv: Hop; grpc: Hop; remotingFilter?: WasmFilter; namesrvFilter?: WasmFilter; grpcFilter?: WasmFilter },
): Obj {
  const network = (f: WasmFilter | undefined) => (f ? [wasmFilter(f, opts.delivery)] : []);
  const grpcRoutes = {
    name: "rocketmq_grpc",
    virtual_hosts: [{ name: "rocketmq_proxy", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "rocketmq_proxy_grpc", timeout: "0s" } }] }],
  };
  const grpcFilters = [
    ...network(opts.grpcFilter),
    // Per-method counters: cluster.rocketmq_proxy_grpc.grpc.apache.rocketmq.v2.MessagingService.<Method>.*
    {
      name: "envoy.filters.http.grpc_stats",
      typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig", stats_for_all_methods: true, enable_upstream_stats: false },
    },
  ];
  return bootstrap({
    adminPort: opts.adminPort,
    listeners: [
      listener("rocketmq_remoting", opts.remoting.listen, [...network(opts.remotingFilter), tcpProxy("rocketmq_remoting", "rocketmq_proxy_remoting")]),
      listener("rocketmq_namesrv", opts.namesrv.listen, [...network(opts.namesrvFilter), tcpProxy("rocketmq_namesrv", "rocketmq_namesrv")]),
      listener("rocketmq_grpc", opts.grpc.listen, [
        // Long-polling ReceiveMessage and the bidirectional Telemetry stream stay
        // open for minutes: no stream idle or route timeouts.
        httpConnectionManager("rocketmq_grpc", grpcRoutes, grpcFilters, {
          codec_type: "HTTP2",
          stream_idle_timeout: "0s",
          http2_protocol_options: { max_concurrent_streams: 1000 },
        }),
      ]),
    ],
    clusters: [
      cluster("rocketmq_proxy_remoting", opts.remoting.upstream),
      cluster("rocketmq_namesrv", opts.namesrv.upstream),
      cluster("rocketmq_proxy_grpc", opts.grpc.upstream, { http2: true }),
      ...(opts.extraClusters ?? []),
    ],
  });
}

export interface BridgeSidecarOptions extends Common, SharedServices {
  /** The app-facing HTTP listener. */
  listen: string;
  /** The http-mq-bridge filter (its pubsubs name kafka_tunnel[_<id>] and rocketmq_proxy_grpc). */
  filter: WasmFilter;
  /** Kafka: the broker for Metadata and InitProducerId, and optionally one tunnel per broker. */
  kafka?: { upstream: string; brokers?: { nodeId: number; upstream: string }[] };
  /** RocketMQ: the proxy's gRPC port. */
  rocketmq?: { proxyGrpc: string };
}

const MAX_BODY = 8 * 1024 * 1024;

/** Loopback's discard port: nothing serves it, so a call there fails at once. */
const NO_SERVICE = "127.0.0.1:9";

/** The tunnel: the bridge's module as a network filter on an internal listener, then tcp_proxy to a broker. */
function tunnel(name: string, brokerCluster: string, bridge: WasmFilter): Obj {
  return listener(name, undefined, [
    // Its own VM: Envoy opens the internal connection inside the bridge's
    // proxy_http_call, so a shared VM would be re-entered.
    wasmFilter({ filter: "http-mq-bridge", wasm: bridge.wasm, config: {}, name: "mqmesh_kafka_tunnel", rootId: "kafka_tunnel", vmId: "mqmesh_kafka_tunnel", kind: "network" }),
    tcpProxy(name, brokerCluster),
  ]);
}

/**
 * The HTTP bridge: apps POST to `listen`; the bridge filter answers itself,
 * publishing through the Kafka tunnel (internal listener kafka_tunnel → broker)
 * or with gRPC SendMessage to rocketmq_proxy_grpc, exporting spans to
 * mqmesh_otlp and asking mqmesh_ratelimit about global rules.
 */
export function bridgeSidecar(opts: BridgeSidecarOptions): Obj {
  const routes = {
    name: "bridge",
    // Paths the bridge does not serve.
    virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 404, body: { inline_string: "not a bridge path\n" } } }] }],
  };
  const httpFilters = [
    wasmFilter(opts.filter, opts.delivery),
    // Holds the request headers back from the router while the bridge reads
    // the body (a Wasm filter that stops at headers would not see the body in
    // ABI 0.2.x); publish bodies never reach it, the bridge answers itself.
    { name: "envoy.filters.http.buffer", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", max_request_bytes: MAX_BODY } },
  ];
  const listeners = [
    // Bodies up to the bridge's maxBodyBytes are buffered by the filter, which answers 413 above that.
    listener("bridge_http", opts.listen, [httpConnectionManager("bridge_http", routes, httpFilters)], { per_connection_buffer_limit_bytes: MAX_BODY }),
  ];
  const clusters: Obj[] = [];
  if (opts.kafka) {
    listeners.push(tunnel("kafka_tunnel", "kafka_broker", opts.filter));
    clusters.push(internalCluster("kafka_tunnel", "kafka_tunnel"), cluster("kafka_broker", opts.kafka.upstream));
    for (const b of opts.kafka.brokers ?? []) {
      listeners.push(tunnel(`kafka_tunnel_${b.nodeId}`, `kafka_broker_${b.nodeId}`, opts.filter));
      clusters.push(internalCluster(`kafka_tunnel_${b.nodeId}`, `kafka_tunnel_${b.nodeId}`), cluster(`kafka_broker_${b.nodeId}`, b.upstream));
    }
  }
  if (opts.rocketmq) clusters.push(cluster("rocketmq_proxy_grpc", opts.rocketmq.proxyGrpc, { http2: true }));
  // The bridge's tracing and global limits name mqmesh_otlp and
  // mqmesh_ratelimit whatever the deployment provides, so both are always
  // there; without an address they point at NO_SERVICE, where spans are
  // dropped and global rules follow their failureMode.
  clusters.push(...serviceClusters({ collector: opts.collector ?? NO_SERVICE, rateLimitService: opts.rateLimitService ?? NO_SERVICE }));
  return bootstrap({
    adminPort: opts.adminPort,
    listeners,
    clusters: [...clusters, ...(opts.extraClusters ?? [])],
    // Lets a cluster reach an internal listener by name (envoy_internal_address).
    bootstrapExtensions: opts.kafka
      ? [{ name: "envoy.bootstrap.internal_listener", typed_config: { "@type": "type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener" } }]
      : [],
  });
}
