// Cross-check against a third-party encoder: kafkajs builds real client
// frames (header v1, non-flexible versions it supports); our codec must
// decode them to the values kafkajs was given and re-encode them exactly.
// Produce frames carry real record batches (CRC32C by kafkajs), which also
// checks record_batch.ts. Responses we encode (wire.ts) are read back by
// kafkajs's own decoders.
import { beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";
import { responseFrame } from "./wire.ts";

const require = createRequire(import.meta.url);
const Request = require("kafkajs/src/protocol/request");
const Long = require("kafkajs/src/utils/long");
const req = (api: string, v: number) => require(`kafkajs/src/protocol/requests/${api}/v${v}/request`);
const resp = (api: string, v: number) => require(`kafkajs/src/protocol/requests/${api}/v${v}/response`);

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

async function frameOf(request: unknown, correlationId = 42): Promise<Uint8Array> {
  const enc = await Request({ correlationId, clientId: "kafkajs-x", request });
  return new Uint8Array(enc.buffer);
}

async function check(request: unknown): Promise<any> {
  const frame = await frameOf(request);
  const out = codec.roundTripRequest(frame);
  expect(codec.lastDecodeError()).toBe("");
  expect(hex(out)).toBe(hex(frame));
  const d = JSON.parse(codec.describeRequest(frame));
  expect(d.header.clientId).toBe("kafkajs-x");
  expect(d.header.correlationId).toBe(42);
  return d.body;
}

const messages = [
  { key: "k1", value: "v1", headers: { trace: "abc" }, timestamp: 1700000000000 },
  { key: null, value: "second value", timestamp: 1700000000005 },
];

describe("kafkajs request frames", () => {
  it("ApiVersions v0-2", async () => {
    for (const v of [0, 1, 2]) expect(await check(req("apiVersions", v)())).toEqual({});
  });

  it("Metadata v0-6", async () => {
    for (const v of [0, 1, 2, 3, 4, 5, 6]) {
      const b = await check(req("metadata", v)({ topics: ["orders", "payments"], allowAutoTopicCreation: false }));
      expect(b.Topics.map((t: any) => t.Name)).toEqual(["orders", "payments"]);
      if (v >= 4) expect(b.AllowAutoTopicCreation).toBe(false);
    }
  });

  it("Produce v3-7 with plain and gzip batches", async () => {
    for (const v of [3, 4, 5, 6, 7]) {
      for (const compression of [0, 1]) {
        const b = await check(req("produce", v)({
          acks: -1, timeout: 30000, compression, transactionalId: v === 5 ? "tx-1" : null,
          producerId: Long.fromInt(-1), producerEpoch: 0,
          topicData: [{ topic: "orders", partitions: [{ partition: 2, messages }] }],
        }));
        expect(b.Acks).toBe(-1);
        expect(b.TimeoutMs).toBe(30000);
        expect(b.TransactionalId).toBe(v === 5 ? "tx-1" : null);
        const p = b.TopicData[0].PartitionData[0];
        expect(b.TopicData[0].Name).toBe("orders");
        expect(p.Index).toBe(2);
        const batches = JSON.parse(codec.batchSummary(Buffer.from(p.Records, "hex")));
        expect(batches.error).toBe(null);
        expect(batches.batches).toHaveLength(1);
        const batch = batches.batches[0];
        expect(batch.count).toBe(2);
        expect(batch.crcValid).toBe(true);
        expect(batch.compression).toBe(compression ? "gzip" : "none");
        if (!compression) {
          expect(batch.records[0].key).toBe(Buffer.from("k1").toString("hex"));
          expect(batch.records[0].headers).toEqual([["trace", Buffer.from("abc").toString("hex")]]);
          expect(batch.records[1].key).toBe(null);
          expect(batch.records[1].value).toBe(Buffer.from("second value").toString("hex"));
          expect(batch.records[1].timestampDelta).toBe("5");
        } else expect(batch.recordsError).toBe("compressed batch");
      }
    }
  });

  it("Fetch v4-11", async () => {
    for (const v of [4, 5, 6, 7, 8, 9, 10, 11]) {
      const b = await check(req("fetch", v)({
        replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 1048576, isolationLevel: 1, rackId: "rack-a",
        topics: [{ topic: "orders", partitions: [{ partition: 0, fetchOffset: "12345", maxBytes: 65536 }] }],
      }));
      expect(b.MaxWaitMs).toBe(500);
      expect(b.Topics[0].Topic).toBe("orders");
      expect(b.Topics[0].Partitions[0].FetchOffset).toBe("12345");
      if (v >= 11) expect(b.RackId).toBe("rack-a");
    }
  });

  it("FindCoordinator v0-2", async () => {
    for (const v of [0, 1, 2]) {
      const b = await check(req("findCoordinator", v)({ groupId: "g1", coordinatorKey: "g1", coordinatorType: 0 }));
      expect(b.Key).toBe("g1");
    }
  });

  it("ListOffsets v1-3", async () => {
    for (const v of [1, 2, 3]) {
      const b = await check(req("listOffsets", v)({
        replicaId: -1, isolationLevel: 1, topics: [{ topic: "orders", partitions: [{ partition: 1, timestamp: -1 }] }],
      }));
      expect(b.Topics[0].Name).toBe("orders");
      expect(b.Topics[0].Partitions[0].Timestamp).toBe("-1");
    }
  });

  it("OffsetCommit v2-5 and OffsetFetch v1-4", async () => {
    for (const v of [2, 3, 4, 5]) {
      const b = await check(req("offsetCommit", v)({
        groupId: "g1", groupGenerationId: 3, memberId: "m-1", retentionTime: -1,
        topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "99", metadata: null }] }],
      }));
      expect(b.GroupId).toBe("g1");
      expect(b.Topics[0].Partitions[0].CommittedOffset).toBe("99");
    }
    for (const v of [1, 2, 3, 4]) {
      const b = await check(req("offsetFetch", v)({ groupId: "g1", topics: [{ topic: "orders", partitions: [{ partition: 0 }] }] }));
      expect(b.GroupId).toBe("g1");
    }
  });

  it("JoinGroup v0-5, SyncGroup v0-3, Heartbeat v0-3, LeaveGroup v0-2, DescribeGroups v0-2", async () => {
    for (const v of [0, 1, 2, 3, 4, 5]) {
      const b = await check(req("joinGroup", v)({
        groupId: "g1", sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: "", protocolType: "consumer",
        groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from([0, 1, 2]) }],
      }));
      expect(b.Protocols[0]).toEqual({ Name: "RoundRobinAssigner", Metadata: "000102" });
    }
    for (const v of [0, 1, 2, 3]) {
      const b = await check(req("syncGroup", v)({
        groupId: "g1", generationId: 1, memberId: "m-1", groupAssignment: [{ memberId: "m-1", memberAssignment: Buffer.from("x") }],
      }));
      expect(b.Assignments[0].MemberId).toBe("m-1");
      expect((await check(req("heartbeat", v)({ groupId: "g1", groupGenerationId: 1, memberId: "m-1" }))).GenerationId).toBe(1);
    }
    for (const v of [0, 1, 2]) {
      expect((await check(req("leaveGroup", v)({ groupId: "g1", memberId: "m-1" }))).MemberId).toBe("m-1");
      expect((await check(req("describeGroups", v)({ groupIds: ["g1", "g2"] }))).Groups).toEqual(["g1", "g2"]);
    }
  });

  it("CreateTopics v2-3, DeleteTopics v1, InitProducerId v0-1, DescribeConfigs v1-2", async () => {
    for (const v of [2, 3]) {
      const b = await check(req("createTopics", v)({
        topics: [{ topic: "t1", numPartitions: 3, replicationFactor: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
        validateOnly: false, timeout: 5000,
      }));
      expect(b.Topics[0].Configs[0]).toEqual({ Name: "cleanup.policy", Value: "compact" });
    }
    expect((await check(req("deleteTopics", 1)({ topics: ["t1"], timeout: 5000 }))).TopicNames).toEqual(["t1"]);
    for (const v of [0, 1]) {
      expect((await check(req("initProducerId", v)({ transactionalId: "tx", transactionTimeout: 60000 }))).TransactionTimeoutMs).toBe(60000);
    }
    for (const v of [1, 2]) {
      const b = await check(req("describeConfigs", v)({ resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }], includeSynonyms: true }));
      expect(b.Resources[0].ResourceName).toBe("orders");
      expect(b.IncludeSynonyms).toBe(true);
    }
  });
});

describe("kafkajs decodes our response frames", () => {
  const body = (frame: Uint8Array) => Buffer.from(frame.subarray(8)); // after size and correlation id

  it("Metadata v0-6", async () => {
    for (const v of [0, 1, 2, 3, 4, 5, 6]) {
      const f = responseFrame("Metadata", v, {
        ThrottleTimeMs: 5, Brokers: [{ NodeId: 1, Host: "broker-1", Port: 9092, Rack: null }], ClusterId: "c1", ControllerId: 1,
        Topics: [{ ErrorCode: 0, Name: "orders", IsInternal: false, Partitions: [
          { ErrorCode: 0, PartitionIndex: 0, LeaderId: 1, LeaderEpoch: 4, ReplicaNodes: [1], IsrNodes: [1], OfflineReplicas: [] }] }],
      }, 42);
      expect(codec.roundTripResponse(3, v, f).length).toBe(f.length);
      const d = await resp("metadata", v).decode(body(f));
      expect(d.brokers[0]).toMatchObject({ nodeId: 1, host: "broker-1", port: 9092 });
      expect(d.topicMetadata[0].topic).toBe("orders");
      expect(d.topicMetadata[0].partitionMetadata[0]).toMatchObject({ partitionId: 0, leader: 1, replicas: [1], isr: [1] });
    }
  });

  it("Produce v3-7", async () => {
    for (const v of [3, 4, 5, 6, 7]) {
      const f = responseFrame("Produce", v, {
        Responses: [{ Name: "orders", PartitionResponses: [{ Index: 2, ErrorCode: 0, BaseOffset: 100n, LogAppendTimeMs: -1n, LogStartOffset: 0n }] }],
        ThrottleTimeMs: 0,
      }, 42);
      expect(codec.roundTripResponse(0, v, f).length).toBe(f.length);
      const d = await resp("produce", v).decode(body(f));
      expect(d.topics[0].topicName).toBe("orders");
      expect(d.topics[0].partitions[0]).toMatchObject({ partition: 2, errorCode: 0, baseOffset: "100" });
    }
  });

  it("ApiVersions v0-2 and FindCoordinator v0-2", async () => {
    for (const v of [0, 1, 2]) {
      const f = responseFrame("ApiVersions", v, { ErrorCode: 0, ApiKeys: [{ ApiKey: 0, MinVersion: 3, MaxVersion: 13 }], ThrottleTimeMs: 0 }, 42);
      expect(codec.roundTripResponse(18, v, f).length).toBe(f.length);
      const d = await resp("apiVersions", v).decode(body(f));
      expect(d.apiVersions[0]).toEqual({ apiKey: 0, minVersion: 3, maxVersion: 13 });
      const g = responseFrame("FindCoordinator", v, { ThrottleTimeMs: 0, ErrorCode: 0, ErrorMessage: null, NodeId: 3, Host: "b3", Port: 9093 }, 42);
      expect(codec.roundTripResponse(10, v, g).length).toBe(g.length);
      const e = await resp("findCoordinator", v).decode(body(g));
      expect(e.coordinator).toEqual({ nodeId: 3, host: "b3", port: 9093 });
    }
  });
});
