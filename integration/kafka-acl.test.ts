// Topic ACLs of the kafka filter in real Envoy, against the shared broker:
// our own sidecar runs kafka.wasm with an `acl` section. Its upstream is the
// broker's PLAINTEXT listener, and the filter's broker rewrite points the
// advertised broker back at this sidecar, so every connection of the clients
// goes through it. Denied requests are answered by request substitution
// (docs/architecture.md): this is where that trick meets Envoy.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, kcat, kafkaWasmPath, startKafkaSidecar, type Sidecar } from "./stack/index.ts";
import { prometheusValue } from "./support/envoy-metrics.ts";

const bootstrap = inject("kafkaBootstrap");
const tag = randomBytes(3).toString("hex");
const secret = `acl-secret-${tag}`; // hidden and denied for everything
const readOnly = `acl-ro-${tag}`; // visible, produce denied
const open = `acl-open-${tag}`;

let sidecar: Sidecar;

// The Kafka error type of a kafkajs error, looking through wrappers.
function kafkaErrorType(e: unknown): string | undefined {
  for (let err = e as { type?: string; name?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; err && i < 6; i++) {
    if (err.type && err.name === "KafkaJSProtocolError") return err.type;
    err = (err.cause ?? err.originalError) as typeof err;
  }
  return undefined;
}

beforeAll(async () => {
  const [host, port] = bootstrap.split(",")[0].split(":");
  const md = JSON.parse((await kcat(["-b", bootstrap, "-L", "-J", "-m", "10"])).stdout) as { brokers: { id: number }[] };
  const listenPort = await freePort();
  sidecar = await startKafkaSidecar({
    name: "envoy-kafka-acl",
    listenPort,
    upstream: { host, port: Number(port) },
    wasm: await kafkaWasmPath(),
    filterConfig: {
      brokerAddresses: Object.fromEntries(md.brokers.map((b) => [String(b.id), `127.0.0.1:${listenPort}`])),
      acl: {
        defaultAction: "allow",
        rules: [
          { action: "deny", topics: ["acl-secret-*"], operations: ["*"] },
          { action: "deny", topics: [`acl-ro-${tag}`], operations: ["produce"] },
        ],
      },
    },
  });
  // The topics exist on the broker (created directly, around the sidecar).
  const direct = new Kafka({ clientId: "acl-setup", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
  const admin = direct.admin();
  await admin.connect();
  await admin.createTopics({ topics: [secret, readOnly, open].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
}, 120_000);

afterAll(async () => {
  await sidecar?.stop();
});

describe("topic ACLs through a real Envoy sidecar", () => {
  it("kafkajs: produce to a produce-denied topic fails with TOPIC_AUTHORIZATION_FAILED, an allowed topic works on the same client", async () => {
    const kafka = new Kafka({ clientId: "acl-kafkajs", brokers: [sidecar.address], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const denied = await producer.send({ topic: readOnly, acks: -1, messages: [{ value: "no" }] }).then(() => undefined, (e) => e);
      expect(denied, "produce to the read-only topic must fail").toBeDefined();
      expect(kafkaErrorType(denied)).toBe("TOPIC_AUTHORIZATION_FAILED");
      // The connection survived: the same producer still works.
      const ok = await producer.send({ topic: open, acks: -1, messages: [{ value: "yes" }] });
      expect(ok[0].errorCode).toBe(0);
      const hidden = await producer.send({ topic: secret, acks: -1, messages: [{ value: "no" }] }).then(() => undefined, (e) => e);
      expect(kafkaErrorType(hidden)).toBe("TOPIC_AUTHORIZATION_FAILED");
    } finally {
      await producer.disconnect();
    }
    // The broker really has only the allowed record.
    const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", readOnly, "-o", "beginning", "-e", "-q", "-m", "20"]);
    expect(stdout.trim()).toBe("");
    expect(await prometheusValue(sidecar.envoy.adminUrl, "mqmesh_kafka_denied_requests_total", { api: "Produce", topic: readOnly })).toBeGreaterThan(0);
  });

  it("kcat -L does not list the denied topic, only the allowed ones", async () => {
    const { stdout } = await kcat(["-b", sidecar.address, "-L", "-J", "-m", "10"]);
    const md = JSON.parse(stdout) as { brokers: { name: string }[]; topics: { topic: string }[] };
    const topics = md.topics.map((t) => t.topic);
    expect(topics).toContain(open);
    expect(topics).toContain(readOnly);
    expect(topics).not.toContain(secret);
    expect(md.brokers.map((b) => b.name)).toEqual([sidecar.address]);
    // Asked by name, it is an authorization error.
    const named = JSON.parse((await kcat(["-b", sidecar.address, "-L", "-J", "-t", secret, "-m", "10"])).stdout) as { topics: { topic: string; error?: string }[] };
    expect(named.topics).toEqual([expect.objectContaining({ topic: secret, error: expect.stringMatching(/authoriz/i) })]);
  });

  it("kcat: producing to the denied topic fails with the authorization error", async () => {
    const run = await kcat(["-b", sidecar.address, "-P", "-t", readOnly, "-X", "topic.request.required.acks=-1", "-m", "15"], { input: "a\nb\n" }).then(
      (r) => `${r.stdout}${r.stderr}`,
      (e: Error) => e.message,
    );
    expect(run).toMatch(/Topic authorization failed/i);
    const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", readOnly, "-o", "beginning", "-e", "-q", "-m", "20"]);
    expect(stdout.trim()).toBe("");
  });
});
