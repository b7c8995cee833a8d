// Test support for the bridge's emulator tests: an independent reader for
// the Kafka requests the bridge sends (record batches by kafkajs' own
// decoder, CRC32C by a table-free implementation) and the broker answers fed
// back, made by test/kafka/wire.ts from Kafka's own message schemas; the
// configurations and publish helpers the test files share.
import { createRequire } from "node:module";
import { expect } from "vitest";
import { ProxyHost, type HttpStreamOptions } from "../../test/host/index.ts";
import { requestFrame, responseFrame } from "../../test/kafka/wire.ts";

const require = createRequire(import.meta.url);
const KafkaDecoder = require("kafkajs/src/protocol/decoder");
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder");

export class Reader {
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

export function crc32c(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

export interface Header { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null; r: Reader }

export function requestHeader(frame: Uint8Array): Header {
  const r = new Reader(Buffer.from(frame));
  expect(r.i32()).toBe(frame.length - 4);
  const apiKey = r.i16(), apiVersion = r.i16(), correlationId = r.i32();
  const clientId = r.str16();
  r.tags();
  return { apiKey, apiVersion, correlationId, clientId, r };
}

export async function decodeProduce(frame: Uint8Array) {
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

export function decodeMetadata(frame: Uint8Array) {
  const h = requestHeader(frame);
  expect([h.apiKey, h.apiVersion]).toEqual([3, 9]);
  const names = [];
  for (let n = h.r.uvarint() - 1; n > 0; n--) { names.push(h.r.compactStr()); h.r.tags(); }
  const allowAutoTopicCreation = h.r.i8() === 1;
  return { correlationId: h.correlationId, names, allowAutoTopicCreation };
}

export function produceResponse(correlationId: number, topic: string, partition: number, errorCode = 0, baseOffset = 7n): Uint8Array {
  return produceResponseMulti(correlationId, topic, [[partition, errorCode, baseOffset]]);
}

export function produceResponseMulti(correlationId: number, topic: string, parts: [number, number, bigint][]): Uint8Array {
  return responseFrame("Produce", 9, {
    Responses: [{ Name: topic, PartitionResponses: parts.map(([Index, ErrorCode, BaseOffset]) => ({ Index, ErrorCode, BaseOffset, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: ErrorCode ? "boom" : null })) }],
    ThrottleTimeMs: 0,
  }, correlationId);
}

export function metadataResponse(correlationId: number, topic: string, partitions: number, errorCode = 0): Uint8Array {
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

export function initProducerIdResponse(correlationId: number, producerId: bigint, producerEpoch: number, errorCode = 0) {
  return responseFrame("InitProducerId", 4, { ThrottleTimeMs: 0, ErrorCode: errorCode, ProducerId: producerId, ProducerEpoch: producerEpoch }, correlationId);
}

// Answers the pending InitProducerId, checking it is the request the Java client sends for an idempotent producer.
export function answerInit(host: ProxyHost, producerId: bigint, producerEpoch: number) {
  const call = lastCall(host);
  const h = requestHeader(call.body);
  expect([h.apiKey, h.apiVersion]).toEqual([22, 4]);
  expect(Buffer.from(call.body)).toEqual(Buffer.from(requestFrame("InitProducerId", 4, { TransactionalId: null, TransactionTimeoutMs: 2147483647, ProducerId: -1n, ProducerEpoch: -1 }, h.correlationId, "mqmesh-bridge")));
  host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: initProducerIdResponse(h.correlationId, producerId, producerEpoch) });
}

export const TUNNEL_OK = [[":status", "200"], ["content-type", "application/x-kafka-frame"], ["x-mqmesh-tunnel", "kafka"]] as [string, string][];

export function publishStream(host: ProxyHost, path: string, body: string | Uint8Array, headers: [string, string][] = [], stream: HttpStreamOptions = {}) {
  const s = host.newHttpStream(stream);
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  s.callOnRequestHeaders([[":method", "POST"], [":path", path], [":authority", "sidecar"], ["content-length", String(bytes.length)], ...headers]);
  if (!s.localResponse) s.callOnRequestBody(bytes, { endOfStream: true });
  return s;
}

export function lastCall(host: ProxyHost) {
  expect(host.httpCalls.length).toBeGreaterThan(0);
  return host.httpCalls[host.httpCalls.length - 1];
}


// ---- shared by the test files ---------------------------------------------------------

export const BRIDGE_MODULE = { entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" };

export const CONFIG = {
  pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" }, fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 4 } },
  appId: "unit", maxBodyBytes: 4096, rest: { pubsub: "fixed" },
  // The request/answer tests below see one Produce per publish and no
  // retries; idempotence and coalescing have their own tests.
  idempotent: false,
};

/** clusters: what Envoy knows besides kafka_tunnel (a collector, a rate limit service). */
export async function startBridge(wasm: string, config: unknown = CONFIG, clusters: string[] = []): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(config), clusters: ["kafka_tunnel", ...clusters] });
}

export function restStream(host: ProxyHost, path: string, body: unknown, contentType = "application/vnd.kafka.json.v2+json", headers: [string, string][] = []) {
  return publishStream(host, path, typeof body === "string" ? body : JSON.stringify(body), [["content-type", contentType], ...headers]);
}

export const headersText = (rec: any) => Object.fromEntries(Object.entries(rec.headers).map(([k, v]) => [k, (v as Buffer).toString()]));
export const FIXED_PARTITIONS = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

export async function produced(host: ProxyHost) {
  const call = lastCall(host);
  const p = await decodeProduce(call.body);
  return { call, p, records: p.topics[0].partitions.flatMap((x: any) => x.batch.records.map((r: any) => ({ ...r, partition: x.index }))) };
}

export function ackAll(host: ProxyHost, call: any, p: any, failPartition = -1) {
  host.respondToHttpCall(call.token, {
    headers: TUNNEL_OK,
    body: produceResponseMulti(p.correlationId, p.topics[0].name, p.topics[0].partitions.map((x: any) => [x.index, x.index === failPartition ? 6 : 0, 10n] as [number, number, bigint])),
  });
}

export const ROUTES = [
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
export const ROUTED = { ...CONFIG, pubsubs: { ...CONFIG.pubsubs, fixed: { ...CONFIG.pubsubs.fixed, routes: ROUTES }, kafka: { ...CONFIG.pubsubs.kafka, routes: [{ pattern: { type: ["a"] }, topic: "a" }] } } };

// Every record of the last Produce with its topic.
export async function routed(host: ProxyHost) {
  const call = lastCall(host);
  const p = await decodeProduce(call.body);
  const records = p.topics.flatMap((t: any) => t.partitions.flatMap((x: any) => x.batch.records.map((r: any) => ({ ...r, topic: t.name, partition: x.index }))));
  return { call, p, records };
}

export function ackTopics(host: ProxyHost, call: any, p: any, failPartition = -1) {
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
