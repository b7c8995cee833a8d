// The HTTP bridge publishing to RocketMQ 5 in real Envoy: Dapr publish, Dapr
// bulk publish and CloudEvents (the cloudevents SDK's HTTP emitter, binary
// and structured; batch with fetch) go out as gRPC SendMessage calls to the
// real proxy; a rocketmq-client-nodejs SimpleConsumer reads back the exact
// body, keys, properties and traceparent. Unknown topics are a Dapr-shaped
// 404, an unreachable proxy a 503 with Retry-After.
import { randomBytes } from "node:crypto";
import { CloudEvent, Mode, emitterFor, httpTransport } from "cloudevents";
import { SimpleConsumer, type MessageView } from "rocketmq-client-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startRocketMQBridge, type Bridge } from "./stack/bridge.ts";
import { fileLogger } from "./stack/client-logger.ts";
import { freePort } from "./stack/ports.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic } from "./stack/rocketmq-remoting.ts";

const config = { pubsubs: { rocketmq: { type: "rocketmq", cluster: "rocketmq_proxy_grpc", timeoutMs: 5000 } }, appId: "bridge-rmq-test", maxBodyBytes: 65536 };
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let rmq: RocketMQEndpoints;
let stopStack = async () => {};
let bridge: Bridge;
let deadBridge: Bridge;

beforeAll(async () => {
  const s = await useRocketMQStack();
  rmq = s.endpoints;
  stopStack = s.stop;
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  const [host, port] = rmq.proxyGrpc.split(":");
  bridge = await startRocketMQBridge({ proxyGrpc: { host, port: Number(port) }, wasm, filterConfig: config });
  // Nothing listens on this port: the proxy is unreachable.
  deadBridge = await startRocketMQBridge({ name: "envoy-bridge-rocketmq-dead", proxyGrpc: { host: "127.0.0.1", port: await freePort() }, wasm, filterConfig: config });
}, 900_000);

afterAll(async () => {
  await bridge?.stop();
  await deadBridge?.stop();
  await stopStack();
});

async function newTopic(): Promise<string> {
  const topic = `bridge-rmq-${randomBytes(4).toString("hex")}`;
  await createTopic(rmq.brokerAddr, topic);
  return topic;
}

// Every message of `topic`, read straight from the proxy: exactly `count`
// (one more receive must come back empty, so a duplicate would show).
async function readAll(topic: string, count: number): Promise<MessageView[]> {
  const consumer = new SimpleConsumer({
    endpoints: rmq.proxyGrpc,
    namespace: "",
    consumerGroup: `${topic}-g`,
    subscriptions: new Map([[topic, "*"]]),
    awaitDuration: 3000,
    logger: fileLogger("bridge-rocketmq-consumer"),
  });
  await consumer.startup();
  const out: MessageView[] = [];
  try {
    const deadline = Date.now() + 60_000;
    while (out.length < count && Date.now() < deadline) {
      for (const m of await consumer.receive(32, 30_000)) {
        out.push(m);
        await consumer.ack(m);
      }
    }
    expect(await consumer.receive(32, 30_000)).toEqual([]);
  } finally {
    await consumer.shutdown();
  }
  return out;
}

const props = (m: MessageView) => Object.fromEntries(m.properties);

function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}, base = bridge.url): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers });
}

describe("http-mq-bridge: publish to RocketMQ 5 (gRPC SendMessage) through real Envoy", () => {
  it("Dapr publish: 204 after the ack; the CloudEvent or raw body, partitionKey as key, metadata and traceparent as properties arrive exactly", async () => {
    const topic = await newTopic();
    const r1 = await post(`/v1.0/publish/rocketmq/${topic}?metadata.tenant=acme&metadata.note=a%20b&metadata.partitionKey=order-42`, JSON.stringify({ orderId: 42, note: "café" }), {
      "content-type": "application/json", traceparent, tracestate: "vendor=x",
    });
    expect(r1.status, await r1.clone().text()).toBe(204);
    const raw = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x41]);
    const r2 = await post(`/v1.0/publish/rocketmq/${topic}?metadata.rawPayload=true`, raw, { "content-type": "application/octet-stream" });
    expect(r2.status).toBe(204);

    const got = await readAll(topic, 2);
    expect(got).toHaveLength(2);
    const wrapped = got.find((m) => m.keys.length > 0)!;
    expect(wrapped.topic).toBe(topic);
    expect(wrapped.keys).toEqual(["order-42"]);
    const ce = JSON.parse(wrapped.body.toString("utf8"));
    expect(ce).toMatchObject({ specversion: "1.0", type: "com.dapr.event.sent", source: "bridge-rmq-test", datacontenttype: "application/json", data: { orderId: 42, note: "café" }, topic, pubsubname: "rocketmq", traceparent, tracestate: "vendor=x" });
    expect(props(wrapped)).toEqual({ tenant: "acme", note: "a b", traceparent, tracestate: "vendor=x" });
    expect(wrapped.messageId).toMatch(/^01[0-9A-F]{32}$/);

    const plain = got.find((m) => m.keys.length === 0)!;
    expect(Buffer.compare(plain.body, raw)).toBe(0);
    expect(props(plain)).toEqual({});
  });

  it("CloudEvents SDK emitter, binary and structured: ce_ properties, content-type, partitionkey as key, data exact, traceparent", async () => {
    const topic = await newTopic();
    const url = `${bridge.url}/v1.0/cloudevents/rocketmq/${topic}`;
    const binary = emitterFor(httpTransport(url), { mode: Mode.BINARY });
    const structured = emitterFor(httpTransport(url), { mode: Mode.STRUCTURED });
    const time = "2026-11-22T13:00:00.000Z";
    const e1 = new CloudEvent({ id: "bin-1", source: "/orders/api", type: "com.example.order.created", subject: "o-1", time, datacontenttype: "application/json", data: { orderId: 1, note: "café" }, partitionkey: "customer-7" });
    expect(((await binary(e1, { headers: { traceparent } })) as { body: string }).body).toBe("");
    const raw = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const e2 = new CloudEvent({ id: "str-1", source: "/orders/api", type: "com.example.order.blob", time, datacontenttype: "application/octet-stream", data: raw, partitionkey: "customer-8", traceparent });
    expect(((await structured(e2)) as { body: string }).body).toBe("");

    const got = await readAll(topic, 2);
    const byId = (id: string) => got.find((m) => m.properties.get("ce_id") === id)!;
    const g1 = byId("bin-1");
    expect(g1.body.toString("utf8")).toBe(JSON.stringify({ orderId: 1, note: "café" }));
    expect(g1.keys).toEqual(["customer-7"]);
    expect(props(g1)).toEqual({
      ce_specversion: "1.0", ce_id: "bin-1", ce_source: "/orders/api", ce_type: "com.example.order.created", ce_subject: "o-1", ce_time: time,
      ce_partitionkey: "customer-7", "content-type": "application/json", traceparent,
    });
    const g2 = byId("str-1");
    expect(Buffer.compare(g2.body, raw)).toBe(0);
    expect(g2.keys).toEqual(["customer-8"]);
    expect(props(g2)).toEqual({
      ce_specversion: "1.0", ce_id: "str-1", ce_source: "/orders/api", ce_type: "com.example.order.blob", ce_time: time,
      ce_partitionkey: "customer-8", ce_traceparent: traceparent, "content-type": "application/octet-stream", traceparent,
    });
  });

  it("Dapr bulk and CloudEvents batch: every entry stored once; batch results carry the ids the consumer sees", async () => {
    const topic = await newTopic();
    const bulk = await post(`/v1.0-alpha1/publish/bulk/rocketmq/${topic}?metadata.shared=yes`, JSON.stringify([
      { entryId: "x", event: "hello", contentType: "text/plain" },
      { entryId: "y", event: { n: 1 }, contentType: "application/json", metadata: { partitionKey: "k-y", tenant: "acme" } },
    ]), { "content-type": "application/json", traceparent });
    expect(bulk.status, await bulk.clone().text()).toBe(204);
    const events = [1, 2, 3].map((i) => ({ specversion: "1.0", id: `b-${i}`, source: "urn:batch", type: "t", data: { i } }));
    const batch = await post(`/v1.0/cloudevents/rocketmq/${topic}`, JSON.stringify(events), { "content-type": "application/cloudevents-batch+json" });
    expect(batch.status).toBe(200);
    const results = (await batch.json()).results as { id: string; messageId: string; offset: number }[];
    expect(results.map((r) => r.id)).toEqual(["b-1", "b-2", "b-3"]);

    const got = await readAll(topic, 5);
    expect(got).toHaveLength(5);
    const ceMessages = got.filter((m) => m.properties.has("ce_id"));
    expect(ceMessages.map((m) => [m.properties.get("ce_id"), m.body.toString("utf8")]).sort()).toEqual([["b-1", '{"i":1}'], ["b-2", '{"i":2}'], ["b-3", '{"i":3}']]);
    for (const r of results) expect(ceMessages.find((m) => m.properties.get("ce_id") === r.id)!.messageId).toBe(r.messageId);
    const dapr = got.filter((m) => !m.properties.has("ce_id"));
    const y = dapr.find((m) => m.keys.length > 0)!;
    expect(y.keys).toEqual(["k-y"]);
    expect(props(y)).toEqual({ shared: "yes", tenant: "acme", traceparent });
    expect(JSON.parse(y.body.toString("utf8"))).toMatchObject({ type: "com.dapr.event.sent", data: { n: 1 }, topic, pubsubname: "rocketmq", traceparent });
    const x = dapr.find((m) => m.keys.length === 0)!;
    expect(JSON.parse(x.body.toString("utf8"))).toMatchObject({ datacontenttype: "text/plain", data: "hello" });
    expect(props(x)).toEqual({ shared: "yes", traceparent });
  });

  // RocketMQ 5.3.3 refuses the send with MESSAGE_PROPERTY_CONFLICT_WITH_TYPE
  // (its type check runs before the topic lookup); the bridge's QueryRoute
  // turns that into the 404.
  it("a topic that does not exist is a Dapr-shaped 404; an unreachable proxy is 503 with Retry-After", async () => {
    const missing = `bridge-rmq-missing-${randomBytes(4).toString("hex")}`;
    const r = await post(`/v1.0/publish/rocketmq/${missing}`, "x");
    const body = await r.json();
    expect({ status: r.status, errorCode: body.errorCode }, body.message).toEqual({ status: 404, errorCode: "ERR_TOPIC_NOT_FOUND" });
    expect(body.message).toMatch(new RegExp(`^pubsub rocketmq: RocketMQ TOPIC_NOT_FOUND: topic ${missing} does not exist`));

    const dead = await post(`/v1.0/publish/rocketmq/any`, "x", {}, deadBridge.url);
    expect(dead.status).toBe(503);
    expect(dead.headers.get("retry-after")).toBe("1");
    expect((await dead.json()).errorCode).toBe("ERR_PUBSUB_PUBLISH_MESSAGE");
  });
});
