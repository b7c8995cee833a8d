// Limits and tracing of the rocketmq network filter in real Envoy, in front
// of the run's cluster-mode RocketMQ proxy (routeRewrite names the sidecar,
// so the Java clients send and pull through it):
// - a send limit of 200 messages/s holds the real Java DefaultMQProducer
//   (integration/java/RemotingSend.java, four threads of synchronous sends
//   as fast as they can) to that rate, measured on the broker (the sum of the topic's queue
//   offsets over time), with no failed send;
// - the Java consumer (RemotingRoundTrip.java) receives each message with the
//   traceparent the sidecar added, and Jaeger holds the sidecar's send span
//   that traceparent names.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cluster } from "../policy/envoy/resources.ts";
import { freshModule } from "../scripts/compile.ts";
import { jaegerQuery, spanTag, startJaeger, type Jaeger } from "./stack/jaeger.ts";
import { remotingRoundTrip, remotingSend } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, remotingRequest } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";

const GET_MAX_OFFSET = 30;
const QUEUES = 2;
const RATE = 200;

const stamp = Date.now();
const limitedTopic = `mqmesh-limit-${stamp}`;
const tracedTopic = `mqmesh-traced-${stamp}`;
const service = `mqmesh-rocketmq-${randomUUID().slice(0, 8)}`;

// Messages the broker holds in a topic: the sum of its queues' max offsets.
async function storedMessages(brokerAddr: string, topic: string): Promise<number> {
  let sum = 0;
  for (let q = 0; q < QUEUES; q++) {
    const r = await remotingRequest(brokerAddr, GET_MAX_OFFSET, { topic, queueId: q });
    expect(r.code, `GET_MAX_OFFSET ${topic}/${q}: ${r.remark ?? ""}`).toBe(0);
    sum += Number(r.extFields.offset);
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("rocketmq filter limits and tracing in the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let sidecar: RocketMQSidecar;
  let jaeger: Jaeger;
  let stopStack = async () => {};

  beforeAll(async () => {
    const wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
    jaeger = await startJaeger({ name: "jaeger-rocketmq" });
    for (const topic of [limitedTopic, tracedTopic]) await createTopic(rmq.brokerAddr, topic, QUEUES);
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-governance",
        remotingWasm: wasm,
        remotingFilterConfig: (listeners) => ({
          routeRewrite: { address: listeners.remoting },
          limits: { rules: [{ name: "send200", topics: ["mqmesh-limit-*"], sendMessagesPerSecond: RATE, burstSeconds: 0.1 }] },
          tracing: { inject: "always", collector: { cluster: "mqmesh_otlp" }, serviceName: service, exportIntervalMs: 200 },
        }),
        extraClusters: [cluster("mqmesh_otlp", jaeger.otlpHttpAddress)],
      },
    );
  }, 600_000);
  afterAll(async () => {
    await sidecar?.stop();
    await jaeger?.stop();
    await stopStack();
  });

  it("holds the Java producer to 200 messages/s, measured on the broker, with no failed send", async () => {
    expect(rmq.mode, "route rewrite to one listener needs the cluster-mode proxy").toBe("cluster");
    const count = RATE * 12;
    // Four synchronous senders on one producer: faster than the limit however busy the machine.
    const sending = remotingSend(sidecar.remoting, limitedTopic, count, `${limitedTopic}-producer`, 120_000, 4);
    // A short burst (20 messages), so that the producer is soon at the rate
    // (its own speed decides how long a burst lasts); then the stored count over 8 s.
    let first = await storedMessages(rmq.brokerAddr, limitedTopic);
    while (first < RATE / 2) {
      await sleep(200);
      first = await storedMessages(rmq.brokerAddr, limitedTopic);
    }
    const t0 = performance.now();
    await sleep(8000);
    const last = await storedMessages(rmq.brokerAddr, limitedTopic);
    const rate = ((last - first) * 1000) / (performance.now() - t0);
    const events = await sending;
    console.log(`rocketmq send limit ${RATE}/s: ${rate.toFixed(1)} messages/s on the broker`);
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    expect(events.find((e) => e.event === "done")).toEqual({ event: "done", sent: count, failed: 0 });
    expect(await storedMessages(rmq.brokerAddr, limitedTopic)).toBe(count);
    expect(rate).toBeGreaterThanOrEqual(RATE * 0.95);
    expect(rate).toBeLessThanOrEqual(RATE * 1.05);
  }, 180_000);

  it("the Java consumer receives the traceparent the sidecar added, and Jaeger has the send span it names", async () => {
    const events = await remotingRoundTrip(sidecar.remoting, tracedTopic, 3, `${tracedTopic}-group`);
    const received = events.filter((e) => e.event === "received");
    expect(received).toHaveLength(3);
    const traceparents = received.map((e) => e.traceparent ?? "");
    // Sampled (1), with the W3C level 2 random trace id flag (2).
    for (const tp of traceparents) expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    const query = jaegerQuery(jaeger.queryUrl);
    for (const tp of traceparents) {
      const [, traceId, spanId] = tp.split("-");
      await expect.poll(async () => (await query.trace(traceId))?.spans.map((s) => s.spanID) ?? [], { timeout: 20_000, interval: 500 }).toContain(spanId);
      const span = (await query.trace(traceId))!.spans.find((s) => s.spanID === spanId)!;
      expect(span.operationName).toBe(`send ${tracedTopic}`);
      expect(spanTag(span, "messaging.system")).toBe("rocketmq");
      expect(spanTag(span, "messaging.destination.name")).toBe(tracedTopic);
      expect(spanTag(span, "span.kind")).toBe("producer");
    }
  }, 180_000);
});
