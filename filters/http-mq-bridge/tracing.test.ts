// http-mq-bridge's spans through the host emulator, as a collector receives
// them: the OTLP/HTTP export calls decoded with OpenTelemetry's own protobuf
// definitions (test/otel/otlp.ts); the record the broker gets (Kafka
// batches by kafkajs' decoder, RocketMQ messages by protobufjs) carries the
// producer span's context, the producer span's parent is the server span,
// whose parent is the caller's span.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { exportedSpans, type ExportedSpan } from "../../test/otel/otlp.ts";
import { BRIDGE_MODULE, CONFIG, TUNNEL_OK, ackAll, headersText, produceResponse, produced, publishStream, startBridge } from "./bridge_wire.ts";
import { RocketMQCode, decodeSendMessage, loadRocketMQTypes, sendAnswer, type RocketMQTypes } from "./rocketmq_wire.ts";

let wasm: string;
let rocketmq: RocketMQTypes;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
  rocketmq = await loadRocketMQTypes();
}, 180_000);

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE}-${CALLER_SPAN}-01`;
const TRACING = { collector: { cluster: "otlp", authority: "jaeger:4318", timeoutMs: 250 }, serviceName: "bridge-test", exportIntervalMs: 1000 };
const TRACED = { ...CONFIG, tracing: TRACING };
const DAPR = "/v1.0/publish/fixed/orders";
const DAPR_ROUTE = "POST /v1.0/publish/{pubsubname}/{topic}";

const bridge = (config: object = TRACED) => startBridge(wasm, config, ["otlp", "rocketmq_proxy"]);


const byKind = (spans: ExportedSpan[], kind: string) => spans.filter((s) => s.kind === kind);
const contextOf = (traceparent: string) => {
  const [, traceId, spanId, flags] = traceparent.split("-");
  return { traceId, spanId, flags };
};

describe("http-mq-bridge spans", () => {
  it("a SERVER span per publish under the caller's span, a PRODUCER span per record under it, whose context the record carries", async () => {
    const host = await bridge();
    const startMs = host.nowMs;
    const s = publishStream(host, DAPR, '{"n":1}', [["content-type", "application/json"], ["traceparent", TRACEPARENT], ["tracestate", "vendor=x"]]);
    host.advanceTime(4);
    const { call, p, records } = await produced(host);
    const headers = headersText(records[0]);
    const producerCtx = contextOf(headers.traceparent);
    expect(producerCtx.traceId).toBe(TRACE);
    expect(headers.tracestate).toBe("vendor=x");
    host.advanceTime(3);
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);
    const spans = exportedSpans(host, "otlp");
    expect(spans).toHaveLength(2);
    const [server] = byKind(spans, "SPAN_KIND_SERVER");
    const [producer] = byKind(spans, "SPAN_KIND_PRODUCER");
    expect(server).toMatchObject({
      traceId: TRACE, parentSpanId: CALLER_SPAN, traceState: "vendor=x", name: DAPR_ROUTE,
      attributes: { "http.request.method": "POST", "http.route": "/v1.0/publish/{pubsubname}/{topic}", "url.path": DAPR, "http.response.status_code": 204n },
      flags: 0x301, // sampled; the parent is known to be remote
    });
    expect(server.status?.code ?? "STATUS_CODE_UNSET").toBe("STATUS_CODE_UNSET");
    expect(producer).toMatchObject({
      traceId: TRACE, spanId: producerCtx.spanId, parentSpanId: server.spanId, name: "send orders", traceState: "vendor=x",
      attributes: {
        "messaging.system": "kafka", "messaging.operation.type": "send", "messaging.operation.name": "send",
        "messaging.destination.name": "orders", "messaging.client.id": "mqmesh-bridge",
        "messaging.destination.partition.id": String(p.topics[0].partitions[0].index), "messaging.kafka.offset": 10n,
      },
      flags: 0x101, // sampled; the parent (the server span) is local
    });
    expect(server.spanId).not.toBe(CALLER_SPAN);
    expect([server.startNanos, server.endNanos - server.startNanos]).toEqual([BigInt(startMs) * 1_000_000n, 7_000_000n]);
    // The record went to the broker with the request; the broker answered 7 ms later.
    expect([producer.startNanos - server.startNanos, producer.endNanos - producer.startNanos]).toEqual([0n, 7_000_000n]);
    // Dapr's envelope carries the server span's context.
    expect(JSON.parse(records[0].value.toString())).toMatchObject({ traceparent: `00-${TRACE}-${server.spanId}-01`, tracestate: "vendor=x" });
    expect(host.getCounter("mqmesh_bridge_trace_spans_exported_total")).toBe(2);
  });

  it("starts a new trace for a request without context, and still gives every record its producer span's context", async () => {
    const host = await bridge();
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify([1, 2].map((i) => ({ specversion: "1.0", id: `e${i}`, source: "s", type: "t" }))), [["content-type", "application/cloudevents-batch+json"]]);
    const { call, p, records } = await produced(host);
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(200);
    const spans = exportedSpans(host, "otlp");
    const [server] = byKind(spans, "SPAN_KIND_SERVER");
    const producers = byKind(spans, "SPAN_KIND_PRODUCER");
    expect(server).toMatchObject({ parentSpanId: "", traceState: "ot=th:0", name: "POST /v1.0/cloudevents/{pubsubname}/{topic}" });
    expect(producers).toHaveLength(2);
    const carried = records.map((r: any) => contextOf(headersText(r).traceparent));
    expect(carried.map((c: any) => c.traceId)).toEqual([server.traceId, server.traceId]);
    expect(new Set(carried.map((c: any) => c.spanId))).toEqual(new Set(producers.map((x) => x.spanId)));
    expect(producers.map((x) => x.parentSpanId)).toEqual([server.spanId, server.spanId]);
  });

  it("sets error.type: the Kafka error on the producer span, the HTTP status on the server span", async () => {
    const host = await bridge();
    const s = publishStream(host, DAPR, "x", [["traceparent", TRACEPARENT]]);
    const { call, p } = await produced(host);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "orders", p.topics[0].partitions[0].index, 6) });
    expect(s.localResponse?.status).toBe(503);
    const spans = exportedSpans(host, "otlp");
    const [server] = byKind(spans, "SPAN_KIND_SERVER");
    const [producer] = byKind(spans, "SPAN_KIND_PRODUCER");
    expect(producer.attributes["error.type"]).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(producer.status).toMatchObject({ code: "STATUS_CODE_ERROR" });
    expect(server.attributes).toMatchObject({ "error.type": "503", "http.response.status_code": 503n });
    expect(server.status).toMatchObject({ code: "STATUS_CODE_ERROR" });

    // A publish refused before anything was sent: a server span only, a 4xx is no server error.
    const limited = await bridge({ ...TRACED, limits: { rules: [{ name: "one", requestsPerSecond: 1 }] } });
    publishStream(limited, DAPR, "x");
    const second = publishStream(limited, DAPR, "x", [["traceparent", TRACEPARENT]]);
    expect(second.localResponse?.status).toBe(429);
    const refused = exportedSpans(limited, "otlp").filter((x) => x.traceId === TRACE);
    expect(refused.map((x) => [x.kind, x.attributes["error.type"], x.attributes["http.response.status_code"], x.status?.code ?? "STATUS_CODE_UNSET"])).toEqual([
      ["SPAN_KIND_SERVER", "429", 429n, "STATUS_CODE_UNSET"],
    ]);
  });

  it("ends the spans of a publish whose app went away: the server span then, the producer span when the broker answers", async () => {
    const host = await bridge();
    const s = publishStream(host, DAPR, "x", [["traceparent", TRACEPARENT]]);
    const { call, p } = await produced(host);
    s.complete();
    const first = exportedSpans(host, "otlp");
    expect(first.map((x) => [x.kind, x.attributes["error.type"], x.attributes["http.response.status_code"]])).toEqual([["SPAN_KIND_SERVER", "client_closed", undefined]]);
    ackAll(host, call, p);
    expect(s.localResponse).toBeUndefined();
    const later = exportedSpans(host, "otlp");
    expect(later.map((x) => [x.kind, x.parentSpanId])).toEqual([["SPAN_KIND_PRODUCER", first[0].spanId]]);
  });

  it("records nothing for an unsampled caller and without a collector, but always propagates", async () => {
    for (const [config, traceparent] of [[TRACED, TRACEPARENT.replace(/-01$/, "-00")], [{ ...CONFIG, tracing: {} }, TRACEPARENT]] as const) {
      const host = await bridge(config);
      const s = publishStream(host, DAPR, "x", [["traceparent", traceparent]]);
      const { call, p, records } = await produced(host);
      ackAll(host, call, p);
      expect(s.localResponse?.status).toBe(204);
      const carried = contextOf(headersText(records[0]).traceparent);
      expect([carried.traceId, carried.flags]).toEqual([TRACE, traceparent.slice(-2)]);
      expect(carried.spanId).not.toBe(CALLER_SPAN);
      if (host.tickPeriodMs > 0) host.tick();
      expect(host.httpCalls.filter((c) => c.cluster === "otlp")).toEqual([]);
    }
  });

  it("RocketMQ: the message's traceparent property is the producer span's context", async () => {
    const host = await bridge({ pubsubs: { rmq: { type: "rocketmq", cluster: "rocketmq_proxy", namespace: "shop" } }, tracing: TRACING });
    const s = publishStream(host, "/v1.0/publish/rmq/orders", "x", [["traceparent", TRACEPARENT]]);
    const m = decodeSendMessage(rocketmq, host.grpcCalls[0]);
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: sendAnswer(rocketmq, RocketMQCode.OK, "OK", [{ code: RocketMQCode.OK, messageId: "01PROXY", offset: 3 }]) });
    expect(s.localResponse?.status).toBe(204);
    const spans = exportedSpans(host, "otlp");
    const [server] = byKind(spans, "SPAN_KIND_SERVER");
    const [producer] = byKind(spans, "SPAN_KIND_PRODUCER");
    expect(m.userProperties.traceparent).toBe(`00-${TRACE}-${producer.spanId}-01`);
    expect(producer).toMatchObject({
      parentSpanId: server.spanId, name: "send orders",
      attributes: { "messaging.system": "rocketmq", "messaging.destination.name": "orders", "messaging.message.id": "01PROXY", "messaging.rocketmq.namespace": "shop" },
    });
    expect(server.parentSpanId).toBe(CALLER_SPAN);
  });

  it("never traps with tracing and limits on: arbitrary trace headers, callers, bodies, broker and collector answers", async () => {
    const host = await bridge({ ...TRACED, limits: { rules: [{ name: "r", principals: ["cidr:10.0.0.0/8", "spiffe://*"], requestsPerSecond: 50, messagesPerSecond: 80, bytesPerSecond: 4000 }] } });
    const traceparent = fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/), fc.constant(TRACEPARENT));
    const paths = ["/v1.0/publish/fixed/orders", "/v1.0/publish/kafka/orders", "/v1.0/cloudevents/fixed/o", "/v1.0-alpha1/publish/bulk/fixed/o", "/topics/orders", "/v1.0/publish/rmq/x"];
    await fc.assert(
      fc.asyncProperty(
        traceparent, fc.string({ maxLength: 80 }), fc.string({ maxLength: 30 }), fc.string({ maxLength: 40 }), fc.constantFrom(...paths),
        fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 120 }), fc.boolean(), fc.integer({ min: 0, max: 1500 }),
        async (tp, ts, address, san, path, body, answer, gone, advanceMs) => {
          const s = publishStream(host, path, body, [["traceparent", tp], ["tracestate", ts], ["content-type", "application/json"]], {
            properties: { "source.address": address, "connection.uri_san_peer_certificate": san },
          });
          if (gone) s.complete();
          for (let broker = host.httpCalls.find((c) => c.cluster !== "otlp"); broker; broker = host.httpCalls.find((c) => c.cluster !== "otlp")) {
            host.respondToHttpCall(broker.token, { headers: TUNNEL_OK, body: answer });
          }
          host.advanceTime(advanceMs);
          for (const c of host.httpCalls.filter((x) => x.cluster === "otlp")) {
            if (answer.length % 2) host.failHttpCall(c.token);
            else host.respondToHttpCall(c.token, { headers: [[":status", answer.length % 3 ? "200" : "503"]], body: answer });
          }
          expect(host.failed).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });
});
