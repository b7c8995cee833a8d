// One Envoy in front of a whole Kafka cluster: one listener per broker, each
// listener -> the kafka filter (the same configuration everywhere, so one
// Wasm VM per worker) -> tcp_proxy to its broker. The filter rewrites every
// broker address the cluster gives out to the listener in front of that
// broker (brokerAddresses, by node id), so a client that bootstraps through
// any listener keeps every connection on the sidecar.
//
// Templates have no loops: envoy-configs/kafka-cluster-sidecar.yaml marks its
// per-broker listener and cluster with `# {{each broker}}` … `# {{end}}`, and
// expandBrokerSections() repeats those lines per broker before the usual
// renderTemplate() fills the remaining ${NAME}s.
//
// By hand:
//   npx tsx integration/stack/kafka-cluster-sidecar.ts render ADMIN_PORT=9901 \
//       WASM_PATH=$PWD/build/kafka.wasm \
//       BROKERS=1:19092=127.0.0.1:9092,2:19093=127.0.0.1:9093,3:19094=127.0.0.1:9094 \
//       ['FILTER_CONFIG_JSON={"metrics":{"perTopic":true}}'] > /tmp/kafka-cluster-sidecar.yaml
//   (BROKERS: nodeId:listenPort=brokerHost:brokerPort, comma separated)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_DIR, renderTemplate, startEnvoy, type EnvoyInstance, type TemplateVars } from "./envoy.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";

export interface ClusterSidecarBroker {
  nodeId: number;
  /** Where Envoy forwards this broker's connections (a broker listener). */
  upstream: { host: string; port: number };
  /** The sidecar listener for this broker; allocated when absent. */
  listenPort?: number;
}

export interface ClusterSidecarOptions {
  brokers: ClusterSidecarBroker[];
  wasm: string;
  /** More filter configuration; brokerAddresses is added (yours wins per node id). */
  filterConfig?: Record<string, unknown>;
  /** false: no brokerAddresses (shows what clients get without the rewrite). */
  rewrite?: boolean;
  /** The host clients use to reach the listeners (default 127.0.0.1). */
  advertisedHost?: string;
  vmId?: string;
  rootId?: string;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
}

export interface ClusterSidecar {
  envoy: EnvoyInstance;
  /** Per broker, in the order given: node id, listener port, "host:port" clients use. */
  listeners: { nodeId: number; port: number; address: string }[];
  /** All listener addresses, comma separated (a client bootstrap list). */
  bootstrap: string;
  filterConfig: Record<string, unknown>;
  /** tcp_proxy's downstream connection count per node id (stat tcp.kafka_broker_<id>.downstream_cx_total). */
  connectionsPerBroker(): Promise<Map<number, number>>;
  stop(): Promise<void>;
}

const EACH = /^\s*# \{\{each broker\}\}/;
const END = /^\s*# \{\{end\}\}/;
const PER_BROKER = ["NODE_ID", "LISTEN_PORT", "UPSTREAM_HOST", "UPSTREAM_PORT"];

/**
 * Repeats every `# {{each broker}}` … `# {{end}}` section of the template once
 * per broker with ${NODE_ID}, ${LISTEN_PORT}, ${UPSTREAM_HOST}, ${UPSTREAM_PORT}
 * filled in; the other placeholders are left for renderTemplate.
 */
export function expandBrokerSections(text: string, brokers: { nodeId: number; listenPort: number; upstream: { host: string; port: number } }[]): string {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!EACH.test(lines[i])) {
      out.push(lines[i]);
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !END.test(lines[end])) end++;
    if (end === lines.length) throw new Error("kafka-cluster-sidecar.yaml: {{each broker}} without {{end}}");
    const section = lines.slice(start, end);
    for (const b of brokers) {
      const values: Record<string, string> = { NODE_ID: String(b.nodeId), LISTEN_PORT: String(b.listenPort), UPSTREAM_HOST: b.upstream.host, UPSTREAM_PORT: String(b.upstream.port) };
      for (const line of section) {
        out.push(/^\s*#/.test(line) ? line : line.replace(/\$\{([A-Z0-9_]+)\}/g, (m, name: string) => (PER_BROKER.includes(name) ? values[name] : m)));
      }
    }
    i = end;
  }
  return out.join("\n");
}

/** The bootstrap YAML: kafka-cluster-sidecar.yaml, per-broker sections expanded, then rendered. */
export function renderClusterSidecar(vars: TemplateVars, brokers: { nodeId: number; listenPort: number; upstream: { host: string; port: number } }[]): string {
  if (brokers.length === 0) throw new Error("kafka-cluster-sidecar: no brokers");
  const ids = new Set(brokers.map((b) => b.nodeId));
  if (ids.size !== brokers.length) throw new Error("kafka-cluster-sidecar: a node id is listed twice");
  const expanded = expandBrokerSections(readFileSync(join(CONFIG_DIR, "kafka-cluster-sidecar.yaml"), "utf8"), brokers);
  const dir = mkdtempSync(join(tmpdir(), "mqmesh-cluster-sidecar-"));
  try {
    const file = join(dir, "kafka-cluster-sidecar.yaml");
    writeFileSync(file, expanded);
    return renderTemplate(file, vars);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The filter configuration: brokerAddresses for every broker's listener, merged with `extra`. */
export function clusterFilterConfig(listeners: { nodeId: number; address: string }[], extra: Record<string, unknown> = {}, rewrite = true): Record<string, unknown> {
  if (!rewrite) return { ...extra };
  const own = (extra.brokerAddresses as Record<string, string> | undefined) ?? {};
  const brokerAddresses: Record<string, string> = {};
  for (const l of listeners) brokerAddresses[String(l.nodeId)] = l.address;
  return { ...extra, brokerAddresses: { ...brokerAddresses, ...own } };
}

/** Starts the cluster sidecar and waits for it to be ready. */
export async function startKafkaClusterSidecar(opts: ClusterSidecarOptions): Promise<ClusterSidecar> {
  const host = opts.advertisedHost ?? LOOPBACK;
  const brokers: { nodeId: number; upstream: { host: string; port: number }; listenPort: number }[] = [];
  for (const b of opts.brokers) brokers.push({ nodeId: b.nodeId, upstream: b.upstream, listenPort: b.listenPort ?? (await freePort()) });
  const listeners = brokers.map((b) => ({ nodeId: b.nodeId, port: b.listenPort, address: `${host}:${b.listenPort}` }));
  const filterConfig = clusterFilterConfig(listeners, opts.filterConfig, opts.rewrite ?? true);
  const adminPort = await freePort();
  const config = renderClusterSidecar(
    {
      ADMIN_PORT: adminPort,
      WASM_PATH: resolve(opts.wasm),
      VM_ID: opts.vmId ?? "mqmesh_kafka",
      ROOT_ID: opts.rootId ?? "mqmesh_kafka",
      FILTER_CONFIG_JSON: JSON.stringify(filterConfig),
    },
    brokers,
  );
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-kafka-cluster",
    config,
    vars: { ADMIN_PORT: adminPort },
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    listeners,
    bootstrap: listeners.map((l) => l.address).join(","),
    filterConfig,
    async connectionsPerBroker() {
      const stats = await envoy.stats("downstream_cx_total");
      const out = new Map<number, number>();
      for (const b of brokers) out.set(b.nodeId, stats.get(`tcp.kafka_broker_${b.nodeId}.downstream_cx_total`) ?? 0);
      return out;
    },
    async stop() {
      await envoy.stop();
      for (const b of brokers) releasePort(b.listenPort);
    },
  };
}

// CLI: render a bootstrap by hand (see the header).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  const vars: Record<string, string> = {};
  for (const kv of rest) {
    const i = kv.indexOf("=");
    if (i > 0) vars[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (cmd !== "render" || !vars.BROKERS || !vars.WASM_PATH || !vars.ADMIN_PORT) {
    console.error("usage: kafka-cluster-sidecar.ts render ADMIN_PORT=<port> WASM_PATH=<file> BROKERS=<id>:<listenPort>=<host>:<port>,… [FILTER_CONFIG_JSON=<json>] [ADVERTISED_HOST=127.0.0.1] [VM_ID=…] [ROOT_ID=…]");
    process.exit(2);
  }
  const brokers = vars.BROKERS.split(",").map((spec) => {
    const m = /^(\d+):(\d+)=(.+):(\d+)$/.exec(spec.trim());
    if (!m) throw new Error(`BROKERS: "${spec}" is not <id>:<listenPort>=<host>:<port>`);
    return { nodeId: Number(m[1]), listenPort: Number(m[2]), upstream: { host: m[3], port: Number(m[4]) } };
  });
  const advertised = vars.ADVERTISED_HOST ?? LOOPBACK;
  const filterConfig = clusterFilterConfig(
    brokers.map((b) => ({ nodeId: b.nodeId, address: `${advertised}:${b.listenPort}` })),
    vars.FILTER_CONFIG_JSON ? JSON.parse(vars.FILTER_CONFIG_JSON) : {},
  );
  process.stdout.write(
    renderClusterSidecar(
      {
        ADMIN_PORT: vars.ADMIN_PORT,
        WASM_PATH: resolve(vars.WASM_PATH),
        VM_ID: vars.VM_ID ?? "mqmesh_kafka",
        ROOT_ID: vars.ROOT_ID ?? "mqmesh_kafka",
        FILTER_CONFIG_JSON: JSON.stringify(filterConfig),
      },
      brokers,
    ) + "\n",
  );
}
