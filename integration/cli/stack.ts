// The stack `mqmesh up` runs, configured by the policy file: Kafka and its
// sidecar (the kafka filter), RocketMQ and its sidecar (rocketmq on the
// remoting and name server listeners, rocketmq-grpc on the gRPC listener),
// and the HTTP bridge for the policy's Kafka and RocketMQ pubsubs. Every
// filter's configuration comes from the policy and is delivered by ECDS
// from a file, so a policy edit reconfigures the running sidecars
// (reload.ts). The policy's shared sections become the sidecars' clusters.
// A policy with `tracing` gets Jaeger, started first: every filter exports
// its spans to it, whatever collector the policy names. The rate limit
// service is started when the policy has global rules (ratelimit.ts): see
// policyServices().
import { fileURLToPath } from "node:url";
import { describeFilter } from "../../policy/describe.ts";
import { sharedClusters, sharedServices } from "../../policy/envoy/render.ts";
import type { WasmFilter } from "../../policy/envoy/resources.ts";
import { bridgeFilterConfig, kafkaFilterConfig, rocketmqFilterConfig, rocketmqGrpcFilterConfig, type FilterName } from "../../policy/filter-config.ts";
import type { Policy } from "../../policy/policy.ts";
import { startBridgeSidecar, type Bridge } from "../stack/bridge.ts";
import { filterWasm, progress, runPath, stackMode, startKafkaStack, stopAll, type EnvoyInstance, type KafkaStack } from "../stack/index.ts";
import type { RocketMQMode } from "../stack/rocketmq.ts";
import type { RocketMQListeners } from "../stack/rocketmq-sidecar.ts";
import { startRocketMQStack, type RocketMQStack } from "../stack/rocketmq-stack.ts";
import { startPrometheus, type PrometheusServer } from "../stack/prometheus.ts";
import { startJaeger, type Jaeger } from "../stack/jaeger.ts";
import type { Endpoints, FilterEndpoint } from "./endpoints.ts";
import { startPolicyRateLimitService } from "./ratelimit.ts";

/** The Grafana dashboard of every filter's metrics, for the Prometheus `--monitoring` starts. */
export const DASHBOARD = fileURLToPath(new URL("../../envoy-configs/grafana/mqmesh.json", import.meta.url));

export interface StackOptions {
  kafka: boolean;
  rocketmq: boolean;
  kafkaBrokers: number;
  rocketmqMode?: RocketMQMode;
  /** The policy file (for the banner). */
  policyFile: string;
  /** Also Prometheus, scraping every sidecar's /stats/prometheus. */
  monitoring?: boolean;
}

/** A filter running in a sidecar, and how its configuration follows from a policy. */
export interface RunningFilter {
  name: FilterName;
  sidecar: string;
  envoy: EnvoyInstance;
  filter: WasmFilter;
  produce(policy: Policy): Record<string, unknown>;
}

export interface RunningStack {
  endpoints: Endpoints;
  filters: RunningFilter[];
  /** Where the filters' ECDS files are. */
  ecdsDir: string;
  stop(): Promise<void>;
}

/** What the policy names besides the brokers: its rate limit service, used where it says. */
export function policyServices(policy: Policy): string[] {
  const out: string[] = [];
  if (policy.rateLimitService) out.push(`global limits: envoyproxy/ratelimit at ${policy.rateLimitService.address}`);
  return out;
}

const rocketmqListeners = (l: RocketMQListeners) => ({ rocketmqRemoting: l.remoting, rocketmqGrpc: l.grpc });

/** The bridge's configuration for the pubsubs whose broker runs (a pubsub of a component left out is dropped). */
function bridgeConfig(policy: Policy, running: { kafka: boolean; rocketmq: boolean }): Record<string, any> {
  const config: Record<string, any> = bridgeFilterConfig(policy);
  for (const [name, ps] of Object.entries<{ type: string }>(config.pubsubs)) {
    if (!running[ps.type as "kafka" | "rocketmq"]) delete config.pubsubs[name];
  }
  if (config.rest && !config.pubsubs[config.rest.pubsub]) delete config.rest;
  return config;
}

/** Starts the chosen components in parallel; if one fails, stops the others and throws. */
/** The policy with its collector replaced by Jaeger's OTLP/HTTP receiver (policy edits keep going there). */
function exportingTo(jaeger: Jaeger | undefined): (p: Policy) => Policy {
  return (p) => (jaeger && p.tracing ? { ...p, tracing: { ...p.tracing, collector: jaeger.otlpHttpAddress } } : p);
}

export async function startStack(opts: StackOptions, given: Policy, filtersBuilt: Promise<void> = Promise.resolve()): Promise<RunningStack> {
  stackMode(); // fails early on MQMESH_STACK=containers
  // Without tracing nothing waits for Jaeger.
  const jaeger = given.tracing ? await startJaeger() : undefined;
  const traced = exportingTo(jaeger);
  const delivery = { ecdsDir: runPath("ecds") };
  const { policy, service: rateLimitService } = await startPolicyRateLimitService(traced(given));
  const extraClusters = sharedClusters(policy);
  for (const s of policyServices(given)) if (!rateLimitService || !s.startsWith("global")) progress("up", `${s} (as the policy says; mqmesh up does not start it)`);
  const [kafkaResult, rocketmqResult] = await Promise.allSettled([
    opts.kafka
      ? filtersBuilt.then(() =>
          startKafkaStack({ kafka: { brokers: opts.kafkaBrokers }, rebuildFilter: false, filterConfig: kafkaFilterConfig(policy), delivery, extraClusters }),
        )
      : Promise.resolve(undefined),
    opts.rocketmq
      ? startRocketMQStack({
          mode: opts.rocketmqMode,
          rebuildFilters: false,
          filtersBuilt,
          sidecar: {
            // The same configuration on the remoting and name server listeners: route answers of both name the sidecar.
            remotingFilterConfig: (l) => rocketmqFilterConfig(policy, rocketmqListeners(l)),
            namesrvFilterConfig: (l: RocketMQListeners) => rocketmqFilterConfig(policy, rocketmqListeners(l)),
            grpcFilterConfig: (l: RocketMQListeners) => rocketmqGrpcFilterConfig(policy, rocketmqListeners(l)),
            delivery,
            extraClusters,
          },
        })
      : Promise.resolve(undefined),
  ]);
  const kafka: KafkaStack | undefined = kafkaResult.status === "fulfilled" ? kafkaResult.value : undefined;
  const rocketmq: RocketMQStack | undefined = rocketmqResult.status === "fulfilled" ? rocketmqResult.value : undefined;
  const running = { kafka: Boolean(kafka), rocketmq: Boolean(rocketmq) };
  const bridgeResult = await Promise.allSettled([startBridge(policy, running, kafka, rocketmq, { delivery, ...sharedServices(policy) })]);
  const bridge: Bridge | undefined = bridgeResult[0].status === "fulfilled" ? bridgeResult[0].value : undefined;
  const sidecars = [
    ...(kafka ? [{ admin: kafka.sidecar.envoy.adminUrl, labels: { sidecar: "kafka" } }] : []),
    ...(rocketmq ? [{ admin: rocketmq.sidecar.envoy.adminUrl, labels: { sidecar: "rocketmq" } }] : []),
    ...(bridge ? [{ admin: bridge.envoy.adminUrl, labels: { sidecar: "bridge" } }] : []),
  ];
  const monitoringResult = await Promise.allSettled([opts.monitoring && sidecars.length ? startPrometheus({ envoys: sidecars }) : Promise.resolve(undefined)]);
  const prometheus: PrometheusServer | undefined = monitoringResult[0].status === "fulfilled" ? monitoringResult[0].value : undefined;
  const stop = async () => {
    await Promise.allSettled([prometheus?.stop(), bridge?.stop(), kafka?.stop(), rocketmq?.stop(), rateLimitService?.stop(), jaeger?.stop()]);
    await stopAll();
  };
  const names = ["kafka", "rocketmq", "http bridge", "prometheus"];
  const failures = [kafkaResult, rocketmqResult, bridgeResult[0], monitoringResult[0]].flatMap((r, i) =>
    r.status === "rejected" ? [`${names[i]}: ${(r.reason as Error)?.message ?? r.reason}`] : [],
  );
  if (failures.length) {
    await stop();
    throw new Error(`mqmesh up failed:\n${failures.join("\n")}`);
  }

  const filters: RunningFilter[] = [];
  if (kafka) {
    for (const f of kafka.sidecar.filters) filters.push({ name: "kafka", sidecar: "kafka sidecar", envoy: kafka.sidecar.envoy, filter: f, produce: (p) => kafkaFilterConfig(traced(p)) });
  }
  if (rocketmq) {
    const s = rocketmq.sidecar;
    for (const f of s.filters) {
      const produce = f.filter === "rocketmq"
        ? (p: Policy) => rocketmqFilterConfig(traced(p), rocketmqListeners(s))
        : (p: Policy) => rocketmqGrpcFilterConfig(traced(p), rocketmqListeners(s));
      filters.push({ name: f.filter, sidecar: "rocketmq sidecar", envoy: s.envoy, filter: f, produce });
    }
  }
  if (bridge) filters.push({ name: "http-mq-bridge", sidecar: "http bridge", envoy: bridge.envoy, filter: bridge.filter, produce: (p) => bridgeConfig(traced(p), running) });
  const endpoints = endpointsOf(opts, policy, filters, kafka, rocketmq, bridge);
  endpoints.monitoring = prometheus ? { prometheus: prometheus.url, dashboard: DASHBOARD } : null;
  endpoints.tracing = jaeger ? { ui: jaeger.uiUrl, query: jaeger.queryUrl, otlpHttp: jaeger.otlpHttpAddress } : null;
  return { endpoints, filters, ecdsDir: delivery.ecdsDir, stop };
}

/** The bridge, when the policy has pubsubs whose broker runs. */
async function startBridge(
  policy: Policy,
  running: { kafka: boolean; rocketmq: boolean },
  kafka: KafkaStack | undefined,
  rocketmq: RocketMQStack | undefined,
  more: Pick<Parameters<typeof startBridgeSidecar>[0], "delivery" | "collector" | "rateLimitService">,
): Promise<Bridge | undefined> {
  const config = bridgeConfig(policy, running);
  if (!policy.bridge || Object.keys(config.pubsubs).length === 0) return undefined;
  const wasm = await filterWasm("http-mq-bridge", false);
  if (!wasm) return undefined; // MQMESH_BRIDGE_WASM=off
  const types = new Set(Object.values<{ type: string }>(config.pubsubs).map((p) => p.type));
  const broker = kafka?.kafka.brokers[0];
  const [grpcHost, grpcPort] = rocketmq ? rocketmq.rocketmq.proxyGrpc.split(":") : [];
  return startBridgeSidecar({
    kafka: broker && types.has("kafka") ? { upstream: { host: broker.host, port: broker.port } } : undefined,
    rocketmq: rocketmq && types.has("rocketmq") ? { proxyGrpc: { host: grpcHost, port: Number(grpcPort) } } : undefined,
    wasm,
    filterConfig: config,
    ...more,
  });
}

function endpointsOf(opts: StackOptions, policy: Policy, filters: RunningFilter[], kafka?: KafkaStack, rocketmq?: RocketMQStack, bridge?: Bridge): Endpoints {
  const described = (sidecar: string): FilterEndpoint[] =>
    filters
      // The name server listener runs the remoting listener's configuration: listed once.
      .filter((f) => f.sidecar === sidecar && f.filter.name !== "mqmesh_rocketmq_namesrv")
      .map((f) => ({ name: f.name, wasm: f.filter.wasm, enforces: describeFilter(f.name, f.produce(policy)) }));
  const admin: Record<string, string> = {};
  if (kafka) Object.assign(admin, { "kafka sidecar": kafka.sidecar.envoy.adminUrl, "kafka baseline": kafka.baseline.envoy.adminUrl });
  if (rocketmq) admin["rocketmq sidecar"] = rocketmq.sidecar.envoy.adminUrl;
  if (bridge) admin["http bridge"] = bridge.envoy.adminUrl;
  return {
    policy: opts.policyFile,
    services: policyServices(policy),
    kafka: kafka
      ? {
          bootstrap: kafka.sidecar.address,
          filters: described("kafka sidecar"),
          adminUrl: kafka.sidecar.envoy.adminUrl,
          baseline: kafka.baseline.address,
          baselineAdminUrl: kafka.baseline.envoy.adminUrl,
          direct: kafka.kafka.bootstrap,
          brokers: kafka.kafka.brokers.length,
          version: kafka.kafka.version,
        }
      : null,
    rocketmq: rocketmq
      ? {
          namesrv: rocketmq.sidecar.namesrv,
          remoting: rocketmq.sidecar.remoting,
          grpc: rocketmq.sidecar.grpc,
          filters: described("rocketmq sidecar"),
          adminUrl: rocketmq.sidecar.envoy.adminUrl,
          direct: {
            namesrv: rocketmq.rocketmq.namesrv,
            proxyRemoting: rocketmq.rocketmq.proxyRemoting,
            proxyGrpc: rocketmq.rocketmq.proxyGrpc,
            broker: rocketmq.rocketmq.brokerAddr,
          },
          mode: rocketmq.rocketmq.mode,
          clusterName: rocketmq.rocketmq.clusterName,
          version: rocketmq.rocketmq.version,
        }
      : null,
    http: bridge ? { url: bridge.url, filters: described("http bridge"), adminUrl: bridge.envoy.adminUrl } : null,
    monitoring: null,
    tracing: null,
    envoy: { version: (kafka?.sidecar ?? rocketmq?.sidecar)?.envoy.binary.version ?? bridge?.envoy.binary.version ?? "", admin },
    logs: runPath("logs"),
  };
}
