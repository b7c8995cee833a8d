// Limits and tracing of the rocketmq-grpc filter, driven with calls recorded
// from rocketmq-client-nodejs; what the filter forwards and answers is read
// back with the client's own protobuf classes, and spans with
// OpenTelemetry's OTLP definitions.
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { exportedSpans } from "../../test/otel/otlp.ts";
import { callsOf, joined, messages, replayCall } from "../../test/rocketmq/grpc_calls.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pb: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defs: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js");

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" });
}, 180_000);

const start = (config: object) => ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config), clusters: ["otlp"] });
const sends = callsOf("SendMessage");
const receives = callsOf("ReceiveMessage");
const statusOf = (body: Uint8Array, type: any) => messages(Buffer.from(body)).map((m) => type.deserializeBinary(m).getStatus());

describe("limits", () => {
  it("answers a SendMessage over the limit with TOO_MANY_REQUESTS and lets the next one through once the bucket refilled", async () => {
    const host = await start({ limits: { rules: [{ name: "send", topics: ["recorded-grpc"], sendMessagesPerSecond: 2, burstSeconds: 1 }] } });
    for (const call of sends.slice(0, 2)) {
      const s = replayCall(host, call);
      expect(Buffer.from(s.requestBody).equals(joined(call.request))).toBe(true);
      expect(Buffer.from(s.responseBody).equals(joined(call.response))).toBe(true);
    }
    const refused = replayCall(host, sends[2]);
    // The proxy gets an empty request; the client the status its SDK raises as TooManyRequests.
    expect(messages(Buffer.from(refused.requestBody)).map((m) => m.length)).toEqual([0]);
    const [status] = statusOf(refused.responseBody, pb.SendMessageResponse);
    expect(status.getCode()).toBe(defs.Code.TOO_MANY_REQUESTS);
    expect(status.getMessage()).toContain("rate limit send");
    expect(host.getCounter("mqmesh_rocketmq_grpc_responses_total;api=SendMessage;code=TOO_MANY_REQUESTS")).toBe(1);
    expect(host.getCounter("mqmesh_rocketmq_grpc_throttled_requests_total;rule=send;principal=anonymous")).toBe(1);
    // Half a second refills one message.
    host.advanceTime(500);
    const again = replayCall(host, sends[3]);
    expect(Buffer.from(again.requestBody).equals(joined(sends[3].request))).toBe(true);
  });

  it("refuses a ReceiveMessage while the messages delivered before are beyond the receive rate", async () => {
    // 4 messages/s, 1 s burst; the first receive delivers 8: 4 in debt, 1 s.
    const host = await start({ limits: { rules: [{ name: "consume", pullMessagesPerSecond: 4 }] } });
    const first = replayCall(host, receives[0]);
    expect(Buffer.from(first.responseBody).equals(joined(receives[0].response))).toBe(true);
    const refused = replayCall(host, receives[1]);
    const statuses = statusOf(refused.responseBody, pb.ReceiveMessageResponse);
    expect(statuses.map((s: any) => s.getCode())).toEqual([defs.Code.TOO_MANY_REQUESTS]);
    host.advanceTime(1000);
    const later = replayCall(host, receives[1]);
    expect(Buffer.from(later.responseBody).equals(joined(receives[1].response))).toBe(true);
  });
});

const exported = (host: ProxyHost) => exportedSpans(host, "otlp");

describe("tracing", () => {
  const TRACING = { tracing: { inject: "always", collector: { cluster: "otlp" }, exportIntervalMs: 500 } };

  it("adds a traceparent to the user properties of a sent message and exports the PRODUCER span it names", async () => {
    const host = await start(TRACING);
    const s = replayCall(host, sends[0]);
    const before = pb.SendMessageRequest.deserializeBinary(messages(joined(sends[0].request))[0]);
    const after = pb.SendMessageRequest.deserializeBinary(messages(Buffer.from(s.requestBody))[0]);
    const props = after.getMessagesList()[0].getUserPropertiesMap();
    const traceparent: string = props.get("traceparent");
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
    // Everything else as the client sent it.
    props.del("traceparent");
    props.del("tracestate");
    expect(after.toObject()).toEqual(before.toObject());
    const [span] = exported(host);
    const [, traceId, spanId] = traceparent.split("-");
    expect([span.traceId, span.spanId, span.name, span.kind]).toEqual([traceId, spanId, "send recorded-grpc", "SPAN_KIND_PRODUCER"]);
    expect(span.attributes).toMatchObject({ "messaging.system": "rocketmq", "messaging.operation.type": "send", "messaging.destination.name": "recorded-grpc" });
  });

  it("spans a ReceiveMessage that delivered messages, with their count and group", async () => {
    const host = await start(TRACING);
    const s = replayCall(host, receives[0]);
    expect(Buffer.from(s.responseBody).equals(joined(receives[0].response))).toBe(true);
    const spans = exported(host);
    expect(spans.map((x) => [x.name, x.kind])).toEqual([["receive recorded-grpc", "SPAN_KIND_CLIENT"]]);
    expect(spans[0].attributes).toMatchObject({ "messaging.batch.message_count": 8n, "messaging.consumer.group.name": "recorded-grpc-group", "messaging.operation.type": "receive" });
  });
});
