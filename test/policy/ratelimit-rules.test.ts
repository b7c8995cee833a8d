// The limits `mqmesh up` gives envoyproxy/ratelimit for a policy's global
// rules must match the descriptors the filters really send: the kafka
// filter's, produced from the same policy, run in the host emulator, and
// its ShouldRateLimit call decoded by protobufjs.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { globalRateLimitRules } from "../../integration/cli/ratelimit.ts";
import { rateLimitConfigYaml } from "../../integration/stack/ratelimit.ts";
import { kafkaFilterConfig } from "../../policy/filter-config.ts";
import { parsePolicy } from "../../policy/policy.ts";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../host/index.ts";
import { SCHEMAS, fill, requestFrame } from "../kafka/wire.ts";
import { decodeRlsRequest } from "../limits/rls_proto.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 120_000);

const POLICY = `
rateLimitService: {address: "127.0.0.1:8081", failureMode: closed}
kafka:
  quotas:
    rules:
      - {name: mesh, global: true, per: rule, produceBytesPerSecond: 1048576}
      - {name: callers, global: true, requestsPerSecond: 50}
      - {name: local, produceBytesPerSecond: 10}
`;

// What the service's descriptor tree limits for one sent descriptor (entries in order), if anything.
function limitFor(tree: any[], entries: { key: string; value: string }[]): number | undefined {
  let level = tree;
  let limit: number | undefined;
  for (const e of entries) {
    const node = level?.find((d) => d.key === e.key && (d.value === undefined || d.value === e.value));
    if (!node) return undefined;
    limit = node.rate_limit?.requests_per_unit;
    level = node.descriptors;
  }
  return limit;
}

describe("mqmesh up's rate limit service configuration", () => {
  it("limits exactly the descriptors the kafka filter sends, at the rules' rates per second", async () => {
    const policy = parsePolicy(POLICY);
    const rules = globalRateLimitRules(policy);
    expect(rules.map((r) => r.name)).toEqual(["mesh.produceBytesPerSecond", "callers.requestsPerSecond"]);
    const tree = parse(rateLimitConfigYaml(rules)).descriptors;

    const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(kafkaFilterConfig(policy)), clusters: ["mqmesh_ratelimit"] });
    const conn = host.newConnection({ properties: { "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/a/sa/b" } });
    const body = { TransactionalId: null, Acks: -1, TimeoutMs: 1000, TopicData: [{ Name: "t", PartitionData: [{ Index: 0, Records: new Uint8Array(70) }] }] };
    conn.callOnDownstreamData(requestFrame("Produce", 9, fill(SCHEMAS.Produce.ProduceRequest.fields, 9, body), 1, "c"));
    const sent = host.grpcCalls.flatMap((c) => decodeRlsRequest(c.message!).descriptors.map((d: any) => d.entries));
    expect(sent).toHaveLength(2);
    const limits = sent.map((entries: any) => [entries.find((e: any) => e.key === "rule").value, limitFor(tree, entries)]);
    expect(Object.fromEntries(limits)).toEqual({ mesh: 1048576, callers: 50 });
  });

  it("starts nothing for a policy without global rules", () => {
    expect(globalRateLimitRules(parsePolicy("kafka:\n  quotas:\n    rules:\n      - {name: q, requestsPerSecond: 5}\n"))).toEqual([]);
  });
});
