// Real Envoy running the HTTP-to-Kafka bridge (envoy-configs/http-bridge-kafka.yaml):
// the app-facing HTTP listener, the internal listener with the Kafka tunnel,
// and tcp_proxy to `upstream` (a broker, or a closed port to test failures).
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
  const port = await freePort();
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-bridge",
    template: "http-bridge-kafka.yaml",
    vars: {
      LISTEN_PORT: port,
      UPSTREAM_HOST: opts.upstream.host,
      UPSTREAM_PORT: opts.upstream.port,
      WASM_PATH: resolve(opts.wasm),
      FILTER_CONFIG_JSON: JSON.stringify(opts.filterConfig),
    },
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
