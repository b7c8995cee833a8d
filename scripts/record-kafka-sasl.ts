// Records real Kafka clients authenticating with SASL in plaintext against a
// real broker (a SASL_PLAINTEXT listener with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512), for test/kafka/sasl.test.ts
// (test/recordings/kafka/sasl.json).
//
//   npx tsx scripts/record-kafka-sasl.ts
//
// Each run is one client and mechanism with the user it authenticated as
// (or, for a wrong password, that it did not), and its connections as the
// recording proxy saw them.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { kafkaTool, kcat, kcatVersion, runPath, startKafka, stopAll } from "../integration/stack/index.ts";
import { RecordingProxy, type RecordedChunk } from "./recording-proxy.ts";

export interface SaslRun {
  client: string;
  mechanism: string;
  user: string;
  // Whether the broker accepted the credentials.
  authenticated: boolean;
  connections: RecordedChunk[][];
}

export interface SaslRecording {
  recordedWith: { kafka: string; kcat: string };
  runs: SaslRun[];
}

const USERS = { alice: "alice-secret", bob: "bob-secret" };
const outFile = fileURLToPath(new URL("../test/recordings/kafka/sasl.json", import.meta.url));

async function kafkajs(address: string, sasl: SASLOptions): Promise<boolean> {
  const kafka = new Kafka({ clientId: "mqmesh-sasl-recorder", brokers: [address], sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function kcatList(address: string, mechanism: string, user: string, password: string): Promise<boolean> {
  return succeeds(kcat(["-b", address, "-L", "-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanisms=${mechanism}`,
    "-X", `sasl.username=${user}`, "-X", `sasl.password=${password}`, "-m", "10"]));
}

async function javaTopics(address: string, mechanism: string, user: string, password: string): Promise<boolean> {
  const config = join(runPath("sasl-recorder"), `${mechanism}.properties`);
  const module = mechanism === "PLAIN" ? "plain.PlainLoginModule" : "scram.ScramLoginModule";
  writeFileSync(config, [
    "security.protocol=SASL_PLAINTEXT", `sasl.mechanism=${mechanism}`,
    `sasl.jaas.config=org.apache.kafka.common.security.${module} required username="${user}" password="${password}";`,
  ].join("\n") + "\n");
  return succeeds(kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", address, "--command-config", config, "--list"]));
}

// A tool that exits non-zero throws (runCommand); that is the refusal.
async function succeeds(run: Promise<unknown>): Promise<boolean> {
  return run.then(() => true, () => false);
}

async function main(): Promise<void> {
  let brokerPort = 0;
  const proxy = new RecordingProxy(() => brokerPort);
  await proxy.listen();
  const kafka = await startKafka({
    name: "kafka-sasl",
    extraListeners: [{ name: "SASL", advertised: [{ host: "127.0.0.1", port: proxy.port }], saslUsers: USERS }],
  });
  brokerPort = kafka.brokers[0].listeners["SASL"];
  const address = proxy.address;
  const runs: SaslRun[] = [];
  const record = async (client: string, mechanism: string, user: string, attempt: () => Promise<boolean>) => {
    const authenticated = await attempt();
    await new Promise((r) => setTimeout(r, 300));
    runs.push({ client, mechanism, user, authenticated, connections: proxy.take() });
    console.log(`${client} ${mechanism} ${user}: ${authenticated ? "authenticated" : "refused"}`);
  };
  try {
    await record("kafkajs", "PLAIN", "alice", () => kafkajs(address, { mechanism: "plain", username: "alice", password: USERS.alice }));
    await record("kafkajs", "SCRAM-SHA-256", "bob", () => kafkajs(address, { mechanism: "scram-sha-256", username: "bob", password: USERS.bob }));
    await record("kafkajs", "SCRAM-SHA-512", "alice", () => kafkajs(address, { mechanism: "scram-sha-512", username: "alice", password: USERS.alice }));
    await record("kafkajs", "PLAIN", "alice", () => kafkajs(address, { mechanism: "plain", username: "alice", password: "wrong" }));
    await record("kcat", "PLAIN", "bob", () => kcatList(address, "PLAIN", "bob", USERS.bob));
    // librdkafka 2.0.2 (Debian's kcat) is refused with SCRAM-SHA-512 by Kafka 4.1 even with the
    // right password (kafkajs is not): recorded as the broker answered, a refusal.
    await record("kcat", "SCRAM-SHA-512", "bob", () => kcatList(address, "SCRAM-SHA-512", "bob", USERS.bob));
    await record("kafkajs", "SCRAM-SHA-512", "bob", () => kafkajs(address, { mechanism: "scram-sha-512", username: "bob", password: USERS.bob }));
    await record("kcat", "SCRAM-SHA-256", "bob", () => kcatList(address, "SCRAM-SHA-256", "bob", "wrong"));
    await record("java", "SCRAM-SHA-256", "alice", () => javaTopics(address, "SCRAM-SHA-256", "alice", USERS.alice));
    await record("java", "PLAIN", "bob", () => javaTopics(address, "PLAIN", "bob", USERS.bob));
    const recording: SaslRecording = { recordedWith: { kafka: kafka.version, kcat: kcatVersion() }, runs };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(recording, null, 1) + "\n");
    console.log(`recorded ${runs.length} runs -> ${outFile}`);
  } finally {
    await proxy.close();
    await kafka.stop();
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
