// Limits and tracing of the rocketmq network filter in real Envoy, in front
// of the run's cluster-mode RocketMQ proxy (routeRewrite names the sidecar,
// so the Java clients send and pull through it):
// - a send limit of 200 messages/s holds the real Java DefaultMQProducer
//   (integration/java/RemotingSend.java, four threads of synchronous sends
//   as fast as they can) to that rate, measured on the broker (the sum of the topic's queue
//   offsets over time), with no failed send;
// - the Java consumer (RemotingRoundTrip.java) receives each message with the
//   traceparent the sidecar added, and Jaeger holds the sidecar's send span
//   that traceparent names;
// - on the gRPC listener (rocketmq-grpc), rocketmq-client-nodejs's Producer
//   past its send limit gets the client's TooManyRequestsException, and the
//   broker holds only the sends that succeeded; a message sent over gRPC is
//   received with the sidecar's traceparent in its properties.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Producer, SimpleConsumer, TooManyRequestsException } from "rocketmq-client-nodejs";
import { cluster } from "../policy/envoy/resources.ts";
import { freshModule } from "../scripts/compile.ts";
import { jaegerQuery, spanTag, startJaeger, type Jaeger } from "./stack/jaeger.ts";
import { remotingRoundTrip, remotingSend } from "./stack/rocketmq-java.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic, storedMessages } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";
import { fileLogger } from "./stack/client-logger.ts";

const QUEUES = 2;
const RATE = 200;

const stamp = Date.now();
const limitedTopic = `mqmesh-limit-${stamp}`;
const tracedTopic = `mqmesh-traced-${stamp}`;
const freeTopic = `mqmesh-free-${stamp}`;
const grpcLimitedTopic = `mqmesh-grpclimit-${stamp}`;
const grpcTracedTopic = `mqmesh-grpctraced-${stamp}`;
const GRPC_RATE = 5;
const service = `mqmesh-rocketmq-${randomUUID().slice(0, 8)}`;

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
    for (const topic of [limitedTopic, freeTopic, tracedTopic, grpcLimitedTopic, grpcTracedTopic]) await createTopic(rmq.brokerAddr, topic, QUEUES);
    const grpcWasm = await freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" });
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-governance",
        remotingWasm: wasm,
        remotingFilterConfig: (listeners) => ({
          routeRewrite: { address: listeners.remoting },
          limits: { rules: [{ name: "send200", topics: ["mqmesh-limit-*"], sendMessagesPerSecond: RATE, burstSeconds: 1 }] },
          tracing: { inject: "always", collector: { cluster: "mqmesh_otlp" }, serviceName: service, exportIntervalMs: 200 },
        }),
        grpcWasm,
        grpcFilterConfig: {
          limits: { rules: [{ name: "grpc-send", topics: ["mqmesh-grpclimit-*"], sendMessagesPerSecond: GRPC_RATE, burstSeconds: 1 }] },
          tracing: { inject: "always", collector: { cluster: "mqmesh_otlp" }, serviceName: `${service}-grpc`, exportIntervalMs: 200 },
        },
        extraClusters: [cluster("mqmesh_otlp", jaeger.otlpHttpAddress)],
      },
    );
  }, 600_000);
  afterAll(async () => {
    await sidecar?.stop();
    await jaeger?.stop();
    await stopStack();
  });

  // Whether the send limit has delayed the producer yet (the filter's counter, from Envoy's admin).
  const throttled = async () => {
    const text = await (await fetch(`${sidecar.envoy.adminUrl}/stats?filter=mqmesh_rocketmq_throttled_requests_total`)).text();
    return /rule=send200[^:]*: [1-9]/.test(text);
  };

  // Messages/s the broker stores from `topic` over `ms`, from now.
  async function storedRate(topic: string, ms: number): Promise<number> {
    const first = await storedMessages(rmq.brokerAddr, topic, QUEUES);
    const t0 = performance.now();
    await sleep(ms);
    const last = await storedMessages(rmq.brokerAddr, topic, QUEUES);
    return ((last - first) * 1000) / (performance.now() - t0);
  }

  it("holds the Java producer to 200 messages/s, measured on the broker, with no failed send", async () => {
    expect(rmq.mode, "route rewrite to one listener needs the cluster-mode proxy").toBe("cluster");
    // What the same producer achieves through the same sidecar without a
    // limit: on a busy machine it may be less than the limit, and then the
    // limit cannot be what holds it.
    const free = remotingSend(sidecar.remoting, freeTopic, RATE * 8, `${freeTopic}-producer`, 120_000, 4);
    while ((await storedMessages(rmq.brokerAddr, freeTopic, QUEUES)) < RATE) await sleep(100);
    const unlimited = await storedRate(freeTopic, 4000);
    await free;
    const count = RATE * 12;
    // Four synchronous senders on one producer: faster than the limit however busy the machine.
    const sending = remotingSend(sidecar.remoting, limitedTopic, count, `${limitedTopic}-producer`, 120_000, 4);
    // The producer's own speed decides how long the 1 s burst lasts: the
    // window starts once the filter first delayed it (the burst is spent),
    // and the stored count is read on the broker over the next 8 s.
    while (!(await throttled())) await sleep(100);
    const rate = await storedRate(limitedTopic, 8000);
    const events = await sending;
    console.log(`rocketmq send limit ${RATE}/s: ${rate.toFixed(1)} messages/s on the broker (${unlimited.toFixed(1)}/s without a limit)`);
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    expect(events.find((e) => e.event === "done")).toEqual({ event: "done", sent: count, failed: 0 });
    expect(await storedMessages(rmq.brokerAddr, limitedTopic, QUEUES)).toBe(count);
    expect(rate).toBeLessThanOrEqual(RATE * 1.05);
    expect(rate).toBeGreaterThanOrEqual(Math.min(RATE, unlimited) * 0.95);
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

  it("over gRPC: a Producer past its limit gets TooManyRequestsException and the broker holds only what succeeded", async () => {
    // No retries, so the client's first TOO_MANY_REQUESTS is what the app sees.
    const producer = new Producer({ endpoints: sidecar.grpc, namespace: "", topics: [grpcLimitedTopic], maxAttempts: 1, logger: fileLogger("governance-grpc-producer") });
    await producer.startup();
    let ok = 0;
    const errors: unknown[] = [];
    try {
      for (let i = 0; i < GRPC_RATE * 3; i++) {
        try {
          await producer.send({ topic: grpcLimitedTopic, tag: "t", keys: [`k-${i}`], body: Buffer.from(`body ${i}`) });
          ok++;
        } catch (e) {
          errors.push(e);
        }
      }
    } finally {
      await producer.shutdown();
    }
    // The burst (5) and what refilled while the 15 sends took place.
    expect(ok).toBeGreaterThanOrEqual(GRPC_RATE);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toBeInstanceOf(TooManyRequestsException);
    expect(await storedMessages(rmq.brokerAddr, grpcLimitedTopic, QUEUES)).toBe(ok);
  }, 120_000);

  it("over gRPC: the consumer receives the traceparent the sidecar added to the message's properties", async () => {
    const producer = new Producer({ endpoints: sidecar.grpc, namespace: "", topics: [grpcTracedTopic], logger: fileLogger("governance-grpc-traced") });
    await producer.startup();
    try {
      await producer.send({ topic: grpcTracedTopic, tag: "t", keys: ["k"], body: Buffer.from("traced") });
    } finally {
      await producer.shutdown();
    }
    const consumer = new SimpleConsumer({
      endpoints: sidecar.grpc, namespace: "", consumerGroup: `${grpcTracedTopic}-group`, subscriptions: new Map([[grpcTracedTopic, "*"]]),
      awaitDuration: 3000, logger: fileLogger("governance-grpc-consumer"),
    });
    await consumer.startup();
    let traceparent: string | undefined;
    try {
      const deadline = Date.now() + 60_000;
      while (traceparent === undefined && Date.now() < deadline) {
        for (const m of await consumer.receive(16, 30_000)) {
          traceparent = m.properties.get("traceparent");
          await consumer.ack(m);
        }
      }
    } finally {
      await consumer.shutdown();
    }
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    const [, traceId, spanId] = traceparent!.split("-");
    const query = jaegerQuery(jaeger.queryUrl);
    await expect.poll(async () => (await query.trace(traceId))?.spans.map((s) => s.spanID) ?? [], { timeout: 20_000, interval: 500 }).toContain(spanId);
    const span = (await query.trace(traceId))!.spans.find((s) => s.spanID === spanId)!;
    expect(span.operationName).toBe(`send ${grpcTracedTopic}`);
    expect(spanTag(span, "span.kind")).toBe("producer");
  }, 120_000);
});
