// The rocketmq-grpc filter's ACL over every MessagingService method of the
// rocketmq-proto jar RocketMQ 5.3 serves with (read as data by
// rocketmq_facts.ts, with the path of every apache.rocketmq.v2.Resource its
// request can hold): a request naming a denied topic and group everywhere it
// can is never forwarded as sent and is answered FORBIDDEN (a Telemetry
// stream's settings go on naming nothing, and the stream goes on). Two callers
// (AccessKeys of the authorization metadata, client ids, certificates) get
// different answers for the same request. Answers are read with the
// client's own protobuf classes.
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { at, concat, message } from "../../test/rocketmq/proto_writer.ts";
import { rocketmqFacts, type Facts } from "../../test/rocketmq/rocketmq_facts.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pb: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defs: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js");

let wasm: string;
let facts: Facts;
beforeAll(async () => {
  [wasm, facts] = await Promise.all([freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" }), rocketmqFacts()]);
}, 900_000);

const SERVICE = "/apache.rocketmq.v2.MessagingService/";
const start = (acl: object) => ProxyHost.start(wasm, { pluginConfig: JSON.stringify({ acl }) });

function frame(msg: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

const firstMessage = (body: Uint8Array) => Buffer.from(body).subarray(5, 5 + Buffer.from(body).readUInt32BE(1));

// One call: request headers and message, then a response message (an empty
// one of the method's response type) and OK trailers.
function call(host: ProxyHost, method: string, request: Uint8Array, metadata: [string, string][] = [], properties: Record<string, string> = {}) {
  const s = host.newHttpStream({ properties });
  s.callOnRequestHeaders([[":path", SERVICE + method], [":method", "POST"], ["content-type", "application/grpc"], ...metadata]);
  s.callOnRequestBody(frame(request), { endOfStream: method !== "Telemetry" });
  s.callOnResponseHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
  s.callOnResponseBody(frame(new Uint8Array(0)));
  s.callOnResponseTrailers([["grpc-status", "0"]]);
  s.complete();
  return s;
}

function statusOf(method: string, body: Uint8Array): { code: number; message: string } {
  const type = method === "Telemetry" ? pb.TelemetryCommand : pb[`${method}Response`];
  const status = type.deserializeBinary(firstMessage(body)).getStatus();
  return { code: status.getCode(), message: status.getMessage() };
}

describe("every MessagingService method of RocketMQ 5.3, naming a denied topic and group", () => {
  it("is forwarded as an empty request and answered FORBIDDEN for what it names (Telemetry: its settings go on naming nothing)", async () => {
    const host = await start({ rules: [{ action: "deny", topics: ["secret"], groups: ["secret"] }] });
    expect(facts.grpc.length).toBeGreaterThan(10);
    for (const m of facts.grpc) {
      // Telemetry: the settings a client sends (the other commands of its oneof come from the server).
      const named = m.resources.filter((r) => m.name !== "Telemetry" || r.numbers[0] === 2).map((r) => at(r.numbers, "secret"));
      // A heartbeat names its group only as a consumer's (client_type PUSH_CONSUMER).
      const request = concat([...named, m.name === "Heartbeat" ? message([[2, 2]]) : new Uint8Array(0)]);
      const s = call(host, m.name, request);
      if (m.name === "Telemetry") {
        // Settings go on naming nothing, and the proxy's answer reaches the client.
        const forwarded = pb.TelemetryCommand.deserializeBinary(firstMessage(s.requestBody)).getSettings();
        // Publishing and subscription are a oneof: the decoder keeps the last one sent.
        expect(forwarded.getPublishing()?.getTopicsList() ?? []).toEqual([]);
        expect(forwarded.hasSubscription()).toBe(true);
        expect([forwarded.getSubscription().hasGroup(), forwarded.getSubscription().getSubscriptionsList()]).toEqual([false, []]);
        expect(Buffer.from(s.responseBody).equals(frame(new Uint8Array(0)))).toBe(true);
        continue;
      }
      expect(Buffer.from(s.requestBody).equals(frame(new Uint8Array(0))), m.name).toBe(true);
      const status = statusOf(m.name, s.responseBody);
      expect(status.code, m.name).toBe(defs.Code.FORBIDDEN);
      expect(status.message, m.name).toMatch(/on (topic|group) secret\) is not allowed/);
    }
  });

  it("the same requests naming allowed resources go on byte for byte", async () => {
    const host = await start({ rules: [{ action: "deny", topics: ["secret"], groups: ["secret"] }] });
    for (const m of facts.grpc) {
      const request = concat([...m.resources.map((r) => at(r.numbers, "shown")), m.name === "Heartbeat" ? message([[2, 2]]) : new Uint8Array(0)]);
      const s = call(host, m.name, request);
      expect(Buffer.from(s.requestBody).equals(frame(request)), m.name).toBe(true);
      expect(Buffer.from(s.responseBody).equals(frame(new Uint8Array(0))), m.name).toBe(true);
    }
  });
});

describe("two callers of the same sidecar", () => {
  const route = concat([at([1], "orders")]);
  const signed = (ak: string): [string, string][] => [["authorization", `MQv2-HMAC-SHA1 Credential=${ak}, SignedHeaders=x-mq-date-time, Signature=00`]];
  const outcome = (s: ReturnType<typeof call>) => (Buffer.from(s.requestBody).equals(frame(route)) ? "allowed" : "denied");

  it("get different rights to a topic by AccessKey, client id or certificate", async () => {
    const SAN = "connection.uri_san_peer_certificate";
    const cases: [string, [string, string][], Record<string, string>, [string, string][], Record<string, string>][] = [
      ["user:ak-audit", signed("ak-audit"), {}, signed("ak-orders"), {}],
      ["client:audit@*", [["x-mq-client-id", "audit@host-1"]], {}, [["x-mq-client-id", "orders@host-1"]], {}],
      ["spiffe://cluster.local/ns/ops/sa/audit", [], { [SAN]: "spiffe://cluster.local/ns/ops/sa/audit" }, [], { [SAN]: "spiffe://cluster.local/ns/shop/sa/orders" }],
    ];
    for (const [principal, deniedMeta, deniedProps, allowedMeta, allowedProps] of cases) {
      const host = await start({ rules: [{ action: "deny", principals: [principal], topics: ["orders"] }] });
      expect(outcome(call(host, "QueryRoute", route, deniedMeta, deniedProps)), principal).toBe("denied");
      expect(outcome(call(host, "QueryRoute", route, allowedMeta, allowedProps)), `${principal}: the other caller`).toBe("allowed");
    }
  });

  it("old operation names keep their meaning: `send` leaves route lookups alone, `route` does not", async () => {
    const send = await start({ rules: [{ action: "deny", topics: ["orders"], operations: ["send"] }] });
    expect(outcome(call(send, "QueryRoute", route))).toBe("allowed");
    const pub = await start({ rules: [{ action: "deny", topics: ["orders"], operations: ["Pub"] }] });
    expect(outcome(call(pub, "QueryRoute", route))).toBe("denied");
    const lookup = await start({ rules: [{ action: "deny", topics: ["orders"], operations: ["route"] }] });
    expect(outcome(call(lookup, "QueryRoute", route))).toBe("denied");
  });
});
