// The rocketmq filter's ACL over every request code RocketMQ 5.3 defines:
// the codes are RocketMQ's own (the RequestCode constants of its published
// jar, read as data by rocketmq_facts.ts), each sent through the .wasm naming
// a denied topic and group in every field its header class has: each is
// refused NO_PERMISSION for what it names (or as unknown), or, naming
// nothing, has its listing answer filtered; none passes unjudged. Listings
// recorded from a real name server and broker lose the denied topic and
// nothing else; rules tell callers apart by certificate, address, AccessKey,
// client id and group.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { AdminRecording } from "../../scripts/record-rocketmq-authorization.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { exchanges } from "../../test/rocketmq/authorization.ts";
import { command, decodeWire, jsonFrame, wire } from "../../test/rocketmq/remoting.ts";
import { rocketmqFacts, type Facts } from "../../test/rocketmq/rocketmq_facts.ts";
import { flushed, loadRecording } from "../../test/support/recordings.ts";

let wasm: string;
let facts: Facts;
beforeAll(async () => {
  [wasm, facts] = await Promise.all([freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" }), rocketmqFacts()]);
}, 900_000);

const STAND_IN = 106; // GET_BROKER_CLUSTER_INFO
const NO_PERMISSION = 16;
const utf8 = (s: string) => new TextEncoder().encode(s);
const start = (acl: object) => ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ acl }) });

// Header fields that name topics and groups in RocketMQ's request headers,
// set on every request besides its own class's fields.
const NAMING_FIELDS = ["topic", "group", "consumerGroup", "producerGroup", "groupName", "originTopic", "destGroup", "srcGroup",
  "compareGroup", "filterGroups", "topicList", "clusterName", "a", "b"];
// One body holding every body shape a request names resources in.
const BODY = JSON.stringify({
  clientID: "c", consumerGroup: "secret", groupName: "secret", topic: "secret", group: "secret",
  consumerDataSet: [{ groupName: "secret", subscriptionDataSet: [{ topic: "secret" }] }],
  mqSet: [{ topic: "secret", brokerName: "b", queueId: 0 }], acks: [{ c: "secret", t: "secret" }],
  topicConfigList: [{ topicName: "secret" }], groupConfigList: [{ groupName: "secret" }], subscriptionData: { topic: "secret" },
});

function requestFor(code: number, opaque: number): Uint8Array {
  const header = facts.headers.find((h) => h.code === code);
  const ext = new Map<string, string>();
  for (const f of header?.requiredFields ?? []) ext.set(f.name, /^(Integer|int|Long|long|Short|short)$/.test(f.type) ? "1" : /oolean$/.test(f.type) ? "false" : "secret");
  for (const f of [...(header?.fields ?? []).map((x) => x.name), ...NAMING_FIELDS]) ext.set(f, "secret");
  return wire(jsonFrame(command({ code, opaque, version: 479, ext: [...ext], body: utf8(BODY) })));
}

const answerTo = (opaque: number, code: number, body: string) =>
  wire(jsonFrame(command({ code, opaque, flag: 1, version: 479, body: utf8(body) })));

type Outcome = "resource" | "cluster" | "unknown" | "unreadable" | "listing filtered" | "passed unjudged";

// One request through a fresh connection: what became of it.
function walk(host: ProxyHost, code: number): { outcome: Outcome; remark: string | null } {
  const conn = host.newConnection();
  const request = requestFor(code, 7);
  conn.callOnDownstreamData(request);
  const up = decodeWire(Uint8Array.from(conn.forwardedUpstream));
  if (up.code === STAND_IN && code !== STAND_IN) {
    conn.callOnUpstreamData(answerTo(7, 0, "{}"));
    const down = decodeWire(Uint8Array.from(conn.forwardedDownstream));
    expect([down.code, down.opaque], `code ${code}`).toEqual([NO_PERMISSION, 7]);
    const remark = down.remark ?? "";
    const outcome: Outcome = /on (topic|group) secret /.test(remark) ? "resource" : /on cluster/.test(remark) ? "cluster"
      : /unknown to the sidecar/.test(remark) ? "unknown" : "unreadable";
    return { outcome, remark };
  }
  if (code === STAND_IN) {
    // The stand-in's own code: refused requests and this one look alike upstream; the answer tells.
    conn.callOnUpstreamData(answerTo(7, 0, "{}"));
    const down = decodeWire(Uint8Array.from(conn.forwardedDownstream));
    if (down.code === NO_PERMISSION) return { outcome: /on cluster/.test(down.remark ?? "") ? "cluster" : "unreadable", remark: down.remark };
  }
  expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.from(request)), `code ${code} forwarded as sent`).toBe(true);
  // Passed: only a listing may, and its answer must lose the denied names.
  conn.callOnUpstreamData(answerTo(7, 0, '{"topicList":["secret","shown"],"groupList":["secret","shown"]}'));
  const out = JSON.parse(Buffer.from(decodeWire(Uint8Array.from(conn.forwardedDownstream)).body).toString());
  const filtered = !out.topicList.includes("secret") || !out.groupList.includes("secret");
  return { outcome: filtered ? "listing filtered" : "passed unjudged", remark: null };
}

describe("every request code of RocketMQ 5.3, naming a denied topic and group", () => {
  const DENY_ALL = { rules: [{ action: "deny", topics: ["secret"], groups: ["secret"], cluster: true }] };

  it("is refused for what it names, refused as unknown, or has its listing filtered; none passes unjudged", async () => {
    const host = await start(DENY_ALL);
    expect(facts.requestCodes.length).toBeGreaterThan(100);
    const outcomes = new Map<string, Outcome>();
    for (const { name, code } of facts.requestCodes) outcomes.set(name, walk(host, code).outcome);
    const unjudged = [...outcomes].filter(([, o]) => o === "passed unjudged").map(([n]) => n);
    expect(unjudged).toEqual([]);
    // A header class RocketMQ annotates with a topic or group is judged by it.
    for (const h of facts.headers.filter((x) => x.fields.some((f) => f.type === "TOPIC" || f.type === "GROUP"))) {
      const name = facts.requestCodes.find((c) => c.code === h.code)!.name;
      expect(outcomes.get(name), name).toBe("resource");
    }
    // Two of the four requests a topic-only ACL used to let through (the others below).
    for (const name of ["GET_ALL_TOPIC_LIST_FROM_NAMESERVER", "GET_TOPICS_BY_CLUSTER"]) expect(outcomes.get(name), name).toBe("listing filtered");
    const tally = [...outcomes.values()].reduce((m, o) => m.set(o, (m.get(o) ?? 0) + 1), new Map<Outcome, number>());
    console.log(`${facts.requestCodes.length} RocketMQ 5.3 request codes:`, Object.fromEntries(tally));
    flushed(host);
    expect(host.getCounter("mqmesh_rocketmq_denied_requests_total;code=LOCK_BATCH_MQ;topic=secret")).toBe(1);
  }, 120_000);

  it("DELETE_TOPIC_IN_NAMESRV and LOCK_BATCH_MQ are refused for the topic they name", async () => {
    const host = await start({ rules: [{ action: "deny", topics: ["secret"] }] });
    for (const code of [216, 41]) {
      const r = walk(host, code);
      expect([r.outcome, r.remark], `code ${code}`).toEqual(["resource", expect.stringMatching(/on topic secret denied/)]);
    }
  });

  it("codes RocketMQ does not define are refused as unknown, and counted", async () => {
    const host = await start(DENY_ALL);
    const defined = new Set(facts.requestCodes.map((c) => c.code));
    const undefinedCodes = [0, 1, 16, 99, 999, 4000, 32767, 200999].filter((c) => !defined.has(c));
    for (const code of undefinedCodes) expect(walk(host, code).outcome, `code ${code}`).toBe("unknown");
    flushed(host);
    expect(host.getCounter("mqmesh_rocketmq_acl_refused_total;code=other;reason=unknown")).toBe(undefinedCodes.length);
  });

  it("nothing is judged without a rule that can deny", async () => {
    const host = await start({ rules: [{ action: "allow", topics: ["*"] }] });
    const conn = host.newConnection();
    const request = requestFor(4000, 1);
    conn.callOnDownstreamData(request);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.from(request))).toBe(true);
  });
});

describe("listing answers a real name server and broker wrote", () => {
  const rec = loadRecording<AdminRecording>("rocketmq", "admin");
  const secret = "rec-secret";
  const listings = exchanges(rec.steps.flatMap((s) => s.connections)).filter((e) => e.response?.code === 0 && /"(topic|group)List"/.test(e.response.body.toString()));

  function through(host: ProxyHost, e: (typeof listings)[number]) {
    const conn = host.newConnection();
    conn.callOnDownstreamData(wire(e.frame));
    const request = decodeWire(Uint8Array.from(conn.forwardedUpstream));
    conn.callOnUpstreamData(answerTo(request.opaque, 0, e.response!.body.toString()));
    return decodeWire(Uint8Array.from(conn.forwardedDownstream));
  }

  it("leave out a topic the caller may not see, and nothing else; a caller the rule does not name sees it", async () => {
    const hidden = await start({ rules: [{ action: "deny", principals: [`user:${rec.truth.accessKey}`, "anonymous"], topics: [secret] }] });
    const shown = await start({ rules: [{ action: "deny", principals: ["user:someone-else"], topics: [secret] }] });
    const topicLists = listings.filter((e) => e.response!.body.toString().includes(`"${secret}"`));
    expect(topicLists.length).toBeGreaterThan(0);
    for (const e of listings) {
      const original = JSON.parse(e.response!.body.toString());
      const member = "topicList" in original ? "topicList" : "groupList";
      const answer = through(hidden, e);
      if (e.ext.some(([, v]) => v === secret)) {
        // Asking about the hidden topic itself (QUERY_TOPIC_CONSUME_BY_WHO) is refused.
        expect(answer.code).toBe(NO_PERMISSION);
        continue;
      }
      const out = JSON.parse(Buffer.from(answer.body).toString());
      expect(out[member]).toEqual(original[member].filter((n: string) => n !== secret));
      expect({ ...out, [member]: null }).toEqual({ ...original, [member]: null });
      expect(Buffer.from(through(shown, e).body).equals(e.response!.body)).toBe(true);
    }
  });
});

describe("principals", () => {
  const ask = (host: ProxyHost, properties: Record<string, string>, ext: [string, string][] = []) => {
    const conn = host.newConnection({ properties });
    conn.callOnDownstreamData(wire(jsonFrame(command({ code: 14, opaque: 3, version: 479, ext: [["topic", "orders"], ["consumerGroup", "g1"], ["queueId", "0"], ...ext] }))));
    return decodeWire(Uint8Array.from(conn.forwardedUpstream)).code === 14 ? "allowed" : "denied";
  };
  const SAN = "connection.uri_san_peer_certificate";

  it("a rule applies to the callers it names: SPIFFE id, subject, address, AccessKey, client id, group", async () => {
    const cases: [string, Record<string, string>, [string, string][], Record<string, string>, [string, string][]][] = [
      ["spiffe://cluster.local/ns/shop/sa/*", { [SAN]: "spiffe://cluster.local/ns/shop/sa/orders" }, [], { [SAN]: "spiffe://cluster.local/ns/ops/sa/x" }, []],
      ["subject:CN=orders*", { "connection.subject_peer_certificate": "CN=orders,O=shop" }, [], { "connection.subject_peer_certificate": "CN=audit" }, []],
      ["cidr:10.1.0.0/16", { "source.address": "10.1.2.3:4000" }, [], { "source.address": "10.2.0.1:4000" }, []],
      ["user:ak-orders", {}, [["AccessKey", "ak-orders"]], {}, [["AccessKey", "ak-audit"]]],
      ["group:g1", {}, [], {}, [["consumerGroup", "g2"]]],
    ];
    for (const [principal, whoProps, whoExt, otherProps, otherExt] of cases) {
      const host = await start({ rules: [{ action: "deny", principals: [principal], topics: ["orders"] }] });
      expect(ask(host, whoProps, whoExt), principal).toBe("denied");
      expect(ask(host, otherProps, otherExt), `${principal}: another caller`).toBe("allowed");
    }
  });

  it("a client id learned from the connection's heartbeat", async () => {
    const host = await start({ rules: [{ action: "deny", principals: ["client:orders@*"], topics: ["orders"] }] });
    for (const clientId of ["orders@1", "audit@1"]) {
      const conn = host.newConnection();
      conn.callOnDownstreamData(wire(jsonFrame(command({ code: 34, opaque: 1, version: 479, body: utf8(JSON.stringify({ clientID: clientId, consumerDataSet: [], producerDataSet: [] })) }))));
      conn.callOnDownstreamData(wire(jsonFrame(command({ code: 14, opaque: 2, version: 479, ext: [["topic", "orders"], ["consumerGroup", "g"], ["queueId", "0"]] }))));
      const up = Buffer.from(conn.forwardedUpstream);
      const second = decodeWire(Uint8Array.from(up.subarray(4 + up.readInt32BE(0))));
      expect(second.code, clientId).toBe(clientId === "orders@1" ? STAND_IN : 14);
    }
  });
});

describe("bytes the filter cannot follow, from a client, while a rule can deny", () => {
  const deny = { rules: [{ action: "deny", topics: ["secret"] }] };
  const startWith = (config: object) => ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });

  it("close the connection instead of passing unjudged; without an ACL they pass", async () => {
    const badHeader = Buffer.from(wire(jsonFrame(command({ code: 215, opaque: 1, ext: [["topic", "secret"]] }))));
    badHeader[8] = 0x5b; // "[": not a JSON object
    const badSize = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]);
    // A header larger than maxFrameBytes cannot be kept to be read.
    const hugeHeader = wire(jsonFrame(command({ code: 215, opaque: 2, ext: [["topic", "secret"], ["pad", "x".repeat(2000)]] })));
    for (const bytes of [badHeader, badSize, hugeHeader]) {
      const guarded = (await startWith({ acl: deny, maxFrameBytes: 1024 })).newConnection();
      guarded.callOnDownstreamData(bytes);
      expect(guarded.closedByFilter).toBe("downstream");
      expect(guarded.forwardedUpstream.length).toBe(0);
      const open = (await startWith({ maxFrameBytes: 1024 })).newConnection();
      open.callOnDownstreamData(bytes);
      expect(Buffer.from(open.forwardedUpstream).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});
