// Limit rules (assembly/common/limit_rules.ts) through the .wasm: what a
// quotas/limits section means, and errors that name the field.
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { loadPureModule } from "../support/pure-module.ts";

interface RulesFixture {
  readLimits(config: string): string;
  bucketKeyOf(per: string, uriSan: string, user: string, clientId: string, source: string): string;
}

let m: RulesFixture;
beforeAll(async () => {
  await freshModule({ entry: "test/fixtures/common_principal.ts", out: "build/fixtures/common_principal.wasm", bindings: true });
  m = (await loadPureModule<RulesFixture>("common_principal")).exports;
}, 120_000);

const read = (rules: unknown[]) => m.readLimits(JSON.stringify({ quotas: { rules } }));

describe("limit rules", () => {
  it("reads names, principals, per, global, burst and the filter's rate fields", () => {
    expect(read([
      { name: "orders", principals: ["client:orders-*"], topics: ["orders.*"], produceBytesPerSecond: 1048576, requestsPerSecond: 200 },
      { name: "all", fetchBytesPerSecond: 2097152, burstSeconds: 0.5, per: "rule", global: true },
    ])).toBe("OK orders/principal/local/1/1048576@1000000000,-,200@1000000000/orders.*;all/rule/global/everyone/-,2097152@500000000,-/");
  });

  it("names the field in every error", () => {
    expect(read([{ name: "a", requestsPerSecond: 1 }, { name: "b", per: "client", requestsPerSecond: 1 }])).toBe(
      "ERR quotas.rules[1].per: expected one of principal, rule");
    expect(read([{ name: "a" }])).toBe("ERR quotas.rules[0]: needs at least one of produceBytesPerSecond, fetchBytesPerSecond, requestsPerSecond");
    expect(read([{ requestsPerSecond: 1 }])).toBe("ERR quotas.rules[0].name: missing required field");
    expect(read([{ name: "a", requestsPerSecond: 1 }, { name: "a", requestsPerSecond: 2 }])).toBe(
      'ERR quotas.rules[1].name: "a" names an earlier rule too; names key buckets and metrics');
    expect(read([{ name: "a", requestsPerSecond: 0.5 }])).toBe("ERR quotas.rules[0].requestsPerSecond: must be a positive integer");
    expect(read([{ name: "a", requestsPerSecond: 1, burstSeconds: 0 }])).toBe("ERR quotas.rules[0].burstSeconds: must be at least 0.001");
    expect(read([{ name: "a", requestsPerSecond: 1, principals: ["who"] }])).toMatch(/^ERR quotas\.rules\[0\]\.principals\[0\]: expected spiffe:/);
    expect(read([{ name: "a", requestsPerSecond: 1, produceBytesPerSecnd: 5 }])).toBe(
      'ERR quotas.rules[0]: unknown field "produceBytesPerSecnd" (did you mean "produceBytesPerSecond"?)');
  });

  it("keys per-principal buckets by the strongest identity, else the source address, never the client id", () => {
    const ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";
    expect(m.bucketKeyOf("principal", ORDERS, "", "c1", "10.0.0.1:5")).toBe(`r|0|${ORDERS}`);
    expect(m.bucketKeyOf("principal", ORDERS, "", "c2", "10.0.0.2:5")).toBe(`r|0|${ORDERS}`);
    expect(m.bucketKeyOf("principal", "", "alice", "c1", "10.0.0.1:5")).toBe("r|0|user:alice");
    expect(m.bucketKeyOf("principal", "", "", "c1", "10.0.0.1:5")).toBe("r|0|ip:10.0.0.1");
    expect(m.bucketKeyOf("principal", "", "", "c2", "10.0.0.1:6")).toBe("r|0|ip:10.0.0.1");
    expect(m.bucketKeyOf("principal", "", "", "c1", "")).toBe("r|0|anonymous");
    expect(m.bucketKeyOf("rule", ORDERS, "", "c1", "10.0.0.1:5")).toBe("r|0");
  });
});
