// CloudEvents into Kafka through the bridge in real Envoy: the cloudevents
// SDK's HTTP emitter publishes in binary and structured mode, kafkajs reads
// back the Kafka protocol binding (ce_ headers, content-type, value, key) and
// the traceparent.
import { randomBytes } from "node:crypto";
import { CloudEvent, Mode, emitterFor, httpTransport } from "cloudevents";
import { Kafka, Partitioners, logLevel, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "./stack/bridge.ts";

const bootstrap = inject("kafkaBootstrap");
const [brokerHost, brokerPort] = bootstrap.split(":");
const kafka = new Kafka({ clientId: "mqmesh-bridge-ce-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const config = { pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" } }, appId: "bridge-ce-test", maxBodyBytes: 65536 };

let bridge: Bridge;

beforeAll(async () => {
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  bridge = await startBridge({ name: "envoy-bridge-ce", upstream: { host: brokerHost, port: Number(brokerPort) }, wasm, filterConfig: config });
}, 300_000);

afterAll(async () => {
  await bridge?.stop();
});

async function createTopic(partitions: number): Promise<string> {
  const topic = `bridge-ce-${randomBytes(4).toString("hex")}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

async function readAll(topic: string, count: number): Promise<{ partition: number; message: KafkaMessage }[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${randomBytes(3).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { partition: number; message: KafkaMessage }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} messages`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, message });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return out;
}

const headersText = (m: KafkaMessage) => Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("http-mq-bridge: CloudEvents SDK HTTP emitter to Kafka through real Envoy", () => {
  it("binary and structured events arrive in the Kafka binding with exact values, ce_ headers, key on the Java partition, and traceparent", async () => {
    const topic = await createTopic(4);
    const url = `${bridge.url}/v1.0/cloudevents/kafka/${topic}`;
    const binary = emitterFor(httpTransport(url), { mode: Mode.BINARY });
    const structured = emitterFor(httpTransport(url), { mode: Mode.STRUCTURED });
    const time = "2026-11-22T13:00:00.000Z";

    const e1 = new CloudEvent({ id: "bin-1", source: "/orders/api", type: "com.example.order.created", subject: "o-1", time, datacontenttype: "application/json", data: { orderId: 1, note: "café" }, partitionkey: "customer-7" });
    const r1 = (await binary(e1, { headers: { traceparent } })) as { body: string };
    expect(r1.body).toBe("");
    const raw = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const e2 = new CloudEvent({ id: "str-1", source: "/orders/api", type: "com.example.order.blob", time, datacontenttype: "application/octet-stream", data: raw, partitionkey: "customer-8", traceparent });
    const r2 = (await structured(e2)) as { body: string };
    expect(r2.body).toBe("");
    const e3 = new CloudEvent({ id: "str-2", source: "/orders/api", type: "com.example.order.note", time, datacontenttype: "text/plain", data: "plain text" });
    const r3 = (await structured(e3, { headers: { traceparent } })) as { body: string };
    expect(r3.body).toBe("");

    const got = await readAll(topic, 3);
    expect(got).toHaveLength(3);
    const byId = (id: string) => got.find((g) => g.message.headers?.ce_id?.toString() === id)!;
    const partitioner = Partitioners.JavaCompatiblePartitioner();
    const partitionMetadata = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const javaPartition = (key: string) => partitioner({ topic, partitionMetadata, message: { key, value: "" } });

    const g1 = byId("bin-1");
    expect(g1.message.value!.toString()).toBe(JSON.stringify({ orderId: 1, note: "café" }));
    expect(g1.message.key!.toString()).toBe("customer-7");
    expect(g1.partition).toBe(javaPartition("customer-7"));
    expect(headersText(g1.message)).toEqual({
      ce_specversion: "1.0", ce_id: "bin-1", ce_source: "/orders/api", ce_type: "com.example.order.created", ce_subject: "o-1", ce_time: time,
      ce_partitionkey: "customer-7", "content-type": "application/json", traceparent,
    });

    const g2 = byId("str-1");
    expect(Buffer.compare(g2.message.value!, raw)).toBe(0);
    expect(g2.message.key!.toString()).toBe("customer-8");
    expect(g2.partition).toBe(javaPartition("customer-8"));
    expect(headersText(g2.message)).toEqual({
      ce_specversion: "1.0", ce_id: "str-1", ce_source: "/orders/api", ce_type: "com.example.order.blob", ce_time: time,
      ce_partitionkey: "customer-8", ce_traceparent: traceparent, "content-type": "application/octet-stream", traceparent,
    });

    const g3 = byId("str-2");
    expect(g3.message.value!.toString()).toBe("plain text");
    expect(g3.message.key).toBeNull();
    expect(headersText(g3.message)).toMatchObject({ ce_id: "str-2", "content-type": "text/plain", traceparent });
  });

  it("batch mode and Dapr bulk publish: every entry stored once; answers after the ack; 400 names the missing attribute", async () => {
    const topic = await createTopic(2);
    const events = [1, 2, 3].map((i) => ({ specversion: "1.0", id: `b-${i}`, source: "urn:batch", type: "t", data: { i } }));
    const res = await fetch(`${bridge.url}/v1.0/cloudevents/kafka/${topic}`, { method: "POST", headers: { "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify(events) });
    expect(res.status).toBe(200);
    const results = (await res.json()).results;
    expect(results.map((r: { id: string }) => r.id)).toEqual(["b-1", "b-2", "b-3"]);
    for (const r of results) expect(typeof r.offset).toBe("number");

    const bulk = await fetch(`${bridge.url}/v1.0-alpha1/publish/bulk/kafka/${topic}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify([{ entryId: "x", event: "hello", contentType: "text/plain" }, { entryId: "y", event: { n: 1 }, contentType: "application/json", metadata: { partitionKey: "k" } }]),
    });
    expect(bulk.status).toBe(204);

    const bad = await fetch(`${bridge.url}/v1.0/cloudevents/kafka/${topic}`, { method: "POST", headers: { "ce-specversion": "1.0", "ce-id": "1", "ce-type": "t" }, body: "x" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/^source: /);

    const got = await readAll(topic, 5);
    expect(got).toHaveLength(5);
    expect(got.filter((g) => g.message.headers?.ce_id).map((g) => g.message.value!.toString()).sort()).toEqual(['{"i":1}', '{"i":2}', '{"i":3}']);
    const dapr = got.filter((g) => !g.message.headers?.ce_id).map((g) => JSON.parse(g.message.value!.toString()));
    expect(dapr.map((ce) => ce.data).sort()).toEqual([{ n: 1 }, "hello"].sort());
    for (const ce of dapr) expect(ce).toMatchObject({ specversion: "1.0", type: "com.dapr.event.sent", source: "bridge-ce-test", topic, pubsubname: "kafka" });
  });
});
