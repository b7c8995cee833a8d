// http-mq-bridge through the host emulator: routing rules, every operator and
// its edges, the views per API, and invalid rules rejected naming the field.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { responseFrame } from "../../test/kafka/wire.ts";
import { BRIDGE_MODULE, CONFIG, ROUTED, TUNNEL_OK, ackTopics, decodeMetadata, headersText, lastCall, metadataResponse, publishStream, restStream, routed, startBridge } from "./bridge_wire.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule(BRIDGE_MODULE);
}, 180_000);

const bridge = (config: unknown = CONFIG) => startBridge(wasm, config);

// ---- routing rules ------------------------------------------------------------------

describe("http-mq-bridge routing rules", () => {
  const ce = (i: number, e: Record<string, unknown>) => ({ specversion: "1.0", id: `e${i}`, source: "urn:x", type: "t", ...e });

  it("each operator sends a batch's events to their rule's topic; no match keeps the path's topic; the first matching rule wins", async () => {
    const host = await bridge(ROUTED);
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "order.created" }, "eq"], [{ type: "order.created.v2" }, "orders"], [{ type: "other" }, "later"],
      [{ type: "audit.login" }, "prefix"], [{ type: "audit" }, "orders"],
      [{ source: "/shop/eu" }, "suffix"], [{ source: "/shop/eu2" }, "orders"],
      [{ type: "num", data: { amount: 5 } }, "numeric"], [{ type: "num", data: { amount: 0 } }, "orders"],
      [{ type: "num", data: { amount: 0.0001 } }, "numeric"], [{ type: "num", data: { amount: 5.000001 } }, "orders"],
      [{ type: "num", data: { amount: "3" } }, "numeric"], [{ type: "num", data: { amount: -1 } }, "orders"],
      [{ type: "num", data: { amount: true } }, "orders"], [{ type: "num", data: {} }, "orders"],
      [{ type: "ab", data: { region: "ap" } }, "anything-but"], [{ type: "ab", data: { region: "us" } }, "orders"],
      [{ type: "ab", data: { region: "eu" } }, "orders"], [{ type: "ab", data: {} }, "orders"],
      [{ type: "ip", data: { ip: "10.0.0.0" } }, "cidr"], [{ type: "ip", data: { ip: "10.255.255.255" } }, "cidr"],
      [{ type: "ip", data: { ip: "9.255.255.255" } }, "orders"], [{ type: "ip", data: { ip: "11.0.0.0" } }, "orders"],
      [{ type: "ip", data: { ip: "10.0.0" } }, "orders"], [{ type: "ip", data: { ip: "010.0.0.1" } }, "orders"],
      [{ type: "ip6", clientip: "2001:db8::1" }, "cidr6"], [{ type: "ip6", clientip: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff" }, "cidr6"],
      [{ type: "ip6", clientip: "2001:db9::" }, "orders"], [{ type: "ip6", clientip: "::ffff:10.0.0.1" }, "orders"],
      [{ type: "ex" }, "no-subject"], [{ type: "ex", subject: "s" }, "orders"],
      [{ priority: 7 }, "urgent"], [{ priority: 5 }, "urgent"], [{ priority: 4 }, "orders"],
      [{ data: { tags: ["a", "vip"] } }, "vip"], [{ data: { tags: ["a"] } }, "orders"],
      [{ datacontenttype: "text/plain", data: "urgent: disk full" }, "text"], [{ datacontenttype: "text/plain", data: "fyi: urgent:" }, "orders"],
    ];
    const events = cases.map(([e], i) => ce(i, e));
    const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const { call, p, records } = await routed(host);
    const topicOf = Object.fromEntries(records.map((r: any) => [headersText(r).ce_id, r.topic]));
    expect(cases.map(([e], i) => [e, topicOf[`e${i}`]])).toEqual(cases.map(([e, t]) => [e, t]));
    // One Produce, each topic once, its records in batches per partition.
    expect(p.topics.map((t: any) => t.name)).toEqual([...new Set(cases.map(([, t]) => t))]);
    ackTopics(host, call, p);
    expect(s.localResponse?.status).toBe(200);
    const results = JSON.parse(s.localResponse!.body).results;
    expect(results.map((r: any) => r.id)).toEqual(events.map((e) => e.id));
    for (const r of results) expect(typeof r.offset).toBe("number");
  });

  it("binary and structured modes route on the same attributes; Dapr routes on its envelope; rawPayload on the data alone; bulk per entry", async () => {
    const host = await bridge(ROUTED);
    const binary = (headers: [string, string][], body = "x") =>
      publishStream(host, "/v1.0/cloudevents/fixed/orders", body, [["ce-specversion", "1.0"], ["ce-id", "b"], ["ce-source", "urn:x"], ...headers]);
    const cases: [() => unknown, string[]][] = [
      [() => binary([["ce-type", "order.created"]]), ["eq"]],
      [() => binary([["ce-type", "t"], ["ce-priority", "9"]]), ["urgent"]],
      [() => binary([["ce-type", "ex"], ["ce-subject", "s"]]), ["orders"]],
      [() => binary([["ce-type", "t"], ["content-type", "application/json"]], '{"tags":["vip"]}'), ["vip"]],
      [() => binary([["ce-type", "t"], ["content-type", "text/plain"]], '{"tags":["vip"]}'), ["orders"]],
      [() => publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(ce(1, { type: "audit.x" })), [["content-type", "application/cloudevents+json"]]), ["prefix"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", '{"kind":"refund"}', [["content-type", "application/json"]]), ["refunds"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", '{"kind":"sale"}', [["content-type", "application/json"]]), ["orders"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders?metadata.rawPayload=true", '{"kind":"refund"}'), ["raw-refunds"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders?metadata.rawPayload=true", "urgent: now"), ["text"]],
      [() => publishStream(host, "/v1.0/publish/fixed/orders", "urgent: wrapped", [["content-type", "text/plain"]]), ["text"]],
      [() => publishStream(host, "/v1.0-alpha1/publish/bulk/fixed/orders", JSON.stringify([
        { entryId: "1", event: { kind: "refund" } }, { entryId: "2", event: "hello" }, { entryId: "3", event: ce(3, { type: "order.created" }) },
      ])), ["refunds", "orders", "eq"]],
    ];
    for (const [send, topics] of cases) {
      const s = send() as any;
      const { call, p, records } = await routed(host);
      expect(records.map((r: any) => r.topic).sort(), String(send)).toEqual([...topics].sort());
      ackTopics(host, call, p);
      expect(s.localResponse?.status).toBe(204);
    }
    // REST records name Kafka partitions of the path's topic: never routed.
    restStream(host, "/topics/orders", { records: [{ value: { kind: "refund" } }] });
    expect((await routed(host)).records.map((r: any) => r.topic)).toEqual(["orders"]);
  });

  it("asks Metadata for every routed topic at once, then produces to all of them in one request", async () => {
    const host = await bridge(ROUTED);
    const events = [ce(0, { type: "a" }), ce(1, { type: "b" }), ce(2, { type: "a" })];
    const s = publishStream(host, "/v1.0/cloudevents/kafka/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
    const meta = lastCall(host);
    const m = decodeMetadata(meta.body);
    expect(m.names).toEqual(["a", "orders"]);
    const topic = (name: string, partitions: number) => ({
      ErrorCode: 0, Name: name, IsInternal: false, TopicAuthorizedOperations: -2147483648,
      Partitions: Array.from({ length: partitions }, (_, i) => ({ ErrorCode: 0, PartitionIndex: i, LeaderId: 1, LeaderEpoch: 0, ReplicaNodes: [1], IsrNodes: [1], OfflineReplicas: [] })),
    });
    host.respondToHttpCall(meta.token, {
      headers: TUNNEL_OK,
      body: responseFrame("Metadata", 9, { ThrottleTimeMs: 0, Brokers: [{ NodeId: 1, Host: "h", Port: 9092, Rack: null }], ClusterId: "c", ControllerId: 1, Topics: [topic("orders", 1), topic("a", 1)] }, m.correlationId),
    });
    const { call, p, records } = await routed(host);
    expect(records.map((r: any) => [headersText(r).ce_id, r.topic, r.partition])).toEqual([["e0", "a", 0], ["e2", "a", 0], ["e1", "orders", 0]]);
    ackTopics(host, call, p);
    expect(JSON.parse(s.localResponse!.body).results.map((r: any) => [r.id, r.offset])).toEqual([["e0", 10], ["e1", 10], ["e2", 11]]);

    // One topic settled, one still without a leader: only the second is asked again on the tick,
    // and the Produce uses both counts.
    const cold = await bridge(ROUTED);
    const u = publishStream(cold, "/v1.0/cloudevents/kafka/fresh", JSON.stringify([ce(0, { type: "a" }), ce(1, { type: "b" })]), [["content-type", "application/cloudevents-batch+json"]]);
    let call2 = lastCall(cold);
    const m3 = decodeMetadata(call2.body);
    expect(m3.names).toEqual(["a", "fresh"]);
    cold.respondToHttpCall(call2.token, {
      headers: TUNNEL_OK,
      body: responseFrame("Metadata", 9, { ThrottleTimeMs: 0, Brokers: [{ NodeId: 1, Host: "h", Port: 9092, Rack: null }], ClusterId: "c", ControllerId: 1, Topics: [topic("a", 2), { ...topic("fresh", 0), ErrorCode: 5 }] }, m3.correlationId),
    });
    expect(u.localResponse).toBeUndefined();
    cold.tick();
    call2 = lastCall(cold);
    const m4 = decodeMetadata(call2.body);
    expect(m4.names).toEqual(["fresh"]);
    cold.respondToHttpCall(call2.token, { headers: TUNNEL_OK, body: metadataResponse(m4.correlationId, "fresh", 3) });
    const after = await routed(cold);
    expect(after.records.map((r: any) => r.topic).sort()).toEqual(["a", "fresh"]);
    ackTopics(cold, after.call, after.p);
    expect(u.localResponse?.status).toBe(200);

    // A routed topic that does not exist (no auto-creation) fails the request like an unknown path topic.
    const strict = await bridge({ ...ROUTED, rest: undefined, pubsubs: { kafka: { ...ROUTED.pubsubs.kafka, allowAutoTopicCreation: false } } });
    const t = publishStream(strict, "/v1.0/cloudevents/kafka/orders", JSON.stringify(ce(0, { type: "a" })), [["content-type", "application/cloudevents+json"]]);
    const m2 = decodeMetadata(lastCall(strict).body);
    expect(m2.names).toEqual(["a"]);
    strict.respondToHttpCall(lastCall(strict).token, { headers: TUNNEL_OK, body: metadataResponse(m2.correlationId, "a", 0, 3) });
    expect(t.localResponse?.status).toBe(404);
    expect(JSON.parse(t.localResponse!.body).message).toMatch(/metadata of a: .*UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it("rejects invalid rules naming the field", async () => {
    const base = (routes: unknown) => ({ pubsubs: { k: { type: "kafka", cluster: "c", routes } } });
    const cases: [unknown, string][] = [
      [[{ pattern: { type: [{ numeric: [">", "x"] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].numeric[1]: expected a number"],
      [[{ pattern: {}, topic: "t" }, { pattern: { data: { n: [{ numeric: [">", 5, "<", 1] }] } }, topic: "t" }], "pubsubs.k.routes[1].pattern.data.n[0].numeric: the lower bound 5 is above the upper bound 1"],
      [[{ pattern: { n: [{ numeric: ["<", 1, ">", 0] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.n[0].numeric: with two comparisons"],
      [[{ pattern: { n: [{ numeric: [">"] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.n[0].numeric: expected [op, number]"],
      [[{ pattern: { ip: [{ cidr: "10.0.0.0/33" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: the prefix length must be 0..32"],
      [[{ pattern: { ip: [{ cidr: "10.0.0/8" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: expected \"address/prefix-length\""],
      [[{ pattern: { ip: [{ cidr: "2001:db8::/129" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.ip[0].cidr: the prefix length must be 0..128"],
      [[{ pattern: { type: [{ wildcard: "x" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: unknown operator \"wildcard\""],
      [[{ pattern: { type: [{ prefix: "a", suffix: "b" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: expected exactly one operator"],
      [[{ pattern: { type: [] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type: expected at least one condition"],
      [[{ pattern: { type: "x" }, topic: "t" }], "pubsubs.k.routes[0].pattern.type: expected an array of conditions"],
      [[{ pattern: { type: [["x"]] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0]: expected a literal"],
      [[{ pattern: { type: [{ "anything-but": { prefix: 1 } }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].anything-but.prefix: expected a string"],
      [[{ pattern: { type: [{ "anything-but": [] }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].anything-but: expected at least one value"],
      [[{ pattern: { type: [{ exists: "yes" }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].exists: expected true or false"],
      [[{ pattern: { type: [{ prefix: 3 }] }, topic: "t" }], "pubsubs.k.routes[0].pattern.type[0].prefix: expected a string"],
      [[{ pattern: [], topic: "t" }], "pubsubs.k.routes[0].pattern: expected an object"],
      [[{ pattern: {}, topic: "bad topic" }], "pubsubs.k.routes[0].topic: Kafka topic names use only"],
      [[{ pattern: {} }], "pubsubs.k.routes[0].topic: missing required field"],
      [[{ topic: "t" }], "pubsubs.k.routes[0].pattern: missing required field"],
      [[{ pattern: {}, topic: "t", pubsub: "x" }], "pubsubs.k.routes[0]: unknown field \"pubsub\""],
      [{}, "pubsubs.k.routes: expected array"],
    ];
    for (const [routes, message] of cases) {
      const host = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify(base(routes)) });
      host.startVm();
      expect(host.configure(), JSON.stringify(routes)).toBe(false);
      expect(host.logText()).toContain(message);
    }
    for (const config of [JSON.stringify(ROUTED), readFileSync(new URL("./routes.example.json", import.meta.url), "utf8")]) {
      const ok = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: config });
      ok.startVm();
      expect(ok.configure(), ok.logText()).toBe(true);
    }
  });

  it("numeric bounds and IPv4 CIDR networks route as a reference computes them, on random values", async () => {
    const double = fc.double({ noNaN: true, noDefaultInfinity: true });
    const ip = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    const toInt = (a: number[]) => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    await fc.assert(
      fc.asyncProperty(double, double, fc.boolean(), fc.boolean(), fc.array(double, { maxLength: 8 }), ip, fc.integer({ min: 0, max: 32 }), fc.array(ip, { maxLength: 8 }),
        async (a, b, loIncl, hiIncl, xs, net, bits, addrs) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const routes = [
            { pattern: { data: { x: [{ numeric: [loIncl ? ">=" : ">", lo, hiIncl ? "<=" : "<", hi] }] } }, topic: "in" },
            { pattern: { data: { ip: [{ cidr: `${net.join(".")}/${bits}` }] } }, topic: "net" },
          ];
          const host = await bridge({ pubsubs: { fixed: { type: "kafka", cluster: "kafka_tunnel", partitions: 1, routes } }, idempotent: false });
          // The bounds themselves and the network's neighbours are the edges that matter.
          const near = [net, [net[0], net[1], net[2], net[3] ^ 1], [net[0] ^ 128, net[1], net[2], net[3]], [net[0], net[1], net[2] ^ 1, net[3]]];
          const events = [...[...xs, lo, hi].map((x) => ({ x })), ...[...addrs, ...near].map((ad) => ({ ip: ad.join(".") }))].map((data, i) => ({ specversion: "1.0", id: `p${i}`, source: "s", type: "t", data }));
          publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(events), [["content-type", "application/cloudevents-batch+json"]]);
          const { records } = await routed(host);
          const got = Object.fromEntries(records.map((r: any) => [headersText(r).ce_id, r.topic]));
          const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
          const expected = events.map((e, i) => {
            const d = e.data as { x?: number; ip?: string };
            if (d.x !== undefined) return (loIncl ? d.x >= lo : d.x > lo) && (hiIncl ? d.x <= hi : d.x < hi) ? "in" : "orders";
            return ((toInt(d.ip!.split(".").map(Number)) & mask) >>> 0) === ((toInt(net) & mask) >>> 0) ? "net" : "orders";
          });
          expect(events.map((e) => got[e.id])).toEqual(expected);
        }),
      { numRuns: 150 },
    );
  });

  it("never traps: arbitrary JSON data and attributes against every operator, and arbitrary JSON as a pattern", async () => {
    const host = await bridge(ROUTED);
    const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("10.1.2.3", "2001:db8::1", "::", "1.5", "-0", "1e400", "5"), fc.double(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom("type", "subject", "priority", "clientip", "region"), scalar), async (data, attrs) => {
        const event = { specversion: "1.0", id: "f", source: "urn:x", type: "t", ...attrs, data };
        const s = publishStream(host, "/v1.0/cloudevents/fixed/orders", JSON.stringify(event), [["content-type", "application/cloudevents+json"]]);
        expect(host.failed).toBeUndefined();
        if (!s.localResponse) {
          const { call, p } = await routed(host);
          ackTopics(host, call, p);
        }
        expect(host.failed).toBeUndefined();
        expect([204, 400]).toContain(s.localResponse?.status);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (pattern) => {
        const h = await ProxyHost.load(wasm, { rootId: "http_mq_bridge", pluginConfig: JSON.stringify({ pubsubs: { k: { type: "kafka", cluster: "c", routes: [{ pattern, topic: "t" }] } } }) });
        h.startVm();
        expect(typeof h.configure()).toBe("boolean");
        expect(h.failed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});
