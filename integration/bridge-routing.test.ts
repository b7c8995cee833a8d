// Routing rules and metrics of the bridge in real Envoy against a real
// broker: CloudEvents of different types sent to one path land in the topics
// their rules name (read back with kafkajs), and Envoy's Prometheus output
// counts every publish.
import { randomBytes } from "node:crypto";
import { CloudEvent, Mode, emitterFor, httpTransport } from "cloudevents";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "./stack/bridge.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";

const bootstrap = inject("kafkaBootstrap");
const [brokerHost, brokerPort] = bootstrap.split(":");
const kafka = new Kafka({ clientId: "mqmesh-bridge-routing-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const suffix = randomBytes(4).toString("hex");
const topics = { path: `routing-path-${suffix}`, created: `routing-created-${suffix}`, audit: `routing-audit-${suffix}` };
const config = {
  pubsubs: {
    kafka: {
      type: "kafka", cluster: "kafka_tunnel", allowAutoTopicCreation: false,
      routes: [
        { pattern: { type: ["com.example.order.created"] }, topic: topics.created },
        { pattern: { type: [{ prefix: "com.example.audit." }], data: { amount: [{ numeric: [">=", 100] }] } }, topic: topics.audit },
      ],
    },
  },
  appId: "bridge-routing-test",
};

let bridge: Bridge;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  bridge = await startBridge({ name: "envoy-bridge-routing", upstream: { host: brokerHost, port: Number(brokerPort) }, wasm, filterConfig: config });
}, 300_000);

afterAll(async () => {
  await bridge?.stop();
});

async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${randomBytes(3).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} messages from ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push(message);
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

async function storedIn(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

describe("http-mq-bridge routing rules and metrics through real Envoy", () => {
  it("events of different types sent to one path land in the topics their rules name; Prometheus counts each publish", async () => {
    const url = `${bridge.url}/v1.0/cloudevents/kafka/${topics.path}`;
    const binary = emitterFor(httpTransport(url), { mode: Mode.BINARY });
    const structured = emitterFor(httpTransport(url), { mode: Mode.STRUCTURED });
    await binary(new CloudEvent({ id: "r-1", source: "/orders", type: "com.example.order.created", data: { orderId: 1 } }));
    await structured(new CloudEvent({ id: "r-2", source: "/orders", type: "com.example.audit.refund", data: { amount: 250 } }));
    // Below the audit rule's amount: no rule matches, the path's topic keeps it.
    await structured(new CloudEvent({ id: "r-3", source: "/orders", type: "com.example.audit.refund", data: { amount: 99.5 } }));

    const created = await readAll(topics.created, 1);
    expect(created.map((m) => [m.headers?.ce_id?.toString(), m.value?.toString()])).toEqual([["r-1", '{"orderId":1}']]);
    const audit = await readAll(topics.audit, 1);
    expect(audit.map((m) => [m.headers?.ce_id?.toString(), m.headers?.ce_type?.toString(), m.value?.toString()])).toEqual([["r-2", "com.example.audit.refund", '{"amount":250}']]);
    const kept = await readAll(topics.path, 1);
    expect(kept.map((m) => m.headers?.ce_id?.toString())).toEqual(["r-3"]);
    expect([await storedIn(topics.created), await storedIn(topics.audit), await storedIn(topics.path)]).toEqual([1, 1, 1]);

    // N Dapr publishes: the counters and the latency histogram's count say N.
    const n = 5;
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${bridge.url}/v1.0/publish/kafka/${topics.path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ i }) });
      expect(res.status).toBe(204);
    }
    const admin = bridge.envoy.adminUrl;
    const read = (metric: string, labels: Record<string, string>) => () => prometheusValue(admin, metric, labels);
    await expect.poll(read("mqmesh_bridge_requests_total", { api: "dapr", pubsub: "kafka", status: "204" }), METRIC_POLL).toBe(n);
    await expect.poll(read("mqmesh_bridge_publish_duration_milliseconds_count", { api: "dapr" }), METRIC_POLL).toBe(n);
    await expect.poll(read("mqmesh_bridge_requests_total", { api: "cloudevents", pubsub: "kafka", status: "204" }), METRIC_POLL).toBe(3);
    await expect.poll(read("mqmesh_bridge_records_total", { pubsub: "kafka", topic: topics.path, result: "stored" }), METRIC_POLL).toBe(n + 1);
    await expect.poll(read("mqmesh_bridge_records_total", { pubsub: "kafka", topic: topics.created, result: "stored" }), METRIC_POLL).toBe(1);
    await expect.poll(read("mqmesh_bridge_records_total", { pubsub: "kafka", topic: topics.audit, result: "stored" }), METRIC_POLL).toBe(1);
    expect(await prometheusValue(admin, "mqmesh_bridge_records_total", { result: "failed" })).toBe(0);
  });
});
