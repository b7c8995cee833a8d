// The kafka filter in real Envoy: the metrics Prometheus scrapes from the
// sidecar equal what real clients did through it, with topic and api labels.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, inject, it } from "vitest";
import { kcat } from "./stack/index.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";

const sidecar = inject("kafkaSidecar");
const wasmPath = inject("kafkaSidecarWasm");
const adminUrl = inject("envoyAdminUrl");

const prometheus = (metric: string, labels: Record<string, string>) => prometheusValue(adminUrl, metric, labels);

describe("kafka filter metrics in Envoy", () => {
  it("runs the project's kafka.wasm in the sidecar", () => {
    expect(wasmPath).toMatch(/build\/kafka\.wasm$/);
  });

  it("counts records produced and fetched per topic as kafkajs sent and read them", async () => {
    const topic = `metrics-${randomBytes(4).toString("hex")}`;
    const kafka = new Kafka({ clientId: "mqmesh-metrics-test", brokers: [sidecar], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const count = 300;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < count; i += 30) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async () => void (++consumed >= count && resolve()) }));
    await consumer.disconnect();

    await expect.poll(() => prometheus("mqmesh_kafka_produced_records_total", { topic }), METRIC_POLL).toBe(count);
    await expect.poll(() => prometheus("mqmesh_kafka_fetched_records_total", { topic }), METRIC_POLL).toBe(count);
    await expect.poll(() => prometheus("mqmesh_kafka_requests_total", { api: "Produce" }), METRIC_POLL).toBeGreaterThanOrEqual(count / 30);
    await expect.poll(() => prometheus("mqmesh_kafka_responses_total", { api: "Metadata" }), METRIC_POLL).toBeGreaterThan(0);
  });

  it("counts what kcat (librdkafka) produces through the sidecar", async () => {
    const topic = `kcat-metrics-${randomBytes(4).toString("hex")}`;
    const lines = Array.from({ length: 120 }, (_, i) => `key${i}:value${i}`).join("\n") + "\n";
    await kcat(["-b", sidecar, "-t", topic, "-P", "-K", ":", "-X", "allow.auto.create.topics=true"], { input: lines });
    await expect.poll(() => prometheus("mqmesh_kafka_produced_records_total", { topic }), METRIC_POLL).toBe(120);
  });
});
