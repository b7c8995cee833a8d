// One Envoy in front of a whole Kafka cluster (policy/envoy/sidecars.ts
// kafkaClusterSidecar): one listener per broker, each listener -> the kafka
// filter (the same configuration everywhere, so one Wasm VM per worker) ->
// tcp_proxy to its broker. The filter rewrites every broker address the
// cluster gives out to the listener in front of that broker
// (brokerAddresses, by node id), so a client that bootstraps through any
// listener keeps every connection on the sidecar.
// By hand: `npx mqmesh render envoy --policy <file with kafka.brokers>`.
import { resolve } from "node:path";
import { kafkaClusterSidecar } from "../../policy/envoy/sidecars.ts";
import { FILTERS } from "../../policy/filter-config.ts";
import { startEnvoy, type EnvoyInstance } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";

export interface ClusterSidecarBroker {
  nodeId: number;
  /** Where Envoy forwards this broker's connections (a broker listener). */
  upstream: { host: string; port: number };
  /** The sidecar listener for this broker; allocated when absent. */
  listenPort?: number;
}

export interface ClusterSidecarOptions {
  brokers: ClusterSidecarBroker[];
  wasm: string;
  /** More filter configuration; brokerAddresses is added (yours wins per node id). */
  filterConfig?: Record<string, unknown>;
  /** false: no brokerAddresses (shows what clients get without the rewrite). */
  rewrite?: boolean;
  /** The host clients use to reach the listeners (default 127.0.0.1). */
  advertisedHost?: string;
  vmId?: string;
  rootId?: string;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

export interface ClusterSidecar {
  envoy: EnvoyInstance;
  /** Per broker, in the order given: node id, listener port, "host:port" clients use. */
  listeners: { nodeId: number; port: number; address: string }[];
  /** All listener addresses, comma separated (a client bootstrap list). */
  bootstrap: string;
  filterConfig: Record<string, unknown>;
  /** tcp_proxy's downstream connection count per node id (stat tcp.kafka_broker_<id>.downstream_cx_total). */
  connectionsPerBroker(): Promise<Map<number, number>>;
  stop(): Promise<void>;
}

/** The filter configuration: brokerAddresses for every broker's listener, merged with `extra`. */
export function clusterFilterConfig(listeners: { nodeId: number; address: string }[], extra: Record<string, unknown> = {}, rewrite = true): Record<string, unknown> {
  if (!rewrite) return { ...extra };
  const own = (extra.brokerAddresses as Record<string, string> | undefined) ?? {};
  const brokerAddresses: Record<string, string> = {};
  for (const l of listeners) brokerAddresses[String(l.nodeId)] = l.address;
  return { ...extra, brokerAddresses: { ...brokerAddresses, ...own } };
}

/** Starts the cluster sidecar and waits for it to be ready. */
export async function startKafkaClusterSidecar(opts: ClusterSidecarOptions): Promise<ClusterSidecar> {
  const host = opts.advertisedHost ?? LOOPBACK;
  const brokers: { nodeId: number; upstream: { host: string; port: number }; listenPort: number }[] = [];
  for (const b of opts.brokers) brokers.push({ nodeId: b.nodeId, upstream: b.upstream, listenPort: b.listenPort ?? (await freePort()) });
  const listeners = brokers.map((b) => ({ nodeId: b.nodeId, port: b.listenPort, address: `${host}:${b.listenPort}` }));
  const filterConfig = clusterFilterConfig(listeners, opts.filterConfig, opts.rewrite ?? true);
  const filter = {
    filter: "kafka" as const,
    wasm: resolve(opts.wasm),
    config: filterConfig,
    vmId: opts.vmId ?? FILTERS.kafka.vmId,
    rootId: opts.rootId ?? FILTERS.kafka.rootId,
  };
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-kafka-cluster",
    config: (adminPort) =>
      kafkaClusterSidecar({
        adminPort,
        brokers: brokers.map((b) => ({ nodeId: b.nodeId, listen: `${LOOPBACK}:${b.listenPort}`, upstream: `${b.upstream.host}:${b.upstream.port}` })),
        filter,
      }),
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    listeners,
    bootstrap: listeners.map((l) => l.address).join(","),
    filterConfig,
    async connectionsPerBroker() {
      const stats = await envoy.stats("downstream_cx_total");
      const out = new Map<number, number>();
      for (const b of brokers) out.set(b.nodeId, stats.get(`tcp.kafka_broker_${b.nodeId}.downstream_cx_total`) ?? 0);
      return out;
    },
    async stop() {
      await envoy.stop();
      for (const b of brokers) releasePort(b.listenPort);
    },
  };
}
