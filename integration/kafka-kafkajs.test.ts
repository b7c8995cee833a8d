// kafkajs through the Envoy Kafka sidecar: 1,000 keyed messages produced and
// consumed back exactly, with every connection going through Envoy.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { envoyStat } from "./support/envoy-metrics.ts";

const sidecar = inject("kafkaSidecar");
const direct = inject("kafkaBootstrap");
const adminUrl = inject("envoyAdminUrl");
const wasmPath = inject("kafkaSidecarWasm");

function client(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

describe("kafkajs through the Envoy Kafka sidecar", () => {
  const kafka = client(sidecar, "mqmesh-kafkajs-test");
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it("runs the kafka Wasm filter in V8", async () => {
    // The stack never falls back to plain tcp_proxy unless asked to (MQMESH_KAFKA_WASM=off).
    expect(wasmPath).toMatch(/\.wasm$/);
    expect(await envoyStat(adminUrl, "wasm.envoy.wasm.runtime.v8.active")).toBeGreaterThan(0);
  });

  it("advertises the sidecar address to clients that bootstrap through it", async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([sidecar]);
    // A client that bootstraps directly keeps talking to the broker itself.
    const directAdmin = client(direct, "mqmesh-kafkajs-direct").admin();
    await directAdmin.connect();
    try {
      expect((await directAdmin.describeCluster()).brokers.map((b) => `${b.host}:${b.port}`)).toEqual([direct]);
    } finally {
      await directAdmin.disconnect();
    }
  });

  it("produces and consumes 1,000 messages with exact keys and values", async () => {
    const topic = `kafkajs-${randomBytes(4).toString("hex")}`;
    const cxBefore = await envoyStat(adminUrl, "tcp.kafka_sidecar.downstream_cx_total");
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

    const sent = Array.from({ length: 1000 }, (_, i) => ({
      key: `key-${i}`,
      value: `value-${i}-${randomBytes(8).toString("hex")}`,
      headers: { seq: String(i) },
    }));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < sent.length; i += 100) {
        await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 100) });
      }
    } finally {
      await producer.disconnect();
    }

    const consumer = kafka.consumer({ groupId: `g-${topic}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    const got: { key: string; value: string; seq: string; offset: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push({
              key: message.key!.toString(),
              value: message.value!.toString(),
              seq: String(message.headers?.seq),
              offset: message.offset,
            });
            if (got.length >= sent.length) resolve();
          },
        });
      });
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${got.length} of ${sent.length} messages consumed`)), 60_000))]);
    } finally {
      await consumer.disconnect();
    }

    expect(got.length).toBe(sent.length);
    expect(got.map((m) => m.key)).toEqual(sent.map((m) => m.key));
    expect(got.map((m) => m.value)).toEqual(sent.map((m) => m.value));
    expect(got.map((m) => m.seq)).toEqual(sent.map((_, i) => String(i)));
    expect(got.map((m) => m.offset)).toEqual(sent.map((_, i) => String(i)));
    // The traffic went through Envoy, not around it.
    expect(await envoyStat(adminUrl, "tcp.kafka_sidecar.downstream_cx_total")).toBeGreaterThan(cxBefore);
    expect(await envoyStat(adminUrl, "cluster.kafka_broker.upstream_cx_total")).toBeGreaterThan(0);
  });
});
