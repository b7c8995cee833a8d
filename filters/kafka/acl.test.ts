// Topic ACLs of the kafka filter through the host emulator: requests built
// by the independent TS encoder (test/kafka/wire.ts), broker answers built
// the same way, and what the filter lets through decoded by the codec
// fixture. Denied requests reach the broker as ApiVersions v0 with the same
// correlation id, and the client gets the synthesized error in order.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-kafka.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { chunksOf, flushed, joined, loadRecording, replay } from "../../test/support/recordings.ts";
import { SCHEMAS, fill, requestFrame, responseFrame, type Value } from "../../test/kafka/wire.ts";
import { loadCodec, type KafkaCodec } from "../../test/kafka/module.ts";

let wasm: string;
let codec: KafkaCodec;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
  codec = await loadCodec();
}, 120_000);

const TOPIC_AUTHORIZATION_FAILED = 29;
const CLUSTER_AUTHORIZATION_FAILED = 31;

const ACL = {
  acl: {
    defaultAction: "allow",
    rules: [
      { action: "allow", topics: ["secret-ok"], operations: ["*"] },
      { action: "deny", topics: ["secret-*"], operations: ["*"] },
      { action: "deny", topics: ["ro-*"], operations: ["produce"] },
    ],
    denyApis: ["DeleteTopics"],
  },
};

function request(api: string, v: number, body: Value, correlationId: number): Buffer {
  const m = SCHEMAS[api][api + "Request"];
  return Buffer.from(requestFrame(api, v, fill(m.fields, v, body), correlationId, "acl-test"));
}

function response(api: string, v: number, body: Value, correlationId: number): Buffer {
  const m = SCHEMAS[api][api + "Response"];
  return Buffer.from(responseFrame(api, v, fill(m.fields, v, body), correlationId));
}

// Splits a byte stream into frames.
function framesOf(stream: Uint8Array): Buffer[] {
  const b = Buffer.from(stream);
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= b.length; ) {
    const size = b.readInt32BE(pos);
    out.push(b.subarray(pos, pos + 4 + size));
    pos += 4 + size;
  }
  return out;
}

// deno-lint-ignore no-explicit-any
type Json = any;
const describeReq = (frame: Uint8Array): Json => JSON.parse(codec.describeRequest(frame));
const describeResp = (api: string, v: number, frame: Uint8Array): Json =>
  JSON.parse(codec.describeResponse(SCHEMAS[api][api + "Response"].apiKey, v, frame));

const produceBody = (acks: number, ...topics: string[]): Value => ({
  TransactionalId: null,
  Acks: acks,
  TimeoutMs: 1000,
  TopicData: topics.map((Name) => ({ Name, PartitionData: [{ Index: 0, Records: new Uint8Array([1, 2, 3]) }] })),
});

// An ApiVersions v0 answer, as the broker gives to the stand-in request.
const apiVersionsAnswer = (correlationId: number) =>
  response("ApiVersions", 0, { ErrorCode: 0, ApiKeys: [{ ApiKey: 0, MinVersion: 3, MaxVersion: 13 }] }, correlationId);

async function startFilter(config: object = ACL): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

describe("denied produce", () => {
  it.each([3, 7, 9, 12])("v%i: the broker sees ApiVersions v0 with the same correlation id, the client TOPIC_AUTHORIZATION_FAILED", async (v) => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Produce", v, produceBody(-1, "secret-x"), 41));
    const [sent] = framesOf(conn.forwardedUpstream);
    const d = describeReq(sent);
    expect(d.header).toMatchObject({ apiKey: 18, apiVersion: 0, correlationId: 41, clientId: "acl-test" });
    conn.callOnUpstreamData(apiVersionsAnswer(41));
    const [answer] = framesOf(conn.forwardedDownstream);
    const r = describeResp("Produce", v, answer);
    expect(r.correlationId).toBe(41);
    expect(r.body.Responses).toHaveLength(1);
    expect(r.body.Responses[0].Name).toBe("secret-x");
    expect(r.body.Responses[0].PartitionResponses[0]).toMatchObject({ Index: 0, ErrorCode: TOPIC_AUTHORIZATION_FAILED });
    expect(host.getCounter("mqmesh_kafka_denied_requests_total;api=Produce;topic=secret-x;principal=anonymous")).toBe(1);
    expect(host.failed).toBeUndefined();
  });

  it("with acks=0 sends nothing to the broker and nothing back", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Produce", 9, produceBody(0, "secret-x"), 5));
    expect(conn.forwardedUpstream.length).toBe(0);
    // The next request and its answer go through as they are.
    const next = request("Metadata", 12, { Topics: [{ Name: "orders" }], AllowAutoTopicCreation: false }, 6);
    conn.callOnDownstreamData(next);
    expect(Buffer.from(conn.forwardedUpstream).equals(next)).toBe(true);
    conn.callOnUpstreamData(response("Metadata", 12, { Topics: [{ Name: "orders" }] }, 6));
    expect(framesOf(conn.forwardedDownstream).map((f) => f.readInt32BE(4))).toEqual([6]);
  });

  it("mixed with allowed topics: the broker gets the allowed part, the client both answers merged", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Produce", 9, produceBody(-1, "orders", "ro-audit", "secret-ok"), 7));
    const forwarded = describeReq(framesOf(conn.forwardedUpstream)[0]);
    expect(forwarded.header.apiKey).toBe(0);
    expect(forwarded.body.TopicData.map((t: Json) => t.Name)).toEqual(["orders", "secret-ok"]);
    const broker = response(
      "Produce", 9,
      { Responses: ["orders", "secret-ok"].map((Name) => ({ Name, PartitionResponses: [{ Index: 0, ErrorCode: 0, BaseOffset: 10n, ErrorMessage: null }] })) },
      7,
    );
    conn.callOnUpstreamData(broker);
    const r = describeResp("Produce", 9, framesOf(conn.forwardedDownstream)[0]);
    expect(r.correlationId).toBe(7);
    const byName = Object.fromEntries(r.body.Responses.map((t: Json) => [t.Name, t.PartitionResponses[0].ErrorCode]));
    expect(byName).toEqual({ orders: 0, "secret-ok": 0, "ro-audit": TOPIC_AUTHORIZATION_FAILED });
  });
});

describe("allowed produce", () => {
  const ORDERS_ID = new Uint8Array(16).fill(0x0a);
  const produceTo = (v: number, topic: string, correlationId: number) =>
    request("Produce", v, {
      TransactionalId: null, Acks: -1, TimeoutMs: 1000,
      TopicData: [{ Name: topic, TopicId: ORDERS_ID, PartitionData: [{ Index: 0, Records: new Uint8Array(3000).fill(7) }] }],
    }, correlationId);

  // Holding a request copies all its records into the module and back out:
  // one to a single allowed topic is judged from its first bytes instead.
  it.each([3, 9, 12, 13])("v%i to one allowed topic streams through as it arrives, unheld", async (v) => {
    const host = await startFilter();
    const conn = host.newConnection();
    if (v >= 13) {
      // Produce v13 names topics by id: the filter learns ids from Metadata.
      conn.callOnDownstreamData(request("Metadata", 12, { Topics: [{ Name: "orders" }], AllowAutoTopicCreation: false }, 1));
      conn.callOnUpstreamData(response("Metadata", 12, { Topics: [{ Name: "orders", TopicId: ORDERS_ID }] }, 1));
    }
    const before = conn.forwardedUpstream.length;
    const frame = produceTo(v, "orders", 2);
    conn.callOnDownstreamData(frame.subarray(0, 200));
    expect(conn.forwardedUpstream.length - before).toBe(200);
    conn.callOnDownstreamData(frame.subarray(200));
    expect(Buffer.from(conn.forwardedUpstream.subarray(before)).equals(frame)).toBe(true);
    // Still observed on its way: its record bytes are counted for the topic.
    expect(flushed(host).getCounter("mqmesh_kafka_produced_bytes_total;topic=orders")).toBe(3000);
    expect(host.getCounter("mqmesh_kafka_denied_requests_total;api=Produce;topic=orders;principal=anonymous", 0)).toBe(0);
  });

  it("v13 to a topic id no Metadata named yet is held, and streams once Metadata names it", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    // Unnamed, the id might be a denied topic: held and answered with the error.
    conn.callOnDownstreamData(produceTo(13, "", 1).subarray(0, 200));
    expect(conn.forwardedUpstream.length).toBe(0);
    conn.callOnDownstreamData(produceTo(13, "", 1).subarray(200));
    conn.callOnUpstreamData(apiVersionsAnswer(1));
    expect(describeResp("Produce", 13, framesOf(conn.forwardedDownstream)[0]).body.Responses[0].PartitionResponses[0].ErrorCode)
      .toBe(TOPIC_AUTHORIZATION_FAILED);
    conn.callOnDownstreamData(request("Metadata", 12, { Topics: [{ Name: "orders" }], AllowAutoTopicCreation: false }, 2));
    conn.callOnUpstreamData(response("Metadata", 12, { Topics: [{ Name: "orders", TopicId: ORDERS_ID }] }, 2));
    const before = conn.forwardedUpstream.length;
    conn.callOnDownstreamData(produceTo(13, "", 3).subarray(0, 200));
    expect(conn.forwardedUpstream.length - before).toBe(200);
  });

  it("to one denied topic is still withheld until whole, then answered with the error", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    const frame = produceTo(9, "ro-audit", 3);
    conn.callOnDownstreamData(frame.subarray(0, 200));
    expect(conn.forwardedUpstream.length).toBe(0);
    conn.callOnDownstreamData(frame.subarray(200));
    expect(describeReq(framesOf(conn.forwardedUpstream)[0]).header.apiKey).toBe(18);
    conn.callOnUpstreamData(apiVersionsAnswer(3));
    const r = describeResp("Produce", 9, framesOf(conn.forwardedDownstream)[0]);
    expect(r.body.Responses[0].PartitionResponses[0].ErrorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });
});

describe("pipelined requests", () => {
  it("answers keep the order and correlation ids of the requests", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    // Allowed, denied, allowed, denied: in one read.
    conn.callOnDownstreamData(
      Buffer.concat([
        request("Produce", 9, produceBody(-1, "orders"), 1),
        request("Produce", 9, produceBody(-1, "ro-x"), 2),
        request("Produce", 9, produceBody(-1, "orders"), 3),
        request("DeleteTopics", 4, { TopicNames: ["orders"], TimeoutMs: 100 }, 4),
      ]),
    );
    const sent = framesOf(conn.forwardedUpstream).map((f) => [f.readInt16BE(4), f.readInt32BE(8)]);
    expect(sent).toEqual([[0, 1], [18, 2], [0, 3], [18, 4]]);
    const ok = (id: number) => response("Produce", 9, { Responses: [{ Name: "orders", PartitionResponses: [{ Index: 0, ErrorMessage: null }] }] }, id);
    conn.callOnUpstreamData(Buffer.concat([ok(1), apiVersionsAnswer(2)]));
    conn.callOnUpstreamData(Buffer.concat([ok(3), apiVersionsAnswer(4)]));
    const answers = framesOf(conn.forwardedDownstream);
    expect(answers.map((f) => f.readInt32BE(4))).toEqual([1, 2, 3, 4]);
    expect(describeResp("Produce", 9, answers[1]).body.Responses[0].PartitionResponses[0].ErrorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    // DeleteTopics is denied by API name: every topic gets the error.
    const deleted = describeResp("DeleteTopics", 4, answers[3]);
    expect(deleted.body.Responses).toEqual([expect.objectContaining({ Name: "orders", ErrorCode: TOPIC_AUTHORIZATION_FAILED })]);
    expect(host.getCounter("mqmesh_kafka_denied_requests_total;api=DeleteTopics;topic=_;principal=anonymous")).toBe(1);
  });
});

describe("metadata", () => {
  const brokerTopics = ["orders", "secret-x", "secret-ok", "ro-audit"].map((Name) => ({
    Name, ErrorCode: 0, Partitions: [{ PartitionIndex: 0, LeaderId: 1, ReplicaNodes: [1], IsrNodes: [1] }],
  }));
  const brokers = [{ NodeId: 1, Host: "127.0.0.1", Port: 9092, Rack: null }];

  it.each([1, 4, 9, 12])("v%i all-topics: denied topics are left out", async (v) => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Metadata", v, { Topics: null }, 9));
    conn.callOnUpstreamData(response("Metadata", v, { Brokers: brokers, ClusterId: "c", Topics: brokerTopics }, 9));
    const r = describeResp("Metadata", v, framesOf(conn.forwardedDownstream)[0]);
    expect(r.body.Topics.map((t: Json) => t.Name)).toEqual(["orders", "secret-ok", "ro-audit"]);
    expect(r.body.Brokers).toHaveLength(1);
  });

  it("a named denied topic gets TOPIC_AUTHORIZATION_FAILED and is not asked of the broker", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Metadata", 12, { Topics: [{ Name: "orders" }, { Name: "secret-x" }], AllowAutoTopicCreation: true }, 3));
    const asked = describeReq(framesOf(conn.forwardedUpstream)[0]);
    expect(asked.body.Topics.map((t: Json) => t.Name)).toEqual(["orders"]);
    conn.callOnUpstreamData(response("Metadata", 12, { Brokers: brokers, Topics: [brokerTopics[0]] }, 3));
    const r = describeResp("Metadata", 12, framesOf(conn.forwardedDownstream)[0]);
    expect(r.body.Topics.map((t: Json) => [t.Name, t.ErrorCode])).toEqual([["orders", 0], ["secret-x", TOPIC_AUTHORIZATION_FAILED]]);
  });

  it("only denied topics named: the broker still answers with its brokers", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("Metadata", 9, { Topics: [{ Name: "secret-x" }] }, 4));
    const asked = describeReq(framesOf(conn.forwardedUpstream)[0]);
    expect(asked.header.apiKey).toBe(3);
    expect(asked.body.Topics).toEqual([]);
    conn.callOnUpstreamData(response("Metadata", 9, { Brokers: brokers, Topics: [] }, 4));
    const r = describeResp("Metadata", 9, framesOf(conn.forwardedDownstream)[0]);
    expect(r.body.Brokers).toHaveLength(1);
    expect(r.body.Topics.map((t: Json) => [t.Name, t.ErrorCode])).toEqual([["secret-x", TOPIC_AUTHORIZATION_FAILED]]);
  });
});

describe("consume side", () => {
  it("a fetch of a denied topic is answered per partition; allowed topics merge with the broker's", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    const topic = (Topic: string) => ({ Topic, Partitions: [{ Partition: 0, FetchOffset: 0n, PartitionMaxBytes: 1000 }] });
    conn.callOnDownstreamData(request("Fetch", 11, { MaxWaitMs: 10, Topics: [topic("orders"), topic("secret-x")], RackId: "" }, 12));
    expect(describeReq(framesOf(conn.forwardedUpstream)[0]).body.Topics.map((t: Json) => t.Topic)).toEqual(["orders"]);
    conn.callOnUpstreamData(response("Fetch", 11, { Responses: [{ Topic: "orders", Partitions: [{ PartitionIndex: 0, AbortedTransactions: [], Records: null }] }] }, 12));
    const r = describeResp("Fetch", 11, framesOf(conn.forwardedDownstream)[0]);
    expect(r.body.Responses.map((t: Json) => [t.Topic, t.Partitions[0].ErrorCode])).toEqual([["orders", 0], ["secret-x", TOPIC_AUTHORIZATION_FAILED]]);
  });

  it("ListOffsets and OffsetCommit of only denied topics are answered by the filter", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("ListOffsets", 5, { ReplicaId: -1, Topics: [{ Name: "secret-a", Partitions: [{ PartitionIndex: 2, Timestamp: -1n }] }] }, 20));
    conn.callOnDownstreamData(request("OffsetCommit", 8, { GroupId: "g", MemberId: "m", GroupInstanceId: null, Topics: [{ Name: "secret-a", Partitions: [{ PartitionIndex: 2, CommittedMetadata: null }] }] }, 21));
    expect(framesOf(conn.forwardedUpstream).map((f) => f.readInt16BE(4))).toEqual([18, 18]);
    conn.callOnUpstreamData(Buffer.concat([apiVersionsAnswer(20), apiVersionsAnswer(21)]));
    const [lo, oc] = framesOf(conn.forwardedDownstream);
    expect(describeResp("ListOffsets", 5, lo).body.Topics[0].Partitions[0]).toMatchObject({ PartitionIndex: 2, ErrorCode: TOPIC_AUTHORIZATION_FAILED });
    expect(describeResp("OffsetCommit", 8, oc).body.Topics[0].Partitions[0]).toMatchObject({ PartitionIndex: 2, ErrorCode: TOPIC_AUTHORIZATION_FAILED });
  });
});

describe("API allow list", () => {
  it("an API outside it gets the API's own error", async () => {
    const host = await startFilter({ acl: { allowApis: ["ApiVersions", "Metadata", "Produce"] } });
    const conn = host.newConnection();
    conn.callOnDownstreamData(request("DescribeCluster", 1, {}, 30));
    expect(describeReq(framesOf(conn.forwardedUpstream)[0]).header).toMatchObject({ apiKey: 18, correlationId: 30 });
    conn.callOnUpstreamData(apiVersionsAnswer(30));
    const r = describeResp("DescribeCluster", 1, framesOf(conn.forwardedDownstream)[0]);
    expect(r.correlationId).toBe(30);
    expect(r.body.ErrorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("configuration", () => {
  it.each([
    [{ acl: { defaultAction: "maybe" } }, "acl.defaultAction: expected one of allow, deny"],
    [{ acl: { rules: [{ action: "deny", topics: ["a"] }, { action: "deny", topics: ["b"], operations: ["scribble"] }] } }, "acl.rules[1].operations[0]: expected one of Read, Write, Create"],
    [{ acl: { rules: [{ action: "deny" }] } }, "acl.rules[0].topics"],
    [{ acl: { rules: [{ topics: ["a"] }] } }, "acl.rules[0].action: missing required field"],
    [{ acl: { denyApis: ["Produce", "Frobnicate"] } }, 'acl.denyApis[1]: unknown Kafka API "Frobnicate"'],
    [{ acl: { rules: [], defaultActon: "deny" } }, 'acl: unknown field "defaultActon"'],
  ])("rejects %j", async (config, message) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(message);
  });
});

describe("recorded traffic with an ACL that denies nothing it uses", () => {
  for (const client of ["kafkajs", "kcat"]) {
    it(`${client}: passes byte for byte`, async () => {
      const rec = loadRecording<Recording>("kafka", client);
      const host = await startFilter();
      for (const connection of rec.connections) {
        const chunks = chunksOf(connection);
        const conn = replay(host, chunks);
        expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
        // Metadata answers are re-encoded; they must decode the same.
        expect(framesOf(conn.forwardedDownstream).length).toBe(framesOf(joined(chunks, "response")).length);
      }
      expect(host.failed).toBeUndefined();
    });
  }

  it("denying the recorded topic answers its produce requests with the error", async () => {
    const rec = loadRecording<Recording>("kafka", "kafkajs");
    const host = await startFilter({ acl: { rules: [{ action: "deny", topics: [rec.truth.topic], operations: ["produce"] }] } });
    for (const connection of rec.connections) {
      const conn = host.newConnection();
      for (const c of chunksOf(connection)) {
        if (c.direction === "request") conn.callOnDownstreamData(c.bytes);
        else conn.callOnUpstreamData(c.bytes);
      }
    }
    expect(host.getCounter(`mqmesh_kafka_denied_requests_total;api=Produce;topic=${rec.truth.topic};principal=anonymous`)).toBeGreaterThan(0);
    expect(host.failed).toBeUndefined();
  });
});

describe("robustness with an ACL", () => {
  it("never traps on random bytes in either direction", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 })), { maxLength: 12 }), async (reads) => {
        const host = await startFilter();
        const conn = host.newConnection();
        for (const [isRequest, bytes] of reads) {
          if (conn.closed) break;
          if (isRequest) conn.callOnDownstreamData(bytes);
          else conn.callOnUpstreamData(bytes);
        }
        if (!conn.closed) conn.closeDownstream();
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it("never traps on mutated produce and metadata frames", async () => {
    const seeds = [
      request("Produce", 9, produceBody(-1, "orders", "secret-a"), 1),
      request("Metadata", 12, { Topics: [{ Name: "secret-a" }] }, 2),
      request("Fetch", 13, { Topics: [{ TopicId: new Uint8Array(16).fill(7), Partitions: [{ Partition: 0 }] }] }, 3),
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), async (which, edits) => {
        const frame = Buffer.from(seeds[which]);
        for (const [at, value] of edits) if (at % frame.length >= 4) frame[at % frame.length] = value;
        const host = await startFilter();
        const conn = host.newConnection();
        conn.callOnDownstreamData(frame);
        // A frame the ACL cannot read closes the connection (fail closed).
        if (!conn.closed) conn.callOnUpstreamData(Buffer.concat([apiVersionsAnswer(frame.readInt32BE(8)), response("Metadata", 12, { Topics: [{ Name: "secret-a" }] }, 2)]));
        if (!conn.closed) conn.closeDownstream();
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});
