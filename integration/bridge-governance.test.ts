// The HTTP bridge's rate limits and spans in real Envoy against a real
// broker: fetch drives publishes at known rates; what was stored is read on
// the broker with kafkajs; spans are read back from Jaeger's query API; a
// global rule asks envoyproxy/ratelimit (with Redis) over the bridge's gRPC
// cluster.
import { randomUUID } from "node:crypto";
import { SpanKind } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge, type BridgeOptions } from "./stack/bridge.ts";
import { jaegerQuery, spanTag, startJaeger, type Jaeger } from "./stack/jaeger.ts";
import { MQMESH_RATELIMIT_DOMAIN, startRateLimitService, type RateLimitService } from "./stack/ratelimit.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";
import { createTopic, readTopic } from "./support/kafka-topics.ts";

const bootstrap = inject("kafkaBootstrap");
const [brokerHost, brokerPort] = bootstrap.split(":");
const kafka = new Kafka({ clientId: "mqmesh-bridge-governance-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
const PUBSUBS = { kafka: { type: "kafka", cluster: "kafka_tunnel" } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let wasm: string;
const bridges: Bridge[] = [];
async function bridge(filterConfig: object, services: Partial<BridgeOptions> = {}): Promise<Bridge> {
  const b = await startBridge({ upstream: { host: brokerHost, port: Number(brokerPort) }, wasm, filterConfig: { pubsubs: PUBSUBS, ...filterConfig }, ...services });
  bridges.push(b);
  return b;
}

beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
}, 300_000);
afterAll(async () => {
  for (const b of bridges) await b.stop();
});

interface Sent {
  body: string;
  status: number;
  retryAfter: string | null;
  rateLimit: string | null;
  error: string;
}

async function publish(b: Bridge, topic: string, body: string, headers: Record<string, string> = {}): Promise<Sent> {
  const res = await fetch(`${b.url}/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });
  const text = await res.text();
  const error = res.status === 429 ? JSON.parse(text).errorCode : "";
  return { body, status: res.status, retryAfter: res.headers.get("retry-after"), rateLimit: res.headers.get("ratelimit"), error };
}

/** Fires one publish every `intervalMs` without waiting for the answers (a client at a known rate). */
async function atRate(b: Bridge, topic: string, tag: string, count: number, intervalMs: number): Promise<{ sent: Sent[]; elapsedMs: number }> {
  const start = performance.now();
  const pending: Promise<Sent>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * intervalMs;
    if (due > performance.now()) await sleep(due - performance.now());
    pending.push(publish(b, topic, `${tag}-${i}`));
  }
  const elapsedMs = performance.now() - start;
  return { sent: await Promise.all(pending), elapsedMs };
}

describe("http-mq-bridge governance through real Envoy", () => {
  it("answers 429 with Retry-After past its limit, never below it; the broker stores exactly the admitted publishes", async () => {
    const RATE = 10; // per second, a 1 s burst: 10 tokens
    const b = await bridge({ limits: { rules: [{ name: "it", requestsPerSecond: RATE }] } });
    const topic = await createTopic(kafka, "limited");

    // Below the limit (5/s): every publish is admitted.
    const below = await atRate(b, topic, "below", 10, 200);
    expect(below.sent.map((s) => s.status)).toEqual(Array(10).fill(204));

    // Twice the limit (20/s for 2 s), from a full bucket: the burst, then one per 100 ms.
    await sleep(1100);
    const past = await atRate(b, topic, "past", 40, 50);
    const admitted = past.sent.filter((s) => s.status === 204);
    const refused = past.sent.filter((s) => s.status === 429);
    expect(admitted.length + refused.length).toBe(40);
    expect(admitted.length).toBeGreaterThanOrEqual(RATE);
    expect(admitted.length).toBeLessThanOrEqual(RATE + Math.ceil((RATE * (past.elapsedMs + 100)) / 1000) + 1);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      // A token is at most 100 ms away: Retry-After rounds up to a second.
      expect([r.retryAfter, r.rateLimit, r.error]).toEqual(["1", '"it.requestsPerSecond";r=0;t=1', "ERR_TOO_MANY_REQUESTS"]);
    }

    // A client that waits as told is admitted.
    await sleep(1000);
    const after = await publish(b, topic, "after-retry");
    expect(after.status).toBe(204);

    const stored = (await readTopic(kafka, topic)).map((m) => m.value!.toString());
    const expected = [...below.sent, ...admitted, after].map((s) => s.body);
    expect(stored.sort()).toEqual(expected.sort());
    await expect.poll(() => prometheusValue(b.envoy.adminUrl, "mqmesh_bridge_throttled_requests_total", { rule: "it" }), METRIC_POLL).toBe(refused.length);
  });

  describe("with Jaeger", () => {
    let jaeger: Jaeger;
    beforeAll(async () => {
      jaeger = await startJaeger({ name: "jaeger-bridge" });
    }, 60 * 60_000); // the first use builds Jaeger
    afterAll(async () => jaeger?.stop());

    it("an HTTP publish with a traceparent becomes one trace: the client's span, the bridge's server span, its producer span, the record header", async () => {
      const service = `bridge-${randomUUID().slice(0, 8)}`;
      const b = await bridge(
        { tracing: { collector: { cluster: "mqmesh_otlp" }, serviceName: service, exportIntervalMs: 200 } },
        { collector: jaeger.otlpHttpAddress },
      );
      const topic = await createTopic(kafka, "traced");
      // The app: a real OpenTelemetry SDK span whose context goes out as traceparent.
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ "service.name": `${service}-app` }),
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://${jaeger.otlpHttpAddress}/v1/traces` }))],
      });
      const client = provider.getTracer("bridge-test").startSpan(`publish ${topic}`, { kind: SpanKind.CLIENT });
      const { traceId, spanId } = client.spanContext();
      const sent = await publish(b, topic, "traced", { traceparent: `00-${traceId}-${spanId}-01` });
      client.end();
      await provider.shutdown();
      expect(sent.status).toBe(204);

      const [record] = await readTopic(kafka, topic);
      const [, headerTrace, headerSpan, flags] = record.headers!.traceparent!.toString().split("-");
      expect([headerTrace, flags]).toEqual([traceId, "01"]);

      const query = jaegerQuery(jaeger.queryUrl);
      await expect.poll(async () => (await query.trace(traceId))?.spans.length ?? 0, { timeout: 30_000, interval: 250 }).toBe(3);
      const trace = (await query.trace(traceId))!;
      const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
      const producer = byId.get(headerSpan)!;
      expect(producer.operationName).toBe(`send ${topic}`);
      expect(spanTag(producer, "span.kind")).toBe("producer");
      expect(spanTag(producer, "messaging.system")).toBe("kafka");
      expect(spanTag(producer, "messaging.destination.name")).toBe(topic);
      expect(spanTag(producer, "messaging.kafka.offset")).toBe(0);
      const server = byId.get(producer.references[0].spanID)!;
      expect(producer.references).toEqual([{ refType: "CHILD_OF", traceID: traceId, spanID: server.spanID }]);
      expect(server.operationName).toBe("POST /v1.0/publish/{pubsubname}/{topic}");
      expect(spanTag(server, "span.kind")).toBe("server");
      expect(spanTag(server, "http.response.status_code")).toBe(204);
      expect(server.references).toEqual([{ refType: "CHILD_OF", traceID: traceId, spanID: spanId }]);
      expect(trace.processes[server.processID].serviceName).toBe(service);
      expect(trace.processes[byId.get(spanId)!.processID].serviceName).toBe(`${service}-app`);
    });
  });

  describe("with envoyproxy/ratelimit", () => {
    let rls: RateLimitService;
    const PER_MINUTE = 5;
    beforeAll(async () => {
      rls = await startRateLimitService({
        name: "ratelimit-bridge",
        rules: [{ name: "mesh", match: [{ key: "rule", value: "mesh" }, { key: "unit", value: "requests" }], requestsPerUnit: PER_MINUTE, unit: "minute" }],
      });
    }, 30 * 60_000); // the first use builds the service
    afterAll(async () => rls?.stop());

    it("a global rule follows the service's answers: 429 with its reset as Retry-After once it says OVER_LIMIT", async () => {
      const b = await bridge(
        {
          limits: { rules: [{ name: "mesh", global: true, per: "rule", requestsPerSecond: 1 }] },
          rateLimitService: { cluster: "mqmesh_ratelimit", domain: MQMESH_RATELIMIT_DOMAIN, timeoutMs: 1000 },
        },
        { rateLimitService: rls.grpcAddress },
      );
      const topic = await createTopic(kafka, "global");
      // The service counts in minute windows aligned to the clock: start early in one.
      if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 100);
      const sent: Sent[] = [];
      // Sequential, with time for each answer: a verdict follows the previous answer.
      for (let i = 0; i < PER_MINUTE + 3; i++) {
        sent.push(await publish(b, topic, `g-${i}`));
        await sleep(150);
      }
      const admitted = sent.filter((s) => s.status === 204);
      // Never below the limit; past it by at most the publish each worker's last OK answer let through.
      expect(admitted.length).toBeGreaterThanOrEqual(PER_MINUTE);
      expect(admitted.length).toBeLessThanOrEqual(PER_MINUTE + 2);
      const refused = sent.filter((s) => s.status === 429);
      expect(refused.length).toBe(sent.length - admitted.length);
      for (const r of refused) {
        expect(Number(r.retryAfter)).toBeGreaterThan(0);
        expect(Number(r.retryAfter)).toBeLessThanOrEqual(60);
        expect(r.rateLimit).toBe(`"mesh.requestsPerSecond";r=0;t=${r.retryAfter}`);
      }
      const stored = (await readTopic(kafka, topic)).map((m) => m.value!.toString());
      expect(stored.sort()).toEqual(admitted.map((s) => s.body).sort());
    });
  });
});
