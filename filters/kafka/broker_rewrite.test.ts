// Broker address rewrite through the host emulator. Responses are built by
// the independent TypeScript encoder (test/kafka/wire.ts) from random values
// of every field; the expected output is the same encoder's bytes for the
// same values with only the mapped brokers' host and port changed, so "every
// other byte preserved" is checked byte for byte, for every version.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { Recording } from "../../scripts/record-kafka.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { chunksOf, joined, loadRecording, replay } from "../../test/support/recordings.ts";
import { SCHEMAS, isFlexible, randomStruct, requestFrame, responseFrame, rngFrom, versionsOf, type Value } from "../../test/kafka/wire.ts";
import type { SchemaField } from "../../test/kafka/schema.gen.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
}, 120_000);

const SIDECARS: Record<string, string> = { "1": "127.0.0.1:19092", "2": "127.0.0.1:19093", "3": "sidecar-3.mesh.local:29094" };
const CONFIG = { brokerAddresses: SIDECARS };
const UNMAPPED = 7;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function target(nodeId: number): { host: string; port: number } | undefined {
  const a = SIDECARS[String(nodeId)];
  if (!a) return undefined;
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
}

function schemaField(fields: SchemaField[], name: string): SchemaField {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

interface Case {
  api: string;
  version: number;
  /** Random response value with broker entries placed where the API has them. */
  body: Value;
  /** The same value with mapped brokers rewritten. */
  expected: Value;
}

// A broker-like entry (Metadata broker, Coordinator, DescribeCluster broker,
// NodeEndpoint): random fields, then a chosen id and a broker's own address.
function brokerEntry(fields: SchemaField[], idField: string, id: number, v: number, flex: boolean, seed: number): Value {
  const e = randomStruct(fields, v, flex, rngFrom(seed));
  e[idField] = id;
  e.Host = `broker-${id}.internal.example`;
  e.Port = 9092 + id;
  return e;
}

function rewritten(entries: Value[], idField: string): Value[] {
  return entries.map((e) => {
    const t = target(e[idField] as number);
    return t ? { ...e, Host: t.host, Port: t.port } : { ...e };
  });
}

const IDS = [1, 2, UNMAPPED, 3];

function makeCase(api: string, version: number, seed: number): Case {
  const m = SCHEMAS[api][api + "Response"];
  const flex = isFlexible(m, version);
  const body = randomStruct(m.fields, version, flex, rngFrom(seed));
  const list = (field: string, idField: string) => {
    const f = schemaField(m.fields, field);
    body[field] = IDS.map((id, i) => brokerEntry(f.fields!, idField, id, version, flex, seed * 31 + i));
    return { ...body, [field]: rewritten(body[field] as Value[], idField) };
  };
  switch (api) {
    case "Metadata":
      return { api, version, body, expected: list("Brokers", "NodeId") };
    case "DescribeCluster":
      return { api, version, body, expected: list("Brokers", "BrokerId") };
    case "Produce":
    case "Fetch":
      return { api, version, body, expected: list("NodeEndpoints", "NodeId") };
    case "FindCoordinator":
      if (version >= 4) return { api, version, body, expected: list("Coordinators", "NodeId") };
      body.NodeId = 2;
      body.Host = "broker-2.internal.example";
      body.Port = 9094;
      return { api, version, body, expected: { ...body, Host: "127.0.0.1", Port: 19093 } };
  }
  throw new Error(api);
}

function requestFor(api: string, version: number, correlationId: number, seed: number): Uint8Array {
  const m = SCHEMAS[api][api + "Request"];
  const body = randomStruct(m.fields, version, isFlexible(m, version), rngFrom(seed));
  if (api === "Produce") body.Acks = -1; // acks=0 produces get no response
  return requestFrame(api, version, body, correlationId, "rewrite-test");
}

async function startFilter(config: object = CONFIG): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

// One request and its response through a fresh connection; the response is
// cut into pieces by `split`. Returns what reached the client.
function exchange(host: ProxyHost, c: Case, correlationId: number, split?: (n: number) => number[]): Uint8Array {
  const conn = host.newConnection();
  conn.callOnDownstreamData(requestFor(c.api, c.version, correlationId, correlationId + 5));
  const response = responseFrame(c.api, c.version, c.body, correlationId);
  let pos = 0;
  for (const size of split ? split(response.length) : [response.length]) {
    if (size === 0) continue;
    expect(conn.callOnUpstreamData(response.subarray(pos, pos + size))).toBe("continue");
    pos += size;
  }
  conn.closeDownstream();
  return conn.forwardedDownstream;
}

const VERSIONS: [string, number[]][] = [
  ["Metadata", versionsOf("Metadata", "Response")],
  ["FindCoordinator", versionsOf("FindCoordinator", "Response")],
  ["DescribeCluster", versionsOf("DescribeCluster", "Response")],
  ["Produce", versionsOf("Produce", "Response").filter((v) => v >= 10)],
  ["Fetch", versionsOf("Fetch", "Response").filter((v) => v >= 16)],
];

describe.each(VERSIONS)("%s responses", (api, versions) => {
  it.each(versions)(`v%i: mapped brokers get the sidecar address, every other byte is the broker's`, async (version) => {
    const host = await startFilter();
    for (let sample = 0; sample < 6; sample++) {
      const c = makeCase(api, version, version * 100 + sample + 1);
      const out = exchange(host, c, 40 + sample);
      expect(hex(out)).toBe(hex(responseFrame(api, version, c.expected, 40 + sample)));
    }
    expect(host.errors).toEqual([]);
    expect(host.getCounter(`mqmesh_kafka_rewritten_responses_total;api=${api}`)).toBe(6);
    // v0-3 FindCoordinator has one coordinator, which is mapped.
    const unmappedSeen = api === "FindCoordinator" && version < 4 ? 0 : 6;
    expect(host.getCounter(`mqmesh_kafka_unmapped_brokers_total;broker=${UNMAPPED}`, 0)).toBe(unmappedSeen);
  });
});

describe("what is left alone", () => {
  it("a response naming only unmapped brokers goes out as the broker's bytes", async () => {
    const host = await startFilter({ brokerAddresses: { "42": "127.0.0.1:1" } });
    const c = makeCase("Metadata", 12, 9);
    const out = exchange(host, c, 5);
    expect(hex(out)).toBe(hex(responseFrame("Metadata", 12, c.body, 5)));
    for (const id of [1, 2, 3, UNMAPPED]) expect(host.getCounter(`mqmesh_kafka_unmapped_brokers_total;broker=${id}`)).toBe(1);
    expect(host.getCounter("mqmesh_kafka_rewritten_responses_total;api=Metadata", 0)).toBe(0);
  });

  it("an error answer without a coordinator (node -1) is not counted as unmapped", async () => {
    const host = await startFilter();
    const c = makeCase("FindCoordinator", 3, 4);
    Object.assign(c.body, { ErrorCode: 15, NodeId: -1, Host: "", Port: -1 });
    const out = exchange(host, c, 6);
    expect(hex(out)).toBe(hex(responseFrame("FindCoordinator", 3, c.body, 6)));
    expect(host.getCounter("mqmesh_kafka_unmapped_brokers_total;broker=-1", 0)).toBe(0);
  });

  it("without a rewrite configured, responses pass untouched", async () => {
    const host = await startFilter({});
    const c = makeCase("DescribeCluster", 1, 3);
    expect(hex(exchange(host, c, 8))).toBe(hex(responseFrame("DescribeCluster", 1, c.body, 8)));
  });

  it("a response that does not decode passes unchanged", async () => {
    const host = await startFilter();
    const conn = host.newConnection();
    conn.callOnDownstreamData(requestFor("Metadata", 9, 77, 1));
    // correlation id 77, header tags, then a truncated body
    const frame = Buffer.from([0, 0, 0, 7, 0, 0, 0, 77, 0, 0xff, 0xff]);
    conn.callOnUpstreamData(frame);
    conn.closeDownstream();
    expect(hex(conn.forwardedDownstream)).toBe(hex(frame));
    expect(host.errors).toEqual([]);
  });
});

describe("the rule form", () => {
  it("maps node n to host:(portBase + n - firstNodeId); explicit entries win; out of range stays", async () => {
    const host = await startFilter({
      brokerAddresses: { "2": "10.0.0.2:7000" },
      brokerAddressRule: { host: "127.0.0.1", portBase: 19092, firstNodeId: 1, lastNodeId: 3 },
    });
    const c = makeCase("Metadata", 13, 21);
    const brokers = c.body.Brokers as Value[];
    const want = brokers.map((b) => {
      const id = b.NodeId as number;
      if (id === 2) return { ...b, Host: "10.0.0.2", Port: 7000 };
      if (id >= 1 && id <= 3) return { ...b, Host: "127.0.0.1", Port: 19092 + id - 1 };
      return b;
    });
    const out = exchange(host, c, 3);
    expect(hex(out)).toBe(hex(responseFrame("Metadata", 13, { ...c.body, Brokers: want }, 3)));
    expect(host.getCounter(`mqmesh_kafka_unmapped_brokers_total;broker=${UNMAPPED}`)).toBe(1);
  });
});

describe("read boundaries", () => {
  it("gives the same bytes however requests and responses are split and pipelined", async () => {
    const cases = [makeCase("Metadata", 1, 1), makeCase("Metadata", 12, 2), makeCase("FindCoordinator", 2, 3), makeCase("FindCoordinator", 6, 4), makeCase("DescribeCluster", 2, 5), makeCase("Fetch", 17, 6), makeCase("Produce", 11, 7)];
    const requests = Buffer.concat(cases.map((c, i) => requestFor(c.api, c.version, 100 + i, i + 1)));
    const responses = Buffer.concat(cases.map((c, i) => responseFrame(c.api, c.version, c.body, 100 + i)));
    const expected = Buffer.concat(cases.map((c, i) => responseFrame(c.api, c.version, c.expected, 100 + i)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 61 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const host = await startFilter();
        const conn = host.newConnection();
        const feed = (bytes: Buffer, call: (b: Uint8Array) => string) => {
          for (let pos = 0, turn = 0; pos < bytes.length; turn++) {
            const n = sizes[turn % sizes.length];
            expect(call(bytes.subarray(pos, pos + n))).toBe("continue");
            pos += n;
          }
        };
        feed(requests, (b) => conn.callOnDownstreamData(b));
        feed(responses, (b) => conn.callOnUpstreamData(b));
        conn.closeDownstream();
        expect(Buffer.from(conn.forwardedUpstream).equals(requests)).toBe(true);
        expect(hex(conn.forwardedDownstream)).toBe(hex(expected));
        expect(host.errors).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe("recorded client traffic", () => {
  // The recordings come from a single broker (node 1): with node 1 mapped, only
  // the frames that carry broker addresses change, and only in those bytes.
  it.each(["kafkajs", "kcat"])("%s: only address-carrying responses change", async (client) => {
    const rec = loadRecording<Recording>("kafka", client);
    const host = await startFilter({ brokerAddresses: { "1": "127.0.0.1:19092" } });
    let changed = 0;
    for (const connection of rec.connections) {
      const chunks = chunksOf(connection);
      const conn = replay(host, chunks);
      const apiOf = new Map<number, number>();
      const requests = joined(chunks, "request");
      for (let p = 0; p + 4 <= requests.length; p += 4 + requests.readInt32BE(p)) apiOf.set(requests.readInt32BE(p + 8), requests.readInt16BE(p + 4));
      const before = joined(chunks, "response");
      const after = Buffer.from(conn.forwardedDownstream);
      expect(Buffer.from(conn.forwardedUpstream).equals(requests)).toBe(true);
      // Walk both response streams frame by frame.
      let a = 0;
      let b = 0;
      while (a + 4 <= before.length) {
        const sa = before.readInt32BE(a);
        const sb = after.readInt32BE(b);
        const fa = before.subarray(a, a + 4 + sa);
        const fb = after.subarray(b, b + 4 + sb);
        const api = apiOf.get(before.readInt32BE(a + 4))!;
        if (![3, 10, 60].includes(api)) expect(hex(fb)).toBe(hex(fa));
        else if (!fa.equals(fb)) {
          changed++;
          expect(fb.includes(Buffer.from("127.0.0.1"))).toBe(true);
          expect(fb.subarray(4, 8).equals(fa.subarray(4, 8))).toBe(true); // same correlation id
        }
        a += 4 + sa;
        b += 4 + sb;
      }
      expect(b).toBe(after.length);
    }
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBe(host.getCounter("mqmesh_kafka_rewritten_responses_total;api=Metadata", 0) + host.getCounter("mqmesh_kafka_rewritten_responses_total;api=FindCoordinator", 0) + host.getCounter("mqmesh_kafka_rewritten_responses_total;api=DescribeCluster", 0));
    expect(host.errors).toEqual([]);
  });
});

describe("configuration", () => {
  it.each([
    [{ brokerAddresses: ["127.0.0.1:1"] }, "brokerAddresses"],
    [{ brokerAddresses: { one: "127.0.0.1:1" } }, "brokerAddresses.one"],
    [{ brokerAddresses: { "-1": "127.0.0.1:1" } }, "brokerAddresses.-1"],
    [{ brokerAddresses: { "1": "127.0.0.1" } }, "brokerAddresses.1"],
    [{ brokerAddresses: { "1": "127.0.0.1:0" } }, "brokerAddresses.1"],
    [{ brokerAddresses: { "2": "127.0.0.1:70000" } }, "brokerAddresses.2"],
    [{ brokerAddresses: { "3": 19092 } }, "brokerAddresses.3"],
    [{ brokerAddresses: { "4": "bad host:1" } }, "brokerAddresses.4"],
    [{ brokerAddresses: { "5": "::1:5" } }, "brokerAddresses.5"],
    [{ brokerAddressRule: { portBase: 19092 } }, "brokerAddressRule.host"],
    [{ brokerAddressRule: { host: "127.0.0.1" } }, "brokerAddressRule.portBase"],
    [{ brokerAddressRule: { host: "127.0.0.1", portBase: 19092, firstNodeId: 3, lastNodeId: 1 } }, "brokerAddressRule.lastNodeId"],
    [{ brokerAddressRule: { host: "127.0.0.1", portBase: 65535, firstNodeId: 0, lastNodeId: 1 } }, "brokerAddressRule.lastNodeId"],
    [{ brokerAddressRule: { host: "127.0.0.1", portBase: 19092, portbase: 1 } }, 'brokerAddressRule: unknown field "portbase"'],
    [{ brokerAddressRule: "127.0.0.1:19092" }, "brokerAddressRule"],
  ])("rejects %j naming %s", async (config, field) => {
    const host = await ProxyHost.load(wasm, { pluginConfig: JSON.stringify(config) });
    expect(host.startVm()).toBe(true);
    expect(host.configure()).toBe(false);
    expect(host.logsAt("error").join("\n")).toContain(field.includes(":") ? field : field + ":");
  });

  it("accepts IPv6 addresses in brackets and advertises them without", async () => {
    const host = await startFilter({ brokerAddresses: { "1": "[::1]:19092" } });
    const c = makeCase("DescribeCluster", 0, 11);
    const want = (c.body.Brokers as Value[]).map((b) => (b.BrokerId === 1 ? { ...b, Host: "::1", Port: 19092 } : b));
    expect(hex(exchange(host, c, 2))).toBe(hex(responseFrame("DescribeCluster", 0, { ...c.body, Brokers: want }, 2)));
  });
});
