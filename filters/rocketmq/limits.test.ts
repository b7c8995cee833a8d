// Send and pull limits of the rocketmq filter through the host emulator:
// traffic within a rule's rate and burst goes on untouched; past it the
// request still goes on and the client's connection stops being read for
// as long as the token bucket's debt (rate and burst arithmetic restated
// here: n messages over R per second cost n/R s), then resumes.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import type { Connection } from "../../test/host/connection.ts";
import { RLS_SECOND, RlsCode, decodeRlsRequest, encodeRlsResponse } from "../../test/limits/rls_proto.ts";
import { batchMessage, command, concat, decodeWire, jsonFrame, storedMessage, wire } from "../../test/rocketmq/remoting.ts";
import { flushed } from "../../test/support/recordings.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
}, 120_000);

const P = "mqmesh_rocketmq_";
const SEND_MESSAGE_V2 = 310;
const SEND_BATCH_MESSAGE = 320;
const PULL_MESSAGE = 11;

// SendMessageRequestHeaderV2 as the Java client writes it.
function send(opaque: number, topic: string, o: { group?: string; body?: number; batch?: Uint8Array } = {}): Uint8Array {
  const ext: [string, string][] = [["a", o.group ?? "pg"], ["b", topic], ["c", "TBW102"], ["d", "4"], ["e", "0"], ["f", "0"],
    ["g", "1700000000000"], ["h", "0"], ["i", "KEYS\u0001k\u0002"], ["j", "0"], ["k", "false"], ["m", o.batch ? "true" : "false"]];
  const body = o.batch ?? new Uint8Array(o.body ?? 10).fill(0x61);
  return wire(jsonFrame(command({ code: o.batch ? SEND_BATCH_MESSAGE : SEND_MESSAGE_V2, opaque, ext, body })));
}

const pull = (opaque: number, topic: string, group = "cg") =>
  wire(jsonFrame(command({ code: PULL_MESSAGE, opaque, ext: [["consumerGroup", group], ["topic", topic], ["queueId", "0"], ["queueOffset", "0"], ["maxMsgNums", "32"], ["sysFlag", "0"], ["commitOffset", "0"], ["suspendTimeoutMillis", "20000"], ["subscription", "*"], ["subVersion", "0"]] })));

const answer = (opaque: number, body = new Uint8Array(0)) =>
  wire(jsonFrame(command({ code: 0, opaque, flag: 1, ext: [["msgId", "m"], ["queueId", "0"], ["queueOffset", "0"]], body })));

// The opaques of the frames the broker received.
function upstreamOpaques(conn: Connection): number[] {
  const out: number[] = [];
  const b = Buffer.from(conn.forwardedUpstream);
  for (let pos = 0; pos + 4 <= b.length; pos += 4 + b.readInt32BE(pos)) out.push(decodeWire(b.subarray(pos, pos + 4 + b.readInt32BE(pos))).opaque);
  return out;
}

const start = (limits: object, extra: object = {}, clusters: string[] = []) =>
  ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ limits, ...extra }), clusters });

describe("send limits", () => {
  it("lets a burst through, then delays the connection by the debt and resumes it", async () => {
    // 10 messages/s, 1 s burst: 10 sends fit; the 11th costs 100 ms beyond the burst.
    const host = await start({ rules: [{ name: "orders", topics: ["orders"], sendMessagesPerSecond: 10, burstSeconds: 1 }] });
    const conn = host.newConnection();
    for (let i = 1; i <= 11; i++) conn.callOnDownstreamData(send(i, "orders"));
    expect(upstreamOpaques(conn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(conn.downstreamPaused).toBe(false);
    // The 11th went on; what comes next waits.
    conn.callOnDownstreamData(send(12, "orders"));
    expect(upstreamOpaques(conn)).toHaveLength(11);
    expect(conn.downstreamPaused).toBe(true);
    host.advanceTime(90);
    expect(upstreamOpaques(conn)).toHaveLength(11);
    host.advanceTime(20);
    expect(upstreamOpaques(conn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Answers are never held.
    conn.callOnUpstreamData(answer(1));
    expect(Buffer.from(conn.forwardedDownstream).equals(Buffer.from(answer(1)))).toBe(true);
    flushed(host);
    expect(host.getCounter(`${P}throttled_requests_total;rule=orders;principal=anonymous`)).toBe(2);
    // 100 ms for the 11th; the 12th came at 100-110 ms and owes 200 - (its arrival) ms.
    expect(host.getCounter(`${P}throttle_time_milliseconds_total;rule=orders`)).toBeGreaterThanOrEqual(100 + 90);
    // Other topics are not this rule's.
    const other = host.newConnection();
    for (let i = 1; i <= 30; i++) other.callOnDownstreamData(send(i, "payments"));
    expect(upstreamOpaques(other)).toHaveLength(30);
    expect(other.downstreamPaused).toBe(false);
  });

  it("counts body bytes and the messages of a batch", async () => {
    const host = await start({ rules: [{ name: "bytes", sendBytesPerSecond: 1000, burstSeconds: 1 }, { name: "msgs", groups: ["batcher"], sendMessagesPerSecond: 2 }] });
    const conn = host.newConnection();
    // 3 x 400 bytes against 1000 bytes/s: 200 bytes, 200 ms, beyond the burst.
    for (let i = 1; i <= 3; i++) conn.callOnDownstreamData(send(i, "t", { body: 400 }));
    flushed(host);
    expect(host.getCounter(`${P}bytes_over_limit_total;rule=bytes`)).toBe(200);
    expect(host.getCounter(`${P}throttle_time_milliseconds_total;rule=bytes`)).toBe(200);
    // A batch of 5 from group "batcher" against 2 messages/s, 1 s burst: 3 over, 1.5 s.
    const batcher = host.newConnection();
    const batch = concat(...[1, 2, 3, 4, 5].map((i) => batchMessage(0, `m${i}`, "KEYS\u0001k\u0002")));
    batcher.callOnDownstreamData(send(1, "t", { group: "batcher", batch }));
    expect(upstreamOpaques(batcher)).toEqual([1]);
    expect(Buffer.from(batcher.forwardedUpstream).equals(Buffer.from(send(1, "t", { group: "batcher", batch })))).toBe(true);
    flushed(host);
    expect(host.getCounter(`${P}throttle_time_milliseconds_total;rule=msgs`)).toBe(1500);
  });

  it("applies a rule only to the principals it names", async () => {
    const host = await start({ rules: [{ name: "g", principals: ["group:orders-*"], sendMessagesPerSecond: 1, burstSeconds: 1 }] });
    const a = host.newConnection();
    for (let i = 1; i <= 3; i++) a.callOnDownstreamData(send(i, "t", { group: "billing" }));
    a.callOnDownstreamData(send(4, "t", { group: "billing" }));
    expect(upstreamOpaques(a)).toEqual([1, 2, 3, 4]);
    const b = host.newConnection();
    for (let i = 1; i <= 3; i++) b.callOnDownstreamData(send(i, "t", { group: "orders-eu" }));
    expect(upstreamOpaques(b)).toEqual([1, 2]);
    expect(b.downstreamPaused).toBe(true);
  });
});

describe("pull limits", () => {
  it("charges the messages a pull answer delivers and delays the next requests", async () => {
    // 5 messages/s, 1 s burst; 8 delivered: 3 over, 600 ms.
    const host = await start({ rules: [{ name: "consume", topics: ["orders"], pullMessagesPerSecond: 5 }] });
    const conn = host.newConnection();
    conn.callOnDownstreamData(pull(1, "orders"));
    expect(upstreamOpaques(conn)).toEqual([1]);
    const body = concat(...Array.from({ length: 8 }, (_, i) => storedMessage({ topic: "orders", properties: `KEYS\u0001${i}\u0002`, queueOffset: BigInt(i) })));
    conn.callOnUpstreamData(answer(1, body));
    expect(Buffer.from(conn.forwardedDownstream).equals(Buffer.from(answer(1, body)))).toBe(true);
    conn.callOnDownstreamData(pull(2, "orders"));
    expect(upstreamOpaques(conn)).toEqual([1]);
    host.advanceTime(590);
    expect(upstreamOpaques(conn)).toEqual([1]);
    host.advanceTime(20);
    expect(upstreamOpaques(conn)).toEqual([1, 2]);
    flushed(host);
    expect(host.getCounter(`${P}throttle_time_milliseconds_total;rule=consume`)).toBe(600);
  });
});

describe("with tracing", () => {
  it("a resume and a span export in the same tick: the export belongs to the root, so its answer reaches the exporter", async () => {
    const host = await start(
      { rules: [{ name: "orders", sendMessagesPerSecond: 10, burstSeconds: 1 }] },
      { tracing: { inject: "off", collector: { cluster: "otlp" }, exportIntervalMs: 10 } },
      ["otlp"],
    );
    const conn = host.newConnection();
    for (let i = 1; i <= 11; i++) conn.callOnDownstreamData(send(i, "orders"));
    conn.callOnDownstreamData(send(12, "orders"));
    expect(conn.downstreamPaused).toBe(true);
    host.advanceTime(95);
    // Spans end just before the tick that resumes the connection (100 ms).
    for (let i = 1; i <= 11; i++) conn.callOnUpstreamData(answer(i));
    host.advanceTime(10);
    expect(upstreamOpaques(conn)).toHaveLength(12);
    const exports = host.httpCalls.filter((c) => c.cluster === "otlp");
    expect(exports.map((c) => c.contextId)).toEqual([host.root.id]);
    host.respondToHttpCall(exports[0].token);
    flushed(host);
    expect(host.getCounter(`${P}trace_exports_total;result=ok`)).toBe(1);
  });
});

describe("global rules", () => {
  it("report sends to the rate limit service and delay the connection while it answers OVER_LIMIT", async () => {
    const host = await start(
      { rules: [{ name: "mesh", global: true, per: "rule", sendMessagesPerSecond: 100 }] },
      { rateLimitService: { cluster: "mqmesh_ratelimit", domain: "mesh", timeoutMs: 250 } },
      ["mqmesh_ratelimit"],
    );
    const conn = host.newConnection();
    conn.callOnDownstreamData(send(1, "t"));
    expect(host.grpcCalls.map((c) => [c.cluster, c.service, c.method])).toEqual([["mqmesh_ratelimit", "envoy.service.ratelimit.v3.RateLimitService", "ShouldRateLimit"]]);
    expect(decodeRlsRequest(host.grpcCalls[0].message!)).toEqual({ domain: "mesh", hitsAddend: 1, descriptors: [{ entries: [{ key: "rule", value: "mesh" }, { key: "unit", value: "send_messages" }] }] });
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: encodeRlsResponse({ overallCode: RlsCode.OVER_LIMIT, statuses: [{ code: RlsCode.OVER_LIMIT, currentLimit: { requestsPerUnit: 100, unit: RLS_SECOND }, durationUntilReset: { seconds: 0, nanos: 300_000_000 } }] }) });
    conn.callOnDownstreamData(send(2, "t"));
    expect(upstreamOpaques(conn)).toEqual([1, 2]);
    conn.callOnDownstreamData(send(3, "t"));
    expect(upstreamOpaques(conn)).toEqual([1, 2]);
    host.advanceTime(310);
    expect(upstreamOpaques(conn)).toEqual([1, 2, 3]);
  });
});

describe("configuration", () => {
  it.each([
    [{ limits: { rules: [{ name: "a", topics: ["t"] }] } }, "limits.rules[0]: needs at least one of sendMessagesPerSecond, sendBytesPerSecond, pullMessagesPerSecond"],
    [{ limits: { rules: [{ name: "a", groups: [], sendMessagesPerSecond: 1 }] } }, "limits.rules[0].groups: must not be empty"],
    [{ limits: { rules: [{ name: "a", global: true, sendMessagesPerSecond: 1 }] } }, "limits.rules[0].global: needs the top-level rateLimitService"],
    [{ limits: { rules: [{ name: "a", sendMessagesPerSecond: 0 }] } }, "limits.rules[0].sendMessagesPerSecond"],
    [{ tracing: { inject: "never" } }, "tracing.inject"],
  ])("rejects %j naming the field", async (config, message) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(message);
  });
});
