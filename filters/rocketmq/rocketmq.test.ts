// The rocketmq filter driven through the host emulator with remoting traffic
// recorded from the real Java client against a real RocketMQ broker and
// cluster-mode proxy (scripts/record-rocketmq.ts): what it forwards is
// byte-for-byte what arrived, however the reads are split, and its metrics
// equal what the client really did.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-rocketmq.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { assertAnySplitSame, assertRandomReadsSafe, chunksOf, flushed, joined, loadRecording, replay, type Chunk } from "../../test/support/recordings.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
}, 120_000);

const recording = (server: string) => loadRecording<Recording>("rocketmq", server);

// An independent reading of remoting frames (JSON headers only: what the
// Java client and the servers use by default).
interface Frame {
  code: number;
  opaque: number;
  flag: number;
  extFields: Record<string, string>;
  body: Buffer;
}

function* frames(stream: Buffer): Generator<Frame> {
  for (let pos = 0; pos + 4 <= stream.length; ) {
    const size = stream.readInt32BE(pos);
    const word = stream.readUInt32BE(pos + 4);
    expect(word >>> 24, "JSON header").toBe(0);
    const headerLength = word & 0xffffff;
    const header = JSON.parse(stream.subarray(pos + 8, pos + 8 + headerLength).toString("utf8"));
    yield { code: header.code, opaque: header.opaque, flag: header.flag ?? 0, extFields: header.extFields ?? {}, body: stream.subarray(pos + 8 + headerLength, pos + 4 + size) };
    pos += 4 + size;
  }
}

// RequestCode / ResponseCode names of the codes the recordings hold.
const REQUEST_NAMES: Record<number, string> = {
  10: "SEND_MESSAGE", 11: "PULL_MESSAGE", 14: "QUERY_CONSUMER_OFFSET", 15: "UPDATE_CONSUMER_OFFSET", 34: "HEART_BEAT",
  35: "UNREGISTER_CLIENT", 38: "GET_CONSUMER_LIST_BY_GROUP", 40: "NOTIFY_CONSUMER_IDS_CHANGED", 105: "GET_ROUTEINFO_BY_TOPIC",
  310: "SEND_MESSAGE_V2", 361: "LITE_PULL_MESSAGE",
};
const RESPONSE_NAMES: Record<number, string> = { 0: "SUCCESS", 1: "SYSTEM_ERROR", 19: "PULL_NOT_FOUND", 20: "PULL_RETRY_IMMEDIATELY", 21: "PULL_OFFSET_MOVED", 22: "QUERY_NOT_FOUND" };

interface Truth {
  requests: Map<string, number>;
  oneway: Map<string, number>;
  serverRequests: Map<string, number>;
  // "<request code>;<response code>"
  responses: Map<string, number>;
  heartbeats: Map<string, number>;
  consumedMessages: number;
}

function add<K>(m: Map<K, number>, k: K, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

function name(table: Record<number, string>, code: number): string {
  expect(table[code], `code ${code}`).toBeDefined();
  return table[code];
}

// What the filter must count, walked from the recorded frames.
function walk(rec: Recording): Truth {
  const t: Truth = { requests: new Map(), oneway: new Map(), serverRequests: new Map(), responses: new Map(), heartbeats: new Map(), consumedMessages: 0 };
  for (const connection of rec.connections) {
    const chunks = chunksOf(connection);
    const pending = new Map<number, Frame>();
    for (const f of frames(joined(chunks, "request"))) {
      if (f.flag & 1) continue; // the client answering the server
      const code = name(REQUEST_NAMES, f.code);
      add(t.requests, code);
      if (f.flag & 2) add(t.oneway, code);
      else pending.set(f.opaque, f);
      if (f.code === 34) add(t.heartbeats, JSON.parse(f.body.toString("utf8")).clientID);
    }
    for (const f of frames(joined(chunks, "response"))) {
      if (!(f.flag & 1)) {
        add(t.serverRequests, name(REQUEST_NAMES, f.code));
        continue;
      }
      const request = pending.get(f.opaque)!;
      expect(request, `response to opaque ${f.opaque}`).toBeDefined();
      pending.delete(f.opaque);
      add(t.responses, `${REQUEST_NAMES[request.code]};${name(RESPONSE_NAMES, f.code)}`);
      if (f.code === 0 && (request.code === 11 || request.code === 361)) {
        for (let pos = 0; pos < f.body.length; pos += f.body.readInt32BE(pos)) t.consumedMessages++;
      }
    }
  }
  return t;
}

async function startFilter(config: object = {}): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

const P = "mqmesh_rocketmq_";

describe.each(["broker", "proxy"])("Java client traffic recorded through the %s", (server) => {
  const rec = recording(server);
  const { topic, producerGroup, consumerGroup } = rec.truth;

  it("passes every byte through unchanged in both directions", async () => {
    const host = await startFilter();
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = replay(host, chunks);
      expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
      expect(Buffer.from(conn.forwardedDownstream).equals(joined(chunks, "response"))).toBe(true);
    }
    expect(host.errors).toEqual([]);
  });

  it("counts requests, responses and latencies per request code as the frames say", async () => {
    const host = await startFilter();
    for (const connection of rec.connections) replay(host, chunksOf(connection));
    const truth = walk(rec);
    expect(truth.requests.get("SEND_MESSAGE_V2")).toBe(rec.truth.sentMessages);
    flushed(host);
    for (const [code, n] of truth.requests) expect(host.getCounter(`${P}requests_total;code=${code}`), code).toBe(n);
    for (const [code, n] of truth.oneway) expect(host.getCounter(`${P}oneway_requests_total;code=${code}`), code).toBe(n);
    for (const [code, n] of truth.serverRequests) expect(host.getCounter(`${P}server_requests_total;code=${code}`), code).toBe(n);
    const answered = new Map<string, number>();
    for (const [key, n] of truth.responses) {
      const [code, result] = key.split(";");
      expect(host.getCounter(`${P}responses_total;code=${code};result=${result}`), key).toBe(n);
      add(answered, code, n);
    }
    for (const [code, n] of answered) expect(host.getHistogram(`${P}request_duration_milliseconds;code=${code}`, []), code).toHaveLength(n);
    for (const reason of ["unmatched_response", "undecodable", "bad_header", "short_frame", "oversize"]) {
      expect(host.getCounter(`${P}unparsed_frames_total;reason=${reason}`, 0), reason).toBe(0);
    }
  });

  it("counts messages sent and consumed per topic and group as the client did", async () => {
    const host = await startFilter();
    for (const connection of rec.connections) replay(host, chunksOf(connection));
    const truth = walk(rec);
    flushed(host);
    expect(host.getCounter(`${P}sent_messages_total;topic=${topic};group=${producerGroup}`)).toBe(rec.truth.sentMessages);
    const bodies = Array.from({ length: rec.truth.sentMessages }, (_, i) => `${topic}-body-${i}`.length).reduce((a, b) => a + b, 0);
    expect(host.getCounter(`${P}sent_bytes_total;topic=${topic};group=${producerGroup}`)).toBe(bodies);
    expect(truth.consumedMessages).toBe(rec.truth.receivedMessages);
    expect(host.getCounter(`${P}consumed_messages_total;topic=${topic};group=${consumerGroup}`)).toBe(rec.truth.receivedMessages);
    expect(host.getCounter(`${P}consumed_bytes_total;topic=${topic};group=${consumerGroup}`)).toBeGreaterThan(bodies);
    expect(host.getCounter(`${P}consume_requests_total;code=LITE_PULL_MESSAGE;topic=${topic};group=${consumerGroup}`)).toBe(truth.requests.get("LITE_PULL_MESSAGE"));
    expect(host.getCounter(`${P}route_lookups_total;topic=${topic}`)).toBeGreaterThan(0);
    for (const [client, n] of truth.heartbeats) expect(host.getCounter(`${P}heartbeats_total;client_id=${client}`), client).toBe(n);
    expect(host.getGauge(`${P}active_connections`)).toBe(0);
  });

  it("gives the same bytes and metrics whatever the read boundaries", async () => {
    const names = [
      `${P}sent_messages_total;topic=${topic};group=${producerGroup}`,
      `${P}consumed_messages_total;topic=${topic};group=${consumerGroup}`,
      `${P}requests_total;code=LITE_PULL_MESSAGE`,
      `${P}responses_total;code=SEND_MESSAGE_V2;result=SUCCESS`,
      `${P}responses_total;code=GET_ROUTEINFO_BY_TOPIC;result=SUCCESS`,
    ];
    await assertAnySplitSame(startFilter, rec.connections, names, 20);
  }, 120_000);
});

describe("configuration", () => {
  it.each([
    [{ onUnknwn: "pass" }, "onUnknwn"],
    [{ onUnknown: "drop" }, "onUnknown"],
    [{ maxFrameBytes: -1 }, "maxFrameBytes"],
    [{ maxInflight: 0 }, "maxInflight"],
    [{ metrics: { maxTopics: "many" } }, "metrics.maxTopics"],
    [{ metrics: { perGroup: 1 } }, "metrics.perGroup"],
    [{ metrics: { perClientId: true } }, "perClientId"],
    [{ routeRewrite: {} }, "routeRewrite.address"],
    [{ routeRewrite: { address: "sidecar" } }, "routeRewrite.address"],
    [{ routeRewrite: { address: "127.0.0.1:99999" } }, "routeRewrite.address"],
  ])("rejects %j naming %s", async (config, field) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(field);
  });

  it("caps the topics it labels, counting the rest as __other__", async () => {
    const host = await startFilter({ metrics: { maxTopics: 1 } });
    for (const connection of recording("broker").connections) replay(host, chunksOf(connection));
    // The first topic named is the route lookup's; sends then fall under __other__ unless it is the same.
    const first = recording("broker").truth.topic;
    flushed(host);
    const named = host.getCounter(`${P}sent_messages_total;topic=${first};group=${recording("broker").truth.producerGroup}`, 0);
    const other = host.getCounter(`${P}sent_messages_total;topic=__other__;group=${recording("broker").truth.producerGroup}`, 0);
    expect(named + other).toBe(recording("broker").truth.sentMessages);
  });

  it("drops the topic and group dimensions when asked", async () => {
    const host = await startFilter({ metrics: { perTopic: false, perGroup: false, perClient: false } });
    for (const connection of recording("broker").connections) replay(host, chunksOf(connection));
    flushed(host);
    expect(host.getCounter(`${P}sent_messages_total;topic=_;group=_`)).toBe(recording("broker").truth.sentMessages);
    expect(host.getCounter(`${P}consumed_messages_total;topic=_;group=_`)).toBe(recording("broker").truth.receivedMessages);
    expect(host.getCounter(`${P}heartbeats_total;client_id=_`)).toBeGreaterThan(0);
  });
});

describe("route rewrite", () => {
  it.each(["broker", "proxy"])("names only the sidecar in route answers recorded through the %s, every other frame unchanged", async (server) => {
    const rec = recording(server);
    const sidecar = "127.0.0.1:15999";
    const host = await startFilter({ routeRewrite: { address: sidecar } });
    let rewritten = 0;
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = replay(host, chunks, (n) => [1, 7, n]);
      expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
      const routeOpaques = new Set([...frames(joined(chunks, "request"))].filter((f) => f.code === 105).map((f) => f.opaque));
      const original = [...frames(joined(chunks, "response"))];
      const forwarded = [...frames(Buffer.from(conn.forwardedDownstream))];
      expect(forwarded.length).toBe(original.length);
      for (const [i, f] of forwarded.entries()) {
        const o = original[i];
        expect([f.code, f.opaque, f.flag, f.extFields]).toEqual([o.code, o.opaque, o.flag, o.extFields]);
        if (f.flag & 1 && routeOpaques.has(f.opaque)) {
          rewritten++;
          const addresses = [...f.body.toString("utf8").matchAll(/"brokerAddrs":\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/"([^"]+:\d+)"/g)].map((a) => a[1]));
          expect(addresses.length).toBeGreaterThan(0);
          expect(new Set(addresses)).toEqual(new Set([sidecar]));
          // Everything but the addresses is as the server wrote it.
          expect(f.body.toString("utf8").replace(/"[^"]+:\d+"/g, "A")).toBe(o.body.toString("utf8").replace(/"[^"]+:\d+"/g, "A"));
        } else {
          expect(f.body.equals(o.body)).toBe(true);
        }
      }
    }
    expect(rewritten).toBeGreaterThan(0);
    flushed(host);
    expect(host.getCounter(`${P}route_rewrites_total;result=rewritten`)).toBe(rewritten);
    expect(host.getCounter(`${P}route_rewrites_total;result=failed`, 0)).toBe(0);
    expect(host.getCounter(`${P}sent_messages_total;topic=${rec.truth.topic};group=${rec.truth.producerGroup}`)).toBe(rec.truth.sentMessages);
  });
});

describe("bytes that are not remoting frames", () => {
  const http = Buffer.from("GET / HTTP/1.1\r\nHost: example\r\n\r\n");

  it("passes them through untouched by default and counts them", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    expect(conn.callOnDownstreamData(http)).toBe("continue");
    expect(Buffer.from(conn.forwardedUpstream).equals(http)).toBe(true);
    expect(conn.closedByFilter).toBeUndefined();
    flushed(host);
    expect(host.getCounter(`${P}unparsed_frames_total;reason=bad_header`)).toBe(1);
  });

  it("closes the connection with onUnknown: close", async () => {
    const host = await startFilter({ onUnknown: "close" });
    const conn = host.newConnection();
    conn.callOnDownstreamData(http);
    expect(conn.closedByFilter).toBe("downstream");
  });

  it("passes frames over maxFrameBytes without keeping them, still counting their requests", async () => {
    const host = await startFilter({ maxFrameBytes: 64 });
    const rec = recording("broker");
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = replay(host, chunks);
      expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
      expect(Buffer.from(conn.forwardedDownstream).equals(joined(chunks, "response"))).toBe(true);
    }
    flushed(host);
    expect(host.getCounter(`${P}unparsed_frames_total;reason=oversize`)).toBeGreaterThan(0);
    expect(host.getCounter(`${P}sent_messages_total;topic=${rec.truth.topic};group=${rec.truth.producerGroup}`, 0)).toBe(0);
    // The header was in the read that brought the frame: the request still counts.
    expect(host.getCounter(`${P}requests_total;code=SEND_MESSAGE_V2`)).toBe(rec.truth.sentMessages);
  });

  it("matches responses by opaque, whatever their order, and expects none for oneway requests", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    const frame = (header: object, body = Buffer.alloc(0)) => {
      const h = Buffer.from(JSON.stringify(header));
      const out = Buffer.alloc(8 + h.length + body.length);
      out.writeInt32BE(4 + h.length + body.length, 0);
      out.writeInt32BE(h.length, 4);
      h.copy(out, 8);
      body.copy(out, 8 + h.length);
      return out;
    };
    conn.callOnDownstreamData(frame({ code: 105, opaque: 1, flag: 0, extFields: { topic: "a" } }));
    conn.callOnDownstreamData(frame({ code: 14, opaque: 2, flag: 0, extFields: {} }));
    conn.callOnDownstreamData(frame({ code: 15, opaque: 3, flag: 2, extFields: {} }));
    conn.callOnUpstreamData(Buffer.concat([frame({ code: 22, opaque: 2, flag: 1 }), frame({ code: 0, opaque: 1, flag: 1 }), frame({ code: 0, opaque: 3, flag: 1 })]));
    flushed(host);
    expect(host.getCounter(`${P}responses_total;code=QUERY_CONSUMER_OFFSET;result=QUERY_NOT_FOUND`)).toBe(1);
    expect(host.getCounter(`${P}responses_total;code=GET_ROUTEINFO_BY_TOPIC;result=SUCCESS`)).toBe(1);
    expect(host.getCounter(`${P}oneway_requests_total;code=UPDATE_CONSUMER_OFFSET`)).toBe(1);
    // The answer to a oneway request is not one the filter waits for.
    expect(host.getCounter(`${P}unparsed_frames_total;reason=unmatched_response`)).toBe(1);
    expect(host.getCounter(`${P}route_lookups_total;topic=a`)).toBe(1);
  });

  it("never traps or corrupts on random bytes in either direction", async () => {
    await assertRandomReadsSafe(startFilter, 200);
  }, 120_000);

  it("never traps on recorded frames with bytes flipped", async () => {
    const rec = recording("broker");
    const chunks = rec.connections.flatMap((c) => chunksOf(c));
    await fc.assert(
      fc.asyncProperty(fc.nat(chunks.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (at, flips) => {
        const host = await startFilter();
        const conn = host.newConnection();
        for (const [i, chunk] of chunks.entries()) {
          const bytes = Buffer.from(chunk.bytes);
          if (i === at) for (const [pos, value] of flips) bytes[pos % bytes.length] = value;
          if (chunk.direction === "request") conn.callOnDownstreamData(bytes);
          else conn.callOnUpstreamData(bytes);
        }
        conn.closeDownstream();
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
