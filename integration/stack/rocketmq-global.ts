// The shared RocketMQ stack of an integration run: RocketMQ (name server,
// broker, cluster-mode proxy; or local mode, see stack/rocketmq.ts) and its Envoy sidecar, started once in vitest's
// globalSetup and handed to test files with provide/inject as "rocketmq".
// integration/setup.ts lists rocketmqComponent; a test file run without that
// globalSetup starts its own stack (useRocketMQStack).
import { inject } from "vitest";
import { existsSync } from "node:fs";
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
  /** remotingWasm: the rocketmq filter on the remoting and name server listeners (observe mode), "" when off. */
  sidecar: { remoting: string; namesrv: string; grpc: string; adminUrl: string; remotingWasm: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    rocketmq: RocketMQEndpoints;
  }
}

export interface RocketMQStack {
  endpoints: RocketMQEndpoints;
  rocketmq: RocketMQ;
  sidecar: RocketMQSidecar;
  stop(): Promise<void>;
}

/**
 * The rocketmq filter for the shared sidecar: MQMESH_ROCKETMQ_WASM=<path>, or
 * "off" for plain tcp_proxy; by default build/rocketmq.wasm, rebuilt when stale.
 */
export async function rocketmqWasmPath(): Promise<string | undefined> {
  const env = process.env.MQMESH_ROCKETMQ_WASM;
  if (env === "off" || env === "none") return undefined;
  if (env) {
    if (!existsSync(env)) throw new Error(`MQMESH_ROCKETMQ_WASM=${env}: no such file`);
    return env;
  }
  return freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
}

/** Starts RocketMQ and its sidecar (the rocketmq filter in observe mode on its remoting listeners). */
export async function startRocketMQStack(): Promise<RocketMQStack> {
  const [rocketmq, remotingWasm] = await Promise.all([startRocketMQ(), rocketmqWasmPath()]);
  let sidecar: RocketMQSidecar;
  try {
    sidecar = await startRocketMQSidecar(rocketmq, { remotingWasm });
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
    sidecar: { remoting: sidecar.remoting, namesrv: sidecar.namesrv, grpc: sidecar.grpc, adminUrl: sidecar.envoy.adminUrl, remotingWasm: sidecar.remotingWasm ?? "" },
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

/**
 * The RocketMQ entry of integration/setup.ts's `components`: starts the stack
 * and provides its endpoints as "rocketmq".
 */
export const rocketmqComponent = {
  name: "rocketmq",
  async start(): Promise<{ provide: { rocketmq: RocketMQEndpoints }; stop(): Promise<void> }> {
    const stack = await startRocketMQStack();
    return { provide: { rocketmq: stack.endpoints }, stop: () => stack.stop() };
  },
};

/**
 * In a test file's beforeAll: the stack from globalSetup, or (when this file
 * runs without it) one started for this file and stopped by the returned stop().
 */
export async function useRocketMQStack(): Promise<{ endpoints: RocketMQEndpoints; stop(): Promise<void> }> {
  let provided: RocketMQEndpoints | undefined;
  try {
    provided = inject("rocketmq");
  } catch {
    provided = undefined;
  }
  if (provided) return { endpoints: provided, stop: async () => {} };
  const stack = await startRocketMQStack();
  return { endpoints: stack.endpoints, stop: () => stack.stop() };
}
