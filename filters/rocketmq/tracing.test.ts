// Trace context and spans of the rocketmq filter through the host emulator:
// the send request the broker receives is decoded independently (Java's
// property rules restated in test/rocketmq/remoting.ts) to find the
// traceparent the sidecar added, and the spans are read from the OTLP
// export with OpenTelemetry's own protobuf definitions.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import type { Connection } from "../../test/host/connection.ts";
import { OURS, THEIRS } from "../../test/otel/codecs.ts";
import { exportedSpans } from "../../test/otel/otlp.ts";
import { P, batchMessage, command, concat, decodeWire, javaProps, jsonFrame, storedMessage, wire } from "../../test/rocketmq/remoting.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
}, 120_000);

const SEND_MESSAGE_V2 = 310;
const SEND_BATCH_MESSAGE = 320;
const PULL_MESSAGE = 11;
const TOPIC_NOT_EXIST = 17;
const PULL_NOT_FOUND = 19;
const BROKER = { "upstream.address": "10.1.2.3:10911" };

const tracing = (inject: string) => ({ tracing: { inject, sampling: 1, collector: { cluster: "otlp" }, serviceName: "rmq-test", exportIntervalMs: 500 } });
const start = (inject = "always") => ProxyHost.start(wasm, { pluginConfig: JSON.stringify(tracing(inject)), clusters: ["otlp"] });

function sendExt(topic: string, props: string, batch = false): [string, string][] {
  return [["a", "pg"], ["b", topic], ["c", "TBW102"], ["d", "4"], ["e", "0"], ["f", "0"], ["g", "1700000000000"], ["h", "0"], ["i", props], ["j", "0"], ["k", "false"], ["m", batch ? "true" : "false"]];
}

const send = (opaque: number, topic: string, props: string) => wire(jsonFrame(command({ code: SEND_MESSAGE_V2, opaque, ext: sendExt(topic, props), body: new TextEncoder().encode("hello") })));
const answer = (opaque: number, code = 0, body: Uint8Array = new Uint8Array(0)) => wire(jsonFrame(command({ code, opaque, flag: 1, ext: [["msgId", "m"], ["queueId", "0"], ["queueOffset", "0"]], body })));
const pull = (opaque: number, topic: string) =>
  wire(jsonFrame(command({ code: PULL_MESSAGE, opaque, ext: [["consumerGroup", "cg"], ["topic", topic], ["queueId", "0"], ["queueOffset", "0"], ["maxMsgNums", "32"], ["sysFlag", "0"], ["commitOffset", "0"], ["suspendTimeoutMillis", "20000"], ["subscription", "*"], ["subVersion", "0"]] })));

// The commands the broker received.
function upstream(conn: Connection) {
  const out = [];
  const b = Buffer.from(conn.forwardedUpstream);
  for (let pos = 0; pos + 4 <= b.length; pos += 4 + b.readInt32BE(pos)) out.push(decodeWire(b.subarray(pos, pos + 4 + b.readInt32BE(pos))));
  return out;
}

const exported = (host: ProxyHost) => exportedSpans(host, "otlp");

const contextOf = (traceparent: string) => {
  const [, traceId, spanId, flags] = traceparent.split("-");
  return { traceId, spanId, flags };
};

describe("sends", () => {
  it("adds a traceparent to a message without one and exports the PRODUCER span it names", async () => {
    const host = await start();
    const conn = host.newConnection({ properties: BROKER });
    const props = P([["KEYS", "k-1"], ["UNIQ_KEY", "u1"]]);
    conn.callOnDownstreamData(send(7, "orders", props));
    const [got] = upstream(conn);
    const sent = decodeWire(send(7, "orders", props));
    // Every header field and the body as sent; the properties gained a traceparent.
    expect(got.ext.filter(([k]) => k !== "i")).toEqual(sent.ext.filter(([k]) => k !== "i"));
    expect(Buffer.from(got.body).toString()).toBe("hello");
    const gotProps = javaProps(got.ext.find(([k]) => k === "i")![1]);
    expect(gotProps.get("KEYS")).toBe("k-1");
    expect(gotProps.get("UNIQ_KEY")).toBe("u1");
    const traceparent = gotProps.get("traceparent")!;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
    conn.callOnUpstreamData(answer(7));
    const spans = exported(host);
    expect(spans).toHaveLength(1);
    const span = spans[0];
    const ctx = contextOf(traceparent);
    expect([span.traceId, span.spanId, span.parentSpanId]).toEqual([ctx.traceId, ctx.spanId, ""]);
    expect(span.name).toBe("send orders");
    expect(span.kind).toBe("SPAN_KIND_PRODUCER");
    expect(span.attributes).toMatchObject({
      "messaging.system": "rocketmq", "messaging.operation.type": "send", "messaging.operation.name": "send",
      "messaging.destination.name": "orders", "server.address": "10.1.2.3", "server.port": 10911n,
    });
    expect(span.attributes["error.type"]).toBeUndefined();
  });

  it("leaves a message that carries a traceparent byte for byte, and parents the CLIENT span on it", async () => {
    const host = await start();
    const conn = host.newConnection();
    const request = send(8, "orders", P([["traceparent", THEIRS], ["tracestate", "v=1"]]));
    conn.callOnDownstreamData(request);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.from(request))).toBe(true);
    conn.callOnUpstreamData(answer(8, TOPIC_NOT_EXIST));
    const [span] = exported(host);
    const theirs = contextOf(THEIRS);
    expect([span.traceId, span.parentSpanId, span.kind]).toEqual([theirs.traceId, theirs.spanId, "SPAN_KIND_CLIENT"]);
    expect(span.traceState).toBe("v=1");
    expect(span.attributes["error.type"]).toBe("TOPIC_NOT_EXIST");
    expect(span.status?.code).toBe("STATUS_CODE_ERROR");
  });

  it("with inject off changes nothing and still spans the send", async () => {
    const host = await start("off");
    const conn = host.newConnection();
    const request = send(9, "orders", P([["KEYS", "k"]]));
    conn.callOnDownstreamData(request);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.from(request))).toBe(true);
    conn.callOnUpstreamData(answer(9));
    const spans = exported(host);
    expect(spans.map((s) => [s.name, s.kind])).toEqual([["send orders", "SPAN_KIND_CLIENT"]]);
  });

  it("adds the context to each message of a batch that has none and links to those that carry one", async () => {
    const host = await start();
    const conn = host.newConnection();
    const body = concat(batchMessage(0, "one", P([["KEYS", "a"]])), batchMessage(0, "two", P([["traceparent", THEIRS]])), batchMessage(0, "three", ""));
    const ext = sendExt("orders", P([["WAIT", "true"]]), true);
    conn.callOnDownstreamData(wire(jsonFrame(command({ code: SEND_BATCH_MESSAGE, opaque: 3, ext, body }))));
    const [got] = upstream(conn);
    expect(got.ext).toEqual(ext);
    // The batch body restated: each message's properties, in order.
    const messages: Map<string, string>[] = [];
    const b = Buffer.from(got.body);
    for (let pos = 0; pos < b.length; pos += b.readInt32BE(pos)) {
      const bodyLength = b.readInt32BE(pos + 16);
      const propsLength = b.readInt16BE(pos + 20 + bodyLength);
      messages.push(javaProps(b.subarray(pos + 22 + bodyLength, pos + 22 + bodyLength + propsLength).toString()));
    }
    expect(messages).toHaveLength(3);
    expect(messages[0].get("KEYS")).toBe("a");
    expect(messages[1].get("traceparent")).toBe(THEIRS);
    const ours = messages[0].get("traceparent")!;
    expect(messages[2].get("traceparent")).toBe(ours);
    conn.callOnUpstreamData(answer(3));
    const [span] = exported(host);
    expect([span.spanId, span.kind]).toEqual([contextOf(ours).spanId, "SPAN_KIND_PRODUCER"]);
    expect(span.attributes["messaging.batch.message_count"]).toBe(3n);
    expect(span.links.map((l) => [l.traceId, l.spanId])).toEqual([[contextOf(THEIRS).traceId, contextOf(THEIRS).spanId]]);
  });
});

describe("pulls", () => {
  it("spans a pull that delivers messages, linked to the contexts they carry; the answer is unchanged", async () => {
    const host = await start();
    const conn = host.newConnection();
    conn.callOnDownstreamData(pull(4, "orders"));
    const body = concat(
      storedMessage({ topic: "orders", properties: P([["traceparent", THEIRS]]) }),
      storedMessage({ topic: "orders", properties: P([["KEYS", "k"]]) }),
      storedMessage({ topic: "orders", properties: P([["traceparent", OURS]]) }),
    );
    conn.callOnUpstreamData(answer(4, 0, body));
    expect(Buffer.from(conn.forwardedDownstream).equals(Buffer.from(answer(4, 0, body)))).toBe(true);
    // A long poll that found nothing leaves no span.
    conn.callOnDownstreamData(pull(5, "orders"));
    conn.callOnUpstreamData(answer(5, PULL_NOT_FOUND));
    const spans = exported(host);
    expect(spans).toHaveLength(1);
    const span = spans[0];
    expect([span.name, span.kind, span.parentSpanId]).toEqual(["receive orders", "SPAN_KIND_CLIENT", ""]);
    expect(span.attributes).toMatchObject({
      "messaging.system": "rocketmq", "messaging.operation.type": "receive", "messaging.destination.name": "orders",
      "messaging.consumer.group.name": "cg", "messaging.batch.message_count": 3n,
    });
    expect(span.links.map((l) => l.spanId)).toEqual([contextOf(THEIRS).spanId, contextOf(OURS).spanId]);
  });
});

describe("with limits and tracing on", () => {
  const config = { ...tracing("always"), limits: { rules: [{ name: "all", sendMessagesPerSecond: 1000000, pullMessagesPerSecond: 1000000 }] } };
  const startBoth = () => ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config), clusters: ["otlp"] });

  it("gives the broker the same commands and the client the same answers whatever the read boundaries", async () => {
    const requests = [send(1, "orders", P([["KEYS", "a"]])), pull(2, "orders"), send(3, "orders", P([["traceparent", THEIRS]]))];
    const body = storedMessage({ topic: "orders", properties: P([["traceparent", THEIRS]]) });
    const answers = [answer(2, 0, body), answer(3), answer(1)];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), async (piece) => {
        const host = await startBoth();
        const conn = host.newConnection();
        const all = Buffer.concat(requests);
        for (let at = 0; at < all.length; at += piece) conn.callOnDownstreamData(all.subarray(at, at + piece));
        const up = upstream(conn);
        expect(up.map((c) => [c.code, c.opaque])).toEqual([[SEND_MESSAGE_V2, 1], [PULL_MESSAGE, 2], [SEND_MESSAGE_V2, 3]]);
        expect(javaProps(up[0].ext.find(([k]) => k === "i")![1]).get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
        const rest = Buffer.from(conn.forwardedUpstream).subarray(Buffer.from(conn.forwardedUpstream).length - requests[1].length - requests[2].length);
        expect(rest.equals(Buffer.concat([requests[1], requests[2]]))).toBe(true);
        const back = Buffer.concat(answers);
        for (let at = 0; at < back.length; at += piece) conn.callOnUpstreamData(back.subarray(at, at + piece));
        expect(Buffer.from(conn.forwardedDownstream).equals(back)).toBe(true);
        expect(exported(host).map((x) => x.name).sort()).toEqual(["receive orders", "send orders", "send orders"]);
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 20 },
    );
  });

  it("never traps on random bytes in either direction", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 })), { maxLength: 8 }), async (chunks) => {
        const host = await startBoth();
        const conn = host.newConnection();
        conn.callOnDownstreamData(send(1, "orders", ""));
        for (const [down, bytes] of chunks) (down ? conn.callOnDownstreamData(bytes) : conn.callOnUpstreamData(bytes));
        exported(host);
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });
});
