// Real Envoy running the HTTP bridge (policy/envoy/sidecars.ts bridgeSidecar):
// the app-facing HTTP listener with the http-mq-bridge filter, and behind it
// Kafka (the internal listener kafka_tunnel with the tunnel → tcp_proxy to
// `upstream`, a broker or a closed port to test failures; with `brokers`,
// also one tunnel per broker, clusters kafka_tunnel_<node id> for the
// bridge's "brokers" map) and/or RocketMQ (the HTTP/2 cluster
// rocketmq_proxy_grpc the bridge calls SendMessage on). Always with the
// clusters mqmesh_otlp and mqmesh_ratelimit for the bridge's `tracing` and
// `rateLimitService`, at `collector` (e.g. Jaeger's otlpHttpAddress) and
// `rateLimitService` (e.g. envoyproxy/ratelimit's grpcAddress), or where
// nothing listens.
import { resolve } from "node:path";
import type { Delivery, Obj, SharedServices, WasmFilter } from "../../policy/envoy/resources.ts";
import { bridgeSidecar } from "../../policy/envoy/sidecars.ts";
import { writeEcdsFile } from "./ecds.ts";
import { startEnvoy, type EnvoyInstance } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";

type HostPort = { host: string; port: number };
const addr = (a: HostPort) => `${a.host}:${a.port}`;

export interface BridgeOptions extends SharedServices {
  upstream: HostPort;
  /** One tunnel per broker, clusters kafka_tunnel_<nodeId>. */
  brokers?: ({ nodeId: number } & HostPort)[];
  wasm: string;
  filterConfig: unknown;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

export interface Bridge {
  envoy: EnvoyInstance;
  /** Absolute path of the bridge's .wasm. */
  wasm: string;
  /** The bridge filter (what a reconfiguration rewrites). */
  filter: WasmFilter;
  /** "http://127.0.0.1:<port>" */
  url: string;
  stop(): Promise<void>;
}

export interface BridgeSidecarStart extends SharedServices {
  /** Kafka behind the bridge: the broker for Metadata and InitProducerId, optionally one tunnel per broker. */
  kafka?: { upstream: HostPort; brokers?: ({ nodeId: number } & HostPort)[] };
  /** RocketMQ behind the bridge: the proxy's gRPC server. */
  rocketmq?: { proxyGrpc: HostPort };
  wasm: string;
  filterConfig: unknown;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
  /** Filter configuration by ECDS from files (hot reload) instead of inline. */
  delivery?: Delivery;
  extraClusters?: Obj[];
}

/** One bridge Envoy on a free port, with Kafka and/or RocketMQ behind it. */
export async function startBridgeSidecar(opts: BridgeSidecarStart): Promise<Bridge> {
  const port = await freePort();
  const filter: WasmFilter = { filter: "http-mq-bridge", wasm: resolve(opts.wasm), config: opts.filterConfig };
  if (opts.delivery?.ecdsDir) writeEcdsFile(opts.delivery.ecdsDir, filter);
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-bridge",
    config: (adminPort) =>
      bridgeSidecar({
        adminPort,
        listen: `${LOOPBACK}:${port}`,
        filter,
        kafka: opts.kafka && { upstream: addr(opts.kafka.upstream), brokers: opts.kafka.brokers?.map((b) => ({ nodeId: b.nodeId, upstream: addr(b) })) },
        rocketmq: opts.rocketmq && { proxyGrpc: addr(opts.rocketmq.proxyGrpc) },
        delivery: opts.delivery,
        collector: opts.collector,
        rateLimitService: opts.rateLimitService,
        extraClusters: opts.extraClusters,
      }),
    concurrency: opts.concurrency ?? 2,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    wasm: filter.wasm,
    filter,
    url: `http://${LOOPBACK}:${port}`,
    async stop() {
      await envoy.stop();
      releasePort(port);
    },
  };
}

/** The HTTP-to-Kafka bridge in front of `upstream` (and its per-broker tunnels). */
export function startBridge(opts: BridgeOptions): Promise<Bridge> {
  return startBridgeSidecar({ ...opts, name: opts.name ?? "envoy-bridge", kafka: { upstream: opts.upstream, brokers: opts.brokers } });
}

export interface RocketMQBridgeOptions extends SharedServices {
  /** The RocketMQ proxy's gRPC server ("127.0.0.1:<grpcServerPort>"). */
  proxyGrpc: HostPort;
  wasm: string;
  filterConfig: unknown;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

/** The HTTP-to-RocketMQ bridge: SendMessage on cluster rocketmq_proxy_grpc, the proxy's gRPC port over HTTP/2. */
export function startRocketMQBridge(opts: RocketMQBridgeOptions): Promise<Bridge> {
  return startBridgeSidecar({ ...opts, name: opts.name ?? "envoy-bridge-rocketmq", rocketmq: { proxyGrpc: opts.proxyGrpc } });
}
