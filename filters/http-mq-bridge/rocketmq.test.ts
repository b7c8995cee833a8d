// http-mq-bridge with a RocketMQ 5 pubsub, through the host emulator: the
// HTTP stream -> the SendMessage gRPC call it makes (decoded here with
// protobufjs from the proto files rocketmq-client-nodejs ships), and the
// proxy's answer or the call's failure -> the HTTP answer the app sees.
import fc from "fast-check";
import protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { RocketMQCode, decodeSendMessage, loadRocketMQTypes, sendAnswer, type RocketMQTypes } from "./rocketmq_wire.ts";

let wasm: string;
let types: RocketMQTypes;
let QueryRouteRequest: protobuf.Type;
let QueryRouteResponse: protobuf.Type;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  types = await loadRocketMQTypes();
  ({ QueryRouteRequest, QueryRouteResponse } = types);
}, 180_000);

const CONFIG = {
  pubsubs: {
    rmq: { type: "rocketmq", cluster: "rocketmq_proxy", timeoutMs: 3000 },
    fifo: { type: "rocketmq", cluster: "rocketmq_proxy", namespace: "shop", keyAsMessageGroup: true },
  },
  appId: "unit", maxBodyBytes: 4096,
};
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const Code = RocketMQCode;
const GrpcStatus = { DeadlineExceeded: 4, Unavailable: 14 };

const START_MS = Date.UTC(2026, 10, 22, 13, 4, 5, 678);

async function bridge(config: unknown = CONFIG): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config), clusters: ["rocketmq_proxy"], startTimeMs: START_MS });
}

function publishStream(host: ProxyHost, path: string, body: string | Uint8Array, headers: [string, string][] = []) {
  const s = host.newHttpStream();
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  s.callOnRequestHeaders([[":method", "POST"], [":path", path], [":authority", "sidecar"], ["content-length", String(bytes.length)], ...headers]);
  if (!s.localResponse) s.callOnRequestBody(bytes, { endOfStream: true });
  return s;
}

const decodeCall = (call: { message?: Uint8Array }) => decodeSendMessage(types, call);
const answer = (code: number, message = "", entries: { code: number; messageId?: string; offset?: number }[] = []) => sendAnswer(types, code, message, entries);

const ok = (messageId = "01ABC", offset = 7) => answer(Code.OK, "OK", [{ code: Code.OK, messageId, offset }]);

describe("http-mq-bridge with a RocketMQ pubsub (gRPC SendMessage)", () => {
  it("Dapr publish: one SendMessage with the CloudEvent body, metadata and trace context as properties, partitionKey as key; 204 only after OK", async () => {
    const host = await bridge();
    const s = publishStream(host, "/v1.0/publish/rmq/orders?metadata.tenant=acme&metadata.note=caf%C3%A9&metadata.partitionKey=alice", '{"n":1}', [
      ["content-type", "application/json"], ["traceparent", TRACEPARENT], ["tracestate", "a=b"],
    ]);
    expect(host.httpCalls).toHaveLength(0);
    expect(host.grpcCalls).toHaveLength(1);
    const call = host.grpcCalls[0];
    expect({ cluster: call.cluster, service: call.service, method: call.method, kind: call.kind, timeoutMs: call.timeoutMs }).toEqual({
      cluster: "rocketmq_proxy", service: "apache.rocketmq.v2.MessagingService", method: "SendMessage", kind: "call", timeoutMs: 3000,
    });
    const md = Object.fromEntries(call.initialMetadata);
    expect(md).toMatchObject({ "x-mq-protocol": "v2", "x-mq-client-id": "mqmesh-bridge", "x-mq-language": "HTTP" });
    expect(md["x-mq-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(md["x-mq-date-time"]).toBe("20261122T130405Z");
    expect(md["x-mq-namespace"]).toBeUndefined();

    const m = decodeCall(call);
    expect(m.topic).toEqual({ resourceNamespace: "", name: "orders" });
    const ce = JSON.parse(m.body.toString());
    expect(ce).toMatchObject({ specversion: "1.0", source: "unit", type: "com.dapr.event.sent", datacontenttype: "application/json", data: { n: 1 }, topic: "orders", pubsubname: "rmq", traceparent: TRACEPARENT, tracestate: "a=b" });
    expect(m.userProperties).toEqual({ tenant: "acme", note: "café", traceparent: TRACEPARENT, tracestate: "a=b" });
    const sp = m.systemProperties;
    expect(sp.keys).toEqual(["alice"]);
    expect(sp.messageId).toMatch(/^01[0-9A-F]{32}$/);
    expect(sp.messageType).toBe("NORMAL");
    expect(sp.bodyEncoding).toBe("IDENTITY");
    expect(sp.messageGroup ?? "").toBe("");
    expect(sp.bornHost).toBe("unit");
    expect(sp.bornTimestamp).toEqual({ seconds: Math.floor(START_MS / 1000), nanos: 678_000_000 });
    // Seconds since 2021-01-01 in bytes 9-12 of the id, as RocketMQ 5 clients write them.
    expect(parseInt(sp.messageId.slice(18, 26), 16)).toBe(Math.floor((START_MS - Date.UTC(2021, 0, 1)) / 1000));

    expect(s.localResponse).toBeUndefined();
    host.respondToGrpcCall(call.token, { message: ok() });
    expect(s.localResponse?.status).toBe(204);
    expect(s.localResponse?.body).toBe("");

    // rawPayload: the body bytes exactly; two publishes get different message ids.
    const raw = Buffer.from([0, 1, 2, 0xff]);
    publishStream(host, "/v1.0/publish/rmq/orders?metadata.rawPayload=true", raw);
    const m2 = decodeCall(host.grpcCalls[0]);
    expect(Buffer.compare(m2.body, raw)).toBe(0);
    expect(m2.userProperties).toEqual({});
    expect(m2.systemProperties.keys).toEqual([]);
    expect(m2.systemProperties.messageId).not.toBe(sp.messageId);
  });

  it("maps the proxy's status and call failures to HTTP: 404 TOPIC_NOT_FOUND, 403 FORBIDDEN, 400, 413, 429/503 with Retry-After, 502; never 2xx", async () => {
    const host = await bridge();
    const cases: [string, (token: number) => void, number, string | null, RegExp][] = [
      ["TOPIC_NOT_FOUND", (t) => host.respondToGrpcCall(t, { message: answer(Code.TOPIC_NOT_FOUND, "topic 'orders' not found") }), 404, null, /ERR_TOPIC_NOT_FOUND.*TOPIC_NOT_FOUND: topic 'orders' not found/],
      ["FORBIDDEN", (t) => host.respondToGrpcCall(t, { message: answer(Code.FORBIDDEN, "no permission") }), 403, null, /ERR_PUBSUB_PUBLISH_MESSAGE.*FORBIDDEN/],
      ["entry FORBIDDEN", (t) => host.respondToGrpcCall(t, { message: answer(Code.OK, "OK", [{ code: Code.FORBIDDEN }]) }), 403, null, /FORBIDDEN/],
      ["ILLEGAL_MESSAGE_PROPERTY_KEY", (t) => host.respondToGrpcCall(t, { message: answer(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, "property is used by system: KEYS") }), 400, null, /ERR_MALFORMED_REQUEST.*KEYS/],
      ["MESSAGE_BODY_TOO_LARGE", (t) => host.respondToGrpcCall(t, { message: answer(Code.MESSAGE_BODY_TOO_LARGE) }), 413, null, /MESSAGE_BODY_TOO_LARGE/],
      ["TOO_MANY_REQUESTS", (t) => host.respondToGrpcCall(t, { message: answer(Code.TOO_MANY_REQUESTS) }), 429, "1", /TOO_MANY_REQUESTS/],
      ["PROXY_TIMEOUT", (t) => host.respondToGrpcCall(t, { message: answer(Code.PROXY_TIMEOUT) }), 503, "1", /PROXY_TIMEOUT/],
      ["timeout", (t) => host.respondToGrpcCall(t, { status: GrpcStatus.DeadlineExceeded, statusMessage: "Request timeout" }), 503, "1", /did not answer in time.*gRPC status 4/],
      ["unreachable", (t) => host.respondToGrpcCall(t, { status: GrpcStatus.Unavailable, statusMessage: "upstream connect error" }), 503, "1", /could not be reached.*gRPC status 14/],
      ["garbage", (t) => host.respondToGrpcCall(t, { message: new Uint8Array([0x0a, 0xff]) }), 502, null, /could not be decoded/],
    ];
    for (const [name, respond, status, retryAfter, body] of cases) {
      const s = publishStream(host, "/v1.0/publish/rmq/orders", "x");
      const call = host.grpcCalls[host.grpcCalls.length - 1];
      expect(s.localResponse, name).toBeUndefined();
      respond(call.token);
      expect(s.localResponse?.status, name).toBe(status);
      expect(s.localResponse?.body, name).toMatch(body);
      expect(JSON.parse(s.localResponse!.body), name).toHaveProperty("errorCode");
      expect(Object.fromEntries(s.localResponse!.headers)["retry-after"], name).toBe(retryAfter ?? undefined);
    }
    expect(host.grpcCalls).toHaveLength(0);
  });

  it("a type conflict (how RocketMQ 5.3 proxies refuse a send to a missing topic) asks QueryRoute: TOPIC_NOT_FOUND makes it 404, else it stays 400", async () => {
    const host = await bridge();
    const conflict = answer(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, "TopicMessageType validate failed, the expected type is UNSPECIFIED, but actual type is NORMAL");
    for (const [route, status, errorCode, body] of [
      [{ status: { code: Code.TOPIC_NOT_FOUND, message: "topic not exist" } }, 404, "ERR_TOPIC_NOT_FOUND", /pubsub fifo: RocketMQ TOPIC_NOT_FOUND: topic gone does not exist/],
      [{ status: { code: Code.OK, message: "OK" } }, 400, "ERR_PUBSUB_PUBLISH_MESSAGE", /MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: TopicMessageType validate failed/],
      [null, 400, "ERR_PUBSUB_PUBLISH_MESSAGE", /MESSAGE_PROPERTY_CONFLICT_WITH_TYPE/],
    ] as [object | null, number, string, RegExp][]) {
      const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fifo/gone", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b" }]));
      const sends = [...host.grpcCalls];
      sends.forEach((c) => host.respondToGrpcCall(c.token, { message: conflict }));
      expect(s.localResponse).toBeUndefined();
      expect(host.grpcCalls).toHaveLength(1);
      const q = host.grpcCalls[0];
      expect([q.service, q.method, q.cluster]).toEqual(["apache.rocketmq.v2.MessagingService", "QueryRoute", "rocketmq_proxy"]);
      expect(QueryRouteRequest.toObject(QueryRouteRequest.decode(q.message!))).toEqual({ topic: { resourceNamespace: "shop", name: "gone" } });
      if (route) host.respondToGrpcCall(q.token, { message: QueryRouteResponse.encode(QueryRouteResponse.fromObject(route)).finish() });
      else host.respondToGrpcCall(q.token, { status: GrpcStatus.Unavailable });
      expect(s.localResponse?.status).toBe(status);
      const answered = JSON.parse(s.localResponse!.body);
      expect(answered.errorCode).toBe(errorCode);
      expect(answered.failedEntries.map((e: any) => e.entryId)).toEqual(["1", "2"]);
      for (const e of answered.failedEntries) expect(e.error).toMatch(body);
    }
  });

  it("CloudEvents binary: ce_ properties, content-type, partitionkey as key and (keyAsMessageGroup) FIFO message group; namespace in the topic and metadata", async () => {
    const host = await bridge();
    const body = Buffer.from([0, 1, 2, 0xff, 0x41]);
    const s = publishStream(host, "/v1.0/cloudevents/fifo/orders?metadata.tenant=acme", body, [
      ["ce-specversion", "1.0"], ["ce-id", "e-1"], ["ce-source", "/shop/a%20b"], ["ce-type", "com.example.order"],
      ["ce-partitionkey", "alice"], ["content-type", "application/octet-stream"], ["traceparent", TRACEPARENT],
    ]);
    const call = host.grpcCalls[0];
    expect(Object.fromEntries(call.initialMetadata)["x-mq-namespace"]).toBe("shop");
    const m = decodeCall(call);
    expect(m.topic).toEqual({ resourceNamespace: "shop", name: "orders" });
    expect(Buffer.compare(m.body, body)).toBe(0);
    expect(m.userProperties).toEqual({
      ce_specversion: "1.0", ce_id: "e-1", ce_source: "/shop/a b", ce_type: "com.example.order", ce_partitionkey: "alice",
      "content-type": "application/octet-stream", tenant: "acme", traceparent: TRACEPARENT,
    });
    expect(m.systemProperties.keys).toEqual(["alice"]);
    expect(m.systemProperties.messageGroup).toBe("alice");
    expect(m.systemProperties.messageType).toBe("FIFO");
    host.respondToGrpcCall(call.token, { message: ok() });
    expect(s.localResponse?.status).toBe(204);
  });

  it("CloudEvents batch: one SendMessage per event, all in flight; results in event order with messageId and offset, or the status and error", async () => {
    const host = await bridge();
    const events = ["a", "b", "c"].map((k, i) => ({ specversion: "1.0", id: `b-${i}`, source: "urn:x", type: "t", partitionkey: k, data: { i } }));
    const s = publishStream(host, "/v1.0/cloudevents/rmq/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"], ["traceparent", TRACEPARENT]]);
    expect(host.grpcCalls).toHaveLength(3);
    const calls = [...host.grpcCalls];
    const msgs = calls.map(decodeCall);
    expect(msgs.map((m) => m.body.toString())).toEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
    expect(msgs.map((m) => m.systemProperties.keys)).toEqual([["a"], ["b"], ["c"]]);
    expect(msgs.map((m) => m.userProperties.ce_id)).toEqual(["b-0", "b-1", "b-2"]);
    expect(msgs.every((m) => m.userProperties.traceparent === TRACEPARENT && m.userProperties["content-type"] === "application/json")).toBe(true);
    // Answers in any order; the reply waits for the last one.
    host.respondToGrpcCall(calls[2].token, { message: ok("ID-2", 12) });
    host.respondToGrpcCall(calls[1].token, { status: GrpcStatus.Unavailable });
    expect(s.localResponse).toBeUndefined();
    host.respondToGrpcCall(calls[0].token, { message: ok("ID-0", 10) });
    expect(s.localResponse?.status).toBe(200);
    const results = JSON.parse(s.localResponse!.body).results;
    expect(results[0]).toEqual({ id: "b-0", messageId: "ID-0", offset: 10 });
    expect(results[2]).toEqual({ id: "b-2", messageId: "ID-2", offset: 12 });
    expect(results[1]).toMatchObject({ id: "b-1", status: 503 });
    expect(results[1].error).toMatch(/could not be reached/);
  });

  it("bulk: one message per entry; 204 when all are stored, 500 naming only the failed entries, the whole-request status when all failed", async () => {
    const host = await bridge();
    const entries = [
      { entryId: "1", event: "first", contentType: "text/plain" },
      { entryId: "2", event: { n: 2 }, contentType: "application/json", metadata: { partitionKey: "k2", tenant: "acme" } },
    ];
    let s = publishStream(host, "/v1.0-alpha1/publish/bulk/rmq/orders?metadata.shared=yes", JSON.stringify(entries), [["content-type", "application/json"], ["traceparent", TRACEPARENT]]);
    let calls = [...host.grpcCalls];
    expect(calls).toHaveLength(2);
    const [m1, m2] = calls.map(decodeCall);
    expect(JSON.parse(m1.body.toString())).toMatchObject({ type: "com.dapr.event.sent", datacontenttype: "text/plain", data: "first", topic: "orders", pubsubname: "rmq", traceparent: TRACEPARENT });
    expect(m1.userProperties).toEqual({ shared: "yes", traceparent: TRACEPARENT });
    expect(m2.userProperties).toEqual({ shared: "yes", tenant: "acme", traceparent: TRACEPARENT });
    expect(m2.systemProperties.keys).toEqual(["k2"]);
    calls.forEach((c) => host.respondToGrpcCall(c.token, { message: ok() }));
    expect(s.localResponse?.status).toBe(204);

    s = publishStream(host, "/v1.0-alpha1/publish/bulk/rmq/orders", JSON.stringify(entries));
    calls = [...host.grpcCalls];
    host.respondToGrpcCall(calls[0].token, { message: ok() });
    host.respondToGrpcCall(calls[1].token, { message: answer(Code.FORBIDDEN, "denied") });
    expect(s.localResponse?.status).toBe(500);
    const body = JSON.parse(s.localResponse!.body);
    expect(body.errorCode).toBe("ERR_PUBSUB_PUBLISH_MESSAGE");
    expect(body.failedEntries).toHaveLength(1);
    expect(body.failedEntries[0].entryId).toBe("2");
    expect(body.failedEntries[0].error).toMatch(/pubsub rmq: RocketMQ FORBIDDEN: denied/);

    s = publishStream(host, "/v1.0-alpha1/publish/bulk/rmq/missing", JSON.stringify(entries));
    [...host.grpcCalls].forEach((c) => host.respondToGrpcCall(c.token, { message: answer(Code.TOPIC_NOT_FOUND, "no topic") }));
    expect(s.localResponse?.status).toBe(404);
    const all = JSON.parse(s.localResponse!.body);
    expect(all.errorCode).toBe("ERR_TOPIC_NOT_FOUND");
    expect(all.failedEntries.map((e: any) => e.entryId)).toEqual(["1", "2"]);
  });

  it("400 without calling the proxy for a RocketMQ-invalid topic or a property RocketMQ cannot store", async () => {
    const host = await bridge();
    let s = publishStream(host, "/v1.0/publish/rmq/a.b", "x");
    expect(s.localResponse?.status).toBe(400);
    expect(s.localResponse?.body).toMatch(/topic: RocketMQ topic names/);
    s = publishStream(host, "/v1.0/publish/rmq/orders?metadata.bad=a%01b", "x");
    expect(s.localResponse?.status).toBe(400);
    expect(s.localResponse?.body).toMatch(/metadata\.bad/);
    expect(host.grpcCalls).toHaveLength(0);
  });

  it("400 naming the request field a \\u0001 or \\u0002 came from, per bulk entry, batch event and query parameter; nothing sent", async () => {
    const host = await bridge();
    const event = (i: number, extra: object = {}) => ({ specversion: "1.0", id: `e${i}`, source: "urn:x", type: "t", ...extra });
    const batch: [string, string] = ["content-type", "application/cloudevents-batch+json"];
    const cases: [string, string, [string, string][], RegExp][] = [
      ["/v1.0-alpha1/publish/bulk/rmq/orders", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b", metadata: { tenant: "a\u0001b" } }]), [], /^entries\[1\]\.metadata\.tenant: /],
      ["/v1.0-alpha1/publish/bulk/rmq/orders", JSON.stringify([{ entryId: "1", event: "a", metadata: { partitionKey: "k\u0002" } }]), [], /^entries\[0\]\.metadata\.partitionKey: /],
      ["/v1.0-alpha1/publish/bulk/rmq/orders?metadata.shared=a%02b", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b" }]), [], /^metadata\.shared: /],
      ["/v1.0/publish/rmq/orders?metadata.partitionKey=k%01", "x", [], /^metadata\.partitionKey: /],
      ["/v1.0/cloudevents/rmq/orders", JSON.stringify([event(0), event(1, { subject: "s\u0001" })]), [batch], /^\[1\]\.subject: /],
      ["/v1.0/cloudevents/rmq/orders", "x", [["ce-specversion", "1.0"], ["ce-id", "1"], ["ce-source", "s"], ["ce-type", "t"], ["ce-region", "eu%01"]], /^region: /],
    ];
    for (const [path, body, headers, message] of cases) {
      const s = publishStream(host, path, body, headers);
      expect(s.localResponse?.status, path + " " + body).toBe(400);
      const e = JSON.parse(s.localResponse!.body);
      expect(e.errorCode).toBe("ERR_MALFORMED_REQUEST");
      expect(e.message, path + " " + body).toMatch(message);
      expect(e.message).toMatch(/\\u0001 or \\u0002/);
    }
    expect(host.grpcCalls).toHaveLength(0);
  });

  it("an OK answer without a result for the message is not taken as stored (502, never 2xx)", async () => {
    const host = await bridge();
    const s = publishStream(host, "/v1.0/publish/rmq/orders", "x");
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: answer(Code.OK, "OK") });
    expect(s.localResponse?.status).toBe(502);
    expect(JSON.parse(s.localResponse!.body).message).toMatch(/without a result/);
  });

  it("counts RocketMQ publishes as Kafka ones: requests, records per topic and result, latency", async () => {
    const host = await bridge();
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/rmq/orders", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b" }]));
    const calls = [...host.grpcCalls];
    host.advanceTime(12);
    host.respondToGrpcCall(calls[0].token, { message: ok() });
    host.respondToGrpcCall(calls[1].token, { message: answer(Code.FORBIDDEN, "denied") });
    expect(s.localResponse?.status).toBe(500);
    expect(host.getCounter("mqmesh_bridge_requests_total;api=bulk;pubsub=rmq;status=500")).toBe(1);
    expect(host.getCounter("mqmesh_bridge_records_total;pubsub=rmq;topic=orders;result=stored")).toBe(1);
    expect(host.getCounter("mqmesh_bridge_records_total;pubsub=rmq;topic=orders;result=failed")).toBe(1);
    expect(host.getHistogram("mqmesh_bridge_publish_duration_milliseconds;api=bulk")).toEqual([12]);
  });

  it("rejects RocketMQ configurations with the field named", async () => {
    for (const [config, field] of [
      [{ pubsubs: { r: { type: "rocketmq" } } }, "pubsubs.r.cluster"],
      [{ pubsubs: { r: { type: "pulsar", cluster: "c" } } }, "pubsubs.r.type"],
      [{ pubsubs: { r: { type: "rocketmq", cluster: "c", partitions: 4 } } }, 'pubsubs.r: unknown field "partitions"'],
      [{ pubsubs: { r: { type: "rocketmq", cluster: "c", keyAsMessageGroup: "yes" } } }, "pubsubs.r.keyAsMessageGroup"],
      [{ pubsubs: { k: { type: "kafka", cluster: "c", namespace: "x" } } }, 'pubsubs.k: unknown field "namespace"'],
      [{ pubsubs: { r: { type: "rocketmq", cluster: "c" } }, rest: { pubsub: "r" } }, "rest.pubsub"],
    ] as [unknown, string][]) {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config) });
      host.startVm();
      expect(host.configure(), JSON.stringify(config)).toBe(false);
      expect(host.logText()).toContain(field);
    }
  });

  it("never traps on fuzzed bodies and proxy answers", async () => {
    const host = await bridge();
    await fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), fc.constantFrom("/v1.0/publish/rmq/t", "/v1.0/cloudevents/rmq/t", "/v1.0-alpha1/publish/bulk/rmq/t"), (body, answerBytes, path) => {
        const s = publishStream(host, path, body, [["content-type", "application/cloudevents-batch+json"]]);
        for (const c of [...host.grpcCalls]) host.respondToGrpcCall(c.token, { message: answerBytes });
        if (s.localResponse) expect(s.localResponse.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 150 },
    );
  });
});
