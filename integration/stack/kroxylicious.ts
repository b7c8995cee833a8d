// Kroxylicious, the Java Kafka proxy, as a peer for the benchmarks: the
// runtime from Maven Central (maven.ts), started by our own few lines of Java
// (integration/java/kroxylicious/KroxyliciousProxy.java, compiled once into
// the cache) with a passthrough virtual cluster (no filters) in front of one
// broker. Kroxylicious rewrites Metadata itself, so clients bootstrapping
// through it keep using it.
//
//   MQMESH_KROXYLICIOUS_VERSION  runtime version (default KROXYLICIOUS_VERSION)
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { stringify } from "yaml";
import { progress, provisioned, runPath, shortHash } from "./cache.ts";
import { REPO_ROOT } from "./envoy.ts";
import { artifact, javaBin, resolveClasspath, type Classpath } from "./maven.ts";
import { freePort, isListening, LOOPBACK, releasePort } from "./ports.ts";
import { runCommand, spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";

export const KROXYLICIOUS_VERSION = process.env.MQMESH_KROXYLICIOUS_VERSION || "0.12.0";
/** Requests clients sent through the proxy (a counter of its Prometheus metrics). */
export const KROXYLICIOUS_REQUESTS = "kroxylicious_inbound_downstream_messages_total";
const SOURCE = join(REPO_ROOT, "integration", "java", "kroxylicious", "KroxyliciousProxy.java");

/** kroxylicious-runtime and its dependencies, plus slf4j-simple so its log reaches the log file. */
export function kroxyliciousClasspath(): Promise<Classpath> {
  return resolveClasspath(`kroxylicious-${KROXYLICIOUS_VERSION}`, [artifact(`io.kroxylicious:kroxylicious-runtime:${KROXYLICIOUS_VERSION}`), artifact("org.slf4j:slf4j-simple:2.0.17")]);
}

/** KroxyliciousProxy.java compiled against the runtime, once per source and version; the classes folder. */
export async function kroxyliciousClasses(): Promise<string> {
  const cp = await kroxyliciousClasspath();
  const hash = shortHash(KROXYLICIOUS_VERSION + readFileSync(SOURCE, "utf8"));
  const dir = await provisioned(join("java", `kroxylicious-${hash}`), async (tmp) => {
    await runCommand("javac", ["-nowarn", "-encoding", "UTF-8", "-d", join(tmp, "classes"), "-cp", cp.classpath, SOURCE], { name: "javac-kroxylicious", timeoutMs: 180_000 });
  });
  return join(dir, "classes");
}

export interface KroxyliciousConfigInput {
  /** The target cluster's bootstrap, "host:port". */
  upstream: string;
  /** Node id of the target's one broker. */
  nodeId: number;
  bootstrapPort: number;
  /** The port clients are sent to for that broker. */
  nodePort: number;
  managementPort: number;
}

/**
 * A virtual cluster `mqmesh` passing everything through: one gateway where the
 * port identifies the broker, no filters, metrics on the management port.
 */
export function kroxyliciousConfigYaml(c: KroxyliciousConfigInput): string {
  return stringify({
    management: { bindAddress: LOOPBACK, port: c.managementPort, endpoints: { prometheus: {} } },
    virtualClusters: [
      {
        name: "mqmesh",
        targetCluster: { bootstrapServers: c.upstream },
        gateways: [
          {
            name: "plain",
            portIdentifiesNode: {
              bootstrapAddress: `${LOOPBACK}:${c.bootstrapPort}`,
              advertisedBrokerAddressPattern: LOOPBACK,
              nodeStartPort: c.nodePort,
              nodeIdRanges: [{ name: "broker", start: c.nodeId, end: c.nodeId }],
            },
          },
        ],
        logNetwork: false,
        logFrames: false,
      },
    ],
    defaultFilters: [],
  });
}

export interface KroxyliciousOptions {
  /** The broker's bootstrap, "host:port". */
  upstream: string;
  nodeId: number;
  name?: string;
  /** JVM heap, default "1g". */
  heap?: string;
}

export interface KroxyliciousProxy {
  /** "127.0.0.1:<port>": bootstrap through the proxy. */
  bootstrap: string;
  /** Prometheus metrics of the proxy (KROXYLICIOUS_REQUESTS, …). */
  metricsUrl: string;
  proc: ManagedProcess;
  /** Sum of a metric's series on metricsUrl. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startKroxylicious(opts: KroxyliciousOptions): Promise<KroxyliciousProxy> {
  const started = Date.now();
  const name = opts.name ?? "kroxylicious";
  const [cp, classes] = [await kroxyliciousClasspath(), await kroxyliciousClasses()];
  const ports = { bootstrapPort: await freePort(), nodePort: await freePort(), managementPort: await freePort() };
  const configFile = join(runPath(name), "proxy-config.yaml");
  writeFileSync(configFile, kroxyliciousConfigYaml({ upstream: opts.upstream, nodeId: opts.nodeId, ...ports }));
  const proc = spawnManaged({
    name,
    command: javaBin(),
    args: [`-Xms${opts.heap ?? "1g"}`, `-Xmx${opts.heap ?? "1g"}`, "-Djava.net.preferIPv4Stack=true", "-cp", [classes, cp.classpath].join(delimiter), "KroxyliciousProxy", configFile],
  });
  const release = () => Object.values(ports).forEach(releasePort);
  try {
    await waitUntil(async () => proc.tail(200).includes('{"event":"ready"}') && (await isListening(ports.bootstrapPort)), {
      what: `${name} listening on ${LOOPBACK}:${ports.bootstrapPort}`,
      timeoutMs: 90_000,
      intervalMs: 250,
      proc,
    });
  } catch (e) {
    await proc.stop();
    release();
    throw e;
  }
  progress(name, `Kroxylicious ${KROXYLICIOUS_VERSION} ready, bootstrap ${LOOPBACK}:${ports.bootstrapPort} → ${opts.upstream}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const metricsUrl = `http://${LOOPBACK}:${ports.managementPort}/metrics`;
  return {
    bootstrap: `${LOOPBACK}:${ports.bootstrapPort}`,
    metricsUrl,
    proc,
    async metric(metricName) {
      const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
        if (m && m[1] === metricName) sum += Number(m[3]);
      }
      return sum;
    },
    async stop() {
      await proc.stop();
      release();
    },
  };
}
