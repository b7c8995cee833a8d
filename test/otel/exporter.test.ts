// Spans a filter-shaped module records, as an OpenTelemetry collector
// receives them: OTLP/HTTP protobuf from proxy_http_call, decoded with
// opentelemetry-proto's own definitions; batching on the tick, the bounded
// queue and a collector that is down or slow.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { ProxyHost, type HostOptions } from "../host/index.ts";
import { fixture } from "../sdk/fixtures.ts";
import { counter, decodeExport, partialSuccess, spansOf } from "./otlp.ts";

let wasm: string;
beforeAll(async () => { wasm = await fixture("otel_filter"); }, 180_000);

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const OTHER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const COLLECTOR = { cluster: "otlp", authority: "jaeger:4318", path: "/v1/traces", timeoutMs: 250 };
const P = "mqmesh_fixture";

function config(tracing: Record<string, unknown>): string {
  return JSON.stringify({ tracing: { collector: COLLECTOR, ...tracing } });
}

async function start(tracing: Record<string, unknown> = {}, opts: HostOptions = {}) {
  return ProxyHost.start(wasm, { pluginConfig: config(tracing), ...opts });
}

/** Sends span descriptions through one connection; returns the logged traceparents. */
function emit(host: ProxyHost, ...spans: Record<string, unknown>[]): string[] {
  const conn = host.newConnection();
  const out: string[] = [];
  for (const s of spans) {
    const before = host.logs.length;
    const data = JSON.stringify(s);
    // Tracing never holds traffic: every byte goes on at once.
    expect(conn.callOnDownstreamData(data)).toBe("continue");
    const line = host.logs.slice(before).find((l) => l.message.startsWith("span "));
    out.push(line!.message);
  }
  expect(Buffer.from(conn.forwardedUpstream).toString()).toBe(spans.map((s) => JSON.stringify(s)).join(""));
  return out;
}

const traceparentOf = (logLine: string) => logLine.split(" ")[1];

describe("OTLP export", () => {
  it("exports a send span with messaging attributes, parent, links, error and resource", async () => {
    const host = await start({ serviceName: "orders-sidecar", resource: { "deployment.environment": "dev", "k8s.namespace.name": "shop" } });
    const startMs = host.nowMs;
    const [line] = emit(host, {
      op: "send", system: "kafka", dest: "orders", parent: PARENT, tracestate: "vendor=x", createsContext: false,
      attrs: { "messaging.destination.partition.id": "3", "messaging.batch.message_count": 12, "server.address": "broker-1", flag: true, ratio: 0.25 },
      links: [OTHER], error: "NOT_LEADER_OR_FOLLOWER", message: "leader moved", durationMs: 7,
    });
    expect(line).toMatch(/recording=true injects=true$/);
    expect(host.httpCalls).toHaveLength(0); // batched until the tick
    host.tick();
    expect(host.httpCalls).toHaveLength(1);
    const call = host.httpCalls[0];
    expect(call.cluster).toBe("otlp");
    expect(call.timeoutMs).toBe(250);
    expect(Object.fromEntries(call.headers)).toMatchObject({
      ":method": "POST", ":path": "/v1/traces", ":authority": "jaeger:4318", "content-type": "application/x-protobuf",
    });
    const [req] = decodeExport(call.body);
    expect(req.resource).toEqual({ "service.name": "orders-sidecar", "deployment.environment": "dev", "k8s.namespace.name": "shop" });
    expect(req.scope.name).toBe("mqmesh.fixture");
    expect(req.spans).toHaveLength(1);
    const s = req.spans[0];
    const own = traceparentOf(line).split("-");
    expect(s).toMatchObject({
      traceId: TRACE, spanId: own[2], parentSpanId: "00f067aa0ba902b7", traceState: "vendor=x",
      name: "send orders", kind: "SPAN_KIND_CLIENT", status: { code: "STATUS_CODE_ERROR", message: "leader moved" },
      droppedAttributes: 0, droppedLinks: 0,
    });
    expect(own[1]).toBe(TRACE);
    expect(s.attributes).toEqual({
      "messaging.system": "kafka", "messaging.operation.type": "send", "messaging.operation.name": "send",
      "messaging.destination.name": "orders", "messaging.destination.partition.id": "3",
      "messaging.batch.message_count": 12n, "server.address": "broker-1", flag: true, ratio: 0.25,
      "error.type": "NOT_LEADER_OR_FOLLOWER",
    });
    // Sampled (bit 0), parent remoteness known (bit 8) and remote (bit 9).
    expect(s.flags).toBe(0x301);
    expect(s.startNanos).toBe(BigInt(startMs) * 1_000_000n);
    expect(s.endNanos - s.startNanos).toBe(7_000_000n);
    expect(s.links).toEqual([{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceState: "", flags: 0x301 }]);
    host.respondToHttpCall(call.token);
    expect(counter(host, `${P}_trace_spans_exported_total`)).toBe(1n);
    expect(counter(host, `${P}_trace_exports_total;result=ok`)).toBe(1n);
  });

  it("names spans and kinds by the messaging conventions", async () => {
    const host = await start();
    emit(host,
      { op: "send", dest: "orders" },
      { op: "receive", opName: "poll", dest: "orders", links: [PARENT, OTHER] },
      { op: "process", system: "rocketmq", dest: "TopicTest" });
    host.tick();
    const spans = spansOf(host.httpCalls[0]);
    expect(spans.map((s) => [s.name, s.kind, s.attributes["messaging.operation.type"], s.attributes["messaging.system"]])).toEqual([
      ["send orders", "SPAN_KIND_PRODUCER", "send", "kafka"],
      ["poll orders", "SPAN_KIND_CLIENT", "receive", "kafka"],
      ["process TopicTest", "SPAN_KIND_CONSUMER", "process", "rocketmq"],
    ]);
    expect(spans[1].links.map((l) => l.spanId)).toEqual(["00f067aa0ba902b7", "b7ad6b7169203331"]);
    // New traces: no parent, the W3C level 2 random flag on top of sampled,
    // and the sampling threshold in OpenTelemetry's tracestate entry.
    expect(spans[0].parentSpanId).toBe("");
    expect(spans[0].flags).toBe(0x03);
    expect(spans[0].traceState).toBe("ot=th:0");
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(3);
  });

  it("follows the parent's decision and the configured ratio", async () => {
    const host = await start({ sampling: 0, inject: "always" });
    const unsampledParent = PARENT.replace(/-01$/, "-00");
    const lines = emit(host, { dest: "a", parent: PARENT }, { dest: "b", parent: unsampledParent }, { dest: "c" }, { dest: "d" });
    // A sampled parent is recorded even at ratio 0; the rest only carry ids.
    expect(lines.map((l) => l.split(" ").slice(2).join(" "))).toEqual([
      "recording=true injects=true", "recording=false injects=true", "recording=false injects=true", "recording=false injects=true",
    ]);
    expect(traceparentOf(lines[1])).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    expect(traceparentOf(lines[2])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    host.tick();
    expect(spansOf(host.httpCalls[0]).map((s) => s.name)).toEqual(["send a"]);
  });

  it("records a new trace when its id's randomness clears the ratio's threshold, and says so in tracestate", async () => {
    const host = await start({ sampling: 0.5, maxBatchSpans: 512 });
    const lines = emit(host, ...Array.from({ length: 64 }, () => ({ dest: "t" })));
    const recorded = lines.filter((l) => l.includes("recording=true")).map((l) => traceparentOf(l).split("-")[1]);
    // At 50% the threshold is 2^55: the trailing 56 bits start with a digit >= 8.
    expect(lines.map((l) => l.includes("recording=true"))).toEqual(lines.map((l) => parseInt(traceparentOf(l).split("-")[1][18], 16) >= 8));
    host.tick();
    const spans = spansOf(host.httpCalls[0]);
    expect(spans.map((s) => s.traceId)).toEqual(recorded);
    expect(new Set(spans.map((s) => s.traceState))).toEqual(new Set(["ot=th:8"]));
  });

  it("injects per the inject mode", async () => {
    for (const [inject, expected] of [["sampled", [true, false]], ["off", [false, false]], ["always", [true, true]]] as const) {
      const host = await start({ inject });
      const lines = emit(host, { parent: PARENT }, { parent: PARENT.replace(/-01$/, "-00") });
      expect(lines.map((l) => l.endsWith("injects=true")), inject).toEqual(expected);
    }
  });

  it("propagates without a collector but records nothing", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ tracing: { inject: "sampled" } }) });
    const [line] = emit(host, { parent: PARENT });
    expect(line).toMatch(/-01 recording=false injects=true$/);
    expect(host.tickPeriodMs).toBe(0);
    expect(host.httpCalls).toHaveLength(0);
  });
});

describe("batching and the bounded queue", () => {
  it("exports on the interval, or at once when a batch is full, at most maxBatchSpans a request", async () => {
    const host = await start({ maxBatchSpans: 3, maxQueueSpans: 10, exportIntervalMs: 1000 });
    expect(host.tickPeriodMs).toBe(1000);
    emit(host, { dest: "1" }, { dest: "2" }, { dest: "3" }, { dest: "4" }, { dest: "5" });
    host.tick();
    expect(spansOf(host.httpCalls[0]).map((s) => s.name)).toEqual(["send 1", "send 2", "send 3"]);
    // The rest waits for the call: never two in flight.
    host.tick();
    expect(host.httpCalls).toHaveLength(1);
    emit(host, { dest: "6" });
    host.respondToHttpCall(host.httpCalls[0].token);
    // Three waiting, a full batch: sent from the response, before any tick.
    expect(spansOf(host.httpCalls[0]).map((s) => s.name)).toEqual(["send 4", "send 5", "send 6"]);
    host.respondToHttpCall(host.httpCalls[0].token);
    expect(counter(host, `${P}_trace_spans_exported_total`)).toBe(6n);
  });

  it("drops spans past maxQueueSpans while the collector is slow, and counts them", async () => {
    const host = await start({ maxBatchSpans: 4, maxQueueSpans: 6 });
    emit(host, ...Array.from({ length: 4 }, (_, i) => ({ dest: `early${i}` })));
    host.tick(); // 4 spans out, the call hangs
    emit(host, ...Array.from({ length: 20 }, (_, i) => ({ dest: `late${i}` })));
    for (let i = 0; i < 3; i++) host.tick(); // while the call is out, nothing more is sent
    expect(host.httpCalls).toHaveLength(1);
    expect(counter(host, `${P}_trace_spans_dropped_total;reason=queue_full`)).toBe(14n);
    // Envoy times the call out: its batch is lost, counted, and the next goes.
    host.failHttpCall(host.httpCalls[0].token, "timeout");
    expect(counter(host, `${P}_trace_exports_total;result=unavailable`)).toBe(1n);
    expect(counter(host, `${P}_trace_spans_dropped_total;reason=export_failed`)).toBe(4n);
    host.tick();
    expect(spansOf(host.httpCalls[0]).map((s) => s.name)).toEqual(["send late0", "send late1", "send late2", "send late3"]);
  });

  it("counts HTTP errors, refused calls and spans the collector rejected", async () => {
    const host = await start({}, { clusters: ["otlp"] });
    emit(host, { dest: "a" }, { dest: "b" });
    host.tick();
    host.respondToHttpCall(host.httpCalls[0].token, { headers: [[":status", "503"]] });
    emit(host, { dest: "b2" });
    host.tick();
    host.respondToHttpCall(host.httpCalls[0].token, { headers: [[":status", "503"]] });
    expect(counter(host, `${P}_trace_exports_total;result=http_error`)).toBe(2n);
    expect(counter(host, `${P}_trace_spans_dropped_total;reason=export_failed`)).toBe(3n);
    // Logged when the outcome changes, not on every failed export.
    expect(host.logs.filter((l) => l.level === "warn").map((l) => l.message)).toEqual(["tracing: span export failed: collector answered 503"]);
    emit(host, { dest: "c" }, { dest: "d" }, { dest: "e" });
    host.tick();
    host.respondToHttpCall(host.httpCalls[0].token, { body: partialSuccess(1) });
    expect(counter(host, `${P}_trace_spans_exported_total`)).toBe(2n);
    expect(counter(host, `${P}_trace_spans_dropped_total;reason=rejected`)).toBe(1n);

    // Envoy refuses a call to an unknown cluster at once (BadArgument).
    const misconfigured = await start({}, { clusters: ["something-else"], strict: false });
    emit(misconfigured, { dest: "x" });
    misconfigured.tick();
    expect(misconfigured.httpCalls).toHaveLength(0);
    expect(misconfigured.errors.map((e) => e.message).join()).toContain('unknown cluster "otlp"');
    expect(counter(misconfigured, `${P}_trace_exports_total;result=refused`)).toBe(1n);
    expect(counter(misconfigured, `${P}_trace_spans_dropped_total;reason=export_failed`)).toBe(1n);
  });

  it("accounts for every recorded span whatever the collector does", async () => {
    type Step = { kind: "spans"; n: number } | { kind: "tick" } | { kind: "ok" } | { kind: "fail" } | { kind: "503" };
    const step = fc.oneof(
      fc.record({ kind: fc.constant("spans" as const), n: fc.integer({ min: 1, max: 9 }) }),
      fc.constant({ kind: "tick" } as Step), fc.constant({ kind: "ok" } as Step),
      fc.constant({ kind: "fail" } as Step), fc.constant({ kind: "503" } as Step),
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
      const host = await start({ maxBatchSpans: 4, maxQueueSpans: 8 });
      let made = 0;
      for (const s of steps) {
        const call = host.httpCalls[0];
        if (s.kind === "spans") {
          emit(host, ...Array.from({ length: s.n }, () => ({ dest: "t" })));
          made += s.n;
        } else if (s.kind === "tick") host.tick();
        else if (call && s.kind === "ok") host.respondToHttpCall(call.token);
        else if (call && s.kind === "fail") host.failHttpCall(call.token);
        else if (call) host.respondToHttpCall(call.token, { headers: [[":status", "503"]] });
        expect(host.httpCalls.length).toBeLessThanOrEqual(1);
      }
      // Drain: answer and tick until nothing is left.
      for (let i = 0; i < 20; i++) {
        if (host.httpCalls[0]) host.respondToHttpCall(host.httpCalls[0].token);
        host.tick();
      }
      const exported = counter(host, `${P}_trace_spans_exported_total`);
      const dropped = ["queue_full", "export_failed"].reduce((n, r) => n + counter(host, `${P}_trace_spans_dropped_total;reason=${r}`), 0n);
      expect(exported + dropped).toBe(BigInt(made));
    }), { numRuns: 25 });
  });
});

describe("configuration", () => {
  it("rejects bad tracing sections, naming each field", async () => {
    const host = await ProxyHost.load(wasm, {
      pluginConfig: JSON.stringify({ tracing: {
        inject: "sometimes", sampling: 1.5, collector: { path: "v1/traces" }, resource: { "service.name": "x", team: 7 },
        maxQueueSpans: 10, maxBatchSpans: 20, exportIntervalMs: 0, colector: {},
      } }),
    });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    const log = host.logs.map((l) => l.message).join("\n");
    for (const expected of [
      "tracing.inject: expected one of always, sampled, off",
      "tracing.sampling: must be at most 1",
      "tracing.collector.cluster: missing required field",
      "tracing.collector.path: must start with /",
      "tracing.resource.service.name: set serviceName instead",
      "tracing.resource.team: expected string, got number",
      "tracing.maxBatchSpans: must not exceed maxQueueSpans",
      "tracing.exportIntervalMs: must be a positive integer",
      'tracing: unknown field "colector" (did you mean "collector"?)',
    ]) expect(log).toContain(expected);
  });

  it("accepts a configuration without tracing and then never ticks", async () => {
    const host = await ProxyHost.start(wasm, { pluginConfig: "{}" });
    expect(host.tickPeriodMs).toBe(0);
    const conn = host.newConnection();
    expect(conn.callOnDownstreamData(JSON.stringify({ parent: PARENT }))).toBe("continue");
  });
});
