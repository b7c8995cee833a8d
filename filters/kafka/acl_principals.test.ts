// The Kafka ACL's model through the host emulator: which operation each API
// needs (as Kafka documents its operations per protocol API), who is asking
// (the peer certificate's URI SAN, the client id, the source address), and
// the metrics of what it denied. Requests come from the independent encoder.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { chunksOf, loadRecording } from "../../test/support/recordings.ts";
import type { SaslRecording } from "../../scripts/record-kafka-sasl.ts";
import { SCHEMAS, decodeRequestFrame, decodeResponseFrame, fill, requestFrame, responseFrame, type Value } from "../../test/kafka/wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 120_000);

const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const ORDERS_SA = "spiffe://cluster.local/ns/shop/sa/orders";

const request = (api: string, v: number, body: Value, correlationId: number, clientId = "acl-test") =>
  Buffer.from(requestFrame(api, v, fill(SCHEMAS[api][api + "Request"].fields, v, body), correlationId, clientId));
const apiVersionsAnswer = (correlationId: number) =>
  Buffer.from(responseFrame("ApiVersions", 0, fill(SCHEMAS.ApiVersions.ApiVersionsResponse.fields, 0, { ErrorCode: 0, ApiKeys: [] }), correlationId));
const first = (stream: Uint8Array) => Buffer.from(stream).subarray(0, 4 + Buffer.from(stream).readInt32BE(0));

// Sends one request; "refused" when the broker got the stand-in instead.
async function outcome(config: object, frame: Buffer, properties: Record<string, string> = {}): Promise<{ verdict: "refused" | "passed"; host: ProxyHost; answer?: Buffer }> {
  const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
  const conn = host.newConnection({ properties });
  conn.callOnDownstreamData(frame);
  const sent = decodeRequestFrame(first(conn.forwardedUpstream));
  if (sent.apiKey !== 18 || frame.readInt16BE(4) === 18) return { verdict: "passed", host };
  conn.callOnUpstreamData(apiVersionsAnswer(sent.correlationId));
  return { verdict: "refused", host, answer: first(conn.forwardedDownstream) };
}

const denyOn = (ops: string[], extra: object = {}) => ({ acl: { rules: [{ action: "deny", topics: ["secret-*"], groups: ["g-secret"], ...extra, operations: ops }] } });
const ALL_OPS = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "DescribeConfigs", "AlterConfigs", "IdempotentWrite", "CreateTokens", "DescribeTokens"];

// The requests the broker authorizes with one operation on the named topic
// (Kafka's documentation of operations per API).
const CASES: [string, Buffer, string][] = [
  ["DeleteRecords", request("DeleteRecords", 2, { Topics: [{ Name: "secret-x", Partitions: [{ PartitionIndex: 0, Offset: 10n }] }], TimeoutMs: 1000 }, 1), "Delete"],
  ["CreatePartitions", request("CreatePartitions", 3, { Topics: [{ Name: "secret-x", Count: 4, Assignments: null }], TimeoutMs: 1000, ValidateOnly: false }, 2), "Alter"],
  ["IncrementalAlterConfigs", request("IncrementalAlterConfigs", 1, {
    Resources: [{ ResourceType: 2, ResourceName: "secret-x", Configs: [{ Name: "retention.ms", ConfigOperation: 0, Value: "1000" }] }], ValidateOnly: false,
  }, 3), "AlterConfigs"],
  ["DescribeTopicPartitions", request("DescribeTopicPartitions", 0, { Topics: [{ Name: "secret-x" }], ResponsePartitionLimit: 100, Cursor: null }, 4), "Describe"],
  ["DescribeConfigs", request("DescribeConfigs", 4, { Resources: [{ ResourceType: 2, ResourceName: "secret-x", ConfigurationKeys: null }] }, 5), "DescribeConfigs"],
  ["Fetch", request("Fetch", 11, { MaxWaitMs: 10, Topics: [{ Topic: "secret-x", Partitions: [{ Partition: 0, FetchOffset: 0n }] }], RackId: "" }, 6), "Read"],
  ["CreateTopics", request("CreateTopics", 7, { Topics: [{ Name: "secret-x", NumPartitions: 1, ReplicationFactor: 1 }], TimeoutMs: 1000 }, 7), "Create"],
  ["DeleteTopics", request("DeleteTopics", 6, { Topics: [{ Name: "secret-x", TopicId: new Uint8Array(16) }], TimeoutMs: 1000 }, 8), "Delete"],
  ["OffsetDelete (group)", request("OffsetDelete", 0, { GroupId: "g-secret", Topics: [{ Name: "orders", Partitions: [{ PartitionIndex: 0 }] }] }, 9), "Delete"],
];

describe("each API needs the operation Kafka checks for it", () => {
  it.each(CASES)("%s: denied by a rule on its operation, allowed by rules on every other", async (api, frame, op) => {
    const denied = await outcome(denyOn([op]), frame);
    expect(denied.verdict).toBe("refused");
    const codes = JSON.stringify(decodeResponseFrame(api.split(" ")[0], frame.readInt16BE(6), denied.answer!).body, (_, x) => (typeof x === "bigint" ? x.toString() : x));
    expect(codes).toMatch(new RegExp(`"ErrorCode":(${TOPIC_AUTHORIZATION_FAILED}|${GROUP_AUTHORIZATION_FAILED})`));
    const others = ALL_OPS.filter((o) => o !== op && !(op === "Describe" && ["Read", "Write", "Delete", "Alter"].includes(o)));
    expect((await outcome(denyOn(others), frame)).verdict).toBe("passed");
  });

  it("a request refused for the cluster is answered CLUSTER_AUTHORIZATION_FAILED, whatever topics it names", async () => {
    const config = { acl: { rules: [{ action: "deny", cluster: true, operations: ["Alter"] }] } };
    const frame = request("AlterPartitionReassignments", 0, { TimeoutMs: 1000, Topics: [{ Name: "orders", Partitions: [{ PartitionIndex: 0, Replicas: [1] }] }] }, 8);
    const refused = await outcome(config, frame);
    expect(refused.verdict).toBe("refused");
    const body = JSON.stringify(decodeResponseFrame("AlterPartitionReassignments", 0, refused.answer!).body);
    expect(body).toContain('"ErrorCode":31');
    expect(body).not.toMatch(/"ErrorCode":(0|29)\b/);
  });

  it("an allow rule on Write lets a producer describe the topic (Write implies Describe)", async () => {
    const config = { acl: { defaultAction: "deny", rules: [{ action: "allow", topics: ["orders"], operations: ["Write"] }] } };
    const dtp = request("DescribeTopicPartitions", 0, { Topics: [{ Name: "orders" }], ResponsePartitionLimit: 10, Cursor: null }, 1);
    expect((await outcome(config, dtp)).verdict).toBe("passed");
    const fetch = request("Fetch", 11, { MaxWaitMs: 10, Topics: [{ Topic: "orders", Partitions: [{ Partition: 0 }] }], RackId: "" }, 2);
    expect((await outcome(config, fetch)).verdict).toBe("refused");
  });

  it("the old operation names keep their meaning: consume denies fetching, not producing", async () => {
    const config = { acl: { rules: [{ action: "deny", topics: ["secret-*"], operations: ["consume"] }] } };
    expect((await outcome(config, CASES[5][1])).verdict).toBe("refused");
    const produce = request("Produce", 9, { Acks: -1, TimeoutMs: 100, TopicData: [{ Name: "secret-x", PartitionData: [{ Index: 0, Records: new Uint8Array([1]) }] }] }, 3);
    expect((await outcome(config, produce)).verdict).toBe("passed");
  });
});

describe("API deny list", () => {
  it("any API is refused in its own terms, with the error of what it names", async () => {
    const frame = request("DescribeTopicPartitions", 0, { Topics: [{ Name: "orders" }, { Name: "audit" }], ResponsePartitionLimit: 100, Cursor: null }, 31);
    const refused = await outcome({ acl: { denyApis: ["DescribeTopicPartitions"] } }, frame);
    expect(refused.verdict).toBe("refused");
    const topics = decodeResponseFrame("DescribeTopicPartitions", 0, refused.answer!).body.Topics as Value[];
    expect(topics.map((t) => [t.Name, t.ErrorCode])).toEqual([["orders", TOPIC_AUTHORIZATION_FAILED], ["audit", TOPIC_AUTHORIZATION_FAILED]]);
  });

  it("names the highest API keys a broker serves", async () => {
    const config = { acl: { denyApis: ["UnregisterController", "StreamsGroupTopologyDescriptionUpdate"] } };
    const refused = await outcome(config, request("UnregisterController", 0, { ControllerId: 3 }, 32));
    expect(refused.verdict).toBe("refused");
    expect(decodeResponseFrame("UnregisterController", 0, refused.answer!).body.ErrorCode).toBe(31);
  });
});

describe("principals", () => {
  const SAN = { acl: { rules: [{ action: "deny", principals: [ORDERS_SA], topics: ["secret-*"] }] } };

  it("a rule keyed on a SPIFFE id applies to that workload only, and the denial is counted for it", async () => {
    const frame = CASES[5][1];
    const orders = await outcome(SAN, frame, { "connection.uri_san_peer_certificate": ORDERS_SA });
    expect(orders.verdict).toBe("refused");
    expect(orders.host.getCounter(`mqmesh_kafka_denied_requests_total;api=Fetch;topic=secret-x;principal=${ORDERS_SA}`)).toBe(1);
    const billing = await outcome(SAN, frame, { "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/shop/sa/billing" });
    expect(billing.verdict).toBe("passed");
    expect((await outcome(SAN, frame)).verdict).toBe("passed");
  });

  it("client ids and source addresses", async () => {
    const config = {
      acl: { rules: [
        { action: "allow", principals: ["client:billing-*", "cidr:10.1.0.0/16"], topics: ["billing.*"] },
        { action: "deny", topics: ["billing.*"] },
      ] },
    };
    const fetchAs = (clientId: string) =>
      request("Fetch", 11, { MaxWaitMs: 10, Topics: [{ Topic: "billing.invoices", Partitions: [{ Partition: 0 }] }], RackId: "" }, 4, clientId);
    expect((await outcome(config, fetchAs("billing-app"))).verdict).toBe("passed");
    expect((await outcome(config, fetchAs("shop-app"))).verdict).toBe("refused");
    expect((await outcome(config, fetchAs("shop-app"), { "source.address": "10.1.2.3:40000" })).verdict).toBe("passed");
  });

  // Recorded logins of real clients against a real broker with SASL
  // (PLAIN, SCRAM-SHA-256/512), some with a wrong password.
  it("user: principals match the SASL user once the broker accepted the login, never a refused one", async () => {
    const runs = loadRecording<SaslRecording>("kafka", "sasl").runs;
    expect(runs.some((r) => r.authenticated) && runs.some((r) => !r.authenticated)).toBe(true);
    for (const run of runs) {
      const config = { acl: { rules: [{ action: "deny", principals: [`user:${run.user}`], topics: ["secret-*"] }] } };
      const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
      const conn = host.newConnection();
      for (const c of chunksOf(run.connections[0])) {
        if (c.direction === "request") conn.callOnDownstreamData(c.bytes);
        else conn.callOnUpstreamData(c.bytes);
      }
      const before = conn.forwardedUpstream.length;
      conn.callOnDownstreamData(request("Fetch", 11, { MaxWaitMs: 10, Topics: [{ Topic: "secret-x", Partitions: [{ Partition: 0 }] }], RackId: "" }, 999));
      const sent = decodeRequestFrame(Buffer.from(conn.forwardedUpstream.subarray(before)));
      expect(sent.apiKey === 18, `${run.client} ${run.mechanism} ${run.user} authenticated=${run.authenticated}`).toBe(run.authenticated);
      if (run.authenticated) expect(host.getCounter(`mqmesh_kafka_denied_requests_total;api=Fetch;topic=secret-x;principal=user:${run.user}`)).toBe(1);
    }
  });

  it("a bad principal is a configuration error naming its path", async () => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify({ acl: { rules: [{ action: "deny", topics: ["a"], principals: ["cidr:10.0.0.0/99"] }] } }) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain("acl.rules[0].principals[0]");
  });
});

describe("answers merged with the broker's", () => {
  it("OffsetFetch v8: the broker is asked for the allowed topic, the denied one comes back refused, not hidden", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(denyOn(["*"])) });
    const conn = host.newConnection();
    const topics = ["orders", "secret-x"].map((Name) => ({ Name, PartitionIndexes: [0] }));
    conn.callOnDownstreamData(request("OffsetFetch", 8, { Groups: [{ GroupId: "g", Topics: topics }], RequireStable: false }, 5));
    const asked = decodeRequestFrame(first(conn.forwardedUpstream));
    expect((asked.body.Groups as Value[])[0].Topics).toEqual([expect.objectContaining({ Name: "orders" })]);
    conn.callOnUpstreamData(Buffer.from(responseFrame("OffsetFetch", 8, fill(SCHEMAS.OffsetFetch.OffsetFetchResponse.fields, 8, {
      Groups: [{ GroupId: "g", Topics: [{ Name: "orders", Partitions: [{ PartitionIndex: 0, CommittedOffset: 42n, CommittedMetadata: "" }] }] }],
    }), 5)));
    const answer = decodeResponseFrame("OffsetFetch", 8, first(conn.forwardedDownstream)).body;
    const byName = Object.fromEntries(((answer.Groups as Value[])[0].Topics as Value[]).map((t) => [t.Name, (t.Partitions as Value[])[0].ErrorCode]));
    expect(byName).toEqual({ orders: 0, "secret-x": TOPIC_AUTHORIZATION_FAILED });
  });

  it("IncrementalAlterConfigs: a denied topic and a denied group each get their own error, the allowed topic is altered", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(denyOn(["AlterConfigs"])) });
    const conn = host.newConnection();
    const entry = (ResourceType: number, ResourceName: string) => ({ ResourceType, ResourceName, Configs: [{ Name: "retention.ms", ConfigOperation: 0, Value: "1" }] });
    conn.callOnDownstreamData(request("IncrementalAlterConfigs", 1, { Resources: [entry(2, "secret-x"), entry(32, "g-secret"), entry(2, "orders")], ValidateOnly: false }, 6));
    const asked = decodeRequestFrame(first(conn.forwardedUpstream));
    expect((asked.body.Resources as Value[]).map((r) => r.ResourceName)).toEqual(["orders"]);
    conn.callOnUpstreamData(Buffer.from(responseFrame("IncrementalAlterConfigs", 1, fill(SCHEMAS.IncrementalAlterConfigs.IncrementalAlterConfigsResponse.fields, 1, {
      Responses: [{ ErrorCode: 0, ErrorMessage: null, ResourceType: 2, ResourceName: "orders" }],
    }), 6)));
    const answer = decodeResponseFrame("IncrementalAlterConfigs", 1, first(conn.forwardedDownstream)).body;
    const byName = Object.fromEntries((answer.Responses as Value[]).map((r) => [r.ResourceName, r.ErrorCode]));
    expect(byName).toEqual({ orders: 0, "secret-x": TOPIC_AUTHORIZATION_FAILED, "g-secret": GROUP_AUTHORIZATION_FAILED });
  });
});

describe("fail closed", () => {
  it("a request too large to judge closes the connection and is counted", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ ...denyOn(["Delete"]), maxFrameBytes: 64 }) });
    const conn = host.newConnection();
    const big = request("DeleteRecords", 2, { Topics: [{ Name: "orders-" + "x".repeat(100), Partitions: [{ PartitionIndex: 0, Offset: 10n }] }], TimeoutMs: 1 }, 1);
    conn.callOnDownstreamData(big);
    expect(conn.closed).toBe(true);
    expect(conn.forwardedUpstream.length).toBe(0);
    expect(host.getCounter("mqmesh_kafka_acl_unjudged_requests_total;api=DeleteRecords;reason=oversize")).toBe(1);
  });

  it("an API key the filter does not know (a newer Kafka's) closes the connection", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(denyOn(["Delete"])) });
    const conn = host.newConnection();
    const frame = request("DeleteRecords", 2, { Topics: [], TimeoutMs: 1 }, 1);
    frame.writeInt16BE(95, 4);
    conn.callOnDownstreamData(frame);
    expect(conn.closed).toBe(true);
    expect(conn.forwardedUpstream.length).toBe(0);
  });

  it("onUnknown pass with rules is a configuration error", async () => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify({ ...denyOn(["Delete"]), onUnknown: "pass" }) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain('onUnknown: must be "close" while acl rules are configured');
  });

  it("an API version the filter cannot read closes the connection", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(denyOn(["Delete"])) });
    const conn = host.newConnection();
    const frame = request("DeleteRecords", 2, { Topics: [], TimeoutMs: 1 }, 1);
    frame.writeInt16BE(9, 6); // DeleteRecords v9 does not exist (yet)
    conn.callOnDownstreamData(frame);
    expect(conn.closed).toBe(true);
    expect(host.getCounter("mqmesh_kafka_acl_unjudged_requests_total;api=DeleteRecords;reason=unknown_version")).toBe(1);
  });
});

describe("topic ids", () => {
  const id = new Uint8Array(16).fill(0x5e);
  const fetchById = (correlationId: number) =>
    request("Fetch", 13, { MaxWaitMs: 10, Topics: [{ TopicId: id, Partitions: [{ Partition: 0 }] }], RackId: "" }, correlationId);

  it("an id no response named is refused while a rule could deny it; once DescribeTopicPartitions names it, judged by name", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(denyOn(["Read"])) });
    const conn = host.newConnection();
    conn.callOnDownstreamData(fetchById(1));
    expect(decodeRequestFrame(first(conn.forwardedUpstream)).apiKey).toBe(18);
    conn.callOnUpstreamData(apiVersionsAnswer(1));
    const conn2 = host.newConnection();
    conn2.callOnDownstreamData(request("DescribeTopicPartitions", 0, { Topics: [{ Name: "orders" }], ResponsePartitionLimit: 10, Cursor: null }, 2));
    conn2.callOnUpstreamData(Buffer.from(responseFrame("DescribeTopicPartitions", 0,
      fill(SCHEMAS.DescribeTopicPartitions.DescribeTopicPartitionsResponse.fields, 0, { Topics: [{ Name: "orders", TopicId: id, Partitions: [] }], NextCursor: null }), 2)));
    const before = conn2.forwardedUpstream.length;
    const frame = fetchById(3);
    conn2.callOnDownstreamData(frame);
    expect(Buffer.from(conn2.forwardedUpstream.subarray(before)).equals(frame)).toBe(true);
  });
});
