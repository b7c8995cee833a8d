// The rate limit service client (assembly/common/ratelimit_client.ts,
// ratelimit_proto.ts) through the host emulator: the ShouldRateLimit calls it
// makes are decoded, and its answers encoded, by protobufjs (rls_proto.ts),
// independently of the module's hand-written codec.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyHost } from "../host/index.ts";
import { fixture } from "../sdk/fixtures.ts";
import { RLS_SECOND, RateLimitResponse, RlsCode, decodeRlsRequest, encodeRlsResponse } from "./rls_proto.ts";

const Code = RlsCode;
const SECOND = RLS_SECOND;

let wasm: string;
beforeAll(async () => {
  wasm = await fixture("limits_host");
}, 120_000);

const SERVICE = { cluster: "mqmesh_ratelimit", domain: "mqmesh", timeoutMs: 250, failureMode: "open" };

async function limiter(service: object = SERVICE, opts: { strict?: boolean; clusters?: string[] } = {}): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ rateLimitService: service }), clusters: opts.clusters ?? ["mqmesh_ratelimit"], strict: opts.strict, startTimeMs: 5_000 });
}

interface Verdict { over: boolean; waitMs: number; failed: boolean; remaining: number; headers: string; calls: number; inFlight: number }

function check(host: ProxyHost, key: string, hits: number, descriptors = `rule=${key}`): Verdict {
  const before = host.logs.length;
  host.newConnection().callOnDownstreamData(`global ${key} ${hits} ${descriptors}`);
  const line = host.logs.slice(before).find((l) => l.message.startsWith(`global ${key} `));
  if (!line) throw new Error(host.logText());
  const f = Object.fromEntries(line.message.split(" ").slice(2).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  return { over: f.over === "1", waitMs: Number(f.waitMs), failed: f.failed === "1", remaining: Number(f.remaining), headers: f.headers, calls: Number(f.calls), inFlight: Number(f.inFlight) };
}

const decode = decodeRlsRequest;
const answer = encodeRlsResponse;

describe("rate limit service client", () => {
  it("asks ShouldRateLimit with the domain, the descriptors and the hits", async () => {
    const host = await limiter();
    const v = check(host, "orders", 1024, "rule=orders,principal=spiffe://cluster.local/ns/shop/sa/orders,topic=orders.eu;rule=orders,api=Produce");
    expect(v).toMatchObject({ over: false, failed: false, calls: 1, inFlight: 1 });
    expect(host.grpcCalls).toHaveLength(1);
    const call = host.grpcCalls[0];
    expect(call).toMatchObject({ cluster: "mqmesh_ratelimit", service: "envoy.service.ratelimit.v3.RateLimitService", method: "ShouldRateLimit", timeoutMs: 250 });
    // Filed under the root: Envoy cancels a context's calls when the context
    // is destroyed, and the connection that asked may close first.
    expect(call.contextId).toBe(host.root.id);
    expect(decode(call.message!)).toEqual({
      domain: "mqmesh",
      hitsAddend: 1024,
      descriptors: [
        { entries: [{ key: "rule", value: "orders" }, { key: "principal", value: "spiffe://cluster.local/ns/shop/sa/orders" }, { key: "topic", value: "orders.eu" }] },
        { entries: [{ key: "rule", value: "orders" }, { key: "api", value: "Produce" }] },
      ],
    });
  });

  it("OK lets what follows through and passes on limit_remaining and the service's headers", async () => {
    const host = await limiter();
    check(host, "k", 1);
    host.respondToGrpcCall(host.grpcCalls[0].token, {
      message: answer({
        overallCode: Code.OK,
        statuses: [
          { code: Code.OK, currentLimit: { requestsPerUnit: 100, unit: SECOND, name: "orders" }, limitRemaining: 42 },
          { code: Code.OK, currentLimit: { requestsPerUnit: 10, unit: SECOND }, limitRemaining: 7 },
        ],
        responseHeadersToAdd: [{ key: "x-ratelimit-limit", value: "10" }, { key: "x-ratelimit-remaining", value: "7" }],
      }),
    });
    expect(check(host, "k", 1)).toMatchObject({ over: false, failed: false, remaining: 7, headers: "x-ratelimit-limit:10|x-ratelimit-remaining:7" });
  });

  it("OVER_LIMIT holds what follows until duration_until_reset has passed", async () => {
    const host = await limiter();
    expect(check(host, "k", 5).over).toBe(false); // the request that asked went on
    host.respondToGrpcCall(host.grpcCalls[0].token, {
      message: answer({ overallCode: Code.OVER_LIMIT, statuses: [{ code: Code.OVER_LIMIT, currentLimit: { requestsPerUnit: 5, unit: SECOND }, durationUntilReset: { seconds: 2, nanos: 500_000_000 } }] }),
    });
    expect(check(host, "k", 1)).toMatchObject({ over: true, waitMs: 2500, remaining: 0 });
    host.advanceTime(1000);
    expect(check(host, "k", 1)).toMatchObject({ over: true, waitMs: 1500 });
    host.advanceTime(1500);
    expect(check(host, "k", 1).over).toBe(false);
    // another key is not affected
    expect(check(host, "other", 1).over).toBe(false);
  });

  it("keeps one call in flight per key and sends the hits that arrived meanwhile with the next", async () => {
    const host = await limiter();
    check(host, "k", 10);
    check(host, "k", 20);
    check(host, "k", 30);
    expect(host.grpcCalls).toHaveLength(1);
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: answer({ overallCode: Code.OK }) });
    expect(host.grpcCalls).toHaveLength(1);
    expect(decode(host.grpcCalls[0].message!).hitsAddend).toBe(50);
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: answer({ overallCode: Code.OK }) });
    expect(host.grpcCalls).toHaveLength(0); // nothing pending: no call
    expect(check(host, "k", 0).calls).toBe(2); // a request that adds nothing asks nothing
  });

  it("applies failureMode when the service fails: open lets through, closed holds back", async () => {
    for (const [mode, over] of [["open", false], ["closed", true]] as const) {
      const host = await limiter({ ...SERVICE, failureMode: mode });
      check(host, "k", 1);
      host.respondToGrpcCall(host.grpcCalls[0].token, { status: 14, statusMessage: "no healthy upstream" });
      const v = check(host, "k", 1);
      expect(v, mode).toMatchObject({ over, failed: true, waitMs: over ? 1000 : 0 });
      // the next request asked again; an answer ends the failure
      host.respondToGrpcCall(host.grpcCalls[0].token, { message: answer({ overallCode: Code.OK }) });
      expect(check(host, "k", 1), mode).toMatchObject({ over: false, failed: false });
    }
  });

  it("treats a timeout, an unknown cluster, a lost answer and bytes that are no answer as failures", async () => {
    const closed = { ...SERVICE, failureMode: "closed" };
    // Envoy ends a call at its timeout with DEADLINE_EXCEEDED
    let host = await limiter(closed);
    check(host, "k", 1);
    host.respondToGrpcCall(host.grpcCalls[0].token, { status: 4 });
    expect(check(host, "k", 1)).toMatchObject({ over: true, failed: true });
    // no such cluster: proxy_grpc_call itself fails
    host = await limiter(closed, { strict: false, clusters: ["other"] });
    expect(check(host, "k", 1)).toMatchObject({ over: true, failed: true, calls: 1, inFlight: 0 });
    // never answered: after twice the timeout the key asks again
    host = await limiter(closed);
    check(host, "k", 1);
    host.advanceTime(501);
    expect(check(host, "k", 1)).toMatchObject({ over: true, failed: true, calls: 2, inFlight: 1 });
    // an answer that does not parse
    host = await limiter(closed);
    check(host, "k", 1);
    host.respondToGrpcCall(host.grpcCalls[0].token, { message: new Uint8Array([0x0a, 0x05, 0x01]) });
    expect(check(host, "k", 1)).toMatchObject({ over: true, failed: true });
    // UNKNOWN, or a code the protocol does not define, is no verdict either
    for (const overallCode of [Code.UNKNOWN, 3]) {
      host = await limiter(closed);
      check(host, "k", 1);
      host.respondToGrpcCall(host.grpcCalls[0].token, { message: answer({ overallCode }) });
      expect(check(host, "k", 1), `overall_code ${overallCode}`).toMatchObject({ over: true, failed: true });
    }
  });

  it("an answer reaches the limiter after the connection that asked has closed", async () => {
    const host = await limiter();
    const conn = host.newConnection();
    conn.callOnDownstreamData("global k 1 rule=k");
    conn.closeDownstream();
    host.respondToGrpcCall(host.grpcCalls[0].token, {
      message: answer({ overallCode: Code.OVER_LIMIT, statuses: [{ code: Code.OVER_LIMIT, durationUntilReset: { seconds: 1 } }] }),
    });
    expect(host.logsAt("info")).toContain(`answer 1 taken=1`);
    expect(check(host, "k", 1)).toMatchObject({ over: true, waitMs: 1000 });
  });

  it("reads its configuration with errors that name the field", async () => {
    const errors = async (service: unknown) => {
      const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify({ rateLimitService: service }) });
      host.startVm();
      expect(host.configure()).toBe(false);
      return host.logsAt("error").join("\n");
    };
    expect(await errors({ domain: "d" })).toContain("rateLimitService.cluster: missing required field");
    expect(await errors({ cluster: "c", failureMode: "maybe" })).toContain("rateLimitService.failureMode: expected one of open, closed");
    expect(await errors({ cluster: "c", timeoutMs: 0 })).toContain("rateLimitService.timeoutMs: must be a positive integer");
    expect(await errors({ cluster: "c", timeout: 5 })).toContain('rateLimitService: unknown field "timeout" (did you mean "timeoutMs"?)');
  });

  it("never traps on answers that are random or mutated bytes; what is no verdict is a failure", async () => {
    const valid = answer({
      overallCode: Code.OVER_LIMIT,
      statuses: [{ code: Code.OVER_LIMIT, currentLimit: { requestsPerUnit: 5, unit: SECOND, name: "n" }, limitRemaining: 3, durationUntilReset: { seconds: 1, nanos: 5 } }],
      responseHeadersToAdd: [{ key: "k", value: "v" }],
    });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length)).map(([at, byte, cut]) => {
      const b = Uint8Array.from(valid.subarray(0, Math.max(cut, 1))); // a copy: protobufjs hands out Buffers, whose slice() shares memory
      if (at < b.length) b[at] = byte;
      return b;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 48 }), mutated), async (bytes) => {
        const host = await limiter({ ...SERVICE, failureMode: "closed" });
        check(host, "k", 1);
        expect(host.grpcCalls).toHaveLength(1);
        host.respondToGrpcCall(host.grpcCalls[0].token, { message: bytes });
        let parsed: any;
        try {
          parsed = RateLimitResponse.toObject(RateLimitResponse.decode(bytes), { defaults: true, longs: Number });
        } catch {
          parsed = undefined;
        }
        const v = check(host, "k", 1);
        // failureMode closed: a failure holds what follows back
        if (v.failed) expect(v.over).toBe(true);
        // an answer protobufjs reads whose overall_code is neither OK nor OVER_LIMIT is no verdict.
        // (The module skips a field whose wire type is not the schema's, as protobuf's C++ and
        // Java parsers do, where protobufjs throws: bytes protobufjs refuses may still be an answer.)
        if (parsed !== undefined && parsed.overallCode !== Code.OK && parsed.overallCode !== Code.OVER_LIMIT) expect(v.failed).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

