// Real Envoy running the HTTP-to-Kafka bridge (envoy-configs/http-bridge-kafka.yaml):
// the app-facing HTTP listener, the internal listener with the Kafka tunnel,
// and tcp_proxy to `upstream` (a broker, or a closed port to test failures);
// with `brokers`, also one tunnel per broker: listener and cluster
// kafka_tunnel_<node id> -> kafka_broker_<node id> (for the bridge's
// "brokers" map). Or the HTTP-to-RocketMQ bridge (startRocketMQBridge).
// Both have the clusters mqmesh_otlp (an OTLP/HTTP collector, e.g. Jaeger's
// otlpHttpAddress) and mqmesh_ratelimit (a rate limit service's gRPC port,
// e.g. envoyproxy/ratelimit's grpcAddress) for the bridge's `tracing` and
// `rateLimitService`; without an address they point at a port nobody listens on.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_DIR, renderTemplate, startEnvoy, templateVarsOf, type EnvoyInstance, type TemplateVars } from "./envoy.ts";
import { expandBrokerSections } from "./kafka-cluster-sidecar.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";

/** Where the bridge's collector and rate limit service clusters point, "host:port". */
export interface BridgeServices {
  collector?: string;
  rateLimitService?: string;
}

export interface BridgeOptions extends BridgeServices {
  upstream: { host: string; port: number };
  /** One tunnel per broker, clusters kafka_tunnel_<nodeId>. */
  brokers?: { nodeId: number; host: string; port: number }[];
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

/** http-bridge-kafka.yaml with its per-broker sections expanded (none without brokers), then rendered. */
export function renderBridgeConfig(vars: TemplateVars, brokers: { nodeId: number; host: string; port: number }[] = []): string {
  const sections = brokers.map((b) => ({ nodeId: b.nodeId, listenPort: 0, upstream: { host: b.host, port: b.port } }));
  const expanded = expandBrokerSections(readFileSync(join(CONFIG_DIR, "http-bridge-kafka.yaml"), "utf8"), sections);
  const dir = mkdtempSync(join(tmpdir(), "mqmesh-bridge-"));
  try {
    const file = join(dir, "http-bridge-kafka.yaml");
    writeFileSync(file, expanded);
    return renderTemplate(file, vars);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  return startBridgeEnvoy(opts, opts.name ?? "envoy-bridge", "http-bridge-kafka.yaml", {
    UPSTREAM_HOST: opts.upstream.host,
    UPSTREAM_PORT: opts.upstream.port,
  }, (vars) => renderBridgeConfig(vars, opts.brokers));
}

/** One app-facing bridge listener on a free port, whatever the broker behind it. */
async function startBridgeEnvoy(
  opts: BridgeServices & { wasm: string; filterConfig: unknown; concurrency?: number; componentLogLevel?: string },
  name: string,
  template: string,
  brokerVars: Record<string, string | number>,
  /** A bootstrap built from the vars instead of the plain template. */
  render?: (vars: TemplateVars) => string,
): Promise<Bridge> {
  const port = await freePort();
  const unused = await freePort();
  const [otlpHost, otlpPort] = hostPort(opts.collector, unused);
  const [rlsHost, rlsPort] = hostPort(opts.rateLimitService, unused);
  const vars: TemplateVars = {
    ADMIN_PORT: await freePort(),
    LISTEN_PORT: port,
    OTLP_HOST: otlpHost,
    OTLP_PORT: otlpPort,
    RATELIMIT_HOST: rlsHost,
    RATELIMIT_PORT: rlsPort,
    ...brokerVars,
    WASM_PATH: resolve(opts.wasm),
    FILTER_CONFIG_JSON: JSON.stringify(opts.filterConfig),
  };
  const envoy = await startEnvoy({
    name,
    ...(render ? { config: render(vars) } : { template }),
    vars,
    concurrency: opts.concurrency ?? 2,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    url: `http://${LOOPBACK}:${port}`,
    async stop() {
      await envoy.stop();
      releasePort(port);
      releasePort(unused);
    },
  };
}

// "host:port" -> [host, port]; none: loopback and a port nobody listens on.
function hostPort(address: string | undefined, unused: number): [string, number] {
  if (!address) return [LOOPBACK, unused];
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

export interface RocketMQBridgeOptions extends BridgeServices {
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

// CLI: `render NAME=value…` prints http-bridge-kafka.yaml with one tunnel (no
// per-broker sections). OTLP_HOST/PORT and RATELIMIT_HOST/PORT default to
// port 9 on loopback, where nothing listens (no collector, no service).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== "render") {
    console.error("usage: bridge.ts render ADMIN_PORT=… LISTEN_PORT=… UPSTREAM_HOST=… UPSTREAM_PORT=… WASM_PATH=… FILTER_CONFIG_JSON=… [OTLP_HOST=… OTLP_PORT=… RATELIMIT_HOST=… RATELIMIT_PORT=…]");
    process.exit(2);
  }
  const defaults: TemplateVars = { OTLP_HOST: LOOPBACK, OTLP_PORT: 9, RATELIMIT_HOST: LOOPBACK, RATELIMIT_PORT: 9 };
  process.stdout.write(renderBridgeConfig({ ...defaults, ...templateVarsOf(rest) }));
}
