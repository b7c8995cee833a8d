// The kafka filter driven through the host emulator with traffic recorded
// from real clients against a real broker (scripts/record-kafka.ts): what it
// forwards is byte-for-byte what arrived, however the reads are split, and
// its metrics equal what the clients really did.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-kafka.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { assertAnySplitSame, assertRandomReadsSafe, chunksOf, flushed, joined, loadRecording, replay, type Chunk } from "../../test/support/recordings.ts";
import { requestFrame, responseFrame } from "../../test/kafka/wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 120_000);

const recording = (client: string) => loadRecording<Recording>("kafka", client);

// Walks the frames of one direction: [frame start, size].
function* frames(stream: Buffer): Generator<[number, number]> {
  for (let pos = 0; pos + 4 <= stream.length; ) {
    const size = stream.readInt32BE(pos);
    yield [pos + 4, size];
    pos += 4 + size;
  }
}

// Requests and responses per API key, counted by an independent walk over
// the frames: a response belongs to the request with its correlation id.
function framesByApiKey(chunks: Chunk[]): { requests: Map<number, number>; responses: Map<number, number> } {
  const requests = new Map<number, number>();
  const responses = new Map<number, number>();
  const apiOf = new Map<number, number>();
  const requestStream = joined(chunks, "request");
  for (const [at] of frames(requestStream)) {
    const apiKey = requestStream.readInt16BE(at);
    apiOf.set(requestStream.readInt32BE(at + 4), apiKey);
    requests.set(apiKey, (requests.get(apiKey) ?? 0) + 1);
  }
  const responseStream = joined(chunks, "response");
  for (const [at] of frames(responseStream)) {
    const apiKey = apiOf.get(responseStream.readInt32BE(at))!;
    responses.set(apiKey, (responses.get(apiKey) ?? 0) + 1);
  }
  return { requests, responses };
}

// Kafka API names as Kafka's message definitions spell them, for the keys
// real clients use.
const API_NAMES: Record<number, string> = {
  0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
  10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
  15: "DescribeGroups", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 22: "InitProducerId",
  32: "DescribeConfigs", 60: "DescribeCluster",
};

async function startFilter(config: object = {}): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

describe.each(["kafkajs", "kcat"])("traffic recorded from %s", (client) => {
  const rec = recording(client);

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

  it("counts requests and responses per API as the clients sent them", async () => {
    const host = await startFilter();
    const requests = new Map<number, number>();
    const responses = new Map<number, number>();
    const add = (to: Map<number, number>, from: Map<number, number>) => {
      for (const [key, n] of from) to.set(key, (to.get(key) ?? 0) + n);
    };
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const counted = framesByApiKey(chunks);
      add(requests, counted.requests);
      add(responses, counted.responses);
      replay(host, chunks);
    }
    flushed(host);
    for (const [key, n] of requests) {
      const api = API_NAMES[key];
      expect(api, `api key ${key}`).toBeDefined();
      expect(host.getCounter(`mqmesh_kafka_requests_total;api=${api}`), api).toBe(n);
      // A client may close with a request unanswered (kcat's last fetch).
      const answered = responses.get(key) ?? 0;
      expect(host.getCounter(`mqmesh_kafka_responses_total;api=${api}`, 0), api).toBe(answered);
      expect(host.getHistogram(`mqmesh_kafka_request_duration_milliseconds;api=${api}`, [])).toHaveLength(answered);
    }
    expect(host.getCounter("mqmesh_kafka_unparsed_frames_total;reason=unmatched_response", 0)).toBe(0);
    expect(host.getCounter("mqmesh_kafka_unparsed_frames_total;reason=undecodable", 0)).toBe(0);
  });

  it("counts the records produced to and fetched from the topic", async () => {
    const host = await startFilter();
    for (const connection of rec.connections) replay(host, chunksOf(connection));
    flushed(host);
    const topic = rec.truth.topic;
    expect(host.getCounter(`mqmesh_kafka_produced_records_total;topic=${topic}`)).toBe(rec.truth.producedRecords);
    expect(host.getCounter(`mqmesh_kafka_fetched_records_total;topic=${topic}`)).toBe(rec.truth.consumedRecords);
    expect(host.getCounter(`mqmesh_kafka_produced_bytes_total;topic=${topic}`)).toBeGreaterThan(rec.truth.producedRecords * 8);
  });

  it("gives the same bytes and metrics whatever the read boundaries", async () => {
    const names = [
      `mqmesh_kafka_produced_records_total;topic=${rec.truth.topic}`,
      `mqmesh_kafka_fetched_records_total;topic=${rec.truth.topic}`,
      `mqmesh_kafka_requests_total;api=Metadata`,
      `mqmesh_kafka_responses_total;api=Produce`,
    ];
    await assertAnySplitSame(startFilter, rec.connections, names, 25);
  });
});

describe("configuration", () => {
  it.each([
    [{ onUnknwn: "pass" }, "onUnknwn"],
    [{ onUnknown: "drop" }, "onUnknown"],
    [{ maxFrameBytes: -1 }, "maxFrameBytes"],
    [{ metrics: { maxTopics: "many" } }, "metrics.maxTopics"],
  ])("rejects %j naming %s", async (config, field) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(field);
  });

  it("labels requests by client id when asked", async () => {
    const host = await startFilter({ metrics: { perClientId: true } });
    for (const connection of recording("kafkajs").connections) replay(host, chunksOf(connection));
    expect(flushed(host).getCounter("mqmesh_kafka_requests_total;api=Produce;client_id=mqmesh-recorder")).toBeGreaterThan(0);
  });

  it("hands per-frame counters to Envoy on its tick (metrics.flushIntervalMs), or at once with 0", async () => {
    const name = "mqmesh_kafka_produced_records_total;topic=recorded-kafkajs";
    const batched = await startFilter();
    expect(batched.tickPeriodMs).toBe(1000);
    for (const connection of recording("kafkajs").connections) replay(batched, chunksOf(connection));
    expect(batched.getCounter(name, 0)).toBe(0);
    batched.advanceTime(1000);
    expect(batched.getCounter(name)).toBe(200);

    const immediate = await startFilter({ metrics: { flushIntervalMs: 0 } });
    expect(immediate.tickPeriodMs).toBe(0);
    for (const connection of recording("kafkajs").connections) replay(immediate, chunksOf(connection));
    expect(immediate.getCounter(name)).toBe(200);
  });

  it("caps the topics it labels, counting the rest as __other__", async () => {
    const host = await startFilter({ metrics: { maxTopics: 1 } });
    for (const connection of recording("kafkajs").connections) replay(host, chunksOf(connection));
    // The first topic seen by a produce or fetch keeps its name: there is only one here.
    expect(flushed(host).getCounter(`mqmesh_kafka_produced_records_total;topic=recorded-kafkajs`)).toBe(200);
  });
});

// A Produce v13 request as Kafka's Java producer sends it (topic id, one
// partition, one batch of `records` records, `recordBytes` of record data
// after the batch header), and the broker's answer.
function javaLikeProduce(correlationId: number, records: number, recordBytes: number): { request: Buffer; response: Buffer } {
  const batch = Buffer.alloc(61 + recordBytes, 0x6d);
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(49 + recordBytes, 8);
  batch[16] = 2;
  batch.writeInt32BE(records, 57);
  const topicId = Buffer.alloc(16, 0x42);
  const request = Buffer.from(requestFrame("Produce", 13, {
    TransactionalId: null, Acks: -1, TimeoutMs: 30000,
    TopicData: [{ TopicId: topicId, PartitionData: [{ Index: 0, Records: batch }] }],
  }, correlationId, "producer-1"));
  const response = Buffer.from(responseFrame("Produce", 13, {
    Responses: [{ TopicId: topicId, PartitionResponses: [{ Index: 0, ErrorCode: 0, BaseOffset: 0n, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: null }] }],
    ThrottleTimeMs: 0,
  }, correlationId));
  return { request, response };
}

// In Envoy a host call costs more than the filter's own work on a frame, and
// a buffer fetch is two (the read, and Envoy's call into the module's
// allocator): these pin down how few a produce request needs.
describe("cost of a produce request", () => {
  it("fetches a 64 KiB request once, however its reads are cut, and its response once", async () => {
    const host = await startFilter();
    let fetches = 0;
    host.afterHostCall("proxy_get_buffer_bytes", () => fetches++, { once: false });
    const conn = host.newConnection();
    for (let i = 1; i <= 3; i++) {
      const { request, response } = javaLikeProduce(i, 64, 65536);
      const cut = [65000, 65483, request.length - 3][i - 1];
      fetches = 0;
      conn.callOnDownstreamData(request.subarray(0, cut));
      conn.callOnDownstreamData(request.subarray(cut));
      expect(fetches, `request cut at ${cut}`).toBe(1);
      conn.callOnUpstreamData(response);
      expect(fetches).toBe(2);
    }
    expect(Buffer.from(conn.forwardedUpstream).length).toBe(3 * javaLikeProduce(0, 64, 65536).request.length);
    expect(flushed(host).getCounter("mqmesh_kafka_produced_records_total;topic=unknown")).toBe(3 * 64);
    expect(host.getCounter("mqmesh_kafka_responses_total;api=Produce")).toBe(3);
    expect(host.getCounter("mqmesh_kafka_unparsed_frames_total;reason=undecodable", 0)).toBe(0);
  });

  it("keeps its memory flat over many requests: garbage is collected between callbacks", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    const sizes: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      const { request, response } = javaLikeProduce(i, 4, 3000);
      conn.callOnDownstreamData(request);
      conn.callOnUpstreamData(response);
      if (i % 500 === 0) sizes.push(host.memoryBytes);
    }
    // Each request leaves over 3 KiB of garbage (its bytes as the host wrote
    // them into the module, views, counters): kept, 1,500 more would need
    // 4.5 MiB more.
    expect(sizes[3]).toBe(sizes[0]);
    expect(sizes[3]).toBeLessThan(4 << 20);
    expect(flushed(host).getCounter("mqmesh_kafka_produced_records_total;topic=unknown")).toBe(4 * 2000);
  });
});

describe("bytes that are not Kafka", () => {
  const http = Buffer.from("GET / HTTP/1.1\r\nHost: example\r\n\r\n");

  it("passes them through untouched by default and counts them", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    expect(conn.callOnDownstreamData(http)).toBe("continue");
    expect(Buffer.from(conn.forwardedUpstream).equals(http)).toBe(true);
    expect(conn.closedByFilter).toBeUndefined();
    expect(host.getCounter("mqmesh_kafka_unparsed_frames_total;reason=unknown_api")).toBe(1);
  });

  it("closes the connection with onUnknown: close", async () => {
    const host = await startFilter({ onUnknown: "close" });
    const conn = host.newConnection();
    conn.callOnDownstreamData(http);
    expect(conn.closedByFilter).toBe("downstream");
  });

  it("passes frames over maxFrameBytes without keeping them", async () => {
    const host = await startFilter({ maxFrameBytes: 64 });
    const kafkajs = recording("kafkajs");
    for (const connection of kafkajs.connections) {
      const chunks = chunksOf(connection);
      const conn = replay(host, chunks);
      expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
    }
    expect(host.getCounter("mqmesh_kafka_unparsed_frames_total;reason=oversize")).toBeGreaterThan(0);
    expect(flushed(host).getCounter("mqmesh_kafka_produced_records_total;topic=recorded-kafkajs", 0)).toBe(0);
  });

  it("never traps or corrupts on random bytes in either direction", async () => {
    await assertRandomReadsSafe(startFilter, 200);
  });
});
