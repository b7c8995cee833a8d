// http-mq-bridge through the host emulator: the tunnel's framing under any
// split, the HTTP stream -> the Kafka request it sends (decoded here by an
// independent reader, record batches by kafkajs' own decoder, CRC32C checked
// by a table-free implementation), broker answers -> the HTTP answer, and
// fuzzed input that must never trap.
import { createRequire } from "node:module";
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { responseFrame } from "../../test/kafka/wire.ts";

const require = createRequire(import.meta.url);
const KafkaDecoder = require("kafkajs/src/protocol/decoder");
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder");

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
}, 180_000);

const CONFIG = {
  pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" }, fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 4 } },
  appId: "unit", maxBodyBytes: 4096, rest: { pubsub: "fixed" },
};

async function bridge(config: unknown = CONFIG): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config), clusters: ["kafka_tunnel"] });
}

async function tunnel(): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "kafka_tunnel", pluginConfig: "{}", strict: true });
}

// ---- an independent reader for what the bridge sends --------------------------

class Reader {
  pos = 0;
  constructor(readonly b: Buffer) {}
  i8() { return this.b.readInt8(this.pos++); }
  i16() { const v = this.b.readInt16BE(this.pos); this.pos += 2; return v; }
  i32() { const v = this.b.readInt32BE(this.pos); this.pos += 4; return v; }
  uvarint() { let v = 0, s = 0, x; do { x = this.b[this.pos++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return v >>> 0; }
  bytes(n: number) { const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  str16() { const n = this.i16(); return n < 0 ? null : this.bytes(n).toString(); }
  compactStr() { const n = this.uvarint() - 1; return n < 0 ? null : this.bytes(n).toString(); }
  compactBytes() { const n = this.uvarint() - 1; return n < 0 ? null : this.bytes(n); }
  tags() { const n = this.uvarint(); for (let i = 0; i < n; i++) { this.uvarint(); this.bytes(this.uvarint()); } }
}

function crc32c(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

interface Header { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null; r: Reader }

function requestHeader(frame: Uint8Array): Header {
  const r = new Reader(Buffer.from(frame));
  expect(r.i32()).toBe(frame.length - 4);
  const apiKey = r.i16(), apiVersion = r.i16(), correlationId = r.i32();
  const clientId = r.str16();
  r.tags();
  return { apiKey, apiVersion, correlationId, clientId, r };
}

async function decodeProduce(frame: Uint8Array) {
  const h = requestHeader(frame);
  expect([h.apiKey, h.apiVersion]).toEqual([0, 9]);
  const r = h.r;
  const transactionalId = r.compactStr();
  const acks = r.i16(), timeoutMs = r.i32();
  const topics = [];
  for (let t = r.uvarint() - 1; t > 0; t--) {
    const name = r.compactStr();
    const partitions = [];
    for (let p = r.uvarint() - 1; p > 0; p--) {
      const index = r.i32();
      const records = r.compactBytes()!;
      r.tags();
      // The batch's CRC32C covers attributes .. end.
      expect(records.readUInt32BE(17)).toBe(crc32c(records.subarray(21)));
      const batch = await decodeRecordBatch(new KafkaDecoder(Buffer.from(records)));
      partitions.push({ index, batch });
    }
    r.tags();
    topics.push({ name, partitions });
  }
  r.tags();
  expect(r.pos).toBe(frame.length);
  return { correlationId: h.correlationId, clientId: h.clientId, transactionalId, acks, timeoutMs, topics };
}

function decodeMetadata(frame: Uint8Array) {
  const h = requestHeader(frame);
  expect([h.apiKey, h.apiVersion]).toEqual([3, 9]);
  const names = [];
  for (let n = h.r.uvarint() - 1; n > 0; n--) { names.push(h.r.compactStr()); h.r.tags(); }
  const allowAutoTopicCreation = h.r.i8() === 1;
  return { correlationId: h.correlationId, names, allowAutoTopicCreation };
}

function produceResponse(correlationId: number, topic: string, partition: number, errorCode = 0, baseOffset = 7n): Uint8Array {
  return produceResponseMulti(correlationId, topic, [[partition, errorCode, baseOffset]]);
}

function produceResponseMulti(correlationId: number, topic: string, parts: [number, number, bigint][]): Uint8Array {
  return responseFrame("Produce", 9, {
    Responses: [{ Name: topic, PartitionResponses: parts.map(([Index, ErrorCode, BaseOffset]) => ({ Index, ErrorCode, BaseOffset, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: ErrorCode ? "boom" : null })) }],
    ThrottleTimeMs: 0,
  }, correlationId);
}

function metadataResponse(correlationId: number, topic: string, partitions: number, errorCode = 0): Uint8Array {
  return responseFrame("Metadata", 9, {
    ThrottleTimeMs: 0,
    Brokers: [{ NodeId: 1, Host: "127.0.0.1", Port: 9092, Rack: null }],
    ClusterId: "c",
    ControllerId: 1,
    Topics: [{
      ErrorCode: errorCode, Name: topic, IsInternal: false, TopicAuthorizedOperations: -2147483648,
      Partitions: Array.from({ length: partitions }, (_, i) => ({ ErrorCode: 0, PartitionIndex: i, LeaderId: 1, LeaderEpoch: 0, ReplicaNodes: [1], IsrNodes: [1], OfflineReplicas: [] })),
    }],
  }, correlationId);
}

const TUNNEL_OK = [[":status", "200"], ["content-type", "application/x-kafka-frame"], ["x-mqmesh-tunnel", "kafka"]] as [string, string][];

function publishStream(host: ProxyHost, path: string, body: string | Uint8Array, headers: [string, string][] = []) {
  const s = host.newHttpStream();
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  s.callOnRequestHeaders([[":method", "POST"], [":path", path], [":authority", "sidecar"], ["content-length", String(bytes.length)], ...headers]);
  if (!s.localResponse) s.callOnRequestBody(bytes, { endOfStream: true });
  return s;
}

function lastCall(host: ProxyHost) {
  expect(host.httpCalls.length).toBeGreaterThan(0);
  return host.httpCalls[host.httpCalls.length - 1];
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

// ---- Kafka REST-style -------------------------------------------------------------

function restStream(host: ProxyHost, path: string, body: unknown, contentType = "application/vnd.kafka.json.v2+json", headers: [string, string][] = []) {
  return publishStream(host, path, typeof body === "string" ? body : JSON.stringify(body), [["content-type", contentType], ...headers]);
}

describe("http-mq-bridge HTTP filter (Kafka REST-style /topics)", () => {
  it("json format: one Produce with a batch per partition; offsets answered in record order", async () => {
    const host = await bridge();
    const partitioner = Partitioners.JavaCompatiblePartitioner();
    const partitionMetadata = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    const records = [
      { key: "alice", value: { n: 1 }, headers: { h1: "v1" } },
      { value: [1, "two"], partition: 3 },
      { key: { id: 7 }, value: null, headers: [{ name: "h2", value: "v2" }] },
      { key: "alice", value: "again" },
    ];
    const s = restStream(host, "/topics/events", { records }, undefined, [["traceparent", traceparent]]);
    const call = lastCall(host);
    const p = await decodeProduce(call.body);
    expect(p.topics[0].name).toBe("events");
    const byPartition = new Map(p.topics[0].partitions.map((x: any) => [x.index, x.batch.records]));
    const alice = partitioner({ topic: "events", partitionMetadata, message: { key: '"alice"', value: "" } });
    const id7 = partitioner({ topic: "events", partitionMetadata, message: { key: '{"id":7}', value: "" } });
    const aliceRecords = byPartition.get(alice) as any[];
    expect(aliceRecords.filter((r) => r.key?.toString() === '"alice"').map((r) => r.value.toString())).toEqual(['{"n":1}', '"again"']);
    expect((byPartition.get(3) as any[]).some((r) => r.key === null && r.value.toString() === '[1,"two"]')).toBe(true);
    const r7 = (byPartition.get(id7) as any[]).find((r) => r.key?.toString() === '{"id":7}');
    expect(r7.value).toBeNull();
    expect(r7.headers.h2.toString()).toBe("v2");
    expect(r7.headers.traceparent.toString()).toBe(traceparent);

    const base = new Map(p.topics[0].partitions.map((x: any, i: number) => [x.index, BigInt(100 * (i + 1))]));
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponseMulti(p.correlationId, "events", [...base].map(([idx, b]) => [idx as number, 0, b as bigint])) });
    expect(s.localResponse?.status).toBe(200);
    const answer = JSON.parse(s.localResponse!.body);
    expect(answer.key_schema_id).toBeNull();
    const expectedOffset = (partition: number, nth: number) => Number(base.get(partition)) + nth;
    expect(answer.offsets).toEqual([
      { partition: alice, offset: expectedOffset(alice, 0), error_code: null, error: null },
      { partition: 3, offset: expectedOffset(3, alice === 3 ? 1 : 0), error_code: null, error: null },
      { partition: id7, offset: expectedOffset(id7, [alice, 3].filter((x) => x === id7).length), error_code: null, error: null },
      { partition: alice, offset: expectedOffset(alice, 1 + (alice === 3 ? 1 : 0) + (alice === id7 ? 1 : 0)), error_code: null, error: null },
    ]);
  });

  it("binary format: base64 keys, values and header values; /partitions/{p} pins the partition", async () => {
    const host = await bridge();
    const key = Buffer.from([0, 1, 2, 255]), value = Buffer.from("binary\u0000value");
    const s = restStream(host, "/topics/bin/partitions/2", { records: [{ key: key.toString("base64"), value: value.toString("base64"), headers: { h: Buffer.from("hv").toString("base64") } }] }, "application/vnd.kafka.binary.v2+json");
    const call = lastCall(host);
    const p = await decodeProduce(call.body);
    const { index, batch } = p.topics[0].partitions[0];
    expect(index).toBe(2);
    expect(Buffer.compare(batch.records[0].key, key)).toBe(0);
    expect(Buffer.compare(batch.records[0].value, value)).toBe(0);
    expect(batch.records[0].headers.h.toString()).toBe("hv");
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "bin", 2, 0, 41n) });
    expect(JSON.parse(s.localResponse!.body).offsets).toEqual([{ partition: 2, offset: 41, error_code: null, error: null }]);
  });

  it("errors name the field; partial failures are per record; a dead tunnel is 503", async () => {
    const host = await bridge();
    const cases: [string, unknown, string | undefined, number, number, RegExp][] = [
      ["/topics/t", { records: [{ value: 1 }, { value: "%%%" }] }, "application/vnd.kafka.binary.v2+json", 400, 400, /^records\[0\]\.value: expected a base64 string/],
      ["/topics/t", { records: [{ value: "x", partition: -1 }] }, undefined, 400, 400, /^records\[0\]\.partition:/],
      ["/topics/t", { records: [{ value: "x", colour: 1 }] }, undefined, 400, 400, /^records\[0\]\.colour: unknown field/],
      ["/topics/t", { records: [{ value: "x", headers: { h: 1 } }] }, undefined, 400, 400, /^records\[0\]\.headers\.h: expected a string/],
      ["/topics/t", { records: [] }, undefined, 400, 400, /^records: must not be empty/],
      ["/topics/t", "{", undefined, 400, 400, /^body: invalid JSON/],
      ["/topics/t", { records: [{ value: 1 }] }, "text/csv", 415, 415, /^content-type:/],
      ["/topics/t", { records: [{ value: 1, partition: 9 }] }, undefined, 404, 40402, /^Partition not found/],
      ["/topics/t/partitions/1", { records: [{ value: 1, partition: 2 }] }, undefined, 400, 400, /differs from the partition in the path/],
      ["/topics/bad%20name", { records: [{ value: 1 }] }, undefined, 400, 400, /^topic:/],
    ];
    for (const [path, body, ct, status, code, message] of cases) {
      const s = restStream(host, path, body, ct);
      expect(s.localResponse?.status, path + " " + JSON.stringify(body)).toBe(status);
      const parsed = JSON.parse(s.localResponse!.body);
      expect(parsed.error_code).toBe(code);
      expect(parsed.message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);

    // Partition 0 fails with a retriable error, partition 1 succeeds.
    let s = restStream(host, "/topics/t", { records: [{ value: "a", partition: 0 }, { value: "b", partition: 1 }] });
    let call = lastCall(host);
    let corr = requestHeader(call.body).correlationId;
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponseMulti(corr, "t", [[0, 6, -1n], [1, 0, 5n]]) });
    expect(s.localResponse?.status).toBe(200);
    const offsets = JSON.parse(s.localResponse!.body).offsets;
    expect(offsets[0]).toMatchObject({ partition: 0, offset: null, error_code: 50003 });
    expect(offsets[0].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);
    expect(offsets[1]).toEqual({ partition: 1, offset: 5, error_code: null, error: null });

    // Every record failed: the request fails.
    s = restStream(host, "/topics/t", { records: [{ value: "a", partition: 0 }] });
    call = lastCall(host);
    corr = requestHeader(call.body).correlationId;
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(corr, "t", 0, 19) });
    expect(s.localResponse?.status).toBe(503);

    s = restStream(host, "/topics/t", { records: [{ value: "a" }] });
    host.failHttpCall(lastCall(host).token);
    expect(s.localResponse?.status).toBe(503);
    expect(Object.fromEntries(s.localResponse!.headers)["retry-after"]).toBe("1");
    expect(JSON.parse(s.localResponse!.body).error_code).toBe(50301);
  });

  it("never traps on fuzzed REST bodies", async () => {
    const host = await bridge();
    const jsonish = fc.oneof(fc.string({ maxLength: 200 }), fc.json().map((j) => `{"records":[${j}]}`), fc.json().map((j) => `{"records":${j}}`));
    await fc.assert(
      fc.asyncProperty(jsonish, fc.constantFrom("application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json"), fc.uint8Array({ maxLength: 100 }), async (body, ct, answer) => {
        const s = restStream(host, "/topics/fz", body, ct);
        while (!s.localResponse && host.httpCalls.length > 0) host.respondToHttpCall(host.httpCalls[host.httpCalls.length - 1].token, { headers: TUNNEL_OK, body: answer });
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
