// The bridge's producer through the host emulator: concurrent publishes to a
// partition coalesced into one Produce (each HTTP stream answered from its own
// records' result), and idempotent produce (InitProducerId, producer id and
// sequence numbers in the batch, retries with the same sequence, new producer
// id when the broker lost its state), and routed topics sharing a Produce.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { responseFrame } from "../../test/kafka/wire.ts";
import { TUNNEL_OK, answerInit, decodeProduce, initProducerIdResponse, lastCall, produceResponse, produceResponseMulti, publishStream, requestHeader } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
}, 180_000);

const BASE = {
  pubsubs: { fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 4 } },
  appId: "unit", rest: { pubsub: "fixed" },
};

async function bridge(extra: Record<string, unknown>): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify({ ...BASE, ...extra }), clusters: ["kafka_tunnel"] });
}

const REST = [["content-type", "application/vnd.kafka.json.v2+json"]] as [string, string][];
const rest = (host: ProxyHost, records: { value: unknown; partition: number }[]) => publishStream(host, "/topics/t", JSON.stringify({ records }), REST);
const dapr = (host: ProxyHost, value: string) => publishStream(host, "/v1.0/publish/fixed/t?metadata.rawPayload=true&metadata.partitionKey=k", value);
const values = (batch: { records: { value: Buffer }[] }) => batch.records.map((r) => r.value.toString());
// REST json-format values travel as their JSON text.
const restValues = (batch: { records: { value: Buffer }[] }) => values(batch).map((v) => JSON.parse(v));

describe("http-mq-bridge producer: coalescing", () => {
  it("one Produce in flight per partition; publishes arriving meanwhile go out together, each answered from its own records", async () => {
    const host = await bridge({ idempotent: false });
    const a = rest(host, [{ value: "a", partition: 2 }]);
    expect(host.httpCalls).toHaveLength(1);
    const first = host.httpCalls[0];
    const b = rest(host, [{ value: "b1", partition: 2 }, { value: "b2", partition: 2 }]);
    const c = rest(host, [{ value: "c", partition: 2 }]);
    expect(host.httpCalls).toHaveLength(1); // b and c wait for a's Produce

    let p = await decodeProduce(first.body);
    expect(restValues(p.topics[0].partitions[0].batch)).toEqual(["a"]);
    host.respondToHttpCall(first.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t", 2, 0, 40n) });
    expect(JSON.parse(a.localResponse!.body).offsets).toEqual([{ partition: 2, offset: 40, error_code: null, error: null }]);
    expect(b.localResponse).toBeUndefined();

    const second = lastCall(host);
    p = await decodeProduce(second.body);
    expect(p.topics[0].partitions).toHaveLength(1);
    expect(restValues(p.topics[0].partitions[0].batch)).toEqual(["b1", "b2", "c"]);
    host.respondToHttpCall(second.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t", 2, 0, 41n) });
    expect(JSON.parse(b.localResponse!.body).offsets.map((o: { offset: number }) => o.offset)).toEqual([41, 42]);
    expect(JSON.parse(c.localResponse!.body).offsets.map((o: { offset: number }) => o.offset)).toEqual([43]);
    expect(host.httpCalls).toHaveLength(0);
  });

  it("a partition's error reaches only the publishes with records there; other partitions of the same Produce succeed", async () => {
    const host = await bridge({ idempotent: false });
    const w = rest(host, [{ value: "w0", partition: 0 }, { value: "w1", partition: 1 }]);
    const busy = lastCall(host);
    const x = rest(host, [{ value: "x0", partition: 0 }, { value: "x1", partition: 1 }]);
    const y = rest(host, [{ value: "y1", partition: 1 }]);
    const z = rest(host, [{ value: "z", partition: 3 }]); // an idle partition: goes at once
    expect(host.httpCalls).toHaveLength(2);
    const zCall = lastCall(host);
    const zp = await decodeProduce(zCall.body);
    expect(zp.topics[0].partitions.map((q) => q.index)).toEqual([3]);

    let p = await decodeProduce(busy.body);
    host.respondToHttpCall(busy.token, { headers: TUNNEL_OK, body: produceResponseMulti(p.correlationId, "t", [[0, 0, 5n], [1, 0, 9n]]) });
    expect(w.localResponse?.status).toBe(200);
    const next = host.httpCalls.find((c) => c.token !== zCall.token)!;
    p = await decodeProduce(next.body);
    expect(p.topics[0].partitions.map((q) => [q.index, restValues(q.batch)])).toEqual([[0, ["x0"]], [1, ["x1", "y1"]]]);
    host.respondToHttpCall(next.token, { headers: TUNNEL_OK, body: produceResponseMulti(p.correlationId, "t", [[0, 0, 6n], [1, 87, 0n]]) });
    const xo = JSON.parse(x.localResponse!.body).offsets;
    expect(xo[0]).toEqual({ partition: 0, offset: 6, error_code: null, error: null });
    expect(xo[1]).toMatchObject({ partition: 1, offset: null, error_code: 50002 });
    expect(xo[1].error).toMatch(/INVALID_RECORD/);
    expect(y.localResponse?.status).toBe(500);
    expect(z.localResponse).toBeUndefined(); // its own Produce is still out
    host.respondToHttpCall(zCall.token, { headers: TUNNEL_OK, body: produceResponse(zp.correlationId, "t", 3, 0, 70n) });
    expect(JSON.parse(z.localResponse!.body).offsets[0].offset).toBe(70);
  });

  it("a publish whose client went away does not hold up the others in its batch", async () => {
    const host = await bridge({ idempotent: false });
    rest(host, [{ value: "a", partition: 1 }]);
    const first = lastCall(host);
    const gone = rest(host, [{ value: "gone", partition: 1 }]);
    const kept = rest(host, [{ value: "kept", partition: 1 }]);
    gone.complete();
    let p = await decodeProduce(first.body);
    host.respondToHttpCall(first.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t", 1) });
    const second = lastCall(host);
    p = await decodeProduce(second.body);
    expect(restValues(p.topics[0].partitions[0].batch)).toEqual(["gone", "kept"]);
    host.respondToHttpCall(second.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t", 1, 0, 8n) });
    expect(JSON.parse(kept.localResponse!.body).offsets[0].offset).toBe(9);
    expect(gone.localResponse).toBeUndefined();
  });
});

async function nextProduce(host: ProxyHost) {
  const call = lastCall(host);
  const p = await decodeProduce(call.body);
  const part = p.topics[0].partitions[0];
  const batch = part.batch;
  return { call, p, partition: part.index, batch, producerId: BigInt(batch.producerId), epoch: batch.producerEpoch as number, sequence: batch.firstSequence as number, values: values(batch) };
}

describe("http-mq-bridge producer: idempotent", () => {
  it("asks InitProducerId once, then stamps producer id, epoch and per-partition sequences; a retry keeps the sequence", async () => {
    const host = await bridge({});
    const s1 = dapr(host, "v1");
    const s2 = dapr(host, "v2");
    expect(host.httpCalls).toHaveLength(1); // only the InitProducerId
    answerInit(host, 4242n, 3);
    let q = await nextProduce(host);
    expect([q.producerId, q.epoch, q.sequence, q.values]).toEqual([4242n, 3, 0, ["v1", "v2"]]);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
    expect([s1.localResponse?.status, s2.localResponse?.status]).toEqual([204, 204]);

    // The next batch continues the sequence; a reset connection retries it after retryBackoffMs, same bytes.
    const s3 = dapr(host, "v3");
    q = await nextProduce(host);
    expect([q.sequence, q.values]).toEqual([2, ["v3"]]);
    const firstFrame = Buffer.from(q.call.body);
    host.failHttpCall(q.call.token);
    expect(s3.localResponse).toBeUndefined();
    expect(host.httpCalls).toHaveLength(0);
    expect(host.tickPeriodMs).toBe(100);
    const s4 = dapr(host, "v4"); // waits behind the retry
    expect(host.httpCalls).toHaveLength(0);
    host.tick();
    const retry = await nextProduce(host);
    expect([retry.producerId, retry.sequence, retry.values]).toEqual([4242n, 2, ["v3"]]);
    expect(retry.p.correlationId).not.toBe(q.p.correlationId);
    // The same bytes but the correlation id (frame size, api key, version, then correlation id: bytes 8-11).
    expect(Buffer.from(retry.call.body).subarray(12)).toEqual(firstFrame.subarray(12));
    // The broker already had it: DUPLICATE_SEQUENCE_NUMBER is success.
    host.respondToHttpCall(retry.call.token, { headers: TUNNEL_OK, body: produceResponse(retry.p.correlationId, "t", retry.partition, 46) });
    expect(s3.localResponse?.status).toBe(204);
    q = await nextProduce(host);
    expect([q.sequence, q.values]).toEqual([3, ["v4"]]);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
    expect(s4.localResponse?.status).toBe(204);
    expect(host.tickPeriodMs).toBe(0);
  });

  it("a retriable Kafka error retries the same sequence; a non-retriable one fails at once and the sequence is not used up", async () => {
    const host = await bridge({});
    const s1 = dapr(host, "v1");
    answerInit(host, 7n, 0);
    let q = await nextProduce(host);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition, 6) }); // NOT_LEADER_OR_FOLLOWER
    expect(s1.localResponse).toBeUndefined();
    host.tick();
    q = await nextProduce(host);
    expect([q.sequence, q.values]).toEqual([0, ["v1"]]);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
    expect(s1.localResponse?.status).toBe(204);

    const s2 = dapr(host, "v2");
    q = await nextProduce(host);
    expect(q.sequence).toBe(1);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition, 10) }); // MESSAGE_TOO_LARGE
    expect(s2.localResponse?.status).toBe(413);
    const s3 = dapr(host, "v3");
    q = await nextProduce(host);
    expect([q.producerId, q.sequence, q.values]).toEqual([7n, 1, ["v3"]]);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
    expect(s3.localResponse?.status).toBe(204);
  });

  it("OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID: a new producer id, the batch retried from sequence 0", async () => {
    const host = await bridge({});
    for (const [code, pid] of [[45, 100n], [59, 200n]] as [number, bigint][]) {
      const s = dapr(host, `v${code}`);
      if (pid === 100n) answerInit(host, 99n, 0);
      let q = await nextProduce(host);
      host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition, code) });
      expect(s.localResponse).toBeUndefined();
      host.tick();
      answerInit(host, pid, 1);
      q = await nextProduce(host);
      expect([q.producerId, q.epoch, q.sequence, q.values]).toEqual([pid, 1, 0, [`v${code}`]]);
      host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
      expect(s.localResponse?.status).toBe(204);
    }
  });

  it("gives up after deliveryTimeoutMs with 503 and takes a new producer id, so no later batch reuses the sequence", async () => {
    const host = await bridge({ deliveryTimeoutMs: 350, retryBackoffMs: 100 });
    const s = dapr(host, "v1");
    answerInit(host, 1n, 0);
    let attempts = 0;
    const waits: number[] = [];
    while (!s.localResponse) {
      const q = await nextProduce(host);
      expect([q.producerId, q.sequence]).toEqual([1n, 0]);
      waits.push(q.call.timeoutMs);
      attempts++;
      host.respondToHttpCall(q.call.token, { headers: [[":status", "503"]], body: "upstream connect error" });
      if (!s.localResponse) host.tick();
    }
    expect(attempts).toBe(4); // at 0, 100, 200, 300 ms; 400 is past the deadline
    // Each retry waits no longer than the delivery time left plus 1 s, so the answer comes in about deliveryTimeoutMs.
    expect(waits).toEqual([6000, 1250, 1150, 1050]); // the first attempt: the pubsub's timeoutMs + 1 s
    expect(s.localResponse.status).toBe(503);
    expect(Object.fromEntries(s.localResponse.headers)["retry-after"]).toBe("1");
    expect(JSON.parse(s.localResponse.body).message).toMatch(/after 4 attempts/);
    const t = dapr(host, "v2");
    answerInit(host, 2n, 0);
    const q = await nextProduce(host);
    expect([q.producerId, q.sequence]).toEqual([2n, 0]);
    host.respondToHttpCall(q.call.token, { headers: TUNNEL_OK, body: produceResponse(q.p.correlationId, "t", q.partition) });
    expect(t.localResponse?.status).toBe(204);
  });

  it("a publish waiting behind a failing batch has its delivery time counted from its arrival", async () => {
    const host = await bridge({ deliveryTimeoutMs: 350, retryBackoffMs: 100 });
    const s1 = dapr(host, "v1");
    answerInit(host, 1n, 0);
    let q = await nextProduce(host);
    host.respondToHttpCall(q.call.token, { headers: [[":status", "503"]] });
    const s2 = dapr(host, "v2"); // arrives at 0 ms, waits for v1's batch
    while (!s1.localResponse) {
      host.tick();
      q = await nextProduce(host);
      expect(q.values).toEqual(["v1"]);
      host.respondToHttpCall(q.call.token, { headers: [[":status", "503"]] });
    }
    expect(s1.localResponse.status).toBe(503);
    // v1's outcome is unknown: a new producer id before v2 goes out, at 300 ms.
    answerInit(host, 2n, 0);
    q = await nextProduce(host);
    expect([q.producerId, q.sequence, q.values]).toEqual([2n, 0, ["v2"]]);
    host.respondToHttpCall(q.call.token, { headers: [[":status", "503"]] });
    // 350 ms after its arrival: no retry.
    expect(s2.localResponse?.status).toBe(503);
    expect(host.httpCalls).toHaveLength(0);
  });

  it("InitProducerId is retried within deliveryTimeoutMs, then the waiting publishes fail; the next publish asks again", async () => {
    const host = await bridge({ deliveryTimeoutMs: 150 });
    const s = dapr(host, "v");
    const u = dapr(host, "u");
    host.failHttpCall(lastCall(host).token);
    expect(s.localResponse).toBeUndefined();
    host.tick();
    expect(host.httpCalls).toHaveLength(1);
    expect(requestHeader(lastCall(host).body).apiKey).toBe(22);
    host.failHttpCall(lastCall(host).token);
    expect([s.localResponse?.status, u.localResponse?.status]).toEqual([503, 503]);
    expect(JSON.parse(s.localResponse!.body).message).toMatch(/no producer id/);
    const t = dapr(host, "w");
    const call = lastCall(host);
    const h = requestHeader(call.body);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: initProducerIdResponse(h.correlationId, -1n, -1, 31) }); // CLUSTER_AUTHORIZATION_FAILED
    expect(t.localResponse?.status).toBe(403);
    expect(JSON.parse(t.localResponse!.body).message).toMatch(/no producer id: .*CLUSTER_AUTHORIZATION_FAILED/);
  });
});

// Metadata naming each partition's leader (node id).
function leadersResponse(correlationId: number, topic: string, leaders: number[]) {
  return responseFrame("Metadata", 9, {
    ThrottleTimeMs: 0,
    Brokers: [1, 2].map((n) => ({ NodeId: n, Host: "127.0.0.1", Port: 9090 + n, Rack: null })),
    ClusterId: "c",
    ControllerId: 1,
    Topics: [{
      ErrorCode: 0, Name: topic, IsInternal: false, TopicAuthorizedOperations: -2147483648,
      Partitions: leaders.map((l, i) => ({ ErrorCode: 0, PartitionIndex: i, LeaderId: l, LeaderEpoch: 0, ReplicaNodes: [1, 2], IsrNodes: [1, 2], OfflineReplicas: [] })),
    }],
  }, correlationId);
}

describe("http-mq-bridge producer: several brokers", () => {
  const MULTI = {
    pubsubs: { multi: { type: "kafka", cluster: "kafka_tunnel", brokers: { "1": "tunnel_1", "2": "tunnel_2" } } },
    appId: "unit", rest: { pubsub: "multi" },
  };

  it("produces to each partition's leader; NOT_LEADER_OR_FOLLOWER asks Metadata again and retries at the new leader with the same sequence", async () => {
    const host = await ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(MULTI), clusters: ["kafka_tunnel", "tunnel_1", "tunnel_2"] });
    const s = rest(host, [{ value: "a", partition: 0 }, { value: "b", partition: 1 }]);
    // The publish asks Metadata (partition count and leaders) through the pubsub's cluster.
    let call = lastCall(host);
    expect([call.cluster, requestHeader(call.body).apiKey]).toEqual(["kafka_tunnel", 3]);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: leadersResponse(requestHeader(call.body).correlationId, "t", [1, 2]) });
    call = lastCall(host);
    expect([call.cluster, requestHeader(call.body).apiKey]).toEqual(["kafka_tunnel", 22]); // InitProducerId
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: initProducerIdResponse(requestHeader(call.body).correlationId, 9n, 0) });
    expect(host.httpCalls.map((c) => c.cluster).sort()).toEqual(["tunnel_1", "tunnel_2"]);
    const to1 = host.httpCalls.find((c) => c.cluster === "tunnel_1")!;
    const to2 = host.httpCalls.find((c) => c.cluster === "tunnel_2")!;
    const p1 = await decodeProduce(to1.body);
    const p2 = await decodeProduce(to2.body);
    expect(p1.topics[0].partitions.map((q) => [q.index, restValues(q.batch)])).toEqual([[0, ["a"]]]);
    expect(p2.topics[0].partitions.map((q) => [q.index, restValues(q.batch)])).toEqual([[1, ["b"]]]);
    host.respondToHttpCall(to1.token, { headers: TUNNEL_OK, body: produceResponse(p1.correlationId, "t", 0, 0, 10n) });
    // Broker 2 is no longer the leader of partition 1.
    host.respondToHttpCall(to2.token, { headers: TUNNEL_OK, body: produceResponse(p2.correlationId, "t", 1, 6) });
    expect(s.localResponse).toBeUndefined();
    host.tick();
    call = lastCall(host);
    expect([call.cluster, requestHeader(call.body).apiKey]).toEqual(["kafka_tunnel", 3]);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: leadersResponse(requestHeader(call.body).correlationId, "t", [1, 1]) });
    call = lastCall(host);
    expect(call.cluster).toBe("tunnel_1");
    const retry = await decodeProduce(call.body);
    const batch = retry.topics[0].partitions[0].batch;
    expect([retry.topics[0].partitions[0].index, restValues(batch), batch.firstSequence]).toEqual([1, ["b"], p2.topics[0].partitions[0].batch.firstSequence]);
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(retry.correlationId, "t", 1, 0, 20n) });
    expect(JSON.parse(s.localResponse!.body).offsets.map((o: { partition: number; offset: number }) => [o.partition, o.offset])).toEqual([[0, 10], [1, 20]]);
  });

  it("rejects a brokers entry that is not a node id or names no cluster", async () => {
    for (const [brokers, field] of [[{ x: "c" }, "pubsubs.k.brokers.x"], [{ "1": "" }, "pubsubs.k.brokers.1"], [[1], "pubsubs.k.brokers"]] as [unknown, string][]) {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify({ pubsubs: { k: { type: "kafka", cluster: "c", brokers } } }) });
      host.startVm();
      expect(host.configure(), field).toBe(false);
      expect(host.logText()).toContain(field);
    }
  });
});

describe("http-mq-bridge producer: routed topics", () => {
  const ROUTED = {
    pubsubs: { fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 4, routes: [{ pattern: { type: ["a"] }, topic: "a" }] } },
    appId: "unit",
  };

  it("one Produce carries every routed topic's batch with its own sequence; a failed topic is retried alone with the same sequence, each broker error counted", async () => {
    const host = await ProxyHost.start(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(ROUTED), clusters: ["kafka_tunnel"] });
    const events = (id: string) => JSON.stringify([
      { specversion: "1.0", id: `${id}-a`, source: "s", type: "a", partitionkey: "k" },
      { specversion: "1.0", id: `${id}-o`, source: "s", type: "t", partitionkey: "k" },
    ]);
    const publish = (id: string) => publishStream(host, "/v1.0/cloudevents/fixed/orders", events(id), [["content-type", "application/cloudevents-batch+json"]]);
    const s = publish("1");
    answerInit(host, 5n, 0);
    const first = lastCall(host);
    const p = await decodeProduce(first.body);
    expect(host.httpCalls).toHaveLength(1);
    expect(p.topics.map((t) => [t.name, t.partitions.length, BigInt(t.partitions[0].batch.producerId), t.partitions[0].batch.firstSequence]).sort())
      .toEqual([["a", 1, 5n, 0], ["orders", 1, 5n, 0]]);
    host.respondToHttpCall(first.token, {
      headers: TUNNEL_OK,
      body: responseFrame("Produce", 9, {
        Responses: p.topics.map((t) => ({
          Name: t.name,
          PartitionResponses: t.partitions.map((x) => ({ Index: x.index, ErrorCode: t.name === "a" ? 6 : 0, BaseOffset: 3n, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: null })),
        })),
        ThrottleTimeMs: 0,
      }, p.correlationId),
    });
    expect(s.localResponse).toBeUndefined();
    expect(host.getCounter("mqmesh_bridge_broker_errors_total;pubsub=fixed;code=NOT_LEADER_OR_FOLLOWER")).toBe(1);
    host.tick();
    const retryCall = lastCall(host);
    const retry = await decodeProduce(retryCall.body);
    expect(retry.topics.map((t) => [t.name, t.partitions[0].index, t.partitions[0].batch.firstSequence])).toEqual([["a", p.topics.find((t) => t.name === "a")!.partitions[0].index, 0]]);
    host.respondToHttpCall(retryCall.token, { headers: TUNNEL_OK, body: responseFrame("Produce", 9, { Responses: [{ Name: "a", PartitionResponses: [{ Index: retry.topics[0].partitions[0].index, ErrorCode: 6, BaseOffset: -1n, LogAppendTimeMs: -1n, LogStartOffset: 0n, RecordErrors: [], ErrorMessage: null }] }], ThrottleTimeMs: 0 }, retry.correlationId) });
    expect(host.getCounter("mqmesh_bridge_broker_errors_total;pubsub=fixed;code=NOT_LEADER_OR_FOLLOWER")).toBe(2);
    host.tick();
    const again = await decodeProduce(lastCall(host).body);
    expect(again.topics[0].partitions[0].batch.firstSequence).toBe(0);
    host.respondToHttpCall(lastCall(host).token, { headers: TUNNEL_OK, body: produceResponse(again.correlationId, "a", again.topics[0].partitions[0].index, 0, 9n) });
    expect(s.localResponse?.status).toBe(200);
    expect(JSON.parse(s.localResponse!.body).results.map((r: { id: string; offset: number }) => [r.id, r.offset])).toEqual([["1-a", 9], ["1-o", 3]]);
    expect(host.getCounter("mqmesh_bridge_records_total;pubsub=fixed;topic=a;result=stored")).toBe(1);
    expect(host.getCounter("mqmesh_bridge_records_total;pubsub=fixed;topic=orders;result=stored")).toBe(1);

    // Each (topic, partition) keeps its own sequence: both continue at 1.
    publish("2");
    const next = await decodeProduce(lastCall(host).body);
    expect(next.topics.map((t) => [t.name, t.partitions[0].batch.firstSequence]).sort()).toEqual([["a", 1], ["orders", 1]]);
  });
});
