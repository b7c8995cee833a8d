// Envoy in front of a RocketMQ stack: envoy-configs/rocketmq-sidecar.yaml with
// a remoting listener (-> proxy remoting), a name server listener (-> name
// server) and a gRPC listener (-> proxy gRPC, HTTP/2).
import { startEnvoy, type EnvoyInstance } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import type { RocketMQ } from "./rocketmq.ts";

export interface RocketMQSidecarOptions {
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

export interface RocketMQSidecar {
  envoy: EnvoyInstance;
  /** "127.0.0.1:<port>" forwarding to the proxy's remoting port. */
  remoting: string;
  /** "127.0.0.1:<port>" forwarding to the name server. */
  namesrv: string;
  /** "127.0.0.1:<port>" forwarding (HTTP/2) to the proxy's gRPC port. */
  grpc: string;
  stop(): Promise<void>;
}

function split(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

export async function startRocketMQSidecar(rmq: Pick<RocketMQ, "namesrv" | "proxyRemoting" | "proxyGrpc">, opts: RocketMQSidecarOptions = {}): Promise<RocketMQSidecar> {
  const [remotingPort, namesrvPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const [prh, prp] = split(rmq.proxyRemoting);
  const [nh, np] = split(rmq.namesrv);
  const [pgh, pgp] = split(rmq.proxyGrpc);
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-rocketmq",
    template: "rocketmq-sidecar.yaml",
    vars: {
      REMOTING_LISTEN_PORT: remotingPort,
      PROXY_REMOTING_HOST: prh,
      PROXY_REMOTING_PORT: prp,
      NAMESRV_LISTEN_PORT: namesrvPort,
      NAMESRV_HOST: nh,
      NAMESRV_PORT: np,
      GRPC_LISTEN_PORT: grpcPort,
      PROXY_GRPC_HOST: pgh,
      PROXY_GRPC_PORT: pgp,
    },
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    remoting: `${LOOPBACK}:${remotingPort}`,
    namesrv: `${LOOPBACK}:${namesrvPort}`,
    grpc: `${LOOPBACK}:${grpcPort}`,
    async stop() {
      await envoy.stop();
      [remotingPort, namesrvPort, grpcPort].forEach(releasePort);
    },
  };
}
