// http-mq-bridge through the host emulator: its metrics, read with the
// emulator's getCounter and getHistogram.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { BRIDGE_MODULE, CONFIG, ROUTED, TUNNEL_OK, ackTopics, decodeMetadata, lastCall, metadataResponse, publishStream, routed, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const bridge = (config: unknown = CONFIG) => startBridge(wasm, config);

// ---- metrics -------------------------------------------------------------------------

describe("http-mq-bridge metrics", () => {
  const requests = (api: string, pubsub: string, status: number) => `mqmesh_bridge_requests_total;api=${api};pubsub=${pubsub};status=${status}`;
  const records = (pubsub: string, topic: string, result: string) => `mqmesh_bridge_records_total;pubsub=${pubsub};topic=${topic};result=${result}`;
  const brokerErrors = (pubsub: string, code: string) => `mqmesh_bridge_broker_errors_total;pubsub=${pubsub};code=${code}`;
  const latency = (api: string) => `mqmesh_bridge_publish_duration_milliseconds;api=${api}`;

  it("counts answers per api, pubsub and status; records per topic and result; publish latency from the end of the body to the answer", async () => {
    const host = await bridge(ROUTED);
    const s = publishStream(host, "/v1.0/publish/kafka/orders", '{"n":1}', [["content-type", "application/json"]]);
    host.advanceTime(7);
    const meta = lastCall(host);
    host.respondToHttpCall(meta.token, { headers: TUNNEL_OK, body: metadataResponse(decodeMetadata(meta.body).correlationId, "orders", 2) });
    host.advanceTime(30);
    const { call, p } = await routed(host);
    ackTopics(host, call, p);
    expect(s.localResponse?.status).toBe(204);
    expect(host.getCounter(requests("dapr", "kafka", 204))).toBe(1);
    expect(host.getCounter(records("kafka", "orders", "stored"))).toBe(1);
    expect(host.getHistogram(latency("dapr"))).toEqual([37]);

    // A batch routed to two topics with one failed partition: records per topic and result, the Kafka error by name.
    const events = [0, 1, 2, 3].map((i) => ({ specversion: "1.0", id: `m${i}`, source: "s", type: i % 2 ? "order.created" : "t", partitionkey: `k${i}` }));
    const b = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const batch = await routed(host);
    const failing = batch.records.find((r: any) => r.topic === "eq")!.partition;
    ackTopics(host, batch.call, batch.p, failing);
    expect(b.localResponse?.status).toBe(200);
    const stored = (topic: string) => batch.records.filter((r: any) => r.topic === topic && r.partition !== failing).length;
    const failed = (topic: string) => batch.records.filter((r: any) => r.topic === topic && r.partition === failing).length;
    for (const topic of ["eq", "orders"]) {
      expect(host.getCounter(records("fixed", topic, "stored"), 0), topic).toBe(stored(topic));
      expect(host.getCounter(records("fixed", topic, "failed"), 0), topic).toBe(failed(topic));
    }
    // Per failed partition answer: one per topic with a batch on the failing partition.
    expect(host.getCounter(brokerErrors("fixed", "NOT_LEADER_OR_FOLLOWER"))).toBe(batch.p.topics.filter((t: any) => t.partitions.some((x: any) => x.index === failing)).length);
    expect(host.getCounter(requests("cloudevents", "fixed", 200))).toBe(1);
    expect(host.getHistogram(latency("cloudevents"))).toEqual([0]);
  });

  it("broker errors by cause; requests that never reached the broker have no latency; unknown pubsubs share one label", async () => {
    const host = await bridge(ROUTED);
    const dead = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([{ entryId: "1", event: "a" }, { entryId: "2", event: "b" }]));
    host.respondToHttpCall(lastCall(host).token, { headers: [[":status", "503"]] });
    expect(dead.localResponse?.status).toBe(503);
    const timeout = publishStream(host, "/topics/orders", JSON.stringify({ records: [{ value: 1 }] }), [["content-type", "application/vnd.kafka.json.v2+json"]]);
    host.failHttpCall(lastCall(host).token);
    expect(timeout.localResponse?.status).toBe(503);
    const garbage = publishStream(host, "/v1.0/publish/fixed/orders", "x");
    host.respondToHttpCall(lastCall(host).token, { headers: TUNNEL_OK, body: "nonsense" });
    expect(garbage.localResponse?.status).toBe(502);
    expect(host.getCounter(brokerErrors("fixed", "unreachable"))).toBe(1);
    expect(host.getCounter(brokerErrors("fixed", "no_answer"))).toBe(1);
    expect(host.getCounter(brokerErrors("fixed", "bad_answer"))).toBe(1);
    expect(host.getCounter(requests("bulk", "fixed", 503))).toBe(1);
    expect(host.getCounter(requests("rest", "fixed", 503))).toBe(1);
    expect(host.getCounter(records("fixed", "orders", "failed"))).toBe(4);
    expect(host.getHistogram(latency("bulk"))).toHaveLength(1);
    expect(host.getHistogram(latency("dapr"))).toHaveLength(1);

    publishStream(host, "/v1.0/publish/nope/orders", "x");
    publishStream(host, "/v1.0/publish/other/orders", "x");
    publishStream(host, "/v1.0/cloudevents/fixed/orders", "{}", [["content-type", "application/cloudevents+json"]]);
    expect(host.getCounter(requests("dapr", "_", 404))).toBe(2);
    expect(host.getCounter(requests("cloudevents", "fixed", 400))).toBe(1);
    expect(host.getHistogram(latency("dapr"))).toHaveLength(1);
    expect(host.getHistogram(latency("cloudevents"), [])).toEqual([]);
  });

  it("caps the topic label at metrics.maxTopics; the rest count as __other__", async () => {
    const host = await bridge({ ...CONFIG, metrics: { maxTopics: 2 } });
    for (const topic of ["t1", "t2", "t3", "t4", "t1"]) {
      const s = publishStream(host, `/v1.0/publish/fixed/${topic}`, "x");
      const { call, p } = await routed(host);
      ackTopics(host, call, p);
      expect(s.localResponse?.status).toBe(204);
    }
    expect([records("fixed", "t1", "stored"), records("fixed", "t2", "stored"), records("fixed", "__other__", "stored")].map((n) => host.getCounter(n))).toEqual([2, 1, 2]);
    expect(host.hasMetric("counter", records("fixed", "t3", "stored"))).toBe(false);
  });
});
