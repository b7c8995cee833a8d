// `mqmesh render istio`: the policy as Istio resources — a WasmPlugin per
// filter (NETWORK for Kafka and RocketMQ remoting, HTTP for gRPC and the
// bridge) whose pluginConfig is the filter's JSON produced from the policy,
// an EnvoyFilter for what a WasmPlugin cannot express (the bridge's tunnel:
// an internal listener, its cluster, the buffer filter), and the ConfigMap
// carrying envoy-configs/stats-tags.yaml as a custom bootstrap. The policy's
// upstream addresses are the Services (kafka.kafka.svc.cluster.local:9092);
// the filters call Istio's outbound clusters (outbound|<port>||<host>).
import { readFileSync } from "node:fs";
import { bridgeFilterConfig, FILTERS, kafkaFilterConfig, rocketmqFilterConfig, rocketmqGrpcFilterConfig, type FilterName, type Listeners } from "./filter-config.ts";
import { splitAddress, statsConfig, tcpProxy, wasmTypedConfig, type Obj } from "./envoy/resources.ts";
import type { Policy } from "./policy.ts";

export interface IstioOptions {
  /** OCI registry of the filter images (`npm run oci -- <filter>`), default registry.example.com/mqmesh. */
  registry?: string;
  /** Image tag, default the package version. */
  tag?: string;
}

/** The selector labels workloads carry to get each filter. */
const SELECTORS: Record<FilterName, Record<string, string>> = {
  kafka: { "mqmesh.io/kafka": "enabled" },
  rocketmq: { "mqmesh.io/rocketmq": "enabled" },
  "rocketmq-grpc": { "mqmesh.io/rocketmq": "enabled" },
  "http-mq-bridge": { app: "mqmesh-bridge" },
};

function packageVersion(): string {
  return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
}

/** Istio's name for the outbound cluster of a Service address. */
export function outboundCluster(address: string): string {
  const [host, port] = splitAddress(address);
  return `outbound|${port}||${host}`;
}

const port = (address: string) => splitAddress(address)[1];

function wasmPlugin(filter: FilterName, url: string, ports: number[], pluginConfig: Obj, mode: "CLIENT" | "SERVER"): Obj {
  const meta = FILTERS[filter];
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: { name: `mqmesh-${filter}` },
    spec: {
      selector: { matchLabels: SELECTORS[filter] },
      url,
      imagePullPolicy: "IfNotPresent",
      pluginName: meta.rootId,
      type: meta.kind === "network" ? "NETWORK" : "HTTP",
      // Policies decide after Istio's authentication; the bridge only observes Istio's side.
      phase: filter === "http-mq-bridge" ? "STATS" : "AUTHZ",
      // A plugin that fails to load or traps stops traffic instead of silently dropping the policy.
      failStrategy: "FAIL_CLOSE",
      match: [{ mode, ports: [...new Set(ports)].map((number) => ({ number })) }],
      pluginConfig,
    },
  };
}

/** The bridge's tunnel: the module as a network filter (by ECDS) on an internal listener, tcp_proxy to the broker's outbound cluster. */
function bridgeTunnel(url: string, listenPort: number, broker: string): Obj {
  const ext = "mqmesh-kafka-tunnel";
  const typed = wasmTypedConfig({ filter: "http-mq-bridge", wasm: "", config: {}, name: "mqmesh_kafka_tunnel", rootId: "kafka_tunnel", vmId: "mqmesh_kafka_tunnel", kind: "network" });
  // istio-agent fetches the oci:// module of remote code and hands Envoy a local file.
  (typed.config as Obj).vm_config = {
    vm_id: "mqmesh_kafka_tunnel",
    runtime: "envoy.wasm.runtime.v8",
    code: { remote: { http_uri: { uri: url, cluster: "mqmesh-wasm-fetch", timeout: "30s" } } },
  };
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata: { name: "mqmesh-http-mq-bridge-tunnel" },
    spec: {
      workloadSelector: { labels: SELECTORS["http-mq-bridge"] },
      configPatches: [
        { applyTo: "EXTENSION_CONFIG", patch: { operation: "ADD", value: { name: ext, typed_config: typed } } },
        {
          applyTo: "LISTENER",
          patch: {
            operation: "ADD",
            value: {
              name: "kafka_tunnel",
              internal_listener: {},
              filter_chains: [{ filters: [{ name: ext, config_discovery: { config_source: { ads: {} }, type_urls: [(typed as Obj)["@type"]] } }, tcpProxy("kafka_tunnel", outboundCluster(broker))] }],
            },
          },
        },
        {
          applyTo: "CLUSTER",
          patch: {
            operation: "ADD",
            value: {
              name: "kafka_tunnel",
              connect_timeout: "1s",
              load_assignment: { cluster_name: "kafka_tunnel", endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: "kafka_tunnel" } } } }] }] },
            },
          },
        },
        {
          // Holds the request back from the router while the bridge reads the body.
          applyTo: "HTTP_FILTER",
          match: {
            context: "SIDECAR_INBOUND",
            listener: { portNumber: listenPort, filterChain: { filter: { name: "envoy.filters.network.http_connection_manager", subFilter: { name: "envoy.filters.http.router" } } } },
          },
          patch: {
            operation: "INSERT_BEFORE",
            value: { name: "envoy.filters.http.buffer", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", max_request_bytes: 8388608 } },
          },
        },
      ],
    },
  };
}

/** The stats tags as a custom bootstrap (pilot-agent merges it), for `sidecar.istio.io/bootstrapOverride`. */
function statsBootstrap(): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "mqmesh-stats-bootstrap" },
    data: { "custom_bootstrap.json": JSON.stringify({ stats_config: { stats_tags: statsConfig().stats_tags } }, null, 2) },
  };
}

export function renderIstio(policy: Policy, opts: IstioOptions = {}): Obj[] {
  const url = (f: FilterName) => `oci://${opts.registry ?? "registry.example.com/mqmesh"}/${f}:${opts.tag ?? packageVersion()}`;
  const clusters: Listeners["clusters"] = {
    ...(policy.tracing ? { otlp: outboundCluster(policy.tracing.collector) } : {}),
    ...(policy.rateLimitService ? { ratelimit: outboundCluster(policy.rateLimitService.address) } : {}),
  };
  const out: Obj[] = [];
  const brokers = policy.kafka?.brokers ?? [];
  if (policy.kafka) {
    if (!brokers.length) throw new Error("render istio: the policy has no kafka.brokers (the Services clients reach)");
    out.push(wasmPlugin("kafka", url("kafka"), brokers.map((b) => port(b.address)), kafkaFilterConfig(policy, { clusters }), "CLIENT"));
  }
  const r = policy.rocketmq;
  if (r) {
    const remoting = r.proxy?.remoting?.address;
    const grpc = r.proxy?.grpc?.address;
    if (!remoting || !grpc || !r.namesrv) throw new Error("render istio: the policy needs rocketmq.namesrv, rocketmq.proxy.remoting and rocketmq.proxy.grpc (the Services clients reach)");
    // Route answers name the proxy's Services, which clients reach through their own sidecar.
    const listeners = { clusters, rocketmqRemoting: remoting, rocketmqGrpc: grpc };
    out.push(wasmPlugin("rocketmq", url("rocketmq"), [port(remoting), port(r.namesrv.address)], rocketmqFilterConfig(policy, listeners), "CLIENT"));
    out.push(wasmPlugin("rocketmq-grpc", url("rocketmq-grpc"), [port(grpc)], rocketmqGrpcFilterConfig(policy, listeners), "CLIENT"));
  }
  const b = policy.bridge;
  if (b) {
    const listenPort = port(b.listen ?? "0.0.0.0:3500");
    const rocketmqGrpc = r?.proxy?.grpc?.address;
    const config = bridgeFilterConfig(policy, { clusters: { ...clusters, ...(rocketmqGrpc ? { rocketmqGrpc: outboundCluster(rocketmqGrpc) } : {}) } });
    out.push(wasmPlugin("http-mq-bridge", url("http-mq-bridge"), [listenPort], config, "SERVER"));
    if (Object.values(b.pubsubs).some((p) => p.type === "kafka")) out.push(bridgeTunnel(url("http-mq-bridge"), listenPort, brokers[0].address));
  }
  out.push(statsBootstrap());
  return out;
}
