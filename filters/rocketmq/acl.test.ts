// Topic ACLs of the rocketmq filter through the host emulator: a denied
// request goes upstream as the GET_BROKER_CLUSTER_INFO stand-in with the
// same opaque and serialization, and the server's answer to it reaches the
// client as NO_PERMISSION for the original request; a denied oneway request
// sends nothing; allowed traffic is unchanged byte for byte.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-rocketmq.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { flushed } from "../../test/support/recordings.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" });
}, 120_000);

const P = "mqmesh_rocketmq_";
const STAND_IN = 106; // GET_BROKER_CLUSTER_INFO
const NO_PERMISSION = 16;

function recording(server: string): Recording {
  return JSON.parse(readFileSync(new URL(`../../test/recordings/rocketmq/${server}.json`, import.meta.url), "utf8"));
}

type Chunk = { direction: "request" | "response"; bytes: Buffer };
const chunksOf = (c: Recording["connections"][number]): Chunk[] => c.map((x) => ({ direction: x.direction, bytes: Buffer.from(x.base64, "base64") }));
const joined = (chunks: Chunk[], d: Chunk["direction"]) => Buffer.concat(chunks.filter((c) => c.direction === d).map((c) => c.bytes));

interface Cmd {
  code: number;
  language?: number;
  version?: number;
  opaque: number;
  flag?: number;
  remark?: string | null;
  extFields?: Record<string, string>;
  body?: Buffer;
}

interface Frame extends Required<Omit<Cmd, "language" | "remark">> {
  serializeType: number;
  remark: string | null;
  raw: Buffer;
}

function withPrefix(serializeType: number, header: Buffer, body: Buffer): Buffer {
  const out = Buffer.alloc(8 + header.length + body.length);
  out.writeInt32BE(4 + header.length + body.length, 0);
  out.writeUInt32BE(((serializeType << 24) | header.length) >>> 0, 4);
  header.copy(out, 8);
  body.copy(out, 8 + header.length);
  return out;
}

function jsonFrame(c: Cmd): Buffer {
  const h = { code: c.code, extFields: c.extFields ?? {}, flag: c.flag ?? 0, language: "JAVA", opaque: c.opaque, serializeTypeCurrentRPC: "JSON", version: c.version ?? 479 };
  return withPrefix(0, Buffer.from(JSON.stringify(h)), c.body ?? Buffer.alloc(0));
}

// RocketMQSerializable: i16 code, u8 language, i16 version, i32 opaque, i32 flag, remark, ext map.
function binaryFrame(c: Cmd): Buffer {
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(13);
  fixed.writeInt16BE(c.code, 0);
  fixed.writeUInt8(c.language ?? 0, 2);
  fixed.writeInt16BE(c.version ?? 479, 3);
  fixed.writeInt32BE(c.opaque, 5);
  fixed.writeInt32BE(c.flag ?? 0, 9);
  parts.push(fixed);
  const remark = Buffer.from(c.remark ?? "");
  parts.push(Buffer.from([0, 0, 0, 0]), remark);
  parts[1].writeInt32BE(remark.length);
  const ext: Buffer[] = [];
  for (const [k, v] of Object.entries(c.extFields ?? {})) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    const kl = Buffer.alloc(2);
    kl.writeInt16BE(kb.length);
    const vl = Buffer.alloc(4);
    vl.writeInt32BE(vb.length);
    ext.push(kl, kb, vl, vb);
  }
  const extBytes = Buffer.concat(ext);
  const el = Buffer.alloc(4);
  el.writeInt32BE(extBytes.length);
  parts.push(el, extBytes);
  return withPrefix(1, Buffer.concat(parts), c.body ?? Buffer.alloc(0));
}

function* frames(stream: Buffer): Generator<Frame> {
  for (let pos = 0; pos + 4 <= stream.length; ) {
    const size = stream.readInt32BE(pos);
    const word = stream.readUInt32BE(pos + 4);
    const type = word >>> 24;
    const hl = word & 0xffffff;
    const header = stream.subarray(pos + 8, pos + 8 + hl);
    const body = stream.subarray(pos + 8 + hl, pos + 4 + size);
    const raw = stream.subarray(pos, pos + 4 + size);
    if (type === 0) {
      const h = JSON.parse(header.toString("utf8"));
      yield { serializeType: 0, code: h.code, version: h.version ?? 0, opaque: h.opaque, flag: h.flag ?? 0, remark: h.remark ?? null, extFields: h.extFields ?? {}, body, raw };
    } else {
      const remarkLength = header.readInt32BE(13);
      const extFields: Record<string, string> = {};
      const extStart = 17 + remarkLength + 4;
      for (let at = extStart; at < header.length; ) {
        const kl = header.readInt16BE(at);
        const k = header.subarray(at + 2, at + 2 + kl).toString();
        const vl = header.readInt32BE(at + 2 + kl);
        extFields[k] = header.subarray(at + 6 + kl, at + 6 + kl + vl).toString();
        at += 6 + kl + vl;
      }
      yield {
        serializeType: 1, code: header.readInt16BE(0), version: header.readInt16BE(3), opaque: header.readInt32BE(5), flag: header.readInt32BE(9),
        remark: remarkLength > 0 ? header.subarray(17, 17 + remarkLength).toString() : null, extFields, body, raw,
      };
    }
    pos += 4 + size;
  }
}

const sendV2 = (opaque: number, topic: string, extra: Partial<Cmd> = {}): Cmd => ({
  code: 310, opaque, extFields: { a: "pg", b: topic, c: "TBW102", d: "4", e: "1", f: "0", g: "1700000000000", h: "0", i: "KEYS\u0001k-1\u0002", j: "0", k: "false", m: "false" },
  body: Buffer.from(`${topic}-body`), ...extra,
});

const DENY_ORDERS = { acl: { defaultAction: "allow", rules: [{ action: "deny", topics: ["orders*"], operations: ["send", "consume"] }] } };

async function startFilter(config: object): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

describe.each([
  ["JSON", jsonFrame, 0],
  ["ROCKETMQ (binary)", binaryFrame, 1],
] as const)("a denied SEND_MESSAGE_V2 with a %s header", (_, encode, serializeType) => {
  it("goes upstream as the stand-in with the same opaque; the server's answer reaches the client as NO_PERMISSION", async () => {
    const host = await startFilter(DENY_ORDERS);
    const conn = host.newConnection();
    conn.callOnDownstreamData(encode(sendV2(7, "orders-eu")));
    const up = [...frames(Buffer.from(conn.forwardedUpstream))];
    expect(up).toHaveLength(1);
    expect(up[0]).toMatchObject({ serializeType, code: STAND_IN, opaque: 7, flag: 0, version: 479, extFields: {}, remark: null });
    expect(up[0].body.length).toBe(0);
    // Whatever the server answers the stand-in, the client gets NO_PERMISSION for its send.
    conn.callOnUpstreamData(encode({ code: 3, opaque: 7, flag: 1, remark: " request type 106 not supported" }));
    const down = [...frames(Buffer.from(conn.forwardedDownstream))];
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ serializeType, code: NO_PERMISSION, opaque: 7, flag: 1, version: 479 });
    expect(down[0].remark).toBe("mqmesh: Pub on topic orders-eu denied by the sidecar's ACL");
    flushed(host);
    expect(host.getCounter(`${P}denied_requests_total;code=SEND_MESSAGE_V2;topic=orders-eu`)).toBe(1);
    expect(host.getCounter(`${P}responses_total;code=SEND_MESSAGE_V2;result=NO_PERMISSION`)).toBe(1);
    expect(host.getCounter(`${P}sent_messages_total;topic=orders-eu;group=pg`, 0)).toBe(0);
    expect(host.errors).toEqual([]);
  });

  it("between allowed sends, leaves them and their answers byte for byte, in order, whatever the read boundaries", async () => {
    const requests = [encode(sendV2(1, "payments")), encode(sendV2(2, "orders")), encode(sendV2(3, "payments"))];
    const answers = [3, 1, 2].map((opaque) => encode({ code: 0, opaque, flag: 1, extFields: { msgId: `m${opaque}`, queueId: "1", queueOffset: "9" } }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (piece) => {
        const host = await startFilter(DENY_ORDERS);
        const conn = host.newConnection();
        const all = Buffer.concat(requests);
        for (let at = 0; at < all.length; at += piece) conn.callOnDownstreamData(all.subarray(at, at + piece));
        const up = [...frames(Buffer.from(conn.forwardedUpstream))];
        expect(up.map((f) => [f.code, f.opaque])).toEqual([[310, 1], [STAND_IN, 2], [310, 3]]);
        expect(up[0].raw.equals(requests[0])).toBe(true);
        expect(up[2].raw.equals(requests[2])).toBe(true);
        const back = Buffer.concat(answers);
        for (let at = 0; at < back.length; at += piece) conn.callOnUpstreamData(back.subarray(at, at + piece));
        const down = [...frames(Buffer.from(conn.forwardedDownstream))];
        expect(down.map((f) => [f.code, f.opaque])).toEqual([[0, 3], [0, 1], [NO_PERMISSION, 2]]);
        expect(down[0].raw.equals(answers[0])).toBe(true);
        expect(down[1].raw.equals(answers[1])).toBe(true);
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 25 },
    );
  });
});

describe("other operations", () => {
  it("a denied oneway UPDATE_CONSUMER_OFFSET sends nothing and gets nothing", async () => {
    const host = await startFilter(DENY_ORDERS);
    const conn = host.newConnection();
    const allowed = jsonFrame({ code: 15, opaque: 9, flag: 2, extFields: { consumerGroup: "g", topic: "payments", queueId: "0", commitOffset: "5" } });
    conn.callOnDownstreamData(jsonFrame({ code: 15, opaque: 8, flag: 2, extFields: { consumerGroup: "g", topic: "orders", queueId: "0", commitOffset: "5" } }));
    expect(conn.forwardedUpstream.length).toBe(0);
    conn.callOnDownstreamData(allowed);
    expect(Buffer.from(conn.forwardedUpstream).equals(allowed)).toBe(true);
    expect(conn.forwardedDownstream.length).toBe(0);
    flushed(host);
    expect(host.getCounter(`${P}denied_requests_total;code=UPDATE_CONSUMER_OFFSET;topic=orders`)).toBe(1);
  });

  it.each([
    ["PULL_MESSAGE", 11, { consumerGroup: "g", topic: "orders", queueId: "0", queueOffset: "0", maxMsgNums: "32", sysFlag: "0", commitOffset: "0", suspendTimeoutMillis: "20000", subscription: "*", subVersion: "0" }, "Sub on topic orders"],
    ["LITE_PULL_MESSAGE", 361, { consumerGroup: "g", topic: "orders-1", queueId: "0", queueOffset: "0" }, "Sub on topic orders-1"],
    ["POP_MESSAGE", 200050, { consumerGroup: "g", topic: "orders", queueId: "-1", maxMsgNums: "32", invisibleTime: "60000" }, "Sub on topic orders"],
    ["QUERY_CONSUMER_OFFSET", 14, { consumerGroup: "g", topic: "orders", queueId: "1" }, "Sub,Get on topic orders"],
    ["CONSUMER_SEND_MSG_BACK", 36, { group: "g", originTopic: "orders", offset: "1", delayLevel: "0" }, "Sub on topic orders"],
  ])("a denied %s gets NO_PERMISSION", async (name, code, extFields, what) => {
    const host = await startFilter(DENY_ORDERS);
    const conn = host.newConnection();
    conn.callOnDownstreamData(jsonFrame({ code, opaque: 41, extFields }));
    expect([...frames(Buffer.from(conn.forwardedUpstream))].map((f) => [f.code, f.opaque])).toEqual([[STAND_IN, 41]]);
    conn.callOnUpstreamData(jsonFrame({ code: 3, opaque: 41, flag: 1 }));
    const [answer] = [...frames(Buffer.from(conn.forwardedDownstream))];
    expect([answer.code, answer.opaque, answer.flag]).toEqual([NO_PERMISSION, 41, 1]);
    expect(answer.remark).toBe(`mqmesh: ${what} denied by the sidecar's ACL`);
    flushed(host);
    expect(host.getCounter(`${P}responses_total;code=${name};result=NO_PERMISSION`)).toBe(1);
  });

  it("BATCH_ACK_MESSAGE is denied when any of its acks names a denied topic", async () => {
    const host = await startFilter(DENY_ORDERS);
    const conn = host.newConnection();
    const body = (topics: string[]) => Buffer.from(JSON.stringify({ acks: topics.map((t) => ({ c: "g", t, q: 0, so: 0, ro: 0 })) }));
    const ok = jsonFrame({ code: 200151, opaque: 1, body: body(["payments"]) });
    conn.callOnDownstreamData(ok);
    conn.callOnDownstreamData(jsonFrame({ code: 200151, opaque: 2, body: body(["payments", "orders"]) }));
    const up = [...frames(Buffer.from(conn.forwardedUpstream))];
    expect(up[0].raw.equals(ok)).toBe(true);
    expect([up[1].code, up[1].opaque]).toEqual([STAND_IN, 2]);
    flushed(host);
    expect(host.getCounter(`${P}denied_requests_total;code=BATCH_ACK_MESSAGE;topic=orders`)).toBe(1);
  });

  it("route lookups are denied only by rules naming `route`; defaultAction deny covers everything else", async () => {
    const host = await startFilter({ acl: { defaultAction: "deny", rules: [{ action: "allow", topics: ["public-*"] }, { action: "allow", topics: ["*"], operations: ["route"] }] } });
    const conn = host.newConnection();
    const route = jsonFrame({ code: 105, opaque: 1, extFields: { topic: "secret" } });
    conn.callOnDownstreamData(route);
    const pub = jsonFrame(sendV2(2, "public-news"));
    conn.callOnDownstreamData(pub);
    conn.callOnDownstreamData(jsonFrame(sendV2(3, "secret")));
    const up = [...frames(Buffer.from(conn.forwardedUpstream))];
    expect(up[0].raw.equals(route)).toBe(true);
    expect(up[1].raw.equals(pub)).toBe(true);
    expect([up[2].code, up[2].opaque]).toEqual([STAND_IN, 3]);
    // Requests the ACL does not judge pass whatever the default.
    const heartbeat = jsonFrame({ code: 34, opaque: 4, body: Buffer.from('{"clientID":"c","consumerDataSet":[],"producerDataSet":[]}') });
    conn.callOnDownstreamData(heartbeat);
    expect([...frames(Buffer.from(conn.forwardedUpstream))][3].raw.equals(heartbeat)).toBe(true);
  });

  it("a send whose header cannot be read is denied when some topic could be", async () => {
    const host = await startFilter(DENY_ORDERS);
    const conn = host.newConnection();
    conn.callOnDownstreamData(jsonFrame({ code: 310, opaque: 5, extFields: { a: "pg" } }));
    expect([...frames(Buffer.from(conn.forwardedUpstream))].map((f) => [f.code, f.opaque])).toEqual([[STAND_IN, 5]]);
    conn.callOnUpstreamData(jsonFrame({ code: 3, opaque: 5, flag: 1 }));
    expect([...frames(Buffer.from(conn.forwardedDownstream))][0].remark).toBe("mqmesh: header field b is missing; denied by the sidecar's ACL");
    flushed(host);
    expect(host.getCounter(`${P}denied_requests_total;code=SEND_MESSAGE_V2;topic=_`)).toBe(1);
  });

  it("a denied request larger than maxFrameBytes closes the connection (it cannot be withheld)", async () => {
    const host = await startFilter({ ...DENY_ORDERS, maxFrameBytes: 256 });
    const conn = host.newConnection();
    conn.callOnDownstreamData(jsonFrame(sendV2(1, "orders", { body: Buffer.alloc(1000, 0x61) })));
    expect(conn.closedByFilter).toBe("downstream");
  });
});

describe.each(["broker", "proxy"])("Java client traffic recorded through the %s", (server) => {
  const rec = recording(server);
  const { topic, producerGroup } = rec.truth;

  it("is unchanged byte for byte under an ACL that allows it", async () => {
    const host = await startFilter({ acl: { defaultAction: "deny", rules: [{ action: "deny", topics: ["other-*"] }, { action: "allow", topics: [topic, "%RETRY%*", "TBW102"] }] } });
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = host.newConnection();
      for (const c of chunks) for (let at = 0; at < c.bytes.length; at += 61) {
        const piece = c.bytes.subarray(at, at + 61);
        if (c.direction === "request") conn.callOnDownstreamData(piece);
        else conn.callOnUpstreamData(piece);
      }
      expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
      expect(Buffer.from(conn.forwardedDownstream).equals(joined(chunks, "response"))).toBe(true);
    }
    expect(host.hasMetric("counter", `${P}denied_requests_total;code=SEND_MESSAGE_V2;topic=${topic}`)).toBe(false);
    flushed(host);
    expect(host.getCounter(`${P}sent_messages_total;topic=${topic};group=${producerGroup}`)).toBe(rec.truth.sentMessages);
  });

  it("has every send replaced by the stand-in and answered NO_PERMISSION when sends to its topic are denied", async () => {
    const host = await startFilter({ acl: { rules: [{ action: "deny", topics: [topic], operations: ["send"] }] } });
    let sends = 0;
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = host.newConnection();
      for (const c of chunks) {
        if (c.direction === "request") conn.callOnDownstreamData(c.bytes);
        else conn.callOnUpstreamData(c.bytes);
      }
      const original = [...frames(joined(chunks, "request"))];
      const forwarded = [...frames(Buffer.from(conn.forwardedUpstream))];
      expect(forwarded.length).toBe(original.length);
      const denied = new Set<number>();
      for (const [i, f] of forwarded.entries()) {
        if (original[i].code === 310) {
          denied.add(f.opaque);
          expect([f.code, f.opaque, f.version, f.body.length]).toEqual([STAND_IN, original[i].opaque, original[i].version, 0]);
        } else {
          expect(f.raw.equals(original[i].raw)).toBe(true);
        }
      }
      sends += denied.size;
      const answers = [...frames(joined(chunks, "response"))];
      const down = [...frames(Buffer.from(conn.forwardedDownstream))];
      expect(down.length).toBe(answers.length);
      for (const [i, f] of down.entries()) {
        if (f.flag & 1 && denied.has(f.opaque)) expect([f.code, f.remark]).toEqual([NO_PERMISSION, `mqmesh: Pub on topic ${topic} denied by the sidecar's ACL`]);
        else expect(f.raw.equals(answers[i].raw)).toBe(true);
      }
    }
    expect(sends).toBe(rec.truth.sentMessages);
    flushed(host);
    expect(host.getCounter(`${P}denied_requests_total;code=SEND_MESSAGE_V2;topic=${topic}`)).toBe(sends);
    expect(host.getCounter(`${P}responses_total;code=SEND_MESSAGE_V2;result=NO_PERMISSION`)).toBe(sends);
    expect(host.getCounter(`${P}sent_messages_total;topic=${topic};group=${producerGroup}`, 0)).toBe(0);
  });

  it("never traps on its frames with bytes flipped under a deny-by-default ACL", async () => {
    const chunks = rec.connections.flatMap((c) => chunksOf(c));
    await fc.assert(
      fc.asyncProperty(fc.nat(chunks.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (at, flips) => {
        const host = await startFilter({ acl: { defaultAction: "deny" } });
        const conn = host.newConnection();
        for (const [i, chunk] of chunks.entries()) {
          const bytes = Buffer.from(chunk.bytes);
          if (i === at) for (const [pos, value] of flips) bytes[pos % bytes.length] = value;
          // A flipped size can make a denied request too large to hold: closed.
          if (conn.closedByFilter) break;
          if (chunk.direction === "request") conn.callOnDownstreamData(bytes);
          else conn.callOnUpstreamData(bytes);
        }
        if (!conn.closedByFilter) conn.closeDownstream();
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe("fuzz", () => {
  it("random bytes never trap the filter with an ACL", async () => {
    const prefix = fc.constantFrom(jsonFrame(sendV2(1, "orders")), binaryFrame(sendV2(2, "orders")), jsonFrame({ code: 15, opaque: 3, flag: 2, extFields: { topic: "orders" } }), Buffer.alloc(0));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), prefix, fc.uint8Array({ maxLength: 120 })), { maxLength: 10 }), async (reads) => {
        const host = await startFilter(DENY_ORDERS);
        const conn = host.newConnection();
        for (const [request, head, bytes] of reads) {
          const data = Buffer.concat([head, Buffer.from(bytes)]);
          if (data.length === 0) continue;
          if (conn.closedByFilter) break;
          if (request) conn.callOnDownstreamData(data);
          else conn.callOnUpstreamData(data);
        }
        if (!conn.closedByFilter) conn.closeDownstream();
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe("configuration", () => {
  it.each([
    [{ acl: { defaultAction: "block" } }, "acl.defaultAction"],
    [{ acl: { rules: [{ topics: ["a"] }] } }, "acl.rules[0].action"],
    [{ acl: { rules: [{ action: "deny" }] } }, "acl.rules[0].topics"],
    [{ acl: { rules: [{ action: "deny", topics: [""] }] } }, "acl.rules[0].topics[0]"],
    [{ acl: { rules: [{ action: "deny", topics: ["a"], operations: ["produce"] }] } }, "acl.rules[0].operations[0]"],
    [{ acl: { rules: [{ action: "deny", topics: ["a"], operations: [] }] } }, "acl.rules[0].operations"],
    [{ acl: { denyApis: ["x"] } }, "denyApis"],
  ])("rejects %j naming %s", async (config, field) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(field);
  });
});
