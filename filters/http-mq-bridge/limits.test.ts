// http-mq-bridge's rate limits through the host emulator: which publishes a
// rule admits, as a reference token bucket (test/limits/ref_bucket.ts,
// written from the definition) computes it from the configured rate; the 429
// answers with Retry-After and the RateLimit-Policy / RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers, in each API's error shape; nothing
// sent to the broker for a refused publish; the metrics; global rules
// through the rate limit service (messages decoded by protobufjs).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { G, Mode, RefBucket } from "../../test/limits/ref_bucket.ts";
import { RLS_SECOND, RlsCode, decodeRlsRequest, encodeRlsResponse } from "../../test/limits/rls_proto.ts";
import { BRIDGE_MODULE, CONFIG, ROUTED, ackAll, ackTopics, produced, publishStream, restStream, routed, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const limited = (rules: object[], extra: object = {}) => ({ ...CONFIG, limits: { rules }, ...extra });
const RAW = "/v1.0/publish/fixed/orders?metadata.rawPayload=true";
const header = (s: { localResponse?: { headers: [string, string][] } }, name: string) => s.localResponse?.headers.find(([k]) => k === name)?.[1];

/** A Dapr publish of `body` (raw: the record's value is the body), answered by the broker when it gets there. */
function publish(host: ProxyHost, body = "x", stream = {}) {
  const before = host.httpCalls.length;
  const s = publishStream(host, RAW, body, [], stream);
  const sent = host.httpCalls.length > before;
  if (sent) {
    const call = host.httpCalls[host.httpCalls.length - 1];
    return produced(host).then(({ p }) => {
      ackAll(host, call, p);
      return { s, sent };
    });
  }
  return Promise.resolve({ s, sent });
}

const daprBody = (s: { localResponse?: { body: string } }) => JSON.parse(s.localResponse!.body);

describe("http-mq-bridge rate limits", () => {
  it("answers 429 past the limit with Retry-After and the RateLimit fields, and sends nothing to the broker", async () => {
    const host = await startBridge(wasm, limited([{ name: "orders", requestsPerSecond: 2 }]));
    const ref = new RefBucket(2n, G);
    for (let i = 0; i < 2; i++) {
      const { s, sent } = await publish(host);
      const want = ref.take(BigInt(host.nowMs) * 1_000_000n, 1n, Mode.IfAvailable);
      expect([s.localResponse?.status, sent, want.admitted]).toEqual([204, true, true]);
      expect(header(s, "ratelimit-policy")).toBe('"orders.requestsPerSecond";q=2;w=1');
      expect(header(s, "ratelimit")).toBe(`"orders.requestsPerSecond";r=${want.level / G}`);
    }
    const { s, sent } = await publish(host);
    const want = ref.take(BigInt(host.nowMs) * 1_000_000n, 1n, Mode.IfAvailable);
    expect([want.admitted, want.waitNs]).toEqual([false, 500_000_000n]); // half a second until one token
    expect(sent).toBe(false);
    expect(s.localResponse).toMatchObject({ status: 429, details: "mqmesh_err_too_many_requests" });
    expect(s.localResponse!.headers).toEqual([
      ["content-type", "application/json"],
      ["retry-after", "1"],
      ["ratelimit-policy", '"orders.requestsPerSecond";q=2;w=1'],
      ["ratelimit", '"orders.requestsPerSecond";r=0;t=1'],
    ]);
    expect(daprBody(s)).toEqual({ errorCode: "ERR_TOO_MANY_REQUESTS", message: "pubsub fixed: rate limit orders.requestsPerSecond exceeded: retry after 1 s" });
    expect(host.getCounter("mqmesh_bridge_throttled_requests_total;rule=orders;principal=anonymous")).toBe(1);
    expect(host.getCounter("mqmesh_bridge_throttle_time_milliseconds_total;rule=orders")).toBe(500);
    // Just before the token is there, still refused; then admitted.
    host.advanceTime(499);
    expect((await publish(host)).s.localResponse?.status).toBe(429);
    host.advanceTime(1);
    expect((await publish(host)).s.localResponse?.status).toBe(204);
    expect(host.getCounter("mqmesh_bridge_requests_total;api=dapr;pubsub=fixed;status=429")).toBe(2);
  });

  it("admits exactly what reference buckets of the configured rates admit, and Retry-After is their wait", async () => {
    const seen = { admitted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 50, max: 3000 }), fc.integer({ min: 100, max: 3000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 2500 })), { minLength: 5, maxLength: 30 }),
        async (requests, bytes, burstMs, schedule) => {
          const burstSeconds = burstMs / 1000;
          const host = await startBridge(wasm, limited([{ name: "r", requestsPerSecond: requests, bytesPerSecond: bytes, burstSeconds }]));
          const burstNs = BigInt(burstMs) * 1_000_000n;
          const refs = [new RefBucket(BigInt(requests), burstNs), new RefBucket(BigInt(bytes), burstNs)];
          for (const [advanceMs, size] of schedule) {
            host.advanceTime(advanceMs);
            const now = BigInt(host.nowMs) * 1_000_000n;
            const needs = [1n, BigInt(size)];
            // A publish larger than a whole bucket passes when the bucket is not in debt.
            const got = needs.map((n, i) => refs[i].take(now, n, n * G > refs[i].capacity ? Mode.WhileNotNegative : Mode.IfAvailable));
            const admitted = got.every((g) => g.admitted);
            if (!admitted) got.forEach((g, i) => g.admitted && refs[i].giveBack(now, needs[i]));
            const { s, sent } = await publish(host, "b".repeat(size));
            seen[admitted ? "admitted" : "refused"]++;
            expect(s.localResponse?.status).toBe(admitted ? 204 : 429);
            expect(sent).toBe(admitted);
            if (admitted) continue;
            const waits = got.filter((g) => !g.admitted).map((g) => (g.waitNs + G - 1n) / G);
            expect(header(s, "retry-after")).toBe(String(waits.reduce((a, b) => (a > b ? a : b), 1n)));
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(seen.admitted).toBeGreaterThan(50);
    expect(seen.refused).toBeGreaterThan(50);
  });

  it("gives back what one rate took when another refuses: the refused publish counts nowhere", async () => {
    const host = await startBridge(wasm, limited([{ name: "r", requestsPerSecond: 2, bytesPerSecond: 100 }]));
    expect((await publish(host, "a".repeat(60))).s.localResponse?.status).toBe(204);
    const refused = await publish(host, "b".repeat(60)); // 40 bytes left: refused by bytes, its request given back
    expect(refused.s.localResponse?.status).toBe(429);
    expect(header(refused.s, "ratelimit")).toBe('"r.bytesPerSecond";r=40;t=1');
    expect(header(refused.s, "ratelimit-policy")).toBe('"r.bytesPerSecond";q=100;w=1;qu="content-bytes"');
    expect(host.getCounter("mqmesh_bridge_bytes_over_limit_total;rule=r")).toBe(20);
    // The second request token is still there.
    const ok = await publish(host, "c".repeat(10));
    expect(ok.s.localResponse?.status).toBe(204);
    expect(header(ok.s, "ratelimit")).toBe('"r.requestsPerSecond";r=0, "r.bytesPerSecond";r=30');
  });

  it("keeps a bucket per principal (mTLS URI SAN, else source address) or one per rule, for the callers its patterns match", async () => {
    const san = (sa: string) => ({ properties: { "connection.uri_san_peer_certificate": `spiffe://cluster.local/ns/${sa}`, "source.address": "192.0.2.9:5000" } });
    const ip = (a: string) => ({ properties: { "source.address": `${a}:4000` } });
    const host = await startBridge(wasm, limited([
      { name: "shop", principals: ["spiffe://cluster.local/ns/shop/*"], requestsPerSecond: 1 },
      { name: "net", principals: ["cidr:10.0.0.0/8"], per: "rule", requestsPerSecond: 1 },
      { name: "hosts", principals: ["anonymous"], requestsPerSecond: 1 },
    ]));
    const status = async (stream: object) => (await publish(host, "x", stream)).s.localResponse?.status;
    // Certificates win over the address: shop callers are apart, and not in "net".
    expect([await status(san("shop/sa/alice")), await status(san("shop/sa/bob")), await status(san("shop/sa/alice"))]).toEqual([204, 204, 429]);
    expect(await status(san("other/sa/carol"))).toBe(204);
    expect(await status(san("other/sa/carol"))).toBe(204); // no rule for carol
    // Without a certificate: "net" is one bucket for all of 10/8, "hosts" one per address.
    expect([await status(ip("10.0.0.1")), await status(ip("10.0.0.2"))]).toEqual([204, 429]);
    expect([await status(ip("192.168.0.1")), await status(ip("192.168.0.2")), await status(ip("192.168.0.1"))]).toEqual([204, 204, 429]);
    expect(host.getCounter("mqmesh_bridge_throttled_requests_total;rule=shop;principal=spiffe://cluster.local/ns/shop/sa/alice")).toBe(1);
    expect(host.getCounter("mqmesh_bridge_throttled_requests_total;rule=net;principal=anonymous")).toBe(1);
  });

  it("counts only the records routed to a rule's topics, on its pubsubs", async () => {
    const host = await startBridge(wasm, { ...ROUTED, limits: { rules: [
      { name: "eq", pubsubs: ["fixed"], topics: ["eq"], messagesPerSecond: 4 },
      { name: "other-pubsub", pubsubs: ["kafka"], requestsPerSecond: 1 },
    ] } });
    const batch = (types: string[]) => publishStream(host, "/v1.0/cloudevents/fixed/orders",
      JSON.stringify(types.map((type, i) => ({ specversion: "1.0", id: `e${i}`, source: "s", type }))), [["content-type", "application/cloudevents-batch+json"]]);
    const send = async (types: string[]) => {
      const before = host.httpCalls.length;
      const s = batch(types);
      if (host.httpCalls.length > before) {
        const { call, p } = await routed(host);
        ackTopics(host, call, p);
      }
      return s;
    };
    // 2 of 5 events go to "eq": 2 of 4 messages used; counting all 5 would have put the bucket in debt.
    expect((await send(["order.created", "order.created", "a", "b", "c"])).localResponse?.status).toBe(200);
    const second = await send(["order.created", "order.created"]);
    expect(second.localResponse?.status).toBe(200);
    expect(header(second, "ratelimit")).toBe('"eq.messagesPerSecond";r=0');
    expect(header(second, "ratelimit-policy")).toBe('"eq.messagesPerSecond";q=4;w=1;mqmesh-unit="messages"');
    const third = await send(["a", "order.created"]);
    expect(third.localResponse?.status).toBe(429);
    expect(daprBody(third).errorCode).toBe("ERR_TOO_MANY_REQUESTS");
    expect((await send(["a"])).localResponse?.status).toBe(200); // no record for "eq": the rule does not apply
  });

  it("answers in each API's error shape", async () => {
    const host = await startBridge(wasm, limited([{ name: "one", requestsPerSecond: 1 }]));
    expect((await publish(host)).s.localResponse?.status).toBe(204);
    const rest = restStream(host, "/topics/orders", { records: [{ value: 1 }] });
    expect(rest.localResponse).toMatchObject({ status: 429, headers: expect.arrayContaining([["content-type", "application/vnd.kafka.v2+json"], ["retry-after", "1"]]) });
    expect(JSON.parse(rest.localResponse!.body)).toEqual({ error_code: 429, message: "rate limit one.requestsPerSecond exceeded: retry after 1 s" });
    const bulk = publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([{ entryId: "1", event: "a" }]));
    expect([bulk.localResponse?.status, daprBody(bulk).errorCode, header(bulk, "retry-after")]).toEqual([429, "ERR_TOO_MANY_REQUESTS", "1"]);
    const ce = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify({ specversion: "1.0", id: "1", source: "s", type: "t" }), [["content-type", "application/cloudevents+json"]]);
    expect([ce.localResponse?.status, daprBody(ce).errorCode]).toEqual([429, "ERR_TOO_MANY_REQUESTS"]);
  });

  it("global rules ask the rate limit service and follow its last answer", async () => {
    const service = { cluster: "mqmesh_ratelimit", domain: "mesh", timeoutMs: 250 };
    const host = await startBridge(wasm, limited([
      { name: "local", requestsPerSecond: 5 },
      { name: "mesh", global: true, per: "rule", requestsPerSecond: 100, bytesPerSecond: 1000 },
    ], { rateLimitService: service }), ["mqmesh_ratelimit"]);
    expect((await publish(host, "hello")).s.localResponse?.status).toBe(204);
    expect(host.grpcCalls.map((c) => [c.cluster, c.service, c.method, c.timeoutMs])).toEqual([
      ["mqmesh_ratelimit", "envoy.service.ratelimit.v3.RateLimitService", "ShouldRateLimit", 250],
      ["mqmesh_ratelimit", "envoy.service.ratelimit.v3.RateLimitService", "ShouldRateLimit", 250],
    ]);
    expect(host.grpcCalls.map((c) => decodeRlsRequest(c.message!))).toEqual([
      { domain: "mesh", hitsAddend: 1, descriptors: [{ entries: [{ key: "rule", value: "mesh" }, { key: "unit", value: "requests" }] }] },
      { domain: "mesh", hitsAddend: 5, descriptors: [{ entries: [{ key: "rule", value: "mesh" }, { key: "unit", value: "bytes" }] }] },
    ]);
    const [requests, bytes] = host.grpcCalls;
    host.respondToGrpcCall(requests.token, { message: encodeRlsResponse({ overallCode: RlsCode.OK, statuses: [{ code: RlsCode.OK, currentLimit: { requestsPerUnit: 100, unit: RLS_SECOND }, limitRemaining: 99 }] }) });
    host.respondToGrpcCall(bytes.token, { message: encodeRlsResponse({ overallCode: RlsCode.OVER_LIMIT, statuses: [{ code: RlsCode.OVER_LIMIT, durationUntilReset: { seconds: 2, nanos: 500_000_000 } }] }) });
    const refused = await publish(host, "again");
    expect(refused.sent).toBe(false);
    expect(refused.s.localResponse?.status).toBe(429);
    expect(header(refused.s, "retry-after")).toBe("3");
    expect(header(refused.s, "ratelimit")).toBe('"mesh.bytesPerSecond";r=0;t=3');
    // The local rule's take was given back: five more fit in its second.
    host.advanceTime(2500);
    for (let i = 0; i < 5; i++) expect((await publish(host)).s.localResponse?.status).toBe(204);
    // A publish the local rule refuses is not reported to the service.
    const calls = host.grpcCalls.length;
    expect((await publish(host)).s.localResponse?.status).toBe(429);
    expect(host.grpcCalls.length).toBe(calls);
    // The root makes the calls (Envoy cancels a stream's calls when the stream
    // ends); the stream's own calls that follow (Metadata) are the stream's.
    host.advanceTime(1000);
    const s = publishStream(host, "/v1.0/publish/kafka/new-topic", "x");
    expect(host.grpcCalls.slice(calls).map((c) => c.contextId)).toEqual([host.root.id, host.root.id]);
    expect(host.httpCalls.map((c) => [c.cluster, c.contextId])).toEqual([["kafka_tunnel", s.id]]);
  });

  it("rejects invalid rules, naming the field", async () => {
    const errors = async (limits: object, extra: object = {}) => {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify({ ...CONFIG, limits, ...extra }) });
      host.startVm();
      expect(host.configure()).toBe(false);
      return host.logText();
    };
    expect(await errors({ rules: [{ name: "a", pubsubs: ["nope"], requestsPerSecond: 1 }] })).toMatch(/limits\.rules\[0\]\.pubsubs\[0\]: names no configured pubsub: "nope"/);
    expect(await errors({ rules: [{ name: "a", topics: [], requestsPerSecond: 1 }] })).toMatch(/limits\.rules\[0\]\.topics: must not be empty/);
    expect(await errors({ rules: [{ name: "a", global: true, requestsPerSecond: 1 }] })).toMatch(/limits\.rules\[0\]\.global: needs the top-level rateLimitService/);
    expect(await errors({ rules: [{ name: "café", requestsPerSecond: 1 }] })).toMatch(/limits\.rules\[0\]\.name: must be printable ASCII/);
    expect(await errors({ rules: [{ name: "a" }] })).toMatch(/limits\.rules\[0\]: needs at least one of requestsPerSecond, messagesPerSecond, bytesPerSecond/);
    expect(await errors({ rules: [{ name: "a", requestsPerSecond: 1, groups: ["g"] }] })).toMatch(/limits\.rules\[0\]: unknown field "groups"/);
  });
});
