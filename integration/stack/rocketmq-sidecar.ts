// Envoy in front of a RocketMQ stack (policy/envoy/sidecars.ts
// rocketmqSidecar): a remoting listener (-> proxy remoting), a name server
// listener (-> name server) and a gRPC listener (-> proxy gRPC, HTTP/2), with
// the rocketmq filter on the first two and rocketmq-grpc on the third when given.
import { resolve } from "node:path";
import type { Delivery, Obj, WasmFilter } from "../../policy/envoy/resources.ts";
import { rocketmqSidecar } from "../../policy/envoy/sidecars.ts";
import { writeEcdsFile } from "./ecds.ts";
import { startEnvoy, type EnvoyInstance } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import type { RocketMQ } from "./rocketmq.ts";

export interface RocketMQSidecarOptions {
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
  /** The rocketmq network filter (e.g. build/rocketmq.wasm), before tcp_proxy on the remoting and name server listeners. */
  remotingWasm?: string;
  /** Its JSON configuration on the remoting listener; a function gets the sidecar's listener addresses (for routeRewrite). */
  remotingFilterConfig?: Record<string, unknown> | ((listeners: RocketMQListeners) => unknown);
  /** Its JSON configuration on the name server listener (default {}: observe only); a function as above. */
  namesrvFilterConfig?: unknown | ((listeners: RocketMQListeners) => unknown);
  /** The rocketmq-grpc HTTP filter (e.g. build/rocketmq-grpc.wasm), first in the gRPC listener's chain. */
  grpcWasm?: string;
  /** Its JSON configuration; a function as above. */
  grpcFilterConfig?: unknown | ((listeners: RocketMQListeners) => unknown);
  /** Filter configurations by ECDS from files (hot reload) instead of inline. */
  delivery?: Delivery;
  /** More clusters (the policy's collector, rate limit service). */
  extraClusters?: Obj[];
}

/** The sidecar's listeners, "127.0.0.1:<port>" each. */
export interface RocketMQListeners {
  remoting: string;
  namesrv: string;
  grpc: string;
}

export interface RocketMQSidecar extends RocketMQListeners {
  envoy: EnvoyInstance;
  /** Absolute path of the rocketmq filter on the remoting listeners, if any. */
  remotingWasm?: string;
  /** Absolute path of the rocketmq-grpc filter, if any. */
  grpcWasm?: string;
  /** The Wasm filters in its chains (what a reconfiguration rewrites): remoting, name server, gRPC. */
  filters: WasmFilter[];
  stop(): Promise<void>;
}

const configFor = (c: unknown, listeners: RocketMQListeners) => (typeof c === "function" ? c(listeners) : c) ?? {};

export async function startRocketMQSidecar(rmq: Pick<RocketMQ, "namesrv" | "proxyRemoting" | "proxyGrpc">, opts: RocketMQSidecarOptions = {}): Promise<RocketMQSidecar> {
  const [remotingPort, namesrvPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const listeners = { remoting: `${LOOPBACK}:${remotingPort}`, namesrv: `${LOOPBACK}:${namesrvPort}`, grpc: `${LOOPBACK}:${grpcPort}` };
  const remotingWasm = opts.remotingWasm ? resolve(opts.remotingWasm) : undefined;
  const grpcWasm = opts.grpcWasm ? resolve(opts.grpcWasm) : undefined;
  // Two plugin names on one VM: the listeners may be configured differently.
  const remotingFilter: WasmFilter | undefined = remotingWasm
    ? { filter: "rocketmq", wasm: remotingWasm, config: configFor(opts.remotingFilterConfig, listeners), name: "mqmesh_rocketmq_remoting", rootId: "mqmesh_rocketmq_remoting" }
    : undefined;
  const namesrvFilter: WasmFilter | undefined = remotingWasm
    ? { filter: "rocketmq", wasm: remotingWasm, config: configFor(opts.namesrvFilterConfig, listeners), name: "mqmesh_rocketmq_namesrv", rootId: "mqmesh_rocketmq_namesrv" }
    : undefined;
  const grpcFilter: WasmFilter | undefined = grpcWasm ? { filter: "rocketmq-grpc", wasm: grpcWasm, config: configFor(opts.grpcFilterConfig, listeners) } : undefined;
  const ecdsDir = opts.delivery?.ecdsDir;
  if (ecdsDir) for (const f of [remotingFilter, namesrvFilter, grpcFilter]) if (f) writeEcdsFile(ecdsDir, f);
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-rocketmq",
    config: (adminPort) =>
      rocketmqSidecar({
        adminPort,
        remoting: { listen: listeners.remoting, upstream: rmq.proxyRemoting },
        namesrv: { listen: listeners.namesrv, upstream: rmq.namesrv },
        grpc: { listen: listeners.grpc, upstream: rmq.proxyGrpc },
        remotingFilter,
        namesrvFilter,
        grpcFilter,
        delivery: opts.delivery,
        extraClusters: opts.extraClusters,
      }),
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    ...listeners,
    remotingWasm,
    grpcWasm,
    filters: [remotingFilter, namesrvFilter, grpcFilter].filter((f): f is WasmFilter => Boolean(f)),
    async stop() {
      await envoy.stop();
      [remotingPort, namesrvPort, grpcPort].forEach(releasePort);
    },
  };
}
