// http-mq-bridge through the host emulator: the Kafka REST-style API, CloudEvents
// over HTTP (binary, structured, batch) and Dapr bulk publish, each request
// -> the Produce it sends (decoded by an independent reader) and the broker's
// answer -> the answer in that API's shape.
import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { BRIDGE_MODULE, CONFIG, FIXED_PARTITIONS, TUNNEL_OK, ackAll, decodeProduce, headersText, lastCall, produced, produceResponse, produceResponseMulti, publishStream, requestHeader, restStream, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const bridge = (config: unknown = CONFIG) => startBridge(wasm, config);

// ---- Kafka REST-style -------------------------------------------------------------

describe("http-mq-bridge HTTP filter (Kafka REST-style /topics)", () => {
  it("json format: one Produce with a batch per partition; offsets answered in record order", async () => {
    const host = await bridge();
    const partitioner = Partitioners.JavaCompatiblePartitioner();
    const partitionMetadata = Array.from({ length: 4 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    const records = [
      { key: "alice", value: { n: 1 }, headers: { h1: "v1" } },
      { value: [1, "two"], partition: 3 },
      { key: { id: 7 }, value: null, headers: [{ name: "h2", value: "v2" }] },
      { key: "alice", value: "again" },
    ];
    const s = restStream(host, "/topics/events", { records }, undefined, [["traceparent", traceparent]]);
    const call = lastCall(host);
    const p = await decodeProduce(call.body);
    expect(p.topics[0].name).toBe("events");
    const byPartition = new Map(p.topics[0].partitions.map((x: any) => [x.index, x.batch.records]));
    const alice = partitioner({ topic: "events", partitionMetadata, message: { key: '"alice"', value: "" } });
    const id7 = partitioner({ topic: "events", partitionMetadata, message: { key: '{"id":7}', value: "" } });
    const aliceRecords = byPartition.get(alice) as any[];
    expect(aliceRecords.filter((r) => r.key?.toString() === '"alice"').map((r) => r.value.toString())).toEqual(['{"n":1}', '"again"']);
    expect((byPartition.get(3) as any[]).some((r) => r.key === null && r.value.toString() === '[1,"two"]')).toBe(true);
    const r7 = (byPartition.get(id7) as any[]).find((r) => r.key?.toString() === '{"id":7}');
    expect(r7.value).toBeNull();
    expect(r7.headers.h2.toString()).toBe("v2");
    expect(r7.headers.traceparent.toString()).toBe(traceparent);

    const base = new Map(p.topics[0].partitions.map((x: any, i: number) => [x.index, BigInt(100 * (i + 1))]));
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponseMulti(p.correlationId, "events", [...base].map(([idx, b]) => [idx as number, 0, b as bigint])) });
    expect(s.localResponse?.status).toBe(200);
    const answer = JSON.parse(s.localResponse!.body);
    expect(answer.key_schema_id).toBeNull();
    const expectedOffset = (partition: number, nth: number) => Number(base.get(partition)) + nth;
    expect(answer.offsets).toEqual([
      { partition: alice, offset: expectedOffset(alice, 0), error_code: null, error: null },
      { partition: 3, offset: expectedOffset(3, alice === 3 ? 1 : 0), error_code: null, error: null },
      { partition: id7, offset: expectedOffset(id7, [alice, 3].filter((x) => x === id7).length), error_code: null, error: null },
      { partition: alice, offset: expectedOffset(alice, 1 + (alice === 3 ? 1 : 0) + (alice === id7 ? 1 : 0)), error_code: null, error: null },
    ]);
  });

  it("binary format: base64 keys, values and header values; /partitions/{p} pins the partition", async () => {
    const host = await bridge();
    const key = Buffer.from([0, 1, 2, 255]), value = Buffer.from("binary\u0000value");
    const s = restStream(host, "/topics/bin/partitions/2", { records: [{ key: key.toString("base64"), value: value.toString("base64"), headers: { h: Buffer.from("hv").toString("base64") } }] }, "application/vnd.kafka.binary.v2+json");
    const call = lastCall(host);
    const p = await decodeProduce(call.body);
    const { index, batch } = p.topics[0].partitions[0];
    expect(index).toBe(2);
    expect(Buffer.compare(batch.records[0].key, key)).toBe(0);
    expect(Buffer.compare(batch.records[0].value, value)).toBe(0);
    expect(batch.records[0].headers.h.toString()).toBe("hv");
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "bin", 2, 0, 41n) });
    expect(JSON.parse(s.localResponse!.body).offsets).toEqual([{ partition: 2, offset: 41, error_code: null, error: null }]);
  });

  it("errors name the field; partial failures are per record; a dead tunnel is 503", async () => {
    const host = await bridge();
    const cases: [string, unknown, string | undefined, number, number, RegExp][] = [
      ["/topics/t", { records: [{ value: 1 }, { value: "%%%" }] }, "application/vnd.kafka.binary.v2+json", 400, 400, /^records\[0\]\.value: expected a base64 string/],
      ["/topics/t", { records: [{ value: "x", partition: -1 }] }, undefined, 400, 400, /^records\[0\]\.partition:/],
      ["/topics/t", { records: [{ value: "x", colour: 1 }] }, undefined, 400, 400, /^records\[0\]\.colour: unknown field/],
      ["/topics/t", { records: [{ value: "x", headers: { h: 1 } }] }, undefined, 400, 400, /^records\[0\]\.headers\.h: expected a string/],
      ["/topics/t", { records: [] }, undefined, 400, 400, /^records: must not be empty/],
      ["/topics/t", "{", undefined, 400, 400, /^body: invalid JSON/],
      ["/topics/t", { records: [{ value: 1 }] }, "text/csv", 415, 415, /^content-type:/],
      ["/topics/t", { records: [{ value: 1, partition: 9 }] }, undefined, 404, 40402, /^Partition not found/],
      ["/topics/t/partitions/1", { records: [{ value: 1, partition: 2 }] }, undefined, 400, 400, /differs from the partition in the path/],
      ["/topics/bad%20name", { records: [{ value: 1 }] }, undefined, 400, 400, /^topic:/],
    ];
    for (const [path, body, ct, status, code, message] of cases) {
      const s = restStream(host, path, body, ct);
      expect(s.localResponse?.status, path + " " + JSON.stringify(body)).toBe(status);
      const parsed = JSON.parse(s.localResponse!.body);
      expect(parsed.error_code).toBe(code);
      expect(parsed.message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);

    // Partition 0 fails with a retriable error, partition 1 succeeds.
    let s = restStream(host, "/topics/t", { records: [{ value: "a", partition: 0 }, { value: "b", partition: 1 }] });
    let call = lastCall(host);
    let corr = requestHeader(call.body).correlationId;
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponseMulti(corr, "t", [[0, 6, -1n], [1, 0, 5n]]) });
    expect(s.localResponse?.status).toBe(200);
    const offsets = JSON.parse(s.localResponse!.body).offsets;
    expect(offsets[0]).toMatchObject({ partition: 0, offset: null, error_code: 50003 });
    expect(offsets[0].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);
    expect(offsets[1]).toEqual({ partition: 1, offset: 5, error_code: null, error: null });

    // Every record failed: the request fails.
    s = restStream(host, "/topics/t", { records: [{ value: "a", partition: 0 }] });
    call = lastCall(host);
    corr = requestHeader(call.body).correlationId;
    host.respondToHttpCall(call.token, { headers: TUNNEL_OK, body: produceResponse(corr, "t", 0, 19) });
    expect(s.localResponse?.status).toBe(503);

    s = restStream(host, "/topics/t", { records: [{ value: "a" }] });
    host.failHttpCall(lastCall(host).token);
    expect(s.localResponse?.status).toBe(503);
    expect(Object.fromEntries(s.localResponse!.headers)["retry-after"]).toBe("1");
    expect(JSON.parse(s.localResponse!.body).error_code).toBe(50301);
  });

  it("never traps on fuzzed REST bodies", async () => {
    const host = await bridge();
    const jsonish = fc.oneof(fc.string({ maxLength: 200 }), fc.json().map((j) => `{"records":[${j}]}`), fc.json().map((j) => `{"records":${j}}`));
    await fc.assert(
      fc.asyncProperty(jsonish, fc.constantFrom("application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json"), fc.uint8Array({ maxLength: 100 }), async (body, ct, answer) => {
        const s = restStream(host, "/topics/fz", body, ct);
        while (!s.localResponse && host.httpCalls.length > 0) host.respondToHttpCall(host.httpCalls[host.httpCalls.length - 1].token, { headers: TUNNEL_OK, body: answer });
        expect(host.failed).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

// ---- CloudEvents over HTTP and Dapr bulk publish ----------------------------------

describe("http-mq-bridge HTTP filter (CloudEvents /v1.0/cloudevents)", () => {
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  it("binary mode: ce-* headers become ce_ record headers, Content-Type the content-type header, the body the value, partitionkey the key", async () => {
    const host = await bridge();
    const body = Buffer.from([0, 1, 2, 0xff, 0x41]);
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [
      ["ce-specversion", "1.0"], ["ce-id", "e-1"], ["ce-source", "/shop/a%20b"], ["ce-type", "com.example.order"],
      ["ce-time", "2026-11-22T13:00:00Z"], ["ce-partitionkey", "alice"], ["content-type", "application/octet-stream"], ["traceparent", traceparent],
    ]);
    const { call, p, records } = await produced(host);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(Buffer.compare(r.value, body)).toBe(0);
    expect(r.key.toString()).toBe("alice");
    expect(r.partition).toBe(Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: "alice", value: "" } }));
    expect(headersText(r)).toEqual({
      ce_specversion: "1.0", ce_id: "e-1", ce_source: "/shop/a b", ce_type: "com.example.order", ce_time: "2026-11-22T13:00:00Z",
      ce_partitionkey: "alice", "content-type": "application/octet-stream", traceparent,
    });
    expect(s.localResponse).toBeUndefined();
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);
  });

  it("structured mode: attributes to ce_ headers, JSON data as its text, data_base64 decoded, the traceparent extension as the record's traceparent", async () => {
    const host = await bridge();
    const event = { specversion: "1.0", id: "s-1", source: "urn:x", type: "t.created", subject: "sub", datacontenttype: "application/json", data: { n: 1, s: "é" }, traceparent, count: 3 };
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders?metadata.tenant=acme", JSON.stringify(event), [["content-type", "application/cloudevents+json; charset=utf-8"]]);
    let { call, p, records } = await produced(host);
    expect(records[0].key).toBeNull();
    expect(records[0].value.toString()).toBe('{"n":1,"s":"é"}');
    expect(headersText(records[0])).toEqual({
      ce_specversion: "1.0", ce_id: "s-1", ce_source: "urn:x", ce_type: "t.created", ce_subject: "sub", ce_traceparent: traceparent, ce_count: "3",
      "content-type": "application/json", tenant: "acme", traceparent,
    });
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);

    const b64 = { specversion: "1.0", id: "s-2", source: "urn:x", type: "t", datacontenttype: "image/png", data_base64: Buffer.from([9, 8, 7]).toString("base64") };
    publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(b64), [["content-type", "application/cloudevents+json"]]);
    ({ records } = await produced(host));
    expect([...records[0].value]).toEqual([9, 8, 7]);
    expect(headersText(records[0])["content-type"]).toBe("image/png");
    const text = { specversion: "1.0", id: "s-3", source: "urn:x", type: "t", datacontenttype: "text/plain", data: "hello" };
    publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(text), [["content-type", "application/cloudevents+json"]]);
    ({ records } = await produced(host));
    expect(records[0].value.toString()).toBe("hello");
  });

  it("batch mode: one Produce for all events, results per event in order with partition and offset or the error", async () => {
    const host = await bridge();
    const events = ["a", "b", "c"].map((k, i) => ({ specversion: "1.0", id: `b-${i}`, source: "urn:x", type: "t", partitionkey: k, data: { i } }));
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const { call, p, records } = await produced(host);
    expect(records.map((r: any) => r.value.toString()).sort()).toEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
    const partitionOf = (k: string) => Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: k, value: "" } });
    const failing = partitionOf("b");
    ackAll(host, call, p, failing);
    expect(s.localResponse?.status).toBe(200);
    const results = JSON.parse(s.localResponse!.body).results;
    expect(results.map((r: any) => [r.id, r.partition])).toEqual([["b-0", partitionOf("a")], ["b-1", failing], ["b-2", partitionOf("c")]]);
    expect(results[1]).toMatchObject({ status: 503 });
    expect(results[1].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);
    for (const i of [0, 2]) if (partitionOf(["a", "b", "c"][i]) !== failing) expect(typeof results[i].offset).toBe("number");
  });

  it("400 naming the missing or invalid attribute, without calling the broker", async () => {
    const host = await bridge();
    const ok = { specversion: "1.0", id: "x", source: "s", type: "t" };
    const cases: [string, [string, string][], string, RegExp][] = [
      ["binary", [["ce-specversion", "1.0"], ["ce-source", "s"], ["ce-type", "t"]], "", /^id: /],
      ["binary", [["ce-id", "1"], ["ce-source", "s"], ["ce-type", "t"]], "", /^specversion: /],
      ["binary", [["ce-specversion", "0.3"], ["ce-id", "1"], ["ce-source", "s"], ["ce-type", "t"]], "", /^specversion: only 1.0/],
      ["binary", [["ce-specversion", "1.0"], ["ce-id", "1"], ["ce-type", "t"]], "", /^source: /],
      ["binary", [["ce-specversion", "1.0"], ["ce-id", "1"], ["ce-source", "s"]], "", /^type: /],
      ["structured", [], JSON.stringify({ ...ok, type: undefined }), /^type: /],
      ["structured", [], JSON.stringify({ ...ok, id: "" }), /^id: /],
      ["structured", [], JSON.stringify({ ...ok, data: 1, data_base64: "AA==" }), /^data_base64: /],
      ["structured", [], JSON.stringify({ ...ok, data_base64: "!!" }), /^data_base64: invalid base64/],
      ["structured", [], "{", /^body: invalid JSON/],
      ["batch", [], JSON.stringify([ok, { ...ok, source: undefined }]), /^\[1\]\.source: /],
      ["batch", [], JSON.stringify(ok), /^body: expected a JSON array/],
    ];
    for (const [mode, headers, body, message] of cases) {
      const ct = mode === "structured" ? "application/cloudevents+json" : mode === "batch" ? "application/cloudevents-batch+json" : "text/plain";
      const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [["content-type", ct], ...headers]);
      expect(s.localResponse?.status, `${mode} ${body}`).toBe(400);
      const e = JSON.parse(s.localResponse!.body);
      expect(e.errorCode).toBe("ERR_MALFORMED_REQUEST");
      expect(e.message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);
    expect(publishStream(host, "/v1.0/cloudevents/nope/orders", "{}", [["content-type", "application/cloudevents+json"]]).localResponse?.status).toBe(404);
  });

  it("never traps on fuzzed CloudEvents and bulk bodies", async () => {
    const host = await bridge();
    const attr = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
    const event = fc.record({ specversion: fc.constantFrom("1.0", "0.3", 1), id: attr, source: attr, type: attr, data: fc.jsonValue({ maxDepth: 2 }), data_base64: attr, partitionkey: attr, datacontenttype: attr }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("cloudevents", "publish/bulk"), fc.oneof(event, fc.array(event, { maxLength: 3 }), fc.array(fc.record({ entryId: attr, event: fc.jsonValue({ maxDepth: 2 }), contentType: attr, metadata: fc.oneof(attr, fc.dictionary(fc.string({ maxLength: 5 }), attr)) }, { requiredKeys: [] }), { maxLength: 3 })),
        fc.constantFrom("application/cloudevents+json", "application/cloudevents-batch+json", "text/plain", "application/json"), fc.boolean(),
        async (api, body, ct, ceHeaders) => {
          const path = api === "cloudevents" ? "/v1.0/cloudevents/fixed/t" : "/v1.0-alpha1/publish/bulk/fixed/t";
          const s = publishStream(host, path, JSON.stringify(body), [["content-type", ct], ...(ceHeaders ? [["ce-id", "%zz"], ["ce-specversion", "1.0"], ["ce-Bad_Name", "x"]] as [string, string][] : [])]);
          while (!s.localResponse && host.httpCalls.length > 0) {
            const call = host.httpCalls[host.httpCalls.length - 1];
            const p = await decodeProduce(call.body);
            ackAll(host, call, p);
          }
          expect(host.failed).toBeUndefined();
          expect(s.localResponse).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("http-mq-bridge HTTP filter (Dapr bulk publish)", () => {
  it("one record per entry, wrapped as Dapr does, entry metadata as headers and partitionKey as key; 204 after the ack", async () => {
    const host = await bridge();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const entries = [
      { entryId: "1", event: "first", contentType: "text/plain" },
      { entryId: "2", event: { n: 2 }, contentType: "application/json", metadata: { partitionKey: "k2", tenant: "acme" } },
      { entryId: "3", event: { specversion: "1.0", id: "own", source: "me", type: "mine", data: 3 }, contentType: "application/cloudevents+json" },
    ];
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders?metadata.shared=yes", JSON.stringify(entries), [["content-type", "application/json"], ["traceparent", traceparent]]);
    const { call, p, records } = await produced(host);
    const byId = (id: string) => records.find((r: any) => [JSON.parse(r.value.toString())].some((ce) => (id === "1" && ce.data === "first") || (id === "2" && ce.data?.n === 2) || (id === "3" && ce.id === "own")));
    expect(JSON.parse(byId("1").value.toString())).toMatchObject({ specversion: "1.0", type: "com.dapr.event.sent", source: "unit", datacontenttype: "text/plain", data: "first", topic: "orders", pubsubname: "fixed", traceparent });
    expect(JSON.parse(byId("2").value.toString())).toMatchObject({ datacontenttype: "application/json", data: { n: 2 } });
    expect(byId("2").key.toString()).toBe("k2");
    expect(headersText(byId("2"))).toEqual({ shared: "yes", tenant: "acme", traceparent });
    expect(JSON.parse(byId("3").value.toString())).toMatchObject({ id: "own", source: "me", type: "mine", data: 3, topic: "orders", pubsubname: "fixed" });
    expect(s.localResponse).toBeUndefined();
    ackAll(host, call, p);
    expect(s.localResponse?.status).toBe(204);
  });

  it("per-entry failures: 500 with failedEntries naming the entries of the failed partition; rawPayload sends events unwrapped", async () => {
    const host = await bridge();
    const entries = ["a", "b", "c", "d"].map((k) => ({ entryId: `e-${k}`, event: `v-${k}`, metadata: { partitionKey: k } }));
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders?metadata.rawPayload=true", JSON.stringify(entries));
    const { call, p, records } = await produced(host);
    expect(records.map((r: any) => r.value.toString()).sort()).toEqual(["v-a", "v-b", "v-c", "v-d"]);
    const partitionOf = (k: string) => Partitioners.JavaCompatiblePartitioner()({ topic: "orders", partitionMetadata: FIXED_PARTITIONS, message: { key: k, value: "" } });
    const failing = partitionOf("a");
    ackAll(host, call, p, failing);
    expect(s.localResponse?.status).toBe(500);
    const body = JSON.parse(s.localResponse!.body);
    expect(body.errorCode).toBe("ERR_PUBSUB_PUBLISH_MESSAGE");
    expect(body.failedEntries.map((e: any) => e.entryId)).toEqual(["a", "b", "c", "d"].filter((k) => partitionOf(k) === failing).map((k) => `e-${k}`));
    expect(body.failedEntries[0].error).toMatch(/NOT_LEADER_OR_FOLLOWER/);

    // The tunnel down: every entry failed, 503 with Retry-After.
    const t = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify(entries));
    host.respondToHttpCall(lastCall(host).token, { headers: [[":status", "503"]], body: new Uint8Array(0) });
    expect(t.localResponse?.status).toBe(503);
    expect(JSON.parse(t.localResponse!.body).failedEntries).toHaveLength(4);
  });

  it("400 naming the entry field", async () => {
    const host = await bridge();
    const cases: [unknown, RegExp][] = [
      [[{ event: "x" }], /^entries\[0\]\.entryId: /],
      [[{ entryId: "1", event: "x" }, { entryId: "1", event: "y" }], /^entries\[1\]\.entryId: "1" is not unique/],
      [[{ entryId: "1" }], /^entries\[0\]\.event: required/],
      [[{ entryId: "1", event: "x", metadata: { a: 1 } }], /^entries\[0\]\.metadata\.a: /],
      [[{ entryId: "1", event: "x", contentType: 7 }], /^entries\[0\]\.contentType: /],
      [[], /^body: no entries/],
      [{ a: 1 }, /^body: expected a JSON array/],
    ];
    for (const [body, message] of cases) {
      const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify(body));
      expect(s.localResponse?.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(s.localResponse!.body).message).toMatch(message);
    }
    expect(host.httpCalls).toHaveLength(0);
  });
});
