// `mqmesh render envoy`: a bootstrap per sidecar the policy needs — the
// Kafka sidecar (a listener per broker), the RocketMQ sidecar, the HTTP
// bridge — with each filter's configuration produced from the policy, and
// the shared tracing and rateLimitService sections as the clusters the
// filters call (mqmesh_otlp over HTTP/1.1, mqmesh_ratelimit over HTTP/2).
import { join } from "node:path";
import { bridgeFilterConfig, kafkaFilterConfig, rocketmqFilterConfig, rocketmqGrpcFilterConfig, type FilterName } from "../filter-config.ts";
import type { Policy } from "../policy.ts";
import { serviceClusters, type Delivery, type Obj, type SharedServices } from "./resources.ts";
import { bridgeSidecar, kafkaClusterSidecar, rocketmqSidecar } from "./sidecars.ts";

export interface RenderOptions {
  /** Folder holding <filter>.wasm (absolute paths go into the bootstraps). */
  wasmDir: string;
  /** Admin ports, one per bootstrap in order: kafka, rocketmq, bridge (default 9901, 9902, 9903). */
  adminPorts?: { kafka?: number; rocketmq?: number; bridge?: number };
  /** Filter configurations by ECDS from files in this folder instead of inline. */
  delivery?: Delivery;
}

export interface RenderedBootstrap {
  /** kafka-sidecar, rocketmq-sidecar or bridge. */
  name: string;
  bootstrap: Obj;
  /** The filters it runs with their configurations (also what its ECDS files hold). */
  filters: { filter: FilterName; name?: string; config: unknown }[];
}

/** Where the policy's shared sections say the collector and the rate limit service are. */
export function sharedServices(policy: Policy): SharedServices {
  return { collector: policy.tracing?.collector, rateLimitService: policy.rateLimitService?.address };
}

/** The shared sections as clusters. */
export function sharedClusters(policy: Policy): Obj[] {
  return serviceClusters(sharedServices(policy));
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`render envoy: the policy has no ${what}`);
  return value;
}

/** Default listeners when the policy names none (the same as examples/mqmesh.yaml's). */
const DEFAULT_LISTEN = { namesrv: "127.0.0.1:19876", remoting: "127.0.0.1:18080", grpc: "127.0.0.1:18081", bridge: "127.0.0.1:3500" };

export function renderEnvoy(policy: Policy, opts: RenderOptions): RenderedBootstrap[] {
  const wasm = (f: FilterName) => join(opts.wasmDir, `${f}.wasm`);
  const ports = { kafka: 9901, rocketmq: 9902, bridge: 9903, ...opts.adminPorts };
  const extraClusters = sharedClusters(policy);
  const out: RenderedBootstrap[] = [];

  const k = policy.kafka;
  const kafkaBrokers = k ? need(k.brokers, "kafka.brokers (where the sidecar forwards)").map((b, i) => ({ nodeId: b.nodeId, upstream: b.address, listen: b.listen ?? `127.0.0.1:${19092 + i}` })) : [];
  if (k) {
    const config = kafkaFilterConfig(policy, { kafkaBrokers: kafkaBrokers.map((b) => ({ nodeId: b.nodeId, address: b.listen })) });
    const filter = { filter: "kafka" as const, wasm: wasm("kafka"), config };
    out.push({ name: "kafka-sidecar", bootstrap: kafkaClusterSidecar({ adminPort: ports.kafka, brokers: kafkaBrokers, filter, delivery: opts.delivery, extraClusters }), filters: [filter] });
  }

  const r = policy.rocketmq;
  if (r) {
    const namesrv = need(r.namesrv, "rocketmq.namesrv");
    const remoting = need(r.proxy?.remoting, "rocketmq.proxy.remoting");
    const grpc = need(r.proxy?.grpc, "rocketmq.proxy.grpc");
    const hops = {
      namesrv: { upstream: namesrv.address, listen: namesrv.listen ?? DEFAULT_LISTEN.namesrv },
      remoting: { upstream: remoting.address, listen: remoting.listen ?? DEFAULT_LISTEN.remoting },
      grpc: { upstream: grpc.address, listen: grpc.listen ?? DEFAULT_LISTEN.grpc },
    };
    const listeners = { rocketmqRemoting: hops.remoting.listen, rocketmqGrpc: hops.grpc.listen };
    // The same configuration on the remoting and name server listeners: route answers of both are rewritten.
    const remotingFilter = { filter: "rocketmq" as const, wasm: wasm("rocketmq"), config: rocketmqFilterConfig(policy, listeners) };
    const grpcFilter = { filter: "rocketmq-grpc" as const, wasm: wasm("rocketmq-grpc"), config: rocketmqGrpcFilterConfig(policy, listeners) };
    out.push({
      name: "rocketmq-sidecar",
      bootstrap: rocketmqSidecar({ adminPort: ports.rocketmq, ...hops, remotingFilter, namesrvFilter: remotingFilter, grpcFilter, delivery: opts.delivery, extraClusters }),
      filters: [remotingFilter, grpcFilter],
    });
  }

  const b = policy.bridge;
  if (b) {
    const types = new Set(Object.values(b.pubsubs).map((p) => p.type));
    const several = kafkaBrokers.length > 1;
    const kafkaTunnels = several ? Object.fromEntries(kafkaBrokers.map((kb) => [String(kb.nodeId), `kafka_tunnel_${kb.nodeId}`])) : undefined;
    const filter = { filter: "http-mq-bridge" as const, wasm: wasm("http-mq-bridge"), config: bridgeFilterConfig(policy, { kafkaTunnels }) };
    out.push({
      name: "bridge",
      bootstrap: bridgeSidecar({
        adminPort: ports.bridge,
        listen: b.listen ?? DEFAULT_LISTEN.bridge,
        filter,
        kafka: types.has("kafka") ? { upstream: kafkaBrokers[0].upstream, brokers: several ? kafkaBrokers.map((kb) => ({ nodeId: kb.nodeId, upstream: kb.upstream })) : undefined } : undefined,
        rocketmq: types.has("rocketmq") ? { proxyGrpc: need(r?.proxy?.grpc, "rocketmq.proxy.grpc").address } : undefined,
        delivery: opts.delivery,
        // The bridge always has both clusters (bridgeSidecar), here where the policy says.
        ...sharedServices(policy),
      }),
      filters: [filter],
    });
  }
  return out;
}
