// The rocketmq-grpc filter in real Envoy: a sidecar with build/rocketmq-grpc.wasm
// first in its gRPC listener's chain (fail_open false), in front of the run's
// RocketMQ proxy. rocketmq-client-nodejs sends and receives through it; the
// per-topic metrics Prometheus scrapes equal what the client did; a topic the
// ACL denies gives the producer RocketMQ's own permission error
// (ForbiddenException, Status FORBIDDEN 40300).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenException, Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { freshModule } from "../scripts/compile.ts";
import { useRocketMQStack, type RocketMQEndpoints } from "./stack/rocketmq-global.ts";
import { createTopic } from "./stack/rocketmq-remoting.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "./stack/rocketmq-sidecar.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";
import { fileLogger } from "./stack/client-logger.ts";

const N = 40;
const DENIED_PREFIX = "mqmesh-denied-";

describe("rocketmq-grpc filter in the sidecar", () => {
  let rmq: RocketMQEndpoints;
  let sidecar: RocketMQSidecar;
  let stopStack = async () => {};

  beforeAll(async () => {
    const wasm = await freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" });
    const s = await useRocketMQStack();
    rmq = s.endpoints;
    stopStack = s.stop;
    sidecar = await startRocketMQSidecar(
      { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc },
      {
        name: "envoy-rocketmq-grpc-filter",
        grpcWasm: wasm,
        grpcFilterConfig: { acl: { rules: [{ action: "deny", topics: [`${DENIED_PREFIX}*`], operations: ["send"] }] } },
      },
    );
  });
  afterAll(async () => {
    await sidecar?.stop();
    await stopStack();
  });

  const prometheus = (metric: string, labels: Record<string, string>) => prometheusValue(sidecar.envoy.adminUrl, metric, labels);

  it(`counts the ${N} messages a Producer sends and a SimpleConsumer receives and acks, per topic and group`, async () => {
    const topic = `mqmesh-grpc-filter-${Date.now()}`;
    const group = `${topic}-group`;
    await createTopic(rmq.brokerAddr, topic);
    const producer = new Producer({ endpoints: sidecar.grpc, namespace: "", topics: [topic], logger: fileLogger("grpc-filter-producer") });
    await producer.startup();
    let bytes = 0;
    try {
      for (let i = 0; i < N; i++) {
        const body = Buffer.from(`${topic} body ${i}`);
        bytes += body.length;
        await producer.send({ topic, tag: "t", keys: [`k-${i}`], body });
      }
    } finally {
      await producer.shutdown();
    }
    const consumer = new SimpleConsumer({
      endpoints: sidecar.grpc, namespace: "", consumerGroup: group, subscriptions: new Map([[topic, "*"]]),
      awaitDuration: 3000, logger: fileLogger("grpc-filter-consumer"),
    });
    await consumer.startup();
    let received = 0;
    try {
      const deadline = Date.now() + 60_000;
      while (received < N && Date.now() < deadline) {
        for (const m of await consumer.receive(16, 30_000)) {
          received++;
          await consumer.ack(m);
        }
      }
    } finally {
      await consumer.shutdown();
    }
    expect(received).toBe(N);
    await expect.poll(() => prometheus("mqmesh_rocketmq_grpc_sent_messages_total", { topic }), METRIC_POLL).toBe(N);
    expect(await prometheus("mqmesh_rocketmq_grpc_sent_bytes_total", { topic })).toBe(bytes);
    await expect.poll(() => prometheus("mqmesh_rocketmq_grpc_received_messages_total", { topic, group }), METRIC_POLL).toBe(N);
    await expect.poll(() => prometheus("mqmesh_rocketmq_grpc_acked_messages_total", { topic, group }), METRIC_POLL).toBe(N);
    expect(await prometheus("mqmesh_rocketmq_grpc_requests_total", { api: "SendMessage" })).toBeGreaterThanOrEqual(N);
    expect(await prometheus("mqmesh_rocketmq_grpc_responses_total", { api: "SendMessage", code: "OK" })).toBeGreaterThanOrEqual(N);
    expect(await prometheus("mqmesh_rocketmq_grpc_requests_total", { api: "QueryRoute" })).toBeGreaterThan(0);
  });

  it("gives a producer sending to a denied topic RocketMQ's permission error", async () => {
    const topic = `${DENIED_PREFIX}${Date.now()}`;
    await createTopic(rmq.brokerAddr, topic);
    const producer = new Producer({ endpoints: sidecar.grpc, namespace: "", topics: [topic], logger: fileLogger("grpc-filter-denied"), maxAttempts: 1 });
    await producer.startup();
    let error: unknown;
    try {
      await producer.send({ topic, tag: "t", keys: ["k"], body: Buffer.from("must not arrive") });
    } catch (e) {
      error = e;
    } finally {
      await producer.shutdown();
    }
    expect(error).toBeInstanceOf(ForbiddenException);
    expect((error as ForbiddenException).code).toBe(40300);
    expect(String((error as Error).message)).toMatch(/not allowed by the sidecar's ACL/);
    await expect.poll(() => prometheus("mqmesh_rocketmq_grpc_denied_total", { api: "SendMessage", topic }), METRIC_POLL).toBeGreaterThanOrEqual(1);
    expect(await prometheus("mqmesh_rocketmq_grpc_sent_messages_total", { topic })).toBe(0);
  });
});
