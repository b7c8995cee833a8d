// RocketMQ 5 gRPC clients (rocketmq-client-nodejs) through the Envoy sidecar's
// gRPC listener: a Producer sends N messages, a SimpleConsumer receives exactly
// those (body, keys, tag), then Envoy's per-method gRPC stats show which calls
// went through the sidecar: with the proxy in cluster mode (the stack's
// default) all of them, since route answers name the endpoint the client used;
// in local mode only the route queries (apache/rocketmq#9630).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Producer, SimpleConsumer, type MessageView } from "rocketmq-client-nodejs";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic } from "./stack/rocketmq-remoting.ts";
import { envoyStats } from "./support/envoy-metrics.ts";
import { fileLogger } from "./stack/client-logger.ts";

const N = 100;
const GRPC = "cluster.rocketmq_proxy_grpc.grpc.apache.rocketmq.v2.MessagingService";

/** rocketmq-client-nodejs logs to ~/logs by default; ours go to the run folder. */
describe("RocketMQ gRPC through the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let stopStack = async () => {};
  beforeAll(async () => {
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
  });
  afterAll(async () => stopStack());

  it(`a Producer sends ${N} messages and a SimpleConsumer receives exactly those`, async () => {
    const topic = `mqmesh-grpc-${Date.now()}`;
    const group = `${topic}-group`;
    await createTopic(rmq.brokerAddr, topic);
    const sent = Array.from({ length: N }, (_, i) => ({ key: `k-${i}`, tag: `tag-${i % 3}`, body: `${topic} body ${i} ✓` }));

    const before = await envoyStats(rmq.sidecar.adminUrl, GRPC);
    const producer = new Producer({ endpoints: rmq.sidecar.grpc, namespace: "", topics: [topic], logger: fileLogger("rocketmq-grpc-producer") });
    await producer.startup();
    const ids = new Map<string, string>();
    try {
      for (const m of sent) {
        const receipt = await producer.send({ topic, tag: m.tag, keys: [m.key], body: Buffer.from(m.body) });
        ids.set(receipt.messageId, m.key);
      }
    } finally {
      await producer.shutdown();
    }
    expect(ids.size).toBe(N);

    const consumer = new SimpleConsumer({
      endpoints: rmq.sidecar.grpc,
      namespace: "",
      consumerGroup: group,
      subscriptions: new Map([[topic, "*"]]),
      awaitDuration: 3000,
      logger: fileLogger("rocketmq-grpc-consumer"),
    });
    await consumer.startup();
    const received: MessageView[] = [];
    let receiveCalls = 0;
    try {
      const deadline = Date.now() + 60_000;
      while (received.length < N && Date.now() < deadline) {
        receiveCalls++;
        const batch = await consumer.receive(32, 30_000);
        for (const m of batch) {
          received.push(m);
          await consumer.ack(m);
        }
      }
      // Nothing beyond the N: one more receive comes back empty.
      receiveCalls++;
      expect(await consumer.receive(32, 30_000)).toEqual([]);
    } finally {
      await consumer.shutdown();
    }

    const got = received
      .map((m) => ({ key: m.keys.join(","), tag: m.tag, body: m.body.toString("utf8"), id: m.messageId, topic: m.topic }))
      .sort((a, b) => Number(a.key.slice(2)) - Number(b.key.slice(2)));
    expect(got.map(({ key, tag, body }) => ({ key, tag, body }))).toEqual(sent);
    expect(new Set(got.map((m) => m.id)).size).toBe(N);
    for (const m of got) {
      expect(m.topic).toBe(topic);
      expect(ids.get(m.id)).toBe(m.key);
    }

    // Which calls went through Envoy? Route queries use the configured endpoint
    // (the sidecar) in both modes. What the route answer names decides where
    // the rest goes (stack/rocketmq.ts): in cluster mode the sidecar's own
    // address, so every send, receive and ack is one call through the sidecar;
    // in local mode the proxy's gRPC port, so none are.
    const after = await envoyStats(rmq.sidecar.adminUrl, GRPC);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const methods = ["QueryRoute", "Heartbeat", "QueryAssignment", "SendMessage", "ReceiveMessage", "AckMessage"];
    const via = Object.fromEntries(methods.flatMap((m) => ["total", "success"].map((c) => [`${m}.${c}`, delta(`${m}.${c}`)])));
    console.log(`gRPC calls through the sidecar (${rmq.mode} mode, ${receiveCalls} receive calls): ${JSON.stringify(via)}`);
    expect(via["QueryRoute.total"]).toBeGreaterThan(0);
    if (rmq.mode === "cluster") {
      expect({ send: via["SendMessage.total"], sendOk: via["SendMessage.success"] }).toEqual({ send: N, sendOk: N });
      expect({ receive: via["ReceiveMessage.total"], receiveOk: via["ReceiveMessage.success"] }).toEqual({ receive: receiveCalls, receiveOk: receiveCalls });
      expect({ ack: via["AckMessage.total"], ackOk: via["AckMessage.success"] }).toEqual({ ack: N, ackOk: N });
    } else {
      expect(via["SendMessage.total"] + via["ReceiveMessage.total"] + via["AckMessage.total"], "local mode: send/receive/ack bypass the sidecar").toBe(0);
    }
  });
});
