// http-mq-bridge through the host emulator: the tunnel's framing under any
// split, the HTTP stream -> the Kafka request it sends (decoded here by an
// independent reader, record batches by kafkajs' own decoder, CRC32C checked
// by a table-free implementation), broker answers -> the HTTP answer, and
// fuzzed input that must never trap.
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { BRIDGE_MODULE, CONFIG, TUNNEL_OK, decodeMetadata, decodeProduce, lastCall, metadataResponse, produceResponse, publishStream, requestHeader, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const bridge = (config: unknown = CONFIG) => startBridge(wasm, config);

async function tunnel(): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "kafka_tunnel", pluginConfig: "{}", strict: true });
}

// ---- the tunnel -------------------------------------------------------------------

function httpRequest(frame: Uint8Array, chunked = false): Buffer {
  if (!chunked) return Buffer.concat([Buffer.from(`POST /kafka HTTP/1.1\r\nhost: kafka_tunnel\r\ncontent-type: application/x-kafka-frame\r\ncontent-length: ${frame.length}\r\nx-envoy-expected-rq-timeout-ms: 6000\r\n\r\n`), frame]);
  const half = Math.floor(frame.length / 2);
  return Buffer.concat([
    Buffer.from("POST /kafka HTTP/1.1\r\nhost: kafka_tunnel\r\ntransfer-encoding: chunked\r\n\r\n"),
    Buffer.from(`${half.toString(16)}\r\n`), frame.subarray(0, half), Buffer.from("\r\n"),
    Buffer.from(`${(frame.length - half).toString(16)};ext=1\r\n`), frame.subarray(half), Buffer.from("\r\n0\r\n\r\n"),
  ]);
}

function httpResponse(frame: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/x-kafka-frame\r\nx-mqmesh-tunnel: kafka\r\ncontent-length: ${frame.length}\r\n\r\n`), frame]);
}

const FRAME = Buffer.from(metadataRequestBytes());
function metadataRequestBytes(): Uint8Array {
  const body = Buffer.from([0, 18, 0, 0, 0, 0, 0, 9, 0, 3, 0x61, 0x62, 0x63]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}
const RESPONSE = Buffer.concat([Buffer.from([0, 0, 0, 6, 0, 0, 0, 9, 0, 0])]);

function feed(send: (b: Uint8Array) => unknown, bytes: Buffer, cuts: number[]) {
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (c <= at || c >= bytes.length) continue;
    send(bytes.subarray(at, c));
    at = c;
  }
  send(bytes.subarray(at));
}

describe("kafka tunnel (network filter on the internal listener)", () => {
  it("forwards exactly the Kafka frame of each HTTP request and wraps each response, however the bytes are split", async () => {
    const host = await tunnel();
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.nat(400), { maxLength: 6 }), fc.array(fc.nat(200), { maxLength: 4 }), async (chunked, reqCuts, respCuts) => {
        const conn = host.newConnection();
        for (let round = 0; round < 2; round++) {
          const before = conn.forwardedUpstream.length;
          feed((b) => conn.callOnDownstreamData(b), httpRequest(FRAME, chunked), reqCuts);
          expect(Buffer.from(conn.forwardedUpstream.subarray(before))).toEqual(FRAME);
          const down = conn.forwardedDownstream.length;
          feed((b) => conn.callOnUpstreamData(b), RESPONSE, respCuts);
          expect(Buffer.from(conn.forwardedDownstream.subarray(down)).toString("latin1")).toBe(httpResponse(RESPONSE).toString("latin1"));
        }
        expect(conn.closedByFilter).toBeUndefined();
        conn.closeDownstream();
      }),
      { numRuns: 60 },
    );
  });

  it("keeps order with two requests in one read (pipelining)", async () => {
    const host = await tunnel();
    const conn = host.newConnection();
    conn.callOnDownstreamData(Buffer.concat([httpRequest(FRAME), httpRequest(FRAME, true)]));
    expect(Buffer.from(conn.forwardedUpstream)).toEqual(Buffer.concat([FRAME, FRAME]));
    conn.callOnUpstreamData(Buffer.concat([RESPONSE, RESPONSE]));
    expect(Buffer.from(conn.forwardedDownstream)).toEqual(Buffer.concat([httpResponse(RESPONSE), httpResponse(RESPONSE)]));
  });

  it("closes the connection on a body that is not one Kafka frame, on a non-POST, and on an answer nobody asked for", async () => {
    const host = await tunnel();
    const cases: [string, Buffer][] = [
      ["downstream", Buffer.from("POST /x HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc")],
      ["downstream", Buffer.from("GET /x HTTP/1.1\r\n\r\n")],
      ["downstream", Buffer.concat([Buffer.from(`POST /x HTTP/1.1\r\ncontent-length: ${FRAME.length + 1}\r\n\r\n`), FRAME, Buffer.from("x")])],
      ["upstream", RESPONSE],
    ];
    for (const [dir, bytes] of cases) {
      const conn = host.newConnection();
      if (dir === "downstream") conn.callOnDownstreamData(bytes);
      else conn.callOnUpstreamData(bytes);
      expect(conn.closedByFilter, bytes.toString("latin1")).toBe("downstream");
      expect(conn.forwardedUpstream.length).toBe(0);
      expect(conn.forwardedDownstream.length).toBe(0);
    }
  });

  it("never traps on arbitrary bytes in either direction", async () => {
    const host = await tunnel();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })), { maxLength: 8 }), async (chunks) => {
        const conn = host.newConnection();
        for (const [down, bytes] of chunks) {
          if (conn.closedByFilter) break;
          if (down) conn.callOnDownstreamData(bytes);
          else conn.callOnUpstreamData(bytes);
        }
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

// ---- the HTTP side --------------------------------------------------------------

describe("http-mq-bridge HTTP filter (Dapr publish)", () => {
  it("asks Metadata once, then produces a CloudEvent with metadata and trace headers; 204 only after the ProduceResponse", async () => {
    const host = await bridge();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const s = publishStream(host, "/v1.0/publish/kafka/orders?metadata.tenant=acme&x=1&metadata.note=caf%C3%A9", '{"n":1}', [
      ["content-type", "application/json"], ["traceparent", traceparent], ["tracestate", "a=b"],
    ]);
    const meta = lastCall(host);
    expect(meta.cluster).toBe("kafka_tunnel");
    expect(Object.fromEntries(meta.headers)).toMatchObject({ ":method": "POST", ":authority": "kafka_tunnel", "content-type": "application/x-kafka-frame" });
    const m = decodeMetadata(meta.body);
    expect(m.names).toEqual(["orders"]);
    expect(m.allowAutoTopicCreation).toBe(true);
    expect(s.localResponse).toBeUndefined();
    host.respondToHttpCall(meta.token, { headers: TUNNEL_OK, body: metadataResponse(m.correlationId, "orders", 3) });
    expect(s.localResponse).toBeUndefined();

    const call = lastCall(host);
    const p = await decodeProduce(call.body);
    expect(p.acks).toBe(-1);
    expect(p.transactionalId).toBeNull();
    expect(p.clientId).toBe("mqmesh-bridge");
    expect(p.topics).toHaveLength(1);
    expect(p.topics[0].name).toBe("orders");
    const { index, batch } = p.topics[0].partitions[0];
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(3);
    expect(p.topics[0].partitions.length).toBe(1);
    expect(batch.records).toHaveLength(1);
    const rec = batch.records[0];
    expect(rec.key).toBeNull();
    const ce = JSON.parse(rec.value.toString());
    expect(ce).toMatchObject({ specversion: "1.0", source: "unit", type: "com.dapr.event.sent", datacontenttype: "application/json", data: { n: 1 }, topic: "orders", pubsubname: "kafka", traceparent, tracestate: "a=b" });
    expect(Object.fromEntries(Object.entries(rec.headers).map(([k, v]) => [k, (v as Buffer).toString()]))).toEqual({ tenant: "acme", note: "café", traceparent, tracestate: "a=b" });

    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "orders", index) });
    expect(s.localResponse?.status).toBe(204);
    expect(s.localResponse?.body).toBe("");

    // The partition count is cached: the next publish goes straight to Produce.
    const calls = host.httpCalls.length;
    publishStream(host, "/v1.0/publish/kafka/orders?metadata.rawPayload=true", "x");
    expect(host.httpCalls.length).toBe(calls + 1);
    expect(requestHeader(lastCall(host).body).apiKey).toBe(0);
  });

  it("asks Metadata again on the tick while a new topic has no leader, then publishes; gives up with 503 after metadataRetries", async () => {
    const host = await bridge({ ...CONFIG, metadataRetries: 2, metadataRetryBackoffMs: 50 });
    const s = publishStream(host, "/v1.0/publish/kafka/fresh?metadata.rawPayload=true", "v");
    let call = lastCall(host);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(call.body).correlationId, "fresh", 0, 5) }); // LEADER_NOT_AVAILABLE
    expect(s.localResponse).toBeUndefined();
    expect(host.httpCalls).toHaveLength(0);
    expect(host.tickPeriodMs).toBe(50);
    host.tick();
    call = lastCall(host);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(call.body).correlationId, "fresh", 0, 3) }); // UNKNOWN_TOPIC_OR_PARTITION, auto-creation on
    host.tick();
    call = lastCall(host);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(call.body).correlationId, "fresh", 2) });
    call = lastCall(host);
    const p = await decodeProduce(call.body);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "fresh", p.topics[0].partitions[0].index) });
    expect(s.localResponse?.status).toBe(204);
    expect(host.tickPeriodMs).toBe(0); // the timer stops when nobody waits

    const t = publishStream(host, "/v1.0/publish/kafka/never?metadata.rawPayload=true", "v");
    for (let i = 0; i < 3; i++) {
      if (i > 0) host.tick();
      call = lastCall(host);
      host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(call.body).correlationId, "never", 0, 5) });
    }
    expect(t.localResponse?.status).toBe(503);
    expect(JSON.parse(t.localResponse!.body).message).toMatch(/LEADER_NOT_AVAILABLE/);
  });

  it("partitionKey is the record key and picks the partition Java's murmur2 partitioner picks; rawPayload keeps bytes exact", async () => {
    const host = await bridge();
    const partitioner = Partitioners.JavaCompatiblePartitioner();
    const partitionMetadata = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }), fc.uint8Array({ maxLength: 200 }), async (key, value) => {
        const s = publishStream(host, `/v1.0/publish/fixed/t1?metadata.rawPayload=true&metadata.partitionKey=${encodeURIComponent(key)}`, value, [["content-type", "application/octet-stream"]]);
        const call = lastCall(host);
        const p = await decodeProduce(call.body);
        const { index, batch } = p.topics[0].partitions[0];
        expect(index).toBe(partitioner({ topic: "t1", partitionMetadata, message: { key, value: Buffer.from(value) } }));
        expect(batch.records[0].key.toString()).toBe(key);
        expect(Buffer.compare(batch.records[0].value, Buffer.from(value))).toBe(0);
        host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t1", index) });
        expect(s.localResponse?.status).toBe(204);
      }),
      { numRuns: 60 },
    );
  });

  it("answers Dapr-shaped errors without calling the broker for bad input", async () => {
    const host = await bridge();
    const cases: [string, string, [string, string][], number, string, RegExp][] = [
      ["/v1.0/publish/nope/t", "x", [], 404, "ERR_PUBSUB_NOT_FOUND", /^pubsub nope not found$/],
      ["/v1.0/publish/kafka/", "x", [], 404, "ERR_TOPIC_EMPTY", /topic is empty/],
      ["/v1.0/publish//t", "x", [], 404, "ERR_PUBSUB_EMPTY", /pubsub name is empty/],
      ["/v1.0/publish/kafka/t?metadata.rawPayload=yes", "x", [], 400, "ERR_MALFORMED_REQUEST", /^metadata\.rawPayload:/],
      ["/v1.0/publish/kafka/a%2Fb", "x", [], 400, "ERR_MALFORMED_REQUEST", /^topic:/],
      ["/v1.0/publish/kafka/t%zz", "x", [], 400, "ERR_MALFORMED_REQUEST", /^topic: invalid percent-encoding/],
      ["/v1.0/publish/kafka/t", "{bad", [["content-type", "application/json"]], 400, "ERR_MALFORMED_REQUEST", /^body: invalid JSON/],
      ["/v1.0/publish/kafka/t", "[1]", [["content-type", "application/cloudevents+json"]], 400, "ERR_MALFORMED_REQUEST", /^body:/],
      ["/v1.0/publish/kafka/t", "x".repeat(4097), [], 413, "ERR_PUBSUB_REQUEST_TOO_LARGE", /^body: larger than 4096 bytes/],
    ];
    for (const [path, body, headers, status, code, message] of cases) {
      const s = publishStream(host, path, body, headers);
      expect(s.localResponse?.status, path).toBe(status);
      const parsed = JSON.parse(s.localResponse!.body);
      expect(parsed.errorCode, path).toBe(code);
      expect(parsed.message, path).toMatch(message);
      expect(Object.fromEntries(s.localResponse!.headers)["content-type"]).toBe("application/json");
    }
    expect(host.httpCalls).toHaveLength(0);
    // A body that grows past the limit without a Content-Length.
    const s = host.newHttpStream();
    s.callOnRequestHeaders([[":method", "POST"], [":path", "/v1.0/publish/kafka/t"], [":authority", "a"]]);
    s.callOnRequestBody("x".repeat(3000));
    s.callOnRequestBody("x".repeat(3000));
    expect(s.localResponse?.status).toBe(413);
    // Not a publish path: untouched.
    const other = host.newHttpStream();
    expect(other.callOnRequestHeaders([[":method", "GET"], [":path", "/healthz"], [":authority", "a"]], { endOfStream: true })).toBe("continue");
    expect(other.localResponse).toBeUndefined();
  });

  it("503 with Retry-After when the tunnel fails, times out, or the broker says retry; 500/404 for other Kafka errors; never 2xx", async () => {
    const host = await bridge();
    const run = async (answer: (token: number, corr: number, partition: number) => void) => {
      const s = publishStream(host, "/v1.0/publish/fixed/t?metadata.rawPayload=true", "v");
      const call = lastCall(host);
      const p = await decodeProduce(call.body);
      answer(call.token, p.correlationId, p.topics[0].partitions[0].index);
      expect(s.localResponse).toBeDefined();
      return s.localResponse!;
    };
    const retryAfter = (r: { headers: [string, string][] }) => Object.fromEntries(r.headers)["retry-after"];
    let r = await run((t) => host.failHttpCall(t));
    expect([r.status, retryAfter(r), JSON.parse(r.body).errorCode]).toEqual([503, "1", "ERR_PUBSUB_PUBLISH_MESSAGE"]);
    r = await run((t) => host.respondToHttpCall(t, { headers: [[":status", "503"]], body: "upstream connect error" }));
    expect([r.status, retryAfter(r)]).toEqual([503, "1"]);
    expect(JSON.parse(r.body).message).toMatch(/could not be reached/);
    r = await run((t, c, q) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: produceResponse(c, "t", q, 6) })); // NOT_LEADER_OR_FOLLOWER
    expect([r.status, retryAfter(r)]).toEqual([503, "1"]);
    expect(JSON.parse(r.body).message).toMatch(/NOT_LEADER_OR_FOLLOWER/);
    r = await run((t, c, q) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: produceResponse(c, "t", q, 3) }));
    expect([r.status, JSON.parse(r.body).errorCode]).toEqual([404, "ERR_TOPIC_NOT_FOUND"]);
    r = await run((t, c, q) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: produceResponse(c, "t", q, 10) }));
    expect(r.status).toBe(413);
    r = await run((t, c, q) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: produceResponse(c, "t", q, 87) }));
    expect(r.status).toBe(500);
    // A wrong correlation id or an answer that does not decode is never success.
    r = await run((t, c, q) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: produceResponse(c + 1, "t", q) }));
    expect(r.status).toBe(502);
    r = await run((t) => host.respondToHttpCall(t, { headers: TUNNEL_OK, body: "garbage" }));
    expect(r.status).toBe(502);
  });

  it("rejects configurations with the field named", async () => {
    for (const [config, field] of [
      [{}, "pubsubs"],
      [{ pubsubs: { k: { type: "kafka" } } }, "pubsubs.k.cluster"],
      [{ pubsubs: { k: { type: "rabbit", cluster: "c" } } }, "pubsubs.k.type"],
      [{ pubsubs: { k: { type: "kafka", cluster: "c", acks: 0 } } }, "pubsubs.k.acks"],
      [{ pubsubs: { k: { type: "kafka", cluster: "c" } }, maxBodyByte: 1 }, "maxBodyByte"],
      [{ pubsubs: { k: { type: "kafka", cluster: "c" } }, rest: { pubsub: "x" } }, "rest.pubsub"],
    ] as [unknown, string][]) {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config) });
      host.startVm();
      expect(host.configure(), JSON.stringify(config)).toBe(false);
      expect(host.logText()).toContain(field);
    }
  });

  it("never traps on fuzzed paths, headers, bodies and broker answers", async () => {
    const host = await bridge();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 600 }), fc.constantFrom("application/json", "text/plain", "application/cloudevents+json", "application/octet-stream", ""),
        fc.uint8Array({ maxLength: 200 }), fc.boolean(),
        async (tail, body, ct, answer, fixed) => {
          const s = publishStream(host, `/v1.0/publish/${fixed ? "fixed" : "kafka"}/${tail}`, body, ct ? [["content-type", ct]] : []);
          while (!s.localResponse && host.httpCalls.length > 0) {
            const call = host.httpCalls[host.httpCalls.length - 1];
            host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: answer });
          }
          expect(host.failed).toBeUndefined();
          if (s.localResponse) expect(s.localResponse.status).not.toBe(204);
        },
      ),
      { numRuns: 300 },
    );
  });
});
