// http-mq-bridge through the host emulator: what the app is told and when.
// A 2xx comes only once every record of the publish was acknowledged, even
// when its records travel in different Produce requests; offsets the broker
// did not tell are -1 for every record; bad input is refused naming the field.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { BRIDGE_MODULE, CONFIG, TUNNEL_OK, answerInit, decodeProduce, lastCall, produceResponse, publishStream, restStream, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const bridge = (config: unknown = CONFIG) => startBridge(wasm, config);

// REST json-format values travel as their JSON text.
const restValues = (batch: { records: { value: Buffer }[] }) => batch.records.map((r) => JSON.parse(r.value.toString()));

describe("http-mq-bridge delivery", () => {
  it("a publish whose records go out in two Produces (one partition busy) is answered only after both were acknowledged", async () => {
    const host = await bridge();
    const a = restStream(host, "/topics/t", { records: [{ value: "a", partition: 0 }] });
    const first = lastCall(host);
    const b = restStream(host, "/topics/t", { records: [{ value: "b0", partition: 0 }, { value: "b3", partition: 3 }] });
    // Partition 3 is idle: its record goes at once; partition 0's waits behind a's Produce.
    expect(host.httpCalls).toHaveLength(2);
    const second = lastCall(host);
    const p2 = await decodeProduce(second.body);
    expect(p2.topics[0].partitions.map((x) => [x.index, restValues(x.batch)])).toEqual([[3, ["b3"]]]);
    host.respondToHttpCall(second.token, { headers: TUNNEL_OK, body: produceResponse(p2.correlationId, "t", 3, 0, 30n) });
    expect(b.localResponse).toBeUndefined();

    const p1 = await decodeProduce(first.body);
    host.respondToHttpCall(first.token, { headers: TUNNEL_OK, body: produceResponse(p1.correlationId, "t", 0, 0, 10n) });
    expect(JSON.parse(a.localResponse!.body).offsets).toEqual([{ partition: 0, offset: 10, error_code: null, error: null }]);
    expect(b.localResponse).toBeUndefined();

    const third = lastCall(host);
    const p3 = await decodeProduce(third.body);
    expect(p3.topics[0].partitions.map((x) => [x.index, restValues(x.batch)])).toEqual([[0, ["b0"]]]);
    host.respondToHttpCall(third.token, { headers: TUNNEL_OK, body: produceResponse(p3.correlationId, "t", 0, 0, 11n) });
    expect(b.localResponse?.status).toBe(200);
    expect(JSON.parse(b.localResponse!.body).offsets).toEqual([
      { partition: 0, offset: 11, error_code: null, error: null },
      { partition: 3, offset: 30, error_code: null, error: null },
    ]);
  });

  it("a batch the broker already had (DUPLICATE_SEQUENCE_NUMBER on the retry) is stored, and no record of it claims an offset", async () => {
    const host = await bridge({ ...CONFIG, idempotent: true });
    const s = restStream(host, "/topics/t", { records: [{ value: "x", partition: 2 }, { value: "y", partition: 2 }] });
    answerInit(host, 77n, 0);
    // No answer: the broker may have stored the batch; it is sent again with the same sequence.
    host.failHttpCall(lastCall(host).token);
    expect(s.localResponse).toBeUndefined();
    host.tick();
    const retry = lastCall(host);
    const p = await decodeProduce(retry.body);
    const batch = p.topics[0].partitions[0].batch;
    expect([BigInt(batch.producerId), batch.firstSequence, restValues(batch)]).toEqual([77n, 0, ["x", "y"]]);
    host.respondToHttpCall(retry.token, { headers: TUNNEL_OK, body: produceResponse(p.correlationId, "t", 2, 46) });
    expect(s.localResponse?.status).toBe(200);
    expect(JSON.parse(s.localResponse!.body).offsets).toEqual([
      { partition: 2, offset: -1, error_code: null, error: null },
      { partition: 2, offset: -1, error_code: null, error: null },
    ]);
  });

  it("a bulk entry whose event cannot be wrapped names the entry's event, once", async () => {
    const host = await bridge();
    const s = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([
      { entryId: "1", event: "fine" },
      { entryId: "2", event: "not an object", contentType: "application/cloudevents+json" },
    ]));
    expect(s.localResponse?.status).toBe(400);
    const e = JSON.parse(s.localResponse!.body);
    expect(e.errorCode).toBe("ERR_MALFORMED_REQUEST");
    expect(e.message).toMatch(/^entries\[1\]\.event: application\/cloudevents\+json needs a JSON object$/);
    expect(host.httpCalls).toHaveLength(0);
  });
});
