// Identity.resolve() (assembly/common/identity.ts) reads the connection
// properties Envoy gives a network filter: the emulator serves them per
// connection as Envoy serializes them (strings raw, integers 8-byte LE).
import { beforeAll, describe, expect, it } from "vitest";
import { ProxyHost } from "../host/index.ts";
import { fixture } from "../sdk/fixtures.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await fixture("limits_host");
}, 120_000);

const ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";

async function identityOf(properties: Record<string, string | number>, principals?: string[]): Promise<Record<string, string>> {
  const host = await ProxyHost.start(wasm, { pluginConfig: JSON.stringify(principals ? { principals } : {}) });
  host.newConnection({ properties }).callOnDownstreamData("identity");
  const line = host.logsAt("info").find((l) => l.startsWith("identity "));
  if (!line) throw new Error(host.logText());
  return Object.fromEntries(line.slice(9).split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

describe("Identity.resolve", () => {
  it("reads the peer certificate's URI SAN and subject and the source address of an mTLS connection", async () => {
    const id = await identityOf({
      "connection.uri_san_peer_certificate": ORDERS,
      "connection.subject_peer_certificate": "CN=orders,O=shop",
      "source.address": "10.1.2.3:45678",
      "source.port": 45678,
    }, ["cidr:10.0.0.0/8"]);
    expect(id).toEqual({ uriSan: ORDERS, subject: "CN=orders,O=shop", source: "10.1.2.3", ip: "4", port: "45678", label: ORDERS, match: "1" });
  });

  it("takes an IPv6 source apart and reads IPv4-mapped sources as IPv4", async () => {
    expect(await identityOf({ "source.address": "[2001:db8::7]:9092", "source.port": 9092 }, ["cidr:2001:db8::/32"]))
      .toMatchObject({ source: "2001:db8::7", ip: "16", port: "9092", match: "1" });
    expect(await identityOf({ "source.address": "[::ffff:10.0.0.5]:9092" }, ["cidr:10.0.0.0/24"]))
      .toMatchObject({ source: "::ffff:10.0.0.5", ip: "4", port: "9092", match: "1" });
  });

  it("is anonymous without TLS (Envoy has no connection.* certificate properties then)", async () => {
    expect(await identityOf({ "source.address": "192.0.2.1:5000" }, ["anonymous"]))
      .toEqual({ uriSan: "", subject: "", source: "192.0.2.1", ip: "4", port: "5000", label: "anonymous", match: "1" });
    expect(await identityOf({ "source.address": "192.0.2.1:5000" }, [ORDERS])).toMatchObject({ match: "0" });
  });
});

describe("LimitMetrics", () => {
  it("counts throttled requests per rule and principal (capped), throttle time and bytes over the limit per rule", async () => {
    const host = await ProxyHost.start(wasm, {});
    const as = (uriSan: string | undefined, line: string) =>
      host.newConnection({ properties: uriSan ? { "connection.uri_san_peer_certificate": uriSan } : {} }).callOnDownstreamData(line);
    as(ORDERS, "throttled orders 250 4096");
    as(ORDERS, "throttled orders 750 0");
    as(undefined, "throttled orders 0 0");
    as("spiffe://cluster.local/ns/shop/sa/third", "throttled orders 10 0"); // the fixture caps principals at 2
    expect(host.getCounter(`mqmesh_test_throttled_requests_total;rule=orders;principal=${ORDERS}`)).toBe(2);
    expect(host.getCounter("mqmesh_test_throttled_requests_total;rule=orders;principal=anonymous")).toBe(1);
    expect(host.getCounter("mqmesh_test_throttled_requests_total;rule=orders;principal=__other__")).toBe(1);
    expect(host.getCounter("mqmesh_test_throttle_time_milliseconds_total;rule=orders")).toBe(1010);
    expect(host.getCounter("mqmesh_test_bytes_over_limit_total;rule=orders")).toBe(4096);
  });
});
