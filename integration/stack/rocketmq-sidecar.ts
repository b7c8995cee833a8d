// Envoy in front of a RocketMQ stack: envoy-configs/rocketmq-sidecar.yaml with
// a remoting listener (-> proxy remoting), a name server listener (-> name
// server) and a gRPC listener (-> proxy gRPC, HTTP/2).
import { resolve } from "node:path";
import { insertWasmFilter, renderTemplate, startEnvoy, type EnvoyInstance, type TemplateVars } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import type { RocketMQ } from "./rocketmq.ts";

export interface RocketMQSidecarOptions {
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
  /** The rocketmq network filter (e.g. build/rocketmq.wasm), before tcp_proxy on the remoting and name server listeners. */
  remotingWasm?: string;
  /** Its JSON configuration on the remoting listener; a function gets the sidecar's listener addresses (for routeRewrite). */
  remotingFilterConfig?: Record<string, unknown> | ((listeners: { remoting: string; namesrv: string }) => unknown);
  /** Its JSON configuration on the name server listener (default {}: observe only). */
  namesrvFilterConfig?: unknown;
  /** The rocketmq-grpc HTTP filter (e.g. build/rocketmq-grpc.wasm), first in the gRPC listener's chain. */
  grpcWasm?: string;
  /** Its JSON configuration. */
  grpcFilterConfig?: unknown;
}

export interface RocketMQSidecar {
  envoy: EnvoyInstance;
  /** "127.0.0.1:<port>" forwarding to the proxy's remoting port. */
  remoting: string;
  /** "127.0.0.1:<port>" forwarding to the name server. */
  namesrv: string;
  /** "127.0.0.1:<port>" forwarding (HTTP/2) to the proxy's gRPC port. */
  grpc: string;
  /** Absolute path of the rocketmq filter on the remoting listeners, if any. */
  remotingWasm?: string;
  stop(): Promise<void>;
}

function split(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

/** The bootstrap with the rocketmq-grpc filter at the gRPC listener's ">>> WASM" marker. */
function withGrpcWasm(yaml: string, wasm: string, config: unknown): string {
  return insertWasmFilter(yaml, /^( *)# >>> WASM: envoy\.filters\.http\.wasm.*$/m, { type: "http", name: "mqmesh_rocketmq_grpc", vmId: "mqmesh_rocketmq_grpc", wasm, config });
}

/** The bootstrap with the rocketmq network filter at the remoting and name server listeners' ">>> WASM" markers. */
function withRemotingWasm(yaml: string, wasm: string, remotingConfig: unknown, namesrvConfig: unknown): string {
  const remoting = insertWasmFilter(yaml, /^( *)# >>> WASM: envoy\.filters\.network\.wasm \(rocketmq filter\).*$/m, {
    type: "network", name: "mqmesh_rocketmq_remoting", vmId: "mqmesh_rocketmq", wasm, config: remotingConfig,
  });
  return insertWasmFilter(remoting, /^( *)# >>> WASM: envoy\.filters\.network\.wasm \(rocketmq filter, route-info rewrite\).*$/m, {
    type: "network", name: "mqmesh_rocketmq_namesrv", vmId: "mqmesh_rocketmq", wasm, config: namesrvConfig,
  });
}

export async function startRocketMQSidecar(rmq: Pick<RocketMQ, "namesrv" | "proxyRemoting" | "proxyGrpc">, opts: RocketMQSidecarOptions = {}): Promise<RocketMQSidecar> {
  const [remotingPort, namesrvPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const [prh, prp] = split(rmq.proxyRemoting);
  const [nh, np] = split(rmq.namesrv);
  const [pgh, pgp] = split(rmq.proxyGrpc);
  const vars: TemplateVars = {
    REMOTING_LISTEN_PORT: remotingPort,
    PROXY_REMOTING_HOST: prh,
    PROXY_REMOTING_PORT: prp,
    NAMESRV_LISTEN_PORT: namesrvPort,
    NAMESRV_HOST: nh,
    NAMESRV_PORT: np,
    GRPC_LISTEN_PORT: grpcPort,
    PROXY_GRPC_HOST: pgh,
    PROXY_GRPC_PORT: pgp,
  };
  const listeners = { remoting: `${LOOPBACK}:${remotingPort}`, namesrv: `${LOOPBACK}:${namesrvPort}` };
  // Filters go into the rendered text, so the admin port must be known first.
  let config: string | undefined;
  if (opts.grpcWasm || opts.remotingWasm) {
    vars.ADMIN_PORT = await freePort();
    config = renderTemplate("rocketmq-sidecar.yaml", vars);
    if (opts.grpcWasm) config = withGrpcWasm(config, opts.grpcWasm, opts.grpcFilterConfig);
    if (opts.remotingWasm) {
      const rc = opts.remotingFilterConfig;
      config = withRemotingWasm(config, opts.remotingWasm, typeof rc === "function" ? rc(listeners) : rc, opts.namesrvFilterConfig);
    }
  }
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-rocketmq",
    template: "rocketmq-sidecar.yaml",
    vars,
    config,
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    remoting: `${LOOPBACK}:${remotingPort}`,
    namesrv: `${LOOPBACK}:${namesrvPort}`,
    grpc: `${LOOPBACK}:${grpcPort}`,
    remotingWasm: opts.remotingWasm ? resolve(opts.remotingWasm) : undefined,
    async stop() {
      await envoy.stop();
      [remotingPort, namesrvPort, grpcPort].forEach(releasePort);
    },
  };
}
