// The HTTP-to-Kafka bridge in real Envoy against a real broker: Dapr-style
// publishes with plain fetch, read back with kafkajs.
import { randomBytes } from "node:crypto";
import { Kafka, Partitioners, logLevel, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "./stack/bridge.ts";
import { freePort } from "./stack/ports.ts";

const bootstrap = inject("kafkaBootstrap");
const [brokerHost, brokerPort] = bootstrap.split(":");
const kafka = new Kafka({ clientId: "mqmesh-bridge-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const config = { pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" } }, appId: "bridge-test", maxBodyBytes: 65536, rest: { pubsub: "kafka" } };

let bridge: Bridge;
let deadBridge: Bridge;

beforeAll(async () => {
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  bridge = await startBridge({ upstream: { host: brokerHost, port: Number(brokerPort) }, wasm, filterConfig: config });
  // Nothing listens on this port: the broker is unreachable.
  deadBridge = await startBridge({ name: "envoy-bridge-dead", upstream: { host: "127.0.0.1", port: await freePort() }, wasm, filterConfig: config });
}, 300_000);

afterAll(async () => {
  await bridge?.stop();
  await deadBridge?.stop();
});

async function createTopic(partitions: number): Promise<string> {
  const topic = `bridge-${randomBytes(4).toString("hex")}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

interface Read {
  partition: number;
  message: KafkaMessage;
}

async function readAll(topic: string, count: number): Promise<Read[]> {
  const consumer = kafka.consumer({ groupId: `g-${topic}-${randomBytes(3).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Read[] = [];
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
  // Anything beyond `count` would be a duplicate: give it a moment to show up.
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return out;
}

function publish(base: string, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers });
}

const headerText = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

describe("http-mq-bridge: Dapr publish to Kafka through real Envoy", () => {
  it("wraps a JSON body in Dapr's CloudEvent; metadata and trace context become record headers; 204 after the ack", async () => {
    const topic = await createTopic(1);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.tenant=acme&metadata.note=a%20b`, JSON.stringify({ orderId: 42, ok: true }), {
      "content-type": "application/json",
      traceparent,
      tracestate: "vendor=x",
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    const [read] = await readAll(topic, 1);
    const m = read.message;
    expect(m.key).toBeNull();
    const ce = JSON.parse(m.value!.toString());
    expect(ce).toMatchObject({
      specversion: "1.0",
      type: "com.dapr.event.sent",
      source: "bridge-test",
      datacontenttype: "application/json",
      data: { orderId: 42, ok: true },
      topic,
      pubsubname: "kafka",
      traceparent,
      tracestate: "vendor=x",
    });
    expect(ce.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(ce.time))).toBe(false);
    expect(headerText(m, "tenant")).toBe("acme");
    expect(headerText(m, "note")).toBe("a b");
    expect(headerText(m, "traceparent")).toBe(traceparent);
    expect(headerText(m, "tracestate")).toBe("vendor=x");
  });

  it("rawPayload keeps bytes exact; partitionKey is the record key and picks the partition kafkajs's Java-compatible partitioner picks", async () => {
    const partitions = 6;
    const topic = await createTopic(partitions);
    const sent = Array.from({ length: 24 }, (_, i) => ({ key: `customer-${i}-${randomBytes(3).toString("hex")}`, value: randomBytes(40 + i) }));
    for (const s of sent) {
      const res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.rawPayload=true&metadata.partitionKey=${encodeURIComponent(s.key)}`, s.value, {
        "content-type": "application/octet-stream",
      });
      expect(res.status, await res.clone().text()).toBe(204);
    }
    const reads = await readAll(topic, sent.length);
    expect(reads).toHaveLength(sent.length);
    const partitioner = Partitioners.JavaCompatiblePartitioner();
    const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    for (const s of sent) {
      const r = reads.find((x) => x.message.key?.toString() === s.key);
      expect(r, s.key).toBeDefined();
      expect(Buffer.compare(r!.message.value!, s.value)).toBe(0);
      const expected = partitioner({ topic, partitionMetadata, message: { key: s.key, value: s.value } });
      expect(r!.partition, s.key).toBe(expected);
    }
    expect(new Set(reads.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it("publishing to a topic that does not exist yet waits for auto-creation and succeeds", async () => {
    const topic = `bridge-auto-${randomBytes(4).toString("hex")}`;
    const res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`, "first");
    expect(res.status, await res.clone().text()).toBe(204);
    const [read] = await readAll(topic, 1);
    expect(read.message.value!.toString()).toBe("first");
  });

  it("concurrent publishes over reused tunnel connections: every 204 is in the topic exactly once", async () => {
    const topic = await createTopic(3);
    const n = 60;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.rawPayload=true&metadata.partitionKey=k${i}`, `value-${i}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(204));
    const reads = await readAll(topic, n);
    expect(reads.map((r) => r.message.value!.toString()).sort()).toEqual(Array.from({ length: n }, (_, i) => `value-${i}`).sort());
  });

  it("answers Dapr-shaped errors: unknown pubsub 404, bad metadata 400, invalid JSON 400, too large 413", async () => {
    const topic = await createTopic(1);
    let res = await publish(bridge.url, `/v1.0/publish/nope/${topic}`, "x");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errorCode: "ERR_PUBSUB_NOT_FOUND", message: "pubsub nope not found" });
    res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.rawPayload=maybe`, "x");
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^metadata\.rawPayload:/);
    res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}`, "{not json", { "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^body: invalid JSON/);
    res = await publish(bridge.url, `/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`, randomBytes(65537));
    expect(res.status).toBe(413);
    expect((await res.json()).errorCode).toBe("ERR_PUBSUB_REQUEST_TOO_LARGE");
    res = await publish(bridge.url, `/v1.0/publish/kafka/bad%20topic`, "x");
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^topic:/);
    res = await fetch(`${bridge.url}/somewhere/else`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("not a bridge path\n");
  });

  it("Kafka REST-style POST /topics/{topic}: the offsets answered are where kafkajs finds each record", async () => {
    const topic = await createTopic(3);
    const json = {
      records: [
        { key: "k-1", value: { a: 1 }, headers: { source: "rest" } },
        { value: "plain", partition: 2 },
        { key: "k-2", value: [1, 2, 3] },
      ],
    };
    let res = await publish(bridge.url, `/topics/${topic}`, JSON.stringify(json), { "content-type": "application/vnd.kafka.json.v2+json" });
    expect(res.status).toBe(200);
    const first = (await res.json()).offsets as { partition: number; offset: number; error_code: null }[];
    const bin = { records: [{ key: Buffer.from([1, 2, 3]).toString("base64"), value: Buffer.from([0, 255, 10]).toString("base64") }] };
    res = await publish(bridge.url, `/topics/${topic}/partitions/1`, JSON.stringify(bin), { "content-type": "application/vnd.kafka.binary.v2+json" });
    expect(res.status).toBe(200);
    const second = (await res.json()).offsets;
    expect(second[0].partition).toBe(1);
    const offsets = [...first, ...second];
    expect(offsets.every((o) => o.error_code === null)).toBe(true);
    const reads = await readAll(topic, 4);
    const at = (o: { partition: number; offset: number }) => reads.find((r) => r.partition === o.partition && Number(r.message.offset) === o.offset)!.message;
    expect(at(offsets[0]).key!.toString()).toBe('"k-1"');
    expect(at(offsets[0]).value!.toString()).toBe('{"a":1}');
    expect(headerText(at(offsets[0]), "source")).toBe("rest");
    expect(offsets[1].partition).toBe(2);
    expect(at(offsets[1]).value!.toString()).toBe('"plain"');
    expect(at(offsets[2]).value!.toString()).toBe("[1,2,3]");
    expect([...at(offsets[3]).key!]).toEqual([1, 2, 3]);
    expect([...at(offsets[3]).value!]).toEqual([0, 255, 10]);
  });

  it("with the broker unreachable answers 503 with Retry-After, never 2xx", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await publish(deadBridge.url, `/v1.0/publish/kafka/orders?metadata.rawPayload=true`, `v${i}`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      const body = await res.json();
      expect(body.errorCode).toBe("ERR_PUBSUB_PUBLISH_MESSAGE");
      expect(body.message).toMatch(/^pubsub kafka: the broker could not be reached/);
    }
    const res = await publish(deadBridge.url, `/topics/orders`, JSON.stringify({ records: [{ value: 1 }] }), { "content-type": "application/vnd.kafka.json.v2+json" });
    expect(res.status).toBe(503);
    expect((await res.json()).error_code).toBe(50301);
  });
});
