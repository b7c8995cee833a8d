// RocketMQ (name server, broker, cluster-mode proxy; or local mode, see
// rocketmq.ts) with its Envoy sidecar running the project's RocketMQ filters:
// `rocketmq` on the remoting and name server listeners, `rocketmq-grpc` on the
// gRPC listener, both observing. Used by the integration setup
// (rocketmq-global.ts) and by `mqmesh up`; no vitest here, so the CLI loads fast.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { freshModule } from "../../scripts/compile.ts";
import { startRocketMQ, type RocketMQ, type RocketMQMode } from "./rocketmq.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./rocketmq-sidecar.ts";

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

/**
 * A filter for the sidecar: <envVar>=<path>, or "off" for none; by default
 * build/<name>.wasm, rebuilt when its sources are newer (rebuild: false uses
 * what is in build/, as `mqmesh up --no-build` does).
 */
async function filterWasm(name: string, envVar: string, rebuild: boolean): Promise<string | undefined> {
  const env = process.env[envVar];
  if (env === "off" || env === "none") return undefined;
  if (env) {
    if (!existsSync(env)) throw new Error(`${envVar}=${env}: no such file`);
    return env;
  }
  const out = `build/${name}.wasm`;
  if (!rebuild) return existsSync(out) ? resolve(out) : undefined;
  return freshModule({ entry: `filters/${name}/index.ts`, out });
}

export function rocketmqWasmPath(rebuild = true): Promise<string | undefined> {
  return filterWasm("rocketmq", "MQMESH_ROCKETMQ_WASM", rebuild);
}

export function rocketmqGrpcWasmPath(rebuild = true): Promise<string | undefined> {
  return filterWasm("rocketmq-grpc", "MQMESH_ROCKETMQ_GRPC_WASM", rebuild);
}

export interface RocketMQStackOptions {
  mode?: RocketMQMode;
  /** false: take the filters from build/ as they are. */
  rebuildFilters?: boolean;
}

/** Starts RocketMQ and its sidecar with the RocketMQ filters observing. */
export async function startRocketMQStack(opts: RocketMQStackOptions = {}): Promise<RocketMQStack> {
  const rebuild = opts.rebuildFilters ?? true;
  const [rocketmq, remotingWasm, grpcWasm] = await Promise.all([
    startRocketMQ({ mode: opts.mode }),
    rocketmqWasmPath(rebuild),
    rocketmqGrpcWasmPath(rebuild),
  ]);
  let sidecar: RocketMQSidecar;
  try {
    sidecar = await startRocketMQSidecar(rocketmq, { remotingWasm, grpcWasm });
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

