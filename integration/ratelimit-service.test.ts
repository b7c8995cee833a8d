// envoyproxy/ratelimit as the kit starts it (built from the Go module proxy,
// Debian's redis-server behind it), asked over gRPC with
// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit as Envoy and
// mqmesh's filters ask it. The limits the tests expect are the ones they
// configure; the answers come from the real service and Redis.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimitClient, type RateLimitClient } from "./stack/ratelimit-client.ts";
import { MQMESH_RATELIMIT_DOMAIN, rateLimitConfigYaml, startRateLimitService, type RateLimitRule, type RateLimitService } from "./stack/ratelimit.ts";

const PER_MINUTE = 5;
const BYTES_PER_MINUTE = 1000;

const rules: RateLimitRule[] = [
  // Each principal its own counter of requests to each topic.
  { name: "per-principal-topic", match: [{ key: "principal" }, { key: "topic" }], requestsPerUnit: PER_MINUTE, unit: "minute" },
  // Produce bytes of one principal, hits_addend = bytes.
  { name: "produce-bytes", match: [{ key: "principal" }, { key: "api", value: "Produce" }], requestsPerUnit: BYTES_PER_MINUTE, unit: "minute" },
  { name: "fetch-per-second", match: [{ key: "principal" }, { key: "api", value: "Fetch" }], requestsPerUnit: 1000, unit: "second" },
];

/**
 * The service counts in fixed windows aligned to the clock (a minute limit
 * resets at each full minute). A sequence of calls that must land in one
 * window starts early in one.
 */
async function startOfAWindow(unitMs: number, needMs: number): Promise<void> {
  const into = Date.now() % unitMs;
  if (into + needMs > unitMs) await new Promise((r) => setTimeout(r, unitMs - into + 50));
}

const principal = () => `spiffe://cluster.local/ns/test/sa/${randomUUID()}`;
const entries = (p: string, topic: string) => [{ key: "principal", value: p }, { key: "topic", value: topic }];

describe("envoyproxy/ratelimit from the kit", () => {
  let service: RateLimitService;
  let a: RateLimitClient;
  let b: RateLimitClient;

  beforeAll(async () => {
    service = await startRateLimitService({ rules });
    a = rateLimitClient(service.grpcAddress);
    b = rateLimitClient(service.grpcAddress);
  }, 30 * 60_000); // the first use builds the service (minutes)
  afterAll(async () => {
    a?.close();
    b?.close();
    await service?.stop();
  });

  it(`answers OK ${PER_MINUTE} times a minute for one principal and topic, then OVER_LIMIT`, async () => {
    await startOfAWindow(60_000, 10_000);
    const p = principal();
    const answers = [];
    for (let i = 0; i < PER_MINUTE + 2; i++) answers.push(await a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(p, "orders") }] }));
    expect(answers.map((x) => x.overallCode)).toEqual([...Array(PER_MINUTE).fill("OK"), "OVER_LIMIT", "OVER_LIMIT"]);
    expect(answers.slice(0, PER_MINUTE).map((x) => x.statuses[0].limitRemaining)).toEqual([4, 3, 2, 1, 0]);
    expect(answers[PER_MINUTE].statuses[0].currentLimit).toEqual({ name: "per-principal-topic", requestsPerUnit: PER_MINUTE, unit: "MINUTE" });
    expect(answers[PER_MINUTE].statuses[0].secondsUntilReset).toBeGreaterThan(0);
    expect(answers[PER_MINUTE].statuses[0].secondsUntilReset).toBeLessThanOrEqual(60);
    // Another topic, and another principal, are counted apart.
    expect((await a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(p, "payments") }] })).overallCode).toBe("OK");
    expect((await a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(principal(), "orders") }] })).overallCode).toBe("OK");
  });

  it("shares one limit between two callers on their own connections (as two sidecars would)", async () => {
    await startOfAWindow(60_000, 10_000);
    const p = principal();
    const check = (c: RateLimitClient) => c.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(p, "orders") }] });
    const codes: string[] = [];
    for (let i = 0; i < PER_MINUTE + 1; i++) codes.push((await check(i % 2 ? b : a)).overallCode);
    expect(codes.filter((c) => c === "OK")).toHaveLength(PER_MINUTE);
    expect(codes[PER_MINUTE]).toBe("OVER_LIMIT");
    // Concurrent calls from both: still only the limit's worth, counted once in Redis.
    const q = principal();
    const racing = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(q, "orders") }] })),
    );
    expect(racing.filter((x) => x.overallCode === "OK")).toHaveLength(PER_MINUTE);
  });

  it("counts hits_addend (bytes) against a byte limit", async () => {
    await startOfAWindow(60_000, 10_000);
    const p = principal();
    const produce = (bytes: number) =>
      a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, hitsAddend: bytes, descriptors: [{ entries: [{ key: "principal", value: p }, { key: "api", value: "Produce" }] }] });
    expect((await produce(400)).overallCode).toBe("OK");
    expect((await produce(400)).statuses[0].limitRemaining).toBe(BYTES_PER_MINUTE - 800);
    expect((await produce(400)).overallCode).toBe("OVER_LIMIT");
    // An unconfigured api value matches no rule: the service lets it through.
    const other = await a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, hitsAddend: 10_000, descriptors: [{ entries: [{ key: "principal", value: p }, { key: "api", value: "Metadata" }] }] });
    expect(other.overallCode).toBe("OK");
    expect(other.statuses[0].currentLimit).toBeUndefined();
  });

  it("takes new rules without a restart (updateRules)", async () => {
    const pid = service.proc.pid;
    await service.updateRules([{ ...rules[0], requestsPerUnit: 2 }, ...rules.slice(1)]);
    await startOfAWindow(60_000, 10_000);
    const p = principal();
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await a.shouldRateLimit({ domain: MQMESH_RATELIMIT_DOMAIN, descriptors: [{ entries: entries(p, "orders") }] })).overallCode);
    expect(codes).toEqual(["OK", "OK", "OVER_LIMIT"]);
    expect(service.proc.pid).toBe(pid);
    expect(service.proc.exitStatus()).toBeUndefined();
    await service.updateRules(rules);
  });

  it("refuses two rules on the same descriptor, naming them", () => {
    expect(() => rateLimitConfigYaml([rules[0], { ...rules[0], requestsPerUnit: 9 }])).toThrow("rules[1].match: the same descriptor as rules[0]");
    expect(() => rateLimitConfigYaml([{ ...rules[0], unit: "fortnight" as never }])).toThrow("rules[0].unit: expected one of second, minute, hour, day");
  });
});
