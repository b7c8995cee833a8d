// RocketMQ (name server, broker, cluster-mode proxy; or local mode, see
// rocketmq.ts) with its Envoy sidecar running the project's RocketMQ filters:
// `rocketmq` on the remoting and name server listeners, `rocketmq-grpc` on the
// gRPC listener, both observing. Used by the integration setup
// (rocketmq-global.ts) and by `mqmesh up`; no vitest here, so the CLI loads fast.
import { filterWasm } from "./filters.ts";
import { startRocketMQ, type RocketMQ, type RocketMQMode } from "./rocketmq.ts";
import { startRocketMQSidecar, type RocketMQSidecar, type RocketMQSidecarOptions } from "./rocketmq-sidecar.ts";

/** What test files get: plain data (it crosses the worker boundary). */
export interface RocketMQEndpoints {
  version: string;
  /** The proxy's mode: decides what route answers name (see stack/rocketmq.ts). */
  mode: RocketMQMode;
  clusterName: string;
  brokerName: string;
  namesrv: string;
  proxyRemoting: string;
  proxyGrpc: string;
  brokerAddr: string;
  logDir: string;
  startSeconds: number;
  /** The filters the sidecar runs ("" when off): rocketmq on remoting/name server, rocketmq-grpc on gRPC. */
  sidecar: { remoting: string; namesrv: string; grpc: string; adminUrl: string; remotingWasm: string; grpcWasm: string };
}


export interface RocketMQStack {
  endpoints: RocketMQEndpoints;
  rocketmq: RocketMQ;
  sidecar: RocketMQSidecar;
  stop(): Promise<void>;
}

/** The rocketmq filter's module (see filters.ts). */
export function rocketmqWasmPath(rebuild = true): Promise<string | undefined> {
  return filterWasm("rocketmq", rebuild);
}

/** The rocketmq-grpc filter's module (see filters.ts). */
export function rocketmqGrpcWasmPath(rebuild = true): Promise<string | undefined> {
  return filterWasm("rocketmq-grpc", rebuild);
}

export interface RocketMQStackOptions {
  mode?: RocketMQMode;
  /** false: take the filters from build/ as they are (they must exist). */
  rebuildFilters?: boolean;
  /** Resolves once build/ holds the filters (e.g. `mqmesh up` compiling them meanwhile); RocketMQ starts before. */
  filtersBuilt?: Promise<void>;
  /** The filters' configurations (default: observe only), delivery and clusters, as startRocketMQSidecar takes them. */
  sidecar?: Pick<RocketMQSidecarOptions, "remotingFilterConfig" | "namesrvFilterConfig" | "grpcFilterConfig" | "delivery" | "extraClusters">;
}

/** Starts RocketMQ and its sidecar with the RocketMQ filters (observing, unless `sidecar` configures them). */
export async function startRocketMQStack(opts: RocketMQStackOptions = {}): Promise<RocketMQStack> {
  const rebuild = opts.rebuildFilters ?? true;
  const [started, remoting, grpc] = await Promise.allSettled([
    startRocketMQ({ mode: opts.mode }),
    (async () => (await opts.filtersBuilt, rocketmqWasmPath(rebuild)))(),
    (async () => (await opts.filtersBuilt, rocketmqGrpcWasmPath(rebuild)))(),
  ]);
  const failed = [started, remoting, grpc].find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    if (started.status === "fulfilled") await started.value.stop();
    throw failed.reason;
  }
  const rocketmq = (started as PromiseFulfilledResult<RocketMQ>).value;
  const remotingWasm = (remoting as PromiseFulfilledResult<string | undefined>).value;
  const grpcWasm = (grpc as PromiseFulfilledResult<string | undefined>).value;
  let sidecar: RocketMQSidecar;
  try {
    sidecar = await startRocketMQSidecar(rocketmq, { remotingWasm, grpcWasm, ...opts.sidecar });
  } catch (e) {
    await rocketmq.stop();
    throw e;
  }
  const endpoints: RocketMQEndpoints = {
    version: rocketmq.version,
    mode: rocketmq.mode,
    clusterName: rocketmq.clusterName,
    brokerName: rocketmq.brokerName,
    namesrv: rocketmq.namesrv,
    proxyRemoting: rocketmq.proxyRemoting,
    proxyGrpc: rocketmq.proxyGrpc,
    brokerAddr: rocketmq.brokerAddr,
    logDir: rocketmq.logDir,
    startSeconds: rocketmq.startSeconds,
    sidecar: { remoting: sidecar.remoting, namesrv: sidecar.namesrv, grpc: sidecar.grpc, adminUrl: sidecar.envoy.adminUrl, remotingWasm: sidecar.remotingWasm ?? "", grpcWasm: grpcWasm ?? "" },
  };
  return {
    endpoints,
    rocketmq,
    sidecar,
    async stop() {
      await sidecar.stop();
      await rocketmq.stop();
    },
  };
}

