// The integration kit: real Envoy and real brokers for tests, benchmarks and
// `mqmesh up`.
//   MQMESH_STACK=native      processes from registry packages (pip, Maven Central); what runs here
//   MQMESH_STACK=containers  testcontainers (official images) — not implemented yet
//   MQMESH_STACK=auto        (default) containers when a Docker engine answers and the
//                            containers path exists; today that means native
import { spawnSync } from "node:child_process";
import { progress } from "./cache.ts";
import { envoyBinary, startKafkaSidecar, type Sidecar } from "./envoy.ts";
import { filterWasm } from "./filters.ts";
import type { Delivery, Obj } from "../../policy/envoy/resources.ts";
import { kafkaClasspath, startKafka, type KafkaCluster, type KafkaOptions } from "./kafka.ts";
import { freePort, LOOPBACK } from "./ports.ts";

export * from "./cache.ts";
export * from "./envoy.ts";
export * from "./filters.ts";
export * from "./kafka.ts";
export * from "./maven.ts";
export * from "./ports.ts";
export * from "./process.ts";
export * from "./tools.ts";

export type StackMode = "native" | "containers";

/** True when `docker` exists and its engine answers within a few seconds. */
export function dockerEngineAnswers(): boolean {
  const r = spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 5000 });
  return r.status === 0 && r.stdout.trim().length > 0;
}

/** Resolves MQMESH_STACK (native | containers | auto, default auto). */
export function stackMode(): StackMode {
  const want = (process.env.MQMESH_STACK || "auto").toLowerCase();
  if (want === "native") return "native";
  if (want === "containers") {
    throw new Error("MQMESH_STACK=containers: the testcontainers stack is not implemented yet; use MQMESH_STACK=native (or auto)");
  }
  if (want !== "auto") throw new Error(`MQMESH_STACK=${want}: expected native, containers or auto`);
  if (dockerEngineAnswers()) progress("stack", "a Docker engine answers, but the containers stack is not implemented yet: using native");
  return "native";
}

/** Downloads Envoy and the Kafka jars in parallel (no-op when cached). */
export async function provisionKafkaStack(): Promise<void> {
  await Promise.all([envoyBinary(), kafkaClasspath()]);
}

/** The kafka filter's module (see filters.ts): built when stale; undefined only with MQMESH_KAFKA_WASM=off. */
export function kafkaWasmPath(rebuild = true): Promise<string | undefined> {
  return filterWasm("kafka", rebuild);
}

export interface KafkaStackOptions {
  kafka?: Omit<KafkaOptions, "extraListeners">;
  /** Filter .wasm for the sidecar; default kafkaWasmPath(rebuildFilter); null forces plain tcp_proxy. */
  wasm?: string | null;
  filterConfig?: unknown;
  /** false: take build/kafka.wasm as it is (it must exist). */
  rebuildFilter?: boolean;
  /** The sidecar's filter configuration by ECDS from files (hot reload). */
  delivery?: Delivery;
  /** More clusters for the sidecar (the policy's collector, rate limit service). */
  extraClusters?: Obj[];
}

export interface KafkaStack {
  kafka: KafkaCluster;
  /** Envoy in front of broker 1: with the kafka Wasm filter unless the caller asked for plain tcp_proxy. */
  sidecar: Sidecar;
  /** Envoy in front of broker 1 without any filter, always plain tcp_proxy. */
  baseline: Sidecar;
  stop(): Promise<void>;
}

/**
 * Kafka plus two Envoys in front of broker 1. Each Envoy has its own broker
 * listener (SIDECAR, BASELINE) that advertises the Envoy's address, so
 * clients bootstrapping through an Envoy are told to keep using it; the
 * PLAINTEXT listener advertises itself for direct clients. (With several
 * brokers, only broker 1 is fronted: reaching the others through one
 * sidecar needs the kafka filter's broker address rewrite.)
 */
export async function startKafkaStack(opts: KafkaStackOptions = {}): Promise<KafkaStack> {
  const [wasm] = await Promise.all([opts.wasm === null ? undefined : (opts.wasm ?? kafkaWasmPath(opts.rebuildFilter ?? true)), provisionKafkaStack()]);
  const n = opts.kafka?.brokers ?? 1;
  const sidecarPort = await freePort();
  const baselinePort = await freePort();
  // Brokers other than 1 advertise their own extra listener port back (no Envoy in front).
  const placeholder = async () => ({ host: LOOPBACK, port: await freePort() });
  const rest = async () => Promise.all(Array.from({ length: n - 1 }, placeholder));
  const kafka = await startKafka({
    ...opts.kafka,
    extraListeners: [
      { name: "SIDECAR", advertised: [{ host: LOOPBACK, port: sidecarPort }, ...(await rest())] },
      { name: "BASELINE", advertised: [{ host: LOOPBACK, port: baselinePort }, ...(await rest())] },
    ],
  });
  const b1 = kafka.brokers[0];
  const results = await Promise.allSettled([
    startKafkaSidecar({ name: "envoy-kafka-sidecar", listenPort: sidecarPort, upstream: { host: b1.host, port: b1.listeners.SIDECAR }, wasm, filterConfig: opts.filterConfig, delivery: opts.delivery, extraClusters: opts.extraClusters }),
    startKafkaSidecar({ name: "envoy-kafka-baseline", listenPort: baselinePort, upstream: { host: b1.host, port: b1.listeners.BASELINE } }),
  ]);
  const up = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(up.map((s) => s.stop()));
    await kafka.stop();
    throw failed.reason;
  }
  const [sidecar, baseline] = up;
  return {
    kafka,
    sidecar,
    baseline,
    async stop() {
      await Promise.all([sidecar.stop(), baseline.stop()]);
      await kafka.stop();
    },
  };
}
