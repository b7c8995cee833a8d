// Real Envoy running the HTTP-to-Kafka bridge (envoy-configs/http-bridge-kafka.yaml):
// the app-facing HTTP listener, the internal listener with the Kafka tunnel,
// and tcp_proxy to `upstream` (a broker, or a closed port to test failures);
// or the HTTP-to-RocketMQ bridge (startRocketMQBridge).
import { resolve } from "node:path";
import { startEnvoy, type EnvoyInstance } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";

export interface BridgeOptions {
  upstream: { host: string; port: number };
  wasm: string;
  filterConfig: unknown;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

export interface Bridge {
  envoy: EnvoyInstance;
  /** "http://127.0.0.1:<port>" */
  url: string;
  stop(): Promise<void>;
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  return startBridgeEnvoy(opts, opts.name ?? "envoy-bridge", "http-bridge-kafka.yaml", {
    UPSTREAM_HOST: opts.upstream.host,
    UPSTREAM_PORT: opts.upstream.port,
  });
}

/** One app-facing bridge listener on a free port, whatever the broker behind it. */
async function startBridgeEnvoy(
  opts: { wasm: string; filterConfig: unknown; concurrency?: number; componentLogLevel?: string },
  name: string,
  template: string,
  brokerVars: Record<string, string | number>,
): Promise<Bridge> {
  const port = await freePort();
  const envoy = await startEnvoy({
    name,
    template,
    vars: { LISTEN_PORT: port, ...brokerVars, WASM_PATH: resolve(opts.wasm), FILTER_CONFIG_JSON: JSON.stringify(opts.filterConfig) },
    concurrency: opts.concurrency ?? 2,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    url: `http://${LOOPBACK}:${port}`,
    async stop() {
      await envoy.stop();
      releasePort(port);
    },
  };
}

export interface RocketMQBridgeOptions {
  /** The RocketMQ proxy's gRPC server ("127.0.0.1:<grpcServerPort>"). */
  proxyGrpc: { host: string; port: number };
  wasm: string;
  filterConfig: unknown;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

/**
 * Real Envoy running the HTTP-to-RocketMQ bridge (envoy-configs/http-bridge-rocketmq.yaml):
 * the app-facing HTTP listener and the HTTP/2 cluster rocketmq_proxy_grpc the
 * bridge calls SendMessage on.
 */
export async function startRocketMQBridge(opts: RocketMQBridgeOptions): Promise<Bridge> {
  return startBridgeEnvoy(opts, opts.name ?? "envoy-bridge-rocketmq", "http-bridge-rocketmq.yaml", {
    PROXY_GRPC_HOST: opts.proxyGrpc.host,
    PROXY_GRPC_PORT: opts.proxyGrpc.port,
  });
}
