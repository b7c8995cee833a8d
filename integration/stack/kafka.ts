// Real Apache Kafka (KRaft, combined broker+controller) from Maven Central jars.
// One broker by default; with `brokers: 3` three processes form one KRaft
// quorum (every node is broker and voter), each on its own loopback ports.
//
// Every broker has a PLAINTEXT listener advertised as itself (direct clients)
// plus optional extra listeners whose advertised address the caller chooses,
// e.g. a SIDECAR listener advertised as the Envoy listener in front of it:
// Kafka answers Metadata with the addresses of the listener the request came
// in on, so clients that bootstrap through the sidecar keep using it.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { progress, runPath } from "./cache.ts";
import { artifact, javaBin, resolveClasspath, type Classpath } from "./maven.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { runCommand, spawnManaged, waitUntil, type ManagedProcess, type RunOptions, type RunResult } from "./process.ts";

export const KAFKA_VERSION = process.env.MQMESH_KAFKA_VERSION || "4.1.1";

export interface ExtraListener {
  /** Listener name, e.g. "SIDECAR" (upper case letters, digits, _). */
  name: string;
  /** The address advertised for this listener, one per broker (index = broker index). */
  advertised: { host: string; port: number }[];
  /**
   * Makes the listener SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and
   * SCRAM-SHA-512, for these users (name -> password). Clients then must
   * authenticate; the others listeners stay PLAINTEXT.
   */
  saslUsers?: Record<string, string>;
}

export interface KafkaOptions {
  brokers?: number;
  extraListeners?: ExtraListener[];
  /** JVM heap, default 512m. */
  heap?: string;
  /** Extra JVM options for the brokers. */
  jvmArgs?: string[];
  /** Extra or overriding server.properties entries (applied to every broker). */
  props?: Record<string, string | number | boolean>;
  /** Name used for log files and data folders, default "kafka". */
  name?: string;
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  nodeId: number;
  host: string;
  /** PLAINTEXT listener (direct access). */
  port: number;
  controllerPort: number;
  /** Bound port of each extra listener, by listener name. */
  listeners: Record<string, number>;
  dataDir: string;
  proc: ManagedProcess;
}

export interface KafkaCluster {
  version: string;
  clusterId: string;
  brokers: KafkaBroker[];
  /** "127.0.0.1:p1,127.0.0.1:p2,…" of the PLAINTEXT listeners. */
  bootstrap: string;
  classpath: Classpath;
  stop(): Promise<void>;
  /** Stops one broker (index into `brokers`); its ports stay reserved and its data dir is kept. */
  stopBroker(index: number, graceMs?: number): Promise<void>;
  /** Starts a stopped broker again on the same ports and data dir; resolves once the cluster serves all brokers again. */
  startBroker(index: number): Promise<void>;
}

let cpPromise: Promise<Classpath> | undefined;

/** The Kafka broker + tools classpath (downloaded on first use). */
export function kafkaClasspath(): Promise<Classpath> {
  cpPromise ??= resolveClasspath(`kafka-${KAFKA_VERSION}`, [
    artifact(`org.apache.kafka:kafka_2.13:${KAFKA_VERSION}`),
    artifact(`org.apache.kafka:kafka-tools:${KAFKA_VERSION}`),
    // Kafka logs through slf4j; the distribution binds it to log4j2.
    artifact("org.apache.logging.log4j:log4j-slf4j-impl:2.24.3"),
  ]);
  return cpPromise;
}

function log4jConfig(dir: string, level: string): string {
  const file = join(dir, `log4j2-${level}.properties`);
  writeFileSync(
    file,
    [
      "status = warn",
      "appender.out.type = Console",
      "appender.out.name = OUT",
      "appender.out.target = SYSTEM_ERR",
      "appender.out.layout.type = PatternLayout",
      "appender.out.layout.pattern = [%d] %p %m (%c)%n",
      `rootLogger.level = ${level}`,
      "rootLogger.appenderRef.out.ref = OUT",
      "logger.state.name = state.change.logger",
      "logger.state.level = WARN",
      "",
    ].join("\n"),
  );
  return file;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding. */
// As Kafka's Uuid.randomUuid: never starting with "-", which the storage
// tool's argument parser would take for an option (1 run in 64 failed so).
function newClusterId(): string {
  let id: string;
  do id = randomBytes(16).toString("base64url");
  while (id.startsWith("-"));
  return id;
}

const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

// Broker settings for the SASL listeners: the mechanisms, PLAIN's users in
// its JAAS line, SCRAM's login module (its users are stored by scramUsers).
function saslProps(extra: ExtraListener[]): Record<string, string> {
  const props: Record<string, string> = {};
  for (const l of extra) {
    if (!l.saslUsers) continue;
    const prefix = `listener.name.${l.name.toLowerCase()}`;
    props["sasl.enabled.mechanisms"] = SASL_MECHANISMS.join(",");
    const users = Object.entries(l.saslUsers).map(([u, p]) => ` user_${u}="${p}"`).join("");
    props[`${prefix}.plain.sasl.jaas.config`] = `org.apache.kafka.common.security.plain.PlainLoginModule required${users};`;
    for (const m of SASL_MECHANISMS.slice(1)) props[`${prefix}.${m.toLowerCase()}.sasl.jaas.config`] = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  }
  return props;
}

// SCRAM credentials are cluster metadata: KRaft stores them when formatting.
function scramUsers(extra: ExtraListener[]): string[] {
  const users = new Map<string, string>();
  for (const l of extra) for (const [u, p] of Object.entries(l.saslUsers ?? {})) users.set(u, p);
  return [...users].flatMap(([u, p]) => SASL_MECHANISMS.slice(1).flatMap((m) => ["--add-scram", `${m}=[name=${u},password=${p}]`]));
}

function propsText(p: Record<string, string | number | boolean>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n") + "\n";
}

/** Starts a KRaft cluster and waits until every broker is registered and serving. */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaCluster> {
  const n = opts.brokers ?? 1;
  const name = opts.name ?? "kafka";
  const started = Date.now();
  const classpath = await kafkaClasspath();
  const dir = runPath(name);
  const log4j = log4jConfig(dir, "INFO");
  const clusterId = newClusterId();
  const ports: number[] = [];
  const controllerPorts: number[] = [];
  for (let i = 0; i < n; i++) {
    ports.push(await freePort());
    controllerPorts.push(await freePort());
  }
  const extra = opts.extraListeners ?? [];
  for (const l of extra) {
    if (l.advertised.length !== n) throw new Error(`listener ${l.name}: ${l.advertised.length} advertised addresses for ${n} brokers`);
  }
  const voters = controllerPorts.map((p, i) => `${i + 1}@${LOOPBACK}:${p}`).join(",");
  const rf = Math.min(3, n);
  const brokers: KafkaBroker[] = [];
  const procs: ManagedProcess[] = [];
  const configs: string[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop(15_000)));
    for (const b of brokers) [b.port, b.controllerPort, ...Object.values(b.listeners)].forEach(releasePort);
  };
  let restarts = 0;
  const spawnBroker = (i: number) => {
    const b = brokers[i];
    const proc = spawnManaged({
      name: restarts ? `${name}-${b.nodeId}-restart-${restarts}` : `${name}-${b.nodeId}`,
      command: javaBin(),
      args: [
        `-Xmx${opts.heap ?? "512m"}`,
        "-Xms128m",
        "-XX:+UseSerialGC",
        "-Djava.awt.headless=true",
        `-Dlog4j2.configurationFile=${log4j}`,
        ...(opts.jvmArgs ?? []),
        "-cp",
        classpath.classpath,
        "kafka.Kafka",
        configs[i],
      ],
    });
    procs[i] = proc;
    b.proc = proc;
  };
  const waitServing = async (timeoutMs: number) => {
    const kafka = new Kafka({ clientId: "mqmesh-health", brokers: brokers.map((b) => `${b.host}:${b.port}`), logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 });
    const admin = kafka.admin();
    try {
      let connected = false;
      await waitUntil(
        async () => {
          if (!connected) {
            await admin.connect();
            connected = true;
          }
          const desc = await admin.describeCluster();
          return desc.brokers.length === n && desc.controller !== null;
        },
        { what: `${n} Kafka broker(s) to serve describeCluster`, timeoutMs, intervalMs: 500, proc: procs },
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  const stopBroker = async (index: number, graceMs = 15_000) => {
    await brokers[index].proc.stop(graceMs);
  };
  const startBroker = async (index: number) => {
    if (brokers[index].proc.exitStatus() === undefined) throw new Error(`broker ${brokers[index].nodeId} is still running`);
    restarts++;
    spawnBroker(index);
    await waitServing(opts.startTimeoutMs ?? 120_000);
  };
  try {
    for (let i = 0; i < n; i++) {
      const nodeId = i + 1;
      const dataDir = runPath(name, `node-${nodeId}`, "data");
      const listeners: Record<string, number> = {};
      for (const l of extra) listeners[l.name] = await freePort();
      const props: Record<string, string | number | boolean> = {
        "process.roles": "broker,controller",
        "node.id": nodeId,
        "controller.quorum.voters": voters,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        listeners: [
          `PLAINTEXT://${LOOPBACK}:${ports[i]}`,
          `CONTROLLER://${LOOPBACK}:${controllerPorts[i]}`,
          ...extra.map((l) => `${l.name}://${LOOPBACK}:${listeners[l.name]}`),
        ].join(","),
        "advertised.listeners": [
          `PLAINTEXT://${LOOPBACK}:${ports[i]}`,
          ...extra.map((l) => `${l.name}://${l.advertised[i].host}:${l.advertised[i].port}`),
        ].join(","),
        "listener.security.protocol.map": ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT", ...extra.map((l) => `${l.name}:${l.saslUsers ? "SASL_PLAINTEXT" : "PLAINTEXT"}`)].join(","),
        ...saslProps(extra),
        "log.dirs": dataDir,
        "num.partitions": 1,
        "default.replication.factor": rf,
        "min.insync.replicas": 1,
        "offsets.topic.replication.factor": rf,
        "offsets.topic.num.partitions": 4,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": rf,
        "share.coordinator.state.topic.min.isr": 1,
        "group.initial.rebalance.delay.ms": 0,
        "auto.create.topics.enable": true,
        ...opts.props,
      };
      const config = join(runPath(name, `node-${nodeId}`), "server.properties");
      writeFileSync(config, propsText(props));
      configs.push(config);
      brokers.push({ nodeId, host: LOOPBACK, port: ports[i], controllerPort: controllerPorts[i], listeners, dataDir, proc: undefined as unknown as ManagedProcess });
    }
    // Format every node's storage (in parallel), then start them all.
    const fastJvm = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", `-Dlog4j2.configurationFile=${log4j}`];
    await Promise.all(
      configs.map((config, i) =>
        runCommand(javaBin(), [...fastJvm, "-cp", classpath.classpath, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config, "--ignore-formatted", ...scramUsers(extra)], {
          name: `${name}-${i + 1}-format`,
          timeoutMs: 120_000,
        }),
      ),
    );
    for (const i of brokers.keys()) spawnBroker(i);
    const bootstrap = brokers.map((b) => `${b.host}:${b.port}`).join(",");
    await waitServing(opts.startTimeoutMs ?? 120_000);
    progress(name, `${n} broker(s) ${KAFKA_VERSION} up at ${bootstrap} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { version: KAFKA_VERSION, clusterId, brokers, bootstrap, classpath, stop, stopBroker, startBroker };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Runs a Kafka Java tool (e.g. "org.apache.kafka.tools.ConsoleProducer",
 * "org.apache.kafka.tools.consumer.ConsoleConsumer",
 * "org.apache.kafka.tools.ProducerPerformance") to completion.
 */
export async function kafkaTool(mainClass: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const classpath = await kafkaClasspath();
  const log4j = log4jConfig(runPath("kafka-tools"), "WARN");
  return runCommand(javaBin(), ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", `-Dlog4j2.configurationFile=${log4j}`, "-cp", classpath.classpath, mainClass, ...args], {
    name: opts.name ?? mainClass.split(".").pop(),
    timeoutMs: 120_000,
    ...opts,
  });
}
