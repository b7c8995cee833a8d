// The request pipeline of the network filters (assembly/common/pipeline),
// driven through the kafka filter in the host emulator: probe interceptors
// (test/fixtures/kafka_pipeline_probe.ts) count how often they are asked
// about each frame; exchanges go with their connection; a muted client's
// bytes wait in Envoy and go through once the mute is over.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-kafka.ts";
import { ProxyHost } from "../host/index.ts";
import { SCHEMAS, fill, requestFrame, responseFrame, type Value } from "../kafka/wire.ts";
import { chunksOf, cyclingSplit, flushed, joined, loadRecording, replay } from "../support/recordings.ts";

let probe: string;
let kafka: string;
beforeAll(async () => {
  probe = await freshModule({ entry: "test/fixtures/kafka_pipeline_probe.ts", out: "build/fixtures/kafka_pipeline_probe.wasm", dependsOn: ["filters/kafka"] });
  kafka = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 240_000);

const request = (api: string, v: number, body: Value, correlationId: number) =>
  Buffer.from(requestFrame(api, v, fill(SCHEMAS[api][api + "Request"].fields, v, body), correlationId, "pipeline-test"));
const response = (api: string, v: number, body: Value, correlationId: number) =>
  Buffer.from(responseFrame(api, v, fill(SCHEMAS[api][api + "Response"].fields, v, body), correlationId));

// Frames of one direction of a byte stream.
function frameCount(stream: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + 4 <= stream.length; pos += 4 + stream.readInt32BE(pos)) n++;
  return n;
}

// An ACL that denies nothing the recorded clients use, so its own head
// judgement (NeedMore on produce requests until their first topic shows)
// runs next to the probes'.
const ACL = { acl: { defaultAction: "allow", rules: [{ action: "deny", topics: ["secret-*"], operations: ["*"] }] } };

describe("interceptors are asked once per frame", () => {
  const recorded = loadRecording<Recording>("kafka", "kafkajs");
  const requests = recorded.connections.reduce((n, c) => n + frameCount(joined(chunksOf(c), "request")), 0);
  const responses = recorded.connections.reduce((n, c) => n + frameCount(joined(chunksOf(c), "response")), 0);
  // Requests per client id, as each connection's first request names it.
  const callers = new Map<string, number>();
  for (const c of recorded.connections) {
    const stream = joined(chunksOf(c), "request");
    const id = stream.subarray(14, 14 + stream.readInt16BE(12)).toString("utf8");
    callers.set(id, (callers.get(id) ?? 0) + frameCount(stream));
  }

  it("however the reads are split, and while another interceptor asks for more", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        const host = await ProxyHost.start(probe, { pluginConfig: JSON.stringify(ACL), vmConfig: JSON.stringify({ needMore: 100 }) });
        const split = cyclingSplit(sizes);
        for (const connection of recorded.connections) {
          const chunks = chunksOf(connection);
          const conn = replay(host, chunks, split);
          expect(Buffer.from(conn.forwardedUpstream).equals(joined(chunks, "request"))).toBe(true);
          expect(Buffer.from(conn.forwardedDownstream).equals(joined(chunks, "response"))).toBe(true);
        }
        expect(host.getCounter("probe_asked_twice_total", 0)).toBe(0);
        // The session names its caller by the client id of its first request.
        for (const [id, n] of callers) expect(host.getCounter(`probe_callers_total;client_id=${id}`), id).toBe(n);
        expect(host.getCounter("probe_request_heads_total")).toBe(requests);
        expect(host.getCounter("probe_patient_verdicts_total")).toBe(requests);
        // The patient probe did wait for bytes: it was asked more often than it answered.
        expect(host.getCounter("probe_patient_asks_total")).toBeGreaterThan(requests);
        expect(host.getCounter("probe_response_heads_total")).toBe(responses);
        // Every exchange ended once: answered, or abandoned when its connection closed.
        expect(host.getCounter("probe_done_total", 0) + host.getCounter("probe_abandoned_total", 0)).toBe(requests);
      }),
      { numRuns: 12 },
    );
  });
});

describe("exchanges go with their connection", () => {
  it("closing thousands of connections with split requests waiting for their merge leaves memory flat", async () => {
    const host = await ProxyHost.start(kafka, { pluginConfig: JSON.stringify(ACL) });
    const produce = (correlationId: number) =>
      request("Produce", 9, {
        TransactionalId: null, Acks: -1, TimeoutMs: 1000,
        TopicData: ["orders", "secret-plans"].map((Name) => ({ Name, PartitionData: [{ Index: 0, Records: new Uint8Array(600).fill(1) }] })),
      }, correlationId);
    const sizes: number[] = [];
    for (let i = 1; i <= 4000; i++) {
      const conn = host.newConnection();
      conn.callOnDownstreamData(produce(i));
      // The broker got the allowed topic alone; the denied one waits on the
      // exchange for the broker's answer, which never comes.
      if (i === 1) expect(Buffer.from(conn.forwardedUpstream).includes(Buffer.from("secret-plans"))).toBe(false);
      conn.closeDownstream();
      if (i % 1000 === 0) sizes.push(host.memoryBytes);
    }
    expect(sizes[3]).toBe(sizes[0]);
    expect(flushed(host).getCounter("mqmesh_kafka_denied_requests_total;api=Produce;topic=secret-plans;principal=anonymous")).toBe(4000);
  });
});

describe("failing closed", () => {
  it("a request an interceptor closes on does not go on, and the connection closes", async () => {
    const host = await ProxyHost.start(probe, { vmConfig: JSON.stringify({ closeApi: 3 }) });
    const conn = host.newConnection();
    const first = request("ApiVersions", 3, { ClientSoftwareName: "t", ClientSoftwareVersion: "1" }, 1);
    conn.callOnDownstreamData(first);
    conn.callOnDownstreamData(request("Metadata", 12, { Topics: [{ Name: "orders" }] }, 2));
    expect(Buffer.from(conn.forwardedUpstream).equals(first)).toBe(true);
    expect(conn.closedByFilter).toBe("downstream");
  });
});

describe("muting the client", () => {
  const apiVersions = (id: number) => request("ApiVersions", 3, { ClientSoftwareName: "t", ClientSoftwareVersion: "1" }, id);
  const metadata = (id: number) => request("Metadata", 12, { Topics: [{ Name: "orders" }] }, id);
  const apiVersionsAnswer = (id: number) => response("ApiVersions", 3, { ErrorCode: 0 }, id);
  // ApiVersions mutes the client for 200 ms; the tick comes every 50 ms.
  const start = (flushIntervalMs = 50) =>
    ProxyHost.start(probe, { pluginConfig: JSON.stringify({ metrics: { flushIntervalMs } }), vmConfig: JSON.stringify({ muteMs: 200, muteApi: 18 }) });

  it("keeps the client's later reads in Envoy until the mute is over, then sends each frame once, in order", async () => {
    const host = await start();
    const conn = host.newConnection();
    const [first, second, third] = [apiVersions(1), metadata(2), metadata(3)];
    // The read that mutes goes on, with the head of the next request.
    const sent = Buffer.concat([first, second.subarray(0, 20)]);
    expect(conn.callOnDownstreamData(sent)).toBe("continue");
    expect(Buffer.from(conn.forwardedUpstream).equals(sent)).toBe(true);
    // Later reads wait: Envoy holds them and shows the filter all of it again each time.
    expect(conn.callOnDownstreamData(second.subarray(20))).toBe("pause");
    expect(conn.callOnDownstreamData(third.subarray(0, 9))).toBe("pause");
    expect(conn.callOnDownstreamData(third.subarray(9))).toBe("pause");
    expect(conn.heldDownstream.length).toBe(second.length - 20 + third.length);
    // Responses still flow.
    conn.callOnUpstreamData(apiVersionsAnswer(1));
    expect(Buffer.from(conn.forwardedDownstream).equals(apiVersionsAnswer(1))).toBe(true);
    host.advanceTime(150);
    expect(conn.downstreamPaused).toBe(true);
    expect(Buffer.from(conn.forwardedUpstream).equals(sent)).toBe(true);
    host.advanceTime(100);
    expect(conn.downstreamPaused).toBe(false);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.concat([first, second, third]))).toBe(true);
    // Each frame was read once.
    expect(host.getCounter("probe_request_heads_total")).toBe(3);
    expect(flushed(host).getCounter("mqmesh_kafka_requests_total;api=Metadata")).toBe(2);
    expect(host.getCounter("mqmesh_kafka_requests_total;api=ApiVersions")).toBe(1);
    expect(host.errors).toEqual([]);
  });

  it("a read that arrives after the mute's end goes on at once, without a tick", async () => {
    const host = await start(0);
    const conn = host.newConnection();
    conn.callOnDownstreamData(apiVersions(1));
    expect(conn.callOnDownstreamData(metadata(2))).toBe("pause");
    host.advanceTime(250);
    expect(conn.callOnDownstreamData(metadata(3))).toBe("continue");
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.concat([apiVersions(1), metadata(2), metadata(3)]))).toBe(true);
    expect(host.getCounter("probe_request_heads_total")).toBe(3);
  });

  it("a request read on resuming can mute again: its read goes on, the next one waits", async () => {
    const host = await start();
    const conn = host.newConnection();
    conn.callOnDownstreamData(apiVersions(1));
    expect(conn.callOnDownstreamData(apiVersions(2))).toBe("pause");
    host.advanceTime(250);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.concat([apiVersions(1), apiVersions(2)]))).toBe(true);
    expect(conn.callOnDownstreamData(metadata(3))).toBe("pause");
    host.advanceTime(250);
    expect(Buffer.from(conn.forwardedUpstream).equals(Buffer.concat([apiVersions(1), apiVersions(2), metadata(3)]))).toBe(true);
  });

  it("a connection closed while muted is forgotten", async () => {
    const host = await start();
    const conn = host.newConnection();
    conn.callOnDownstreamData(apiVersions(1));
    expect(conn.callOnDownstreamData(metadata(2))).toBe("pause");
    conn.closeDownstream();
    host.advanceTime(250);
    expect(host.failed).toBeUndefined();
    expect(host.errors).toEqual([]);
  });
});
