// http-mq-bridge through the host emulator: the tunnel's framing under any
// split, the HTTP stream -> the Kafka request it sends (decoded here by an
// independent reader, record batches by kafkajs' own decoder, CRC32C checked
// by a table-free implementation), broker answers -> the HTTP answer, and
// fuzzed input that must never trap.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { responseFrame } from "../../test/kafka/wire.ts";
import { TUNNEL_OK, decodeMetadata, decodeProduce, lastCall, metadataResponse, produceResponse, produceResponseMulti, publishStream, requestHeader } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
}, 180_000);

const CONFIG = {
  pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" }, fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 4 } },
  appId: "unit", maxBodyBytes: 4096, rest: { pubsub: "fixed" },
  // The request/answer tests below see one Produce per publish and no
  // retries; idempotence and coalescing have their own tests.
  idempotent: false,
};

async function bridge(config: unknown = CONFIG): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config), clusters: ["kafka_tunnel"] });
}

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

// ---- CloudEvents over HTTP and Dapr bulk publish ----------------------------------

const headersText = (rec: any) => Object.fromEntries(Object.entries(rec.headers).map(([k, v]) => [k, (v as Buffer).toString()]));
const FIXED_PARTITIONS = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

async function produced(host: ProxyHost) {
  const call = lastCall(host);
  const p = await decodeProduce(call.body);
  return { call, p, records: p.topics[0].partitions.flatMap((x: any) => x.batch.records.map((r: any) => ({ ...r, partition: x.index }))) };
}

function ackAll(host: ProxyHost, call: any, p: any, failPartition = -1) {
  host.respondToHttpCall(call.token, {
    headers: TUNNEL_OK,
    body: produceResponseMulti(p.correlationId, p.topics[0].name, p.topics[0].partitions.map((x: any) => [x.index, x.index === failPartition ? 6 : 0, 10n] as [number, number, bigint])),
  });
}

describe("http-mq-bridge HTTP filter (CloudEvents /v1.0/cloudevents)", () => {
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  it("binary mode: ce-* headers become ce_ record headers, Content-Type the content-type header, the body the value, partitionkey the key", async () => {
    const host = await bridge();
    const body = Buffer.from([0, 1, 2, 0xff, 0x41]);
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [
      ["ce-specversion", "1.0"], ["ce-id", "e-1"], ["ce-source", "/shop/a%20b"], ["ce-type", "com.example.order"],
      ["ce-time", "2026-11-22T13:00:00Z"], ["ce-partitionkey", "alice"], ["content-type", "application/octet-stream"], ["traceparent", traceparent],
    ]);
    const { call, p, records } = await produced(host);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(Buffer.compare(r.value, body)).toBe(0);
    expect(r.key.toString()).toBe("alice");
    expect(r.partition).toBe(Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: "alice", value: "" } }));
    expect(headersText(r)).toEqual({
      ce_specversion: "1.0", ce_id: "e-1", ce_source: "/shop/a b", ce_type: "com.example.order", ce_time: "2026-11-22T13:00:00Z",
      ce_partitionkey: "alice", "content-type": "application/octet-stream", traceparent,
    });
    expect(s.localResponse).toBeUndefined();
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);
  });

  it("structured mode: attributes to ce_ headers, JSON data as its text, data_base64 decoded, the traceparent extension as the record's traceparent", async () => {
    const host = await bridge();
    const event = { specversion: "1.0", id: "s-1", source: "urn:x", type: "t.created", subject: "sub", datacontenttype: "application/json", data: { n: 1, s: "é" }, traceparent, count: 3 };
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders?metadata.tenant=acme", JSON.stringify(event), [["content-type", "application/cloudevents+json; charset=utf-8"]]);
    let { call, p, records } = await produced(host);
    expect(records[0].key).toBeNull();
    expect(records[0].value.toString()).toBe('{"n":1,"s":"é"}');
    expect(headersText(records[0])).toEqual({
      ce_specversion: "1.0", ce_id: "s-1", ce_source: "urn:x", ce_type: "t.created", ce_subject: "sub", ce_traceparent: traceparent, ce_count: "3",
      "content-type": "application/json", tenant: "acme", traceparent,
    });
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);

    const b64 = { specversion: "1.0", id: "s-2", source: "urn:x", type: "t", datacontenttype: "image/png", data_base64: Buffer.from([9, 8, 7]).toString("base64") };
    publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(b64), [["content-type", "application/cloudevents+json"]]);
    ({ records } = await produced(host));
    expect([...records[0].value]).toEqual([9, 8, 7]);
    expect(headersText(records[0])["content-type"]).toBe("image/png");
    const text = { specversion: "1.0", id: "s-3", source: "urn:x", type: "t", datacontenttype: "text/plain", data: "hello" };
    publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(text), [["content-type", "application/cloudevents+json"]]);
    ({ records } = await produced(host));
    expect(records[0].value.toString()).toBe("hello");
  });

  it("batch mode: one Produce for all events, results per event in order with partition and offset or the error", async () => {
    const host = await bridge();
    const events = ["a", "b", "c"].map((k, i) => ({ specversion: "1.0", id: `b-${i}`, source: "urn:x", type: "t", partitionkey: k, data: { i } }));
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const { call, p, records } = await produced(host);
    expect(records.map((r: any) => r.value.toString()).sort()).toEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
    const partitionOf = (k: string) => Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: k, value: "" } });
    const failing = partitionOf("b");
    ackAll(host, call, p, failing);
    expect(s.localResponse?.status).toBe(200);
    const results = JSON.parse(s.localResponse!.body).results;
    expect(results.map((r: any) => [r.id, r.partition])).toEqual([["b-0", partitionOf("a")], ["b-1", failing], ["b-2", partitionOf("c")]]);
    expect(results[1]).toMatchObject({ status: 503 });
    expect(results[1].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);
    for (const i of [0, 2]) if (partitionOf(["a", "b", "c"][i]) !== failing) expect(typeof results[i].offset).toBe("number");
  });

  it("400 naming the missing or invalid attribute, without calling the broker", async () => {
    const host = await bridge();
    const ok = { specversion: "1.0", id: "x", source: "s", type: "t" };
    const cases: [string, [string, string][], string, RegExp][] = [
      ["binary", [["ce-specversion", "1.0"], ["ce-source", "s"], ["ce-type", "t"]], "", /^id: /],
      ["binary", [["ce-id", "1"], ["ce-source", "s"], ["ce-type", "t"]], "", /^specversion: /],
      ["binary", [["ce-specversion", "0.3"], ["ce-id", "1"], ["ce-source", "s"], ["ce-type", "t"]], "", /^specversion: only 1.0/],
      ["binary", [["ce-specversion", "1.0"], ["ce-id", "1"], ["ce-type", "t"]], "", /^source: /],
      ["binary", [["ce-specversion", "1.0"], ["ce-id", "1"], ["ce-source", "s"]], "", /^type: /],
      ["structured", [], JSON.stringify({ ...ok, type: undefined }), /^type: /],
      ["structured", [], JSON.stringify({ ...ok, id: "" }), /^id: /],
      ["structured", [], JSON.stringify({ ...ok, data: 1, data_base64: "AA==" }), /^data_base64: /],
      ["structured", [], JSON.stringify({ ...ok, data_base64: "!!" }), /^data_base64: invalid base64/],
      ["structured", [], "{", /^body: invalid JSON/],
      ["batch", [], JSON.stringify([ok, { ...ok, source: undefined }]), /^\[1\]\.source: /],
      ["batch", [], JSON.stringify(ok), /^body: expected a JSON array/],
    ];
    for (const [mode, headers, body, message] of cases) {
      const ct = mode === "structured" ? "application/cloudevents+json" : mode === "batch" ? "application/cloudevents-batch+json" : "text/plain";
      const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [["content-type", ct], ...headers]);
      expect(s.localResponse?.status, `${mode} ${body}`).toBe(400);
      const e = JSON.parse(s.localResponse!.body);
      expect(e.errorCode).toBe("ERR_MALFORMED_REQUEST");
      expect(e.message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);
    expect(publishStream(host, "/v1.0/cloudevents/nope/orders", "{}", [["content-type", "application/cloudevents+json"]]).localResponse?.status).toBe(404);
  });

  it("never traps on fuzzed CloudEvents and bulk bodies", async () => {
    const host = await bridge();
    const attr = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
    const event = fc.record({ specversion: fc.constantFrom("1.0", "0.3", 1), id: attr, source: attr, type: attr, data: fc.jsonValue({ maxDepth: 2 }), data_base64: attr, partitionkey: attr, datacontenttype: attr }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("cloudevents", "publish/bulk"), fc.oneof(event, fc.array(event, { maxLength: 3 }), fc.array(fc.record({ entryId: attr, event: fc.jsonValue({ maxDepth: 2 }), contentType: attr, metadata: fc.oneof(attr, fc.dictionary(fc.string({ maxLength: 5 }), attr)) }, { requiredKeys: [] }), { maxLength: 3 })),
        fc.constantFrom("application/cloudevents+json", "application/cloudevents-batch+json", "text/plain", "application/json"), fc.boolean(),
        async (api, body, ct, ceHeaders) => {
          const path = api === "cloudevents" ? "/v1.0/cloudevents/fixed/t" : "/v1.0-alpha1/publish/bulk/fixed/t";
          const s = publishStream(host, path, JSON.stringify(body), [["content-type", ct], ...(ceHeaders ? [["ce-id", "%zz"], ["ce-specversion", "1.0"], ["ce-Bad_Name", "x"]] as [string, string][] : [])]);
          while (!s.localResponse && host.httpCalls.length > 0) {
            const call = host.httpCalls[host.httpCalls.length - 1];
            const p = await decodeProduce(call.body);
            ackAll(host, call, p);
          }
          expect(host.failed).toBeUndefined();
          expect(s.localResponse).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("http-mq-bridge HTTP filter (Dapr bulk publish)", () => {
  it("one record per entry, wrapped as Dapr does, entry metadata as headers and partitionKey as key; 204 after the ack", async () => {
    const host = await bridge();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const entries = [
      { entryId: "1", event: "first", contentType: "text/plain" },
      { entryId: "2", event: { n: 2 }, contentType: "application/json", metadata: { partitionKey: "k2", tenant: "acme" } },
      { entryId: "3", event: { specversion: "1.0", id: "own", source: "me", type: "mine", data: 3 }, contentType: "application/cloudevents+json" },
    ];
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders?metadata.shared=yes", JSON.stringify(entries), [["content-type", "application/json"], ["traceparent", traceparent]]);
    const { call, p, records } = await produced(host);
    const byId = (id: string) => records.find((r: any) => [JSON.parse(r.value.toString())].some((ce) => (id === "1" && ce.data === "first") || (id === "2" && ce.data?.n === 2) || (id === "3" && ce.id === "own")));
    expect(JSON.parse(byId("1").value.toString())).toMatchObject({ specversion: "1.0", type: "com.dapr.event.sent", source: "unit", datacontenttype: "text/plain", data: "first", topic: "orders", pubsubname: "fixed", traceparent });
    expect(JSON.parse(byId("2").value.toString())).toMatchObject({ datacontenttype: "application/json", data: { n: 2 } });
    expect(byId("2").key.toString()).toBe("k2");
    expect(headersText(byId("2"))).toEqual({ shared: "yes", tenant: "acme", traceparent });
    expect(JSON.parse(byId("3").value.toString())).toMatchObject({ id: "own", source: "me", type: "mine", data: 3, topic: "orders", pubsubname: "fixed" });
    expect(s.localResponse).toBeUndefined();
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);
  });

  it("per-entry failures: 500 with failedEntries naming the entries of the failed partition; rawPayload sends events unwrapped", async () => {
    const host = await bridge();
    const entries = ["a", "b", "c", "d"].map((k) => ({ entryId: `e-${k}`, event: `v-${k}`, metadata: { partitionKey: k } }));
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders?metadata.rawPayload=true", JSON.stringify(entries));
    const { call, p, records } = await produced(host);
    expect(records.map((r: any) => r.value.toString()).sort()).toEqual(["v-a", "v-b", "v-c", "v-d"]);
    const partitionOf = (k: string) => Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: k, value: "" } });
    const failing = partitionOf("a");
    ackAll(host, call, p, failing);
    expect(s.localResponse?.status).toBe(500);
    const body = JSON.parse(s.localResponse!.body);
    expect(body.errorCode).toBe("ERR_PUBSUB_PUBLISH_MESSAGE");
    expect(body.failedEntries.map((e: any) => e.entryId)).toEqual(["a", "b", "c", "d"].filter((k) => partitionOf(k) === failing).map((k) => `e-${k}`));
    expect(body.failedEntries[0].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);

    // The tunnel down: every entry failed, 503 with Retry-After.
    const t = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify(entries));
    host.respondToHttpCall(lastCall(host).token, { headers: [[":status", "503"]], body: new Uint8Array(0) });
    expect(t.localResponse?.status).toBe(503);
    expect(JSON.parse(t.localResponse!.body).failedEntries).toHaveLength(4);
  });

  it("400 naming the entry field", async () => {
    const host = await bridge();
    const cases: [unknown, RegExp][] = [
      [[{ event: "x" }], /^entries\[0\]\.entryId: /],
      [[{ entryId: "1", event: "x" }, { entryId: "1", event: "y" }], /^entries\[1\]\.entryId: "1" is not unique/],
      [[{ entryId: "1" }], /^entries\[0\]\.event: required/],
      [[{ entryId: "1", event: "x", metadata: { a: 1 } }], /^entries\[0\]\.metadata\.a: /],
      [[{ entryId: "1", event: "x", contentType: 7 }], /^entries\[0\]\.contentType: /],
      [[], /^body: no entries/],
      [{ a: 1 }, /^body: expected a JSON array/],
    ];
    for (const [body, message] of cases) {
      const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify(body));
      expect(s.localResponse?.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(s.localResponse!.body).message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);
  });
});

// ---- routing rules ------------------------------------------------------------------

const ROUTES = [
  { pattern: { type: ["order.created"] }, topic: "eq" },
  { pattern: { type: [{ prefix: "audit." }] }, topic: "prefix" },
  { pattern: { source: [{ suffix: "/eu" }] }, topic: "suffix" },
  { pattern: { type: ["num"], data: { amount: [{ numeric: [">", 0, "<=", 5] }] } }, topic: "numeric" },
  { pattern: { type: ["ab"], data: { region: [{ "anything-but": ["us", "eu"] }] } }, topic: "anything-but" },
  { pattern: { type: ["ip"], data: { ip: [{ cidr: "10.0.0.0/8" }] } }, topic: "cidr" },
  { pattern: { type: ["ip6"], clientip: [{ cidr: "2001:db8::/32" }] }, topic: "cidr6" },
  { pattern: { type: ["ex"], subject: [{ exists: false }] }, topic: "no-subject" },
  { pattern: { priority: [{ numeric: [">=", 5] }] }, topic: "urgent" },
  { pattern: { data: { tags: ["vip"] } }, topic: "vip" },
  { pattern: { type: ["order.created", "other"] }, topic: "later" },
  { pattern: { pubsubname: ["fixed"], data: { kind: ["refund"] } }, topic: "refunds" },
  { pattern: { pubsubname: [{ exists: false }], data: { kind: ["refund"] } }, topic: "raw-refunds" },
  { pattern: { data: [{ prefix: "urgent:" }] }, topic: "text" },
];
const ROUTED = { ...CONFIG, pubsubs: { ...CONFIG.pubsubs, fixed: { ...CONFIG.pubsubs.fixed, routes: ROUTES }, kafka: { ...CONFIG.pubsubs.kafka, routes: [{ pattern: { type: ["a"] }, topic: "a" }] } } };

// Every record of the last Produce with its topic.
async function routed(host: ProxyHost) {
  const call = lastCall(host);
  const p = await decodeProduce(call.body);
  const records = p.topics.flatMap((t: any) => t.partitions.flatMap((x: any) => x.batch.records.map((r: any) => ({ ...r, topic: t.name, partition: x.index }))));
  return { call, p, records };
}

function ackTopics(host: ProxyHost, call: any, p: any, failPartition = -1) {
  host.respondToHttpCall(call.token, {
    headers: TUNNEL_OK,
    body: responseFrame("Produce", 9, {
      Responses: p.topics.map((t: any) => ({
        Name: t.name,
        PartitionResponses: t.partitions.map((x: any) => ({ Index: x.index, ErrorCode: x.index === failPartition ? 6 : 0, BaseOffset: 10n, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: null })),
      })),
      ThrottleTimeMs: 0,
    }, p.correlationId),
  });
}

describe("http-mq-bridge routing rules", () => {
  const ce = (i: number, e: Record<string, unknown>) => ({ specversion: "1.0", id: `e${i}`, source: "urn:x", type: "t", ...e });

  it("each operator sends a batch's events to their rule's topic; no match keeps the path's topic; the first matching rule wins", async () => {
    const host = await bridge(ROUTED);
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "order.created" }, "eq"], [{ type: "order.created.v2" }, "orders"], [{ type: "other" }, "later"],
      [{ type: "audit.login" }, "prefix"], [{ type: "audit" }, "orders"],
      [{ source: "/shop/eu" }, "suffix"], [{ source: "/shop/eu2" }, "orders"],
      [{ type: "num", data: { amount: 5 } }, "numeric"], [{ type: "num", data: { amount: 0 } }, "orders"],
      [{ type: "num", data: { amount: 0.0001 } }, "numeric"], [{ type: "num", data: { amount: 5.000001 } }, "orders"],
      [{ type: "num", data: { amount: "3" } }, "numeric"], [{ type: "num", data: { amount: -1 } }, "orders"],
      [{ type: "num", data: { amount: true } }, "orders"], [{ type: "num", data: {} }, "orders"],
      [{ type: "ab", data: { region: "ap" } }, "anything-but"], [{ type: "ab", data: { region: "us" } }, "orders"],
      [{ type: "ab", data: { region: "eu" } }, "orders"], [{ type: "ab", data: {} }, "orders"],
      [{ type: "ip", data: { ip: "10.0.0.0" } }, "cidr"], [{ type: "ip", data: { ip: "10.255.255.255" } }, "cidr"],
      [{ type: "ip", data: { ip: "9.255.255.255" } }, "orders"], [{ type: "ip", data: { ip: "11.0.0.0" } }, "orders"],
      [{ type: "ip", data: { ip: "10.0.0" } }, "orders"], [{ type: "ip", data: { ip: "010.0.0.1" } }, "orders"],
      [{ type: "ip6", clientip: "2001:db8::1" }, "cidr6"], [{ type: "ip6", clientip: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff" }, "cidr6"],
      [{ type: "ip6", clientip: "2001:db9::" }, "orders"], [{ type: "ip6", clientip: "::ffff:10.0.0.1" }, "orders"],
      [{ type: "ex" }, "no-subject"], [{ type: "ex", subject: "s" }, "orders"],
      [{ priority: 7 }, "urgent"], [{ priority: 5 }, "urgent"], [{ priority: 4 }, "orders"],
      [{ data: { tags: ["a", "vip"] } }, "vip"], [{ data: { tags: ["a"] } }, "orders"],
      [{ datacontenttype: "text/plain", data: "urgent: disk full" }, "text"], [{ datacontenttype: "text/plain", data: "fyi: urgent:" }, "orders"],
    ];
    const events = cases.map(([e], i) => ce(i, e));
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const { call, p, records } = await routed(host);
    const topicOf = Object.fromEntries(records.map((r: any) => [headersText(r).ce_id, r.topic]));
    expect(cases.map(([e], i) => [e, topicOf[`e${i}`]])).toEqual(cases.map(([e, t]) => [e, t]));
    // One Produce, each topic once, its records in batches per partition.
    expect(p.topics.map((t: any) => t.name)).toEqual([...new Set(cases.map(([, t]) => t))]);
    ackTopics(host, call, p);
    expect(s.localResponse?.status).toBe(200);
    const results = JSON.parse(s.localResponse!.body).results;
    expect(results.map((r: any) => r.id)).toEqual(events.map((e) => e.id));
    for (const r of results) expect(typeof r.offset).toBe("number");
  });

  it("binary and structured modes route on the same attributes; Dapr routes on its envelope; rawPayload on the data alone; bulk per entry", async () => {
    const host = await bridge(ROUTED);
    const binary = (headers: [string, string][], body = "x") =>
      publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [["ce-specversion", "1.0"], ["ce-id", "b"], ["ce-source", "urn:x"], ...headers]);
    const cases: [() => unknown, string[]][] = [
      [() => binary([["ce-type", "order.created"]]), ["eq"]],
      [() => binary([["ce-type", "t"], ["ce-priority", "9"]]), ["urgent"]],
      [() => binary([["ce-type", "ex"], ["ce-subject", "s"]]), ["orders"]],
      [() => binary([["ce-type", "t"], ["content-type", "application/json"]], '{"tags":["vip"]}'), ["vip"]],
      [() => binary([["ce-type", "t"], ["content-type", "text/plain"]], '{"tags":["vip"]}'), ["orders"]],
      [() => publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(ce(1, { type: "audit.x" })), [["content-type", "application/cloudevents+json"]]), ["prefix"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", '{"kind":"refund"}', [["content-type", "application/json"]]), ["refunds"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", '{"kind":"sale"}', [["content-type", "application/json"]]), ["orders"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders?metadata.rawPayload=true", '{"kind":"refund"}'), ["raw-refunds"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders?metadata.rawPayload=true", "urgent: now"), ["text"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", "urgent: wrapped", [["content-type", "text/plain"]]), ["text"]],
      [() => publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([
        { entryId: "1", event: { kind: "refund" } }, { entryId: "2", event: "hello" }, { entryId: "3", event: ce(3, { type: "order.created" }) },
      ])), ["refunds", "orders", "eq"]],
    ];
    for (const [send, topics] of cases) {
      const s = send() as any;
      const { call, p, records } = await routed(host);
      expect(records.map((r: any) => r.topic).sort(), String(send)).toEqual([...topics].sort());
      ackTopics(host, call, p);
      expect(s.localResponse?.status).toBe(204);
    }
    // REST records name Kafka partitions of the path's topic: never routed.
    restStream(host, "/topics/orders", { records: [{ value: { kind: "refund" } }] });
    expect((await routed(host)).records.map((r: any) => r.topic)).toEqual(["orders"]);
  });

  it("asks Metadata for every routed topic at once, then produces to all of them in one request", async () => {
    const host = await bridge(ROUTED);
    const events = [ce(0, { type: "a" }), ce(1, { type: "b" }), ce(2, { type: "a" })];
    const s = publishStream(host, "/v1.0/cloudevents/kafka/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const meta = lastCall(host);
    const m = decodeMetadata(meta.body);
    expect(m.names).toEqual(["a", "orders"]);
    const topic = (name: string, partitions: number) => ({
      ErrorCode: 0, Name: name, IsInternal: false, TopicAuthorizedOperations: -2147483648,
      Partitions: Array.from({ length: partitions }, (_, i) => ({ ErrorCode: 0, PartitionIndex: i, LeaderId: 1, LeaderEpoch: 0, ReplicaNodes: [1], IsrNodes: [1], OfflineReplicas: [] })),
    });
    host.respondToHttpCall(meta.token, {
      headers: TUNNEL_OK,
      body: responseFrame("Metadata", 9, { ThrottleTimeMs: 0, Brokers: [{ NodeId: 1, Host: "h", Port: 9092, Rack: null }], ClusterId: "c", ControllerId: 1, Topics: [topic("orders", 1), topic("a", 1)] }, m.correlationId),
    });
    const { call, p, records } = await routed(host);
    expect(records.map((r: any) => [headersText(r).ce_id, r.topic, r.partition])).toEqual([["e0", "a", 0], ["e2", "a", 0], ["e1", "orders", 0]]);
    ackTopics(host, call, p);
    expect(JSON.parse(s.localResponse!.body).results.map((r: any) => [r.id, r.offset])).toEqual([["e0", 10], ["e1", 10], ["e2", 11]]);

    // One topic settled, one still without a leader: only the second is asked again on the tick,
    // and the Produce uses both counts.
    const cold = await bridge(ROUTED);
    const u = publishStream(cold, "/v1.0/cloudevents/kafka/fresh", JSON.stringify([ce(0, { type: "a" }), ce(1, { type: "b" })]), [["content-type", "application/cloudevents-batch+json"]]);
    let call2 = lastCall(cold);
    const m3 = decodeMetadata(call2.body);
    expect(m3.names).toEqual(["a", "fresh"]);
    cold.respondToHttpCall(call2.token, {
      headers: TUNNEL_OK,
      body: responseFrame("Metadata", 9, { ThrottleTimeMs: 0, Brokers: [{ NodeId: 1, Host: "h", Port: 9092, Rack: null }], ClusterId: "c", ControllerId: 1, Topics: [topic("a", 2), { ...topic("fresh", 0), ErrorCode: 5 }] }, m3.correlationId),
    });
    expect(u.localResponse).toBeUndefined();
    cold.tick();
    call2 = lastCall(cold);
    const m4 = decodeMetadata(call2.body);
    expect(m4.names).toEqual(["fresh"]);
    cold.respondToHttpCall(call2.token, { headers: TUNNEL_OK, body: metadataResponse(m4.correlationId, "fresh", 3) });
    const after = await routed(cold);
    expect(after.records.map((r: any) => r.topic).sort()).toEqual(["a", "fresh"]);
    ackTopics(cold, after.call, after.p);
    expect(u.localResponse?.status).toBe(200);

    // A routed topic that does not exist (no auto-creation) fails the request like an unknown path topic.
    const strict = await bridge({ ...ROUTED, rest: undefined, pubsubs: { kafka: { ...ROUTED.pubsubs.kafka, allowAutoTopicCreation: false } } });
    const t = publishStream(strict, "/v1.0/cloudevents/kafka/orders", JSON.stringify(ce(0, { type: "a" })), [["content-type", "application/cloudevents+json"]]);
    const m2 = decodeMetadata(lastCall(strict).body);
    expect(m2.names).toEqual(["a"]);
    strict.respondToHttpCall(lastCall(strict).token, { headers: TUNNEL_OK, body: metadataResponse(m2.correlationId, "a", 0, 3) });
    expect(t.localResponse?.status).toBe(404);
    expect(JSON.parse(t.localResponse!.body).message).toMatch(/metadata of a: .*UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it("rejects invalid rules naming the field", async () => {
    const base = (routes: unknown) => ({ pubsubs: { k: { type: "kafka", cluster: "c", routes } } });
    const cases: [unknown, string][] = [
      [[{ pattern: { type: [{ numeric: [">", "x"] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].numeric[1]: expected a number"],
      [[{ pattern: {}, topic: "t" }, { pattern: { data: { n: [{ numeric: [">", 5, "<", 1] }] } }, topic: "t" }], "pubsubs.k.routes[1].pattern.data.n[0].numeric: the lower bound 5 is above the upper bound 1"],
      [[{ pattern: { n: [{ numeric: ["<", 1, ">", 0] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.n[0].numeric: with two comparisons"],
      [[{ pattern: { n: [{ numeric: [">"] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.n[0].numeric: expected [op, number]"],
      [[{ pattern: { ip: [{ cidr: "10.0.0.0/33" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: the prefix length must be 0..32"],
      [[{ pattern: { ip: [{ cidr: "10.0.0/8" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: expected \"address/prefix-length\""],
      [[{ pattern: { ip: [{ cidr: "2001:db8::/129" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: the prefix length must be 0..128"],
      [[{ pattern: { type: [{ wildcard: "x" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: unknown operator \"wildcard\""],
      [[{ pattern: { type: [{ prefix: "a", suffix: "b" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: expected exactly one operator"],
      [[{ pattern: { type: [] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type: expected at least one condition"],
      [[{ pattern: { type: "x" }, topic: "t" }], "pubsubs.k.routes[0].pattern.type: expected an array of conditions"],
      [[{ pattern: { type: [["x"]] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: expected a literal"],
      [[{ pattern: { type: [{ "anything-but": { prefix: 1 } }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].anything-but.prefix: expected a string"],
      [[{ pattern: { type: [{ "anything-but": [] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].anything-but: expected at least one value"],
      [[{ pattern: { type: [{ exists: "yes" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].exists: expected true or false"],
      [[{ pattern: { type: [{ prefix: 3 }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].prefix: expected a string"],
      [[{ pattern: [], topic: "t" }], "pubsubs.k.routes[0].pattern: expected an object"],
      [[{ pattern: {}, topic: "bad topic" }], "pubsubs.k.routes[0].topic: Kafka topic names use only"],
      [[{ pattern: {} }], "pubsubs.k.routes[0].topic: missing required field"],
      [[{ topic: "t" }], "pubsubs.k.routes[0].pattern: missing required field"],
      [[{ pattern: {}, topic: "t", pubsub: "x" }], "pubsubs.k.routes[0]: unknown field \"pubsub\""],
      [{}, "pubsubs.k.routes: expected array"],
    ];
    for (const [routes, message] of cases) {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(base(routes)) });
      host.startVm();
      expect(host.configure(), JSON.stringify(routes)).toBe(false);
      expect(host.logText()).toContain(message);
    }
    for (const config of [JSON.stringify(ROUTED), readFileSync(new URL("./routes.example.json", import.meta.url), "utf8")]) {
      const ok = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: config });
      ok.startVm();
      expect(ok.configure(), ok.logText()).toBe(true);
    }
  });

  it("numeric bounds and IPv4 CIDR networks route as a reference computes them, on random values", async () => {
    const double = fc.double({ noNaN: true, noDefaultInfinity: true });
    const ip = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    const toInt = (a: number[]) => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    await fc.assert(
      fc.asyncProperty(double, double, fc.boolean(), fc.boolean(), fc.array(double, { maxLength: 8 }), ip, fc.integer({ min: 0, max: 32 }), fc.array(ip, { maxLength: 8 }),
        async (a, b, loIncl, hiIncl, xs, net, bits, addrs) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const routes = [
            { pattern: { data: { x: [{ numeric: [loIncl ? ">=" : ">", lo, hiIncl ? "<=" : "<", hi] }] } }, topic: "in" },
            { pattern: { data: { ip: [{ cidr: `${net.join(".")}/${bits}` }] } }, topic: "net" },
          ];
          const host = await bridge({ pubsubs: { fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 1, routes } }, idempotent: false });
          // The bounds themselves and the network's neighbours are the edges that matter.
          const near = [net, [net[0], net[1], net[2], net[3] ^ 1], [net[0] ^ 128, net[1], net[2], net[3]], [net[0], net[1], net[2] ^ 1, net[3]]];
          const events = [...[...xs, lo, hi].map((x) => ({ x })), ...[...addrs, ...near].map((ad) => ({ ip: ad.join(".") }))].map((data, i) => ({ specversion: "1.0", id: `p${i}`, source: "s", type: "t", data }));
          publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
          const { records } = await routed(host);
          const got = Object.fromEntries(records.map((r: any) => [headersText(r).ce_id, r.topic]));
          const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
          const expected = events.map((e, i) => {
            const d = e.data as { x?: number; ip?: string };
            if (d.x !== undefined) return (loIncl ? d.x >= lo : d.x > lo) && (hiIncl ? d.x <= hi : d.x < hi) ? "in" : "orders";
            return ((toInt(d.ip!.split(".").map(Number)) & mask) >>> 0) === ((toInt(net) & mask) >>> 0) ? "net" : "orders";
          });
          expect(events.map((e) => got[e.id])).toEqual(expected);
        }),
      { numRuns: 150 },
    );
  });

  it("never traps: arbitrary JSON data and attributes against every operator, and arbitrary JSON as a pattern", async () => {
    const host = await bridge(ROUTED);
    const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("10.1.2.3", "2001:db8::1", "::", "1.5", "-0", "1e400", "5"), fc.double(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom("type", "subject", "priority", "clientip", "region"), scalar), async (data, attrs) => {
        const event = { specversion: "1.0", id: "f", source: "urn:x", type: "t", ...attrs, data };
        const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(event), [["content-type", "application/cloudevents+json"]]);
        expect(host.failed).toBeUndefined();
        if (!s.localResponse) {
          const { call, p } = await routed(host);
          ackTopics(host, call, p);
        }
        expect(host.failed).toBeUndefined();
        expect([204, 400]).toContain(s.localResponse?.status);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (pattern) => {
        const h = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify({ pubsubs: { k: { type: "kafka", cluster: "c", routes: [{ pattern, topic: "t" }] } } }) });
        h.startVm();
        expect(typeof h.configure()).toBe("boolean");
        expect(h.failed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});

// ---- metrics -------------------------------------------------------------------------

describe("http-mq-bridge metrics", () => {
  const requests = (api: string, pubsub: string, status: number) => `mqmesh_bridge_requests_total;api=${api};pubsub=${pubsub};status=${status}`;
  const records = (pubsub: string, topic: string, result: string) => `mqmesh_bridge_records_total;pubsub=${pubsub};topic=${topic};result=${result}`;
  const brokerErrors = (pubsub: string, code: string) => `mqmesh_bridge_broker_errors_total;pubsub=${pubsub};code=${code}`;
  const latency = (api: string) => `mqmesh_bridge_publish_duration_milliseconds;api=${api}`;

  it("counts answers per api, pubsub and status; records per topic and result; publish latency from the end of the body to the answer", async () => {
    const host = await bridge(ROUTED);
    const s = publishStream(host, "/v1.0/publish/kafka/orders", '{"n":1}', [["content-type", "application/json"]]);
    host.advanceTime(7);
    const meta = lastCall(host);
    host.respondToHttpCall(meta.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(meta.body).correlationId, "orders", 2) });
    host.advanceTime(30);
    const { call, p } = await routed(host);
    ackTopics(host, call, p);
    expect(s.localResponse?.status).toBe(204);
    expect(host.getCounter(requests("dapr", "kafka", 204))).toBe(1);
    expect(host.getCounter(records("kafka", "orders", "stored"))).toBe(1);
    expect(host.getHistogram(latency("dapr"))).toEqual([37]);

    // A batch routed to two topics with one failed partition: records per topic and result, the Kafka error by name.
    const events = [0, 1, 2, 3].map((i) => ({ specversion: "1.0", id: `m${i}`, source: "s", type: i % 2 ? "order.created" : "t", partitionkey: `k${i}` }));
    const b = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const batch = await routed(host);
    const failing = batch.records.find((r: any) => r.topic === "eq")!.partition;
    ackTopics(host, batch.call, batch.p, failing);
    expect(b.localResponse?.status).toBe(200);
    const stored = (topic: string) => batch.records.filter((r: any) => r.topic === topic && r.partition !== failing).length;
    const failed = (topic: string) => batch.records.filter((r: any) => r.topic === topic && r.partition === failing).length;
    for (const topic of ["eq", "orders"]) {
      expect(host.getCounter(records("fixed", topic, "stored"), 0), topic).toBe(stored(topic));
      expect(host.getCounter(records("fixed", topic, "failed"), 0), topic).toBe(failed(topic));
    }
    // Per failed partition answer: one per topic with a batch on the failing partition.
    expect(host.getCounter(brokerErrors("fixed", "NOT_LEADER_OR_FOLLOWER"))).toBe(batch.p.topics.filter((t: any) => t.partitions.some((x: any) => x.index === failing)).length);
    expect(host.getCounter(requests("cloudevents", "fixed", 200))).toBe(1);
    expect(host.getHistogram(latency("cloudevents"))).toEqual([0]);
  });

  it("broker errors by cause; requests that never reached the broker have no latency; unknown pubsubs share one label", async () => {
    const host = await bridge(ROUTED);
    const dead = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b" }]));
    host.respondToHttpCall(lastCall(host).token, { headers: [[":status", "503"]] });
    expect(dead.localResponse?.status).toBe(503);
    const timeout = publishStream(host, "/topics/orders", JSON.stringify({ records: [{ value: 1 }] }), [["content-type", "application/vnd.kafka.json.v2+json"]]);
    host.failHttpCall(lastCall(host).token);
    expect(timeout.localResponse?.status).toBe(503);
    const garbage = publishStream(host, "/v1.0/publish/fixed/orders", "x");
    host.respondToHttpCall(lastCall(host).token, { headers: TUNNEL_OK, body: "nonsense" });
    expect(garbage.localResponse?.status).toBe(502);
    expect(host.getCounter(brokerErrors("fixed", "unreachable"))).toBe(1);
    expect(host.getCounter(brokerErrors("fixed", "no_answer"))).toBe(1);
    expect(host.getCounter(brokerErrors("fixed", "bad_answer"))).toBe(1);
    expect(host.getCounter(requests("bulk", "fixed", 503))).toBe(1);
    expect(host.getCounter(requests("rest", "fixed", 503))).toBe(1);
    expect(host.getCounter(records("fixed", "orders", "failed"))).toBe(4);
    expect(host.getHistogram(latency("bulk"))).toHaveLength(1);
    expect(host.getHistogram(latency("dapr"))).toHaveLength(1);

    publishStream(host, "/v1.0/publish/nope/orders", "x");
    publishStream(host, "/v1.0/publish/other/orders", "x");
    publishStream(host, "/v1.0/cloudevents/fixed/orders", "{}", [["content-type", "application/cloudevents+json"]]);
    expect(host.getCounter(requests("dapr", "_", 404))).toBe(2);
    expect(host.getCounter(requests("cloudevents", "fixed", 400))).toBe(1);
    expect(host.getHistogram(latency("dapr"))).toHaveLength(1);
    expect(host.getHistogram(latency("cloudevents"), [])).toEqual([]);
  });

  it("caps the topic label at metrics.maxTopics; the rest count as __other__", async () => {
    const host = await bridge({ ...CONFIG, metrics: { maxTopics: 2 } });
    for (const topic of ["t1", "t2", "t3", "t4", "t1"]) {
      const s = publishStream(host, `/v1.0/publish/fixed/${topic}`, "x");
      const { call, p } = await routed(host);
      ackTopics(host, call, p);
      expect(s.localResponse?.status).toBe(204);
    }
    expect([records("fixed", "t1", "stored"), records("fixed", "t2", "stored"), records("fixed", "__other__", "stored")].map((n) => host.getCounter(n))).toEqual([2, 1, 2]);
    expect(host.hasMetric("counter", records("fixed", "t3", "stored"))).toBe(false);
  });
});
