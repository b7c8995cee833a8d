// The kafka filter's tracing through the host emulator: produce requests and
// fetch responses built by the independent encoder (test/kafka/wire.ts) with
// record batches from kafkajs's encoder; what reaches the broker read back by
// wire.ts and kafkajs's batch decoder and CRC32C; the spans as a collector
// receives them, decoded with OpenTelemetry's own protobuf definitions.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import type { Connection } from "../../test/host/connection.ts";
import { SCHEMAS, decodeRequestFrame, fill, requestFrame, responseFrame, type Value } from "../../test/kafka/wire.ts";
import { crcsValid, decodeBatches, encodeBatch, type Rec } from "../../test/kafka/kafkajs_batches.ts";
import type { Recording } from "../../scripts/record-kafka.ts";
import { assertAnySplitSame, assertRandomReadsSafe, chunksOf, loadRecording, replay } from "../../test/support/recordings.ts";
import { counter, exportedSpans, type ExportedSpan } from "../../test/otel/otlp.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 180_000);

const THEIRS_TRACE = "0af7651916cd43dd8448eb211c80319c";
const THEIRS_SPAN = "b7ad6b7169203331";
const THEIRS = `00-${THEIRS_TRACE}-${THEIRS_SPAN}-01`;
const COLLECTOR = { cluster: "otlp", authority: "jaeger:4318" };
const tracing = (extra: object) => ({ tracing: { collector: COLLECTOR, serviceName: "kafka-test", ...extra } });
const BROKER = { "upstream.address": "10.1.2.3:9092" };
const NOT_LEADER_OR_FOLLOWER = 6; // Kafka protocol error code

async function start(config: object): Promise<{ host: ProxyHost; conn: Connection }> {
  const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config), clusters: ["otlp"] });
  return { host, conn: host.newConnection({ properties: BROKER }) };
}

const plain = (n: number, headers: Rec["headers"] = []): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`), headers }));

function produce(v: number, topics: [string, Buffer][], correlationId: number, acks = -1): Buffer {
  const body = { TransactionalId: null, Acks: acks, TimeoutMs: 1000, TopicData: topics.map(([Name, Records]) => ({ Name, PartitionData: [{ Index: 3, Records }] })) };
  return Buffer.from(requestFrame("Produce", v, fill(SCHEMAS.Produce.ProduceRequest.fields, v, body), correlationId, "orders-app"));
}

function produceAnswer(v: number, topics: string[], correlationId: number, errorCode = 0): Buffer {
  const body = { Responses: topics.map((Name) => ({ Name, PartitionResponses: [{ Index: 3, ErrorCode: errorCode, BaseOffset: 10n, ErrorMessage: null }] })) };
  return Buffer.from(responseFrame("Produce", v, fill(SCHEMAS.Produce.ProduceResponse.fields, v, body), correlationId));
}

/** The records of each topic of the produce request the broker got. */
function forwardedRecords(conn: Connection): Uint8Array[] {
  const { body } = decodeRequestFrame(conn.forwardedUpstream);
  return (body.TopicData as Value[]).map((t) => (t.PartitionData as Value[])[0].Records as Uint8Array);
}


const headersText = (r: any) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
const contextOf = (traceparent: string) => {
  const [, traceId, spanId, flags] = traceparent.split("-");
  return { traceId, spanId, flags };
};

describe("kafka produce with tracing", () => {
  it("adds a traceparent to records without one; the batch keeps its records and a valid CRC; the send span is the records' parent", async () => {
    const { host, conn } = await start(tracing({ inject: "always" }));
    const batch = await encodeBatch(plain(3));
    conn.callOnDownstreamData(produce(9, [["orders", batch]], 7));
    const [records] = forwardedRecords(conn);
    expect(crcsValid(records)).toEqual([true]);
    const [sent] = await decodeBatches(records);
    const [original] = await decodeBatches(batch);
    expect(sent.records.map((r: any) => [r.offset, r.key, r.value])).toEqual(original.records.map((r: any) => [r.offset, r.key, r.value]));
    const traceparents = sent.records.map((r: any) => r.headers.traceparent.toString());
    expect(sent.records.map((r: any) => Object.keys(r.headers))).toEqual(original.records.map(() => ["traceparent", "tracestate"]));
    expect(new Set(traceparents).size).toBe(1);
    const ctx = contextOf(traceparents[0]);
    conn.callOnUpstreamData(produceAnswer(9, ["orders"], 7));
    const spans = exportedSpans(host, "otlp");
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      traceId: ctx.traceId, spanId: ctx.spanId, parentSpanId: "", name: "send orders", kind: "SPAN_KIND_PRODUCER",
      attributes: {
        "messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "orders",
        "messaging.destination.partition.id": "3", "messaging.batch.message_count": 3n, "server.address": "10.1.2.3",
        "server.port": 9092n, "messaging.client.id": "orders-app",
      },
    });
    expect(counter(host, "mqmesh_kafka_trace_injected_records_total")).toBe(3n);
  });

  it("leaves records that carry a traceparent byte for byte; their context parents the send span", async () => {
    const { host, conn } = await start(tracing({ inject: "always" }));
    const frame = produce(9, [["orders", await encodeBatch(plain(2, [["traceparent", Buffer.from(THEIRS)]]))]], 8);
    conn.callOnDownstreamData(frame);
    expect(Buffer.from(conn.forwardedUpstream).equals(frame)).toBe(true);
    conn.callOnUpstreamData(produceAnswer(9, ["orders"], 8));
    const [span] = exportedSpans(host, "otlp");
    expect(span).toMatchObject({ traceId: THEIRS_TRACE, parentSpanId: THEIRS_SPAN, name: "send orders", kind: "SPAN_KIND_CLIENT" });
  });

  it("leaves a compressed batch as it is, counts it, and still spans the topic", async () => {
    const { host, conn } = await start(tracing({ inject: "always" }));
    const gz = await encodeBatch(plain(2), { compression: 1 });
    const frame = produce(9, [["zipped", gz], ["orders", await encodeBatch(plain(1))]], 9);
    conn.callOnDownstreamData(frame);
    const [zipped, orders] = forwardedRecords(conn);
    expect(Buffer.from(zipped).equals(gz)).toBe(true);
    expect((await decodeBatches(orders))[0].records[0].headers.traceparent).toBeDefined();
    expect(counter(host, "mqmesh_kafka_trace_untouched_batches_total;reason=compressed")).toBe(1n);
    conn.callOnUpstreamData(produceAnswer(9, ["zipped", "orders"], 9));
    expect(exportedSpans(host, "otlp").map((s) => s.name).sort()).toEqual(["send orders", "send zipped"]);
  });

  it("sets error.type from the broker's error code", async () => {
    const { host, conn } = await start(tracing({ inject: "off" }));
    conn.callOnDownstreamData(produce(12, [["orders", await encodeBatch(plain(1))]], 10));
    conn.callOnUpstreamData(produceAnswer(12, ["orders"], 10, NOT_LEADER_OR_FOLLOWER));
    const [span] = exportedSpans(host, "otlp");
    expect(span.attributes["error.type"]).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(span.status?.code).toBe("STATUS_CODE_ERROR");
  });

  it.each([
    ["spans only", { inject: "off" }, 1],
    ["unsampled", { inject: "sampled", sampling: 0 }, 0],
  ])("%s: the request is not held, streams by unchanged", async (_, extra, spanCount) => {
    const { host, conn } = await start(tracing(extra));
    const frame = produce(9, [["orders", await encodeBatch(plain(4))]], 11);
    conn.callOnDownstreamData(frame.subarray(0, 80));
    expect(conn.forwardedUpstream.length).toBe(80); // forwarded as it arrived, not withheld
    conn.callOnDownstreamData(frame.subarray(80));
    expect(Buffer.from(conn.forwardedUpstream).equals(frame)).toBe(true);
    conn.callOnUpstreamData(produceAnswer(9, ["orders"], 11));
    const spans = exportedSpans(host, "otlp");
    expect(spans).toHaveLength(spanCount);
    if (spanCount) expect(spans[0]).toMatchObject({ name: "send orders", kind: "SPAN_KIND_CLIENT", attributes: { "messaging.batch.message_count": 4n } });
  });

  it("samples new traces by ratio on the trace id's last 56 bits, as the OpenTelemetry specification says", async () => {
    const { host, conn } = await start(tracing({ inject: "off", sampling: 0.25 }));
    const batch = await encodeBatch(plain(1));
    for (let id = 1; id <= 400; id++) {
      conn.callOnDownstreamData(produce(9, [["orders", batch]], id));
      conn.callOnUpstreamData(produceAnswer(9, ["orders"], id));
    }
    const spans = exportedSpans(host, "otlp");
    // 400 draws at 1/4: 100 expected, outside 60..140 once in about 10^5 runs.
    expect(spans.length).toBeGreaterThan(60);
    expect(spans.length).toBeLessThan(140);
    // Sampled when the randomness R (trailing 56 bits) is at least the rejection threshold (1 - ratio) * 2^56.
    const threshold = (3n << 56n) / 4n;
    for (const span of spans) expect(BigInt("0x" + span.traceId.slice(-14))).toBeGreaterThanOrEqual(threshold);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(spans.length);
  });

  it("a produce the ACL denied never reached the broker: no send span, no injection", async () => {
    const acl = { acl: { defaultAction: "allow", rules: [{ action: "deny", topics: ["secret-*"], operations: ["*"] }] } };
    const { host, conn } = await start({ ...acl, ...tracing({ inject: "always" }) });
    // Two topics: the ACL holds the request, as tracing does, and answers it whole.
    conn.callOnDownstreamData(produce(9, [["secret-x", await encodeBatch(plain(1))], ["secret-y", await encodeBatch(plain(1))]], 13));
    expect(decodeRequestFrame(conn.forwardedUpstream).apiKey).toBe(18); // the ACL's stand-in, ApiVersions
    const versions = { ErrorCode: 0, ApiKeys: [{ ApiKey: 0, MinVersion: 3, MaxVersion: 13 }] };
    conn.callOnUpstreamData(Buffer.from(responseFrame("ApiVersions", 0, fill(SCHEMAS.ApiVersions.ApiVersionsResponse.fields, 0, versions), 13)));
    expect(exportedSpans(host, "otlp")).toEqual([]);
    expect(counter(host, "mqmesh_kafka_trace_injected_records_total")).toBe(0n);
  });

  it("a collector that never answers holds no traffic: spans beyond the queue are dropped and counted", async () => {
    const { host, conn } = await start(tracing({ inject: "always", maxQueueSpans: 2, maxBatchSpans: 1 }));
    const batch = await encodeBatch(plain(1));
    for (let id = 1; id <= 6; id++) {
      conn.callOnDownstreamData(produce(9, [["orders", batch]], id));
      conn.callOnUpstreamData(produceAnswer(9, ["orders"], id));
      host.tick(); // an export goes out and is never answered
    }
    const up = Buffer.from(conn.forwardedUpstream);
    const ids: number[] = [];
    for (let pos = 0; pos < up.length; pos += 4 + up.readInt32BE(pos)) ids.push(decodeRequestFrame(up.subarray(pos, pos + 4 + up.readInt32BE(pos))).correlationId);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Buffer.from(conn.forwardedDownstream)).toEqual(Buffer.concat([1, 2, 3, 4, 5, 6].map((id) => produceAnswer(9, ["orders"], id))));
    expect(host.httpCalls.filter((c) => c.cluster === "otlp")).toHaveLength(1); // one in flight at a time
    expect(counter(host, "mqmesh_kafka_trace_spans_dropped_total;reason=queue_full")).toBe(3n); // 6 spans: 1 sent, 2 queued
  });

  it("whatever the split of the request, the broker gets the same records with one added traceparent", async () => {
    const batch = await encodeBatch(plain(2));
    const frame = produce(9, [["orders", batch]], 12);
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: frame.length - 1 }), { maxLength: 6 }), async (cuts) => {
      const { conn } = await start(tracing({ inject: "always" }));
      const at = [0, ...cuts.sort((a, b) => a - b), frame.length];
      for (let i = 1; i < at.length; i++) conn.callOnDownstreamData(frame.subarray(at[i - 1], at[i]));
      const [records] = forwardedRecords(conn);
      expect(crcsValid(records)).toEqual([true]);
      const [sent] = await decodeBatches(records);
      // A new trace sampled at ratio 1 carries OpenTelemetry's threshold "0" in tracestate.
      const added = { traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/), tracestate: "ot=th:0" };
      expect(sent.records.map((r: any) => [r.value.toString(), headersText(r)])).toEqual([["value 0", added], ["value 1", added]]);
    }), { numRuns: 25 });
  });
});

describe("kafka fetch with tracing", () => {
  it("a receive span per topic with records, in the records' trace and linked to the contexts they carry", async () => {
    const { host, conn } = await start(tracing({ inject: "off" }));
    const v = 12;
    conn.callOnDownstreamData(requestFrame("Fetch", v, fill(SCHEMAS.Fetch.FetchRequest.fields, v, { Topics: [{ Topic: "orders", Partitions: [{ Partition: 1 }] }] }), 20, "orders-app"));
    const records = Buffer.concat([
      await encodeBatch(plain(2, [["traceparent", Buffer.from(THEIRS)]])),
      await encodeBatch(plain(1), { firstOffset: 2 }),
    ]);
    const body = { Responses: [
      { Topic: "orders", Partitions: [{ PartitionIndex: 1, HighWatermark: 3n, Records: records }] },
      { Topic: "empty", Partitions: [{ PartitionIndex: 0, HighWatermark: 0n, Records: new Uint8Array(0) }] },
    ] };
    const answer = Buffer.from(responseFrame("Fetch", v, fill(SCHEMAS.Fetch.FetchResponse.fields, v, body), 20));
    conn.callOnUpstreamData(answer);
    expect(Buffer.from(conn.forwardedDownstream).equals(answer)).toBe(true);
    const spans = exportedSpans(host, "otlp");
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: "receive orders", kind: "SPAN_KIND_CLIENT", traceId: THEIRS_TRACE, parentSpanId: THEIRS_SPAN,
      attributes: {
        "messaging.system": "kafka", "messaging.operation.type": "receive", "messaging.destination.name": "orders",
        "messaging.destination.partition.id": "1", "messaging.batch.message_count": 3n, "server.address": "10.1.2.3",
      },
      links: [{ traceId: THEIRS_TRACE, spanId: THEIRS_SPAN }],
    });
  });
});

describe.each(["kafkajs", "kcat"])("traffic recorded from %s, with tracing", (client) => {
  const rec = loadRecording<Recording>("kafka", client);
  const spansOnly = async () => (await start(tracing({ inject: "off" }))).host;

  it("spans only: every byte goes through unchanged, whatever the read boundaries; its sends are spanned", async () => {
    const names = [`mqmesh_kafka_produced_records_total;topic=${rec.truth.topic}`, `mqmesh_kafka_responses_total;api=Produce`];
    await assertAnySplitSame(spansOnly, rec.connections, names, 10);
    const host = await spansOnly();
    for (const connection of rec.connections) replay(host, chunksOf(connection));
    const spans: ExportedSpan[] = [];
    for (let batch = exportedSpans(host, "otlp"); batch.length > 0; batch = exportedSpans(host, "otlp")) spans.push(...batch);
    const sends = spans.filter((s) => s.name === `send ${rec.truth.topic}`);
    // The records the client really produced (recorded by it), all in send spans.
    expect(sends.reduce((n, s) => n + Number(s.attributes["messaging.batch.message_count"]), 0)).toBe(rec.truth.producedRecords);
  });

  it("injecting: random bytes in either direction never trap nor corrupt the stream", async () => {
    await assertRandomReadsSafe(async () => (await start(tracing({ inject: "always" }))).host, 100);
  });
});

