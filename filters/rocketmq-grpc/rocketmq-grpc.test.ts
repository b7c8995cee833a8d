// The rocketmq-grpc filter driven through the host emulator with gRPC calls
// recorded from rocketmq-client-nodejs against a real RocketMQ 5 proxy
// (scripts/record-rocketmq-grpc.ts): what it forwards is byte-for-byte what
// arrived, however the body chunks are split; its metrics equal what the
// client really did; denied calls come back as RocketMQ FORBIDDEN; route
// answers name the configured endpoints. Messages are checked with the
// client's own protobuf classes (google-protobuf), not with the filter's code.
import { createRequire } from "node:module";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import type { RecordedCall } from "../../scripts/record-rocketmq-grpc.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { type Split, SERVICE, callsOf, frame, joined, messages, method, rec, replayCall } from "../../test/rocketmq/grpc_calls.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pb: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defs: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js");

let wasm: string;
beforeAll(async () => {
  wasm = await freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" });
}, 180_000);

async function startFilter(config: object = {}): Promise<ProxyHost> {
  return ProxyHost.start(wasm, { pluginConfig: JSON.stringify(config) });
}

const counter = (host: ProxyHost, name: string) => host.getCounter(name, 0);

describe("the recording", () => {
  it("holds a whole client session: route, send, receive, ack, telemetry", () => {
    for (const m of ["QueryRoute", "SendMessage", "ReceiveMessage", "AckMessage", "Telemetry"]) {
      expect(callsOf(m).length, m).toBeGreaterThan(0);
    }
    expect(callsOf("SendMessage")).toHaveLength(rec.truth.sentMessages);
  });
});

describe("observing recorded traffic", () => {
  it("passes every byte through unchanged in both directions", async () => {
    const host = await startFilter();
    for (const call of rec.calls) {
      const s = replayCall(host, call);
      expect(Buffer.from(s.requestBody).equals(joined(call.request)), call.path).toBe(true);
      expect(Buffer.from(s.responseBody).equals(joined(call.response)), call.path).toBe(true);
    }
    expect(host.errors).toEqual([]);
  });

  it("counts calls per method and responses per status code as the recording holds them", async () => {
    const host = await startFilter();
    for (const call of rec.calls) replayCall(host, call);
    const byMethod = new Map<string, number>();
    for (const c of rec.calls) byMethod.set(method(c), (byMethod.get(method(c)) ?? 0) + 1);
    for (const [m, n] of byMethod) expect(counter(host, `mqmesh_rocketmq_grpc_requests_total;api=${m}`), m).toBe(n);
    // Status codes, decoded independently with the client's classes.
    for (const m of ["SendMessage", "QueryRoute", "Heartbeat", "AckMessage", "QueryAssignment"]) {
      const codes = new Map<string, number>();
      for (const c of callsOf(m)) {
        const resp = pb[`${m}Response`].deserializeBinary(messages(joined(c.response))[0]);
        const name = Object.entries(defs.Code).find(([, v]) => v === resp.getStatus().getCode())![0];
        codes.set(name, (codes.get(name) ?? 0) + 1);
      }
      for (const [code, n] of codes) expect(counter(host, `mqmesh_rocketmq_grpc_responses_total;api=${m};code=${code}`), `${m} ${code}`).toBe(n);
    }
    expect(host.getHistogram("mqmesh_rocketmq_grpc_request_duration_milliseconds;api=SendMessage")).toHaveLength(callsOf("SendMessage").length);
  });

  it("counts sent, received and acked messages per topic and group as the client did", async () => {
    const host = await startFilter();
    for (const call of rec.calls) replayCall(host, call);
    const { topic, group } = rec.truth;
    expect(counter(host, `mqmesh_rocketmq_grpc_sent_messages_total;topic=${topic}`)).toBe(rec.truth.sentMessages);
    expect(counter(host, `mqmesh_rocketmq_grpc_sent_bytes_total;topic=${topic}`)).toBe(rec.truth.sentBytes);
    expect(counter(host, `mqmesh_rocketmq_grpc_received_messages_total;topic=${topic};group=${group}`)).toBe(rec.truth.receivedMessages);
    expect(counter(host, `mqmesh_rocketmq_grpc_acked_messages_total;topic=${topic};group=${group}`)).toBe(rec.truth.ackedMessages);
    expect(counter(host, "mqmesh_rocketmq_grpc_unparsed_messages_total;reason=request")).toBe(0);
    expect(counter(host, "mqmesh_rocketmq_grpc_unparsed_messages_total;reason=response")).toBe(0);
  });

  it("gives the same bytes and metrics whatever the body chunk boundaries", async () => {
    const interesting = ["SendMessage", "ReceiveMessage", "AckMessage", "QueryRoute"].flatMap((m) => callsOf(m).slice(0, 2));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
        const split: Split = (n) => {
          const out: number[] = [];
          for (let i = 0, total = 0; total < n; i++) total += out[out.push(sizes[i % sizes.length]) - 1];
          return out;
        };
        const host = await startFilter({ acl: { rules: [{ action: "deny", topics: ["never-*"] }] } });
        for (const call of interesting) {
          const s = replayCall(host, call, split);
          expect(Buffer.from(s.requestBody).equals(joined(call.request))).toBe(true);
          expect(Buffer.from(s.responseBody).equals(joined(call.response))).toBe(true);
        }
        const received = interesting.filter((c) => method(c) === "ReceiveMessage")
          .flatMap((c) => messages(joined(c.response)).filter((m) => pb.ReceiveMessageResponse.deserializeBinary(m).hasMessage())).length;
        expect(counter(host, `mqmesh_rocketmq_grpc_received_messages_total;topic=${rec.truth.topic};group=${rec.truth.group}`)).toBe(received);
        expect(counter(host, `mqmesh_rocketmq_grpc_sent_messages_total;topic=${rec.truth.topic}`)).toBe(interesting.filter((c) => method(c) === "SendMessage").length);
      }),
      { numRuns: 25 },
    );
  });
});

describe("topic ACLs", () => {
  const send = () => callsOf("SendMessage")[0];

  it("answers a denied SendMessage with Status FORBIDDEN and sends the broker an empty request", async () => {
    const host = await startFilter({ acl: { rules: [{ action: "deny", topics: ["recorded-*"], operations: ["send"] }] } });
    const s = replayCall(host, send(), (n) => [3, 1, 7, n]);
    expect(Buffer.from(s.requestBody).equals(frame(new Uint8Array(0)))).toBe(true);
    const out = messages(Buffer.from(s.responseBody));
    expect(out).toHaveLength(1);
    const resp = pb.SendMessageResponse.deserializeBinary(out[0]);
    expect(resp.getStatus().getCode()).toBe(defs.Code.FORBIDDEN);
    expect(resp.getStatus().getMessage()).toMatch(/SendMessage \(Pub on topic recorded-grpc\) is not allowed/);
    expect(resp.getEntriesList()).toHaveLength(0);
    expect(counter(host, "mqmesh_rocketmq_grpc_denied_total;api=SendMessage;topic=recorded-grpc")).toBe(1);
    expect(counter(host, "mqmesh_rocketmq_grpc_responses_total;api=SendMessage;code=FORBIDDEN")).toBe(1);
    expect(counter(host, "mqmesh_rocketmq_grpc_sent_messages_total;topic=recorded-grpc")).toBe(0);
  });

  it("lets allowed topics through byte-for-byte; first matching rule wins", async () => {
    const host = await startFilter({
      acl: { defaultAction: "deny", rules: [{ action: "allow", topics: ["recorded-grpc"], operations: ["send", "route"] }, { action: "deny", topics: ["*"] }] },
    });
    const s = replayCall(host, send());
    expect(Buffer.from(s.requestBody).equals(joined(send().request))).toBe(true);
    expect(Buffer.from(s.responseBody).equals(joined(send().response))).toBe(true);
    const r = replayCall(host, callsOf("QueryRoute")[0]);
    expect(Buffer.from(r.responseBody).equals(joined(callsOf("QueryRoute")[0].response))).toBe(true);
    expect(counter(host, "mqmesh_rocketmq_grpc_denied_total;api=SendMessage;topic=recorded-grpc")).toBe(0);
  });

  it("answers a denied ReceiveMessage stream with one FORBIDDEN message and drops the rest", async () => {
    const call = callsOf("ReceiveMessage").find((c) => messages(joined(c.response)).length > 1)!;
    const host = await startFilter({ acl: { rules: [{ action: "deny", topics: ["recorded-grpc"], operations: ["receive"] }] } });
    const s = replayCall(host, call, (n) => Array(n).fill(1));
    const out = messages(Buffer.from(s.responseBody));
    expect(out).toHaveLength(1);
    expect(pb.ReceiveMessageResponse.deserializeBinary(out[0]).getStatus().getCode()).toBe(defs.Code.FORBIDDEN);
    expect(counter(host, `mqmesh_rocketmq_grpc_received_messages_total;topic=recorded-grpc;group=${rec.truth.group}`)).toBe(0);
  });
});

describe("endpoint rewrite", () => {
  const config = { endpoints: { host: "sidecar.local", port: 18081 } };

  function endpointsOf(queues: any[]): string[] {
    return queues.map((q) => {
      const e = q.getBroker().getEndpoints();
      return `${e.getScheme()}|${e.getAddressesList().map((a: any) => `${a.getHost()}:${a.getPort()}`).join(",")}`;
    });
  }

  it("points every broker in QueryRoute answers at the configured endpoints, other fields unchanged", async () => {
    const call = callsOf("QueryRoute")[0];
    const host = await startFilter(config);
    const s = replayCall(host, call, (n) => [1, 4, 2, n]);
    const before = pb.QueryRouteResponse.deserializeBinary(messages(joined(call.response))[0]);
    const after = pb.QueryRouteResponse.deserializeBinary(messages(Buffer.from(s.responseBody))[0]);
    const queues = after.getMessageQueuesList();
    expect(queues.length).toBe(before.getMessageQueuesList().length);
    expect(queues.length).toBeGreaterThan(0);
    expect(new Set(endpointsOf(queues))).toEqual(new Set([`${defs.AddressScheme.DOMAIN_NAME}|sidecar.local:18081`]));
    // Everything but the endpoints is as the broker said.
    for (const q of before.getMessageQueuesList()) q.getBroker().setEndpoints(undefined);
    for (const q of queues) q.getBroker().setEndpoints(undefined);
    expect(after.toObject()).toEqual(before.toObject());
    expect(counter(host, "mqmesh_rocketmq_grpc_endpoint_rewrites_total;api=QueryRoute")).toBe(queues.length);
  });

  it("rewrites QueryAssignment answers too, with an IPv4 scheme for a dotted quad", async () => {
    // The SimpleConsumer never asks for assignments: build an answer from the
    // recorded route's queues with the client's classes.
    const route = callsOf("QueryRoute")[0];
    const queues = pb.QueryRouteResponse.deserializeBinary(messages(joined(route.response))[0]).getMessageQueuesList();
    const answer = new pb.QueryAssignmentResponse();
    answer.setStatus(new defs.Status().setCode(defs.Code.OK).setMessage("OK"));
    answer.setAssignmentsList(queues.map((q: any) => new defs.Assignment().setMessageQueue(q)));
    const request = new pb.QueryAssignmentRequest().setTopic(new defs.Resource().setName("t")).setGroup(new defs.Resource().setName("g"));
    const call: RecordedCall = {
      ...route,
      path: SERVICE + "QueryAssignment",
      requestHeaders: route.requestHeaders.map(([k, v]) => [k, k === ":path" ? SERVICE + "QueryAssignment" : v]),
      request: [frame(request.serializeBinary()).toString("base64")],
      response: [frame(answer.serializeBinary()).toString("base64")],
    };
    const host = await startFilter({ endpoints: { host: "10.0.0.7", port: 8081 } });
    const s = replayCall(host, call, (n) => [2, 9, n]);
    const after = pb.QueryAssignmentResponse.deserializeBinary(messages(Buffer.from(s.responseBody))[0]);
    const rewritten = after.getAssignmentsList().map((a: any) => a.getMessageQueue());
    expect(rewritten.length).toBe(queues.length);
    expect(new Set(endpointsOf(rewritten))).toEqual(new Set([`${defs.AddressScheme.IPV4}|10.0.0.7:8081`]));
    expect(counter(host, "mqmesh_rocketmq_grpc_responses_total;api=QueryAssignment;code=OK")).toBe(1);
  });

  it("leaves route answers alone without the endpoints setting", async () => {
    const call = callsOf("QueryRoute")[0];
    const s = replayCall(await startFilter(), call);
    expect(Buffer.from(s.responseBody).equals(joined(call.response))).toBe(true);
  });
});

describe("safety", () => {
  it("passes other gRPC services and non-gRPC requests untouched, counting nothing", async () => {
    const host = await startFilter({ acl: { defaultAction: "deny" }, endpoints: { host: "h", port: 1 } });
    const send = callsOf("SendMessage")[0];
    for (const [path, ct] of [["/grpc.health.v1.Health/Check", "application/grpc"], [send.path, "application/json"]]) {
      const headers = send.requestHeaders.map(([k, v]) => [k, k === ":path" ? path : k === "content-type" ? ct : v] as [string, string]);
      const s = replayCall(host, { ...send, requestHeaders: headers });
      expect(Buffer.from(s.requestBody).equals(joined(send.request))).toBe(true);
      expect(Buffer.from(s.responseBody).equals(joined(send.response))).toBe(true);
    }
    expect(counter(host, "mqmesh_rocketmq_grpc_requests_total;api=SendMessage")).toBe(0);
  });

  it("under an ACL, answers a MessagingService method it does not know PERMISSION_DENIED without forwarding it", async () => {
    const host = await startFilter({ acl: { rules: [{ action: "deny", topics: ["secret"] }] } });
    const send = callsOf("SendMessage")[0];
    const headers = send.requestHeaders.map(([k, v]) => [k, k === ":path" ? "/apache.rocketmq.v2.MessagingService/Nope" : v] as [string, string]);
    const s = host.newHttpStream();
    s.callOnRequestHeaders(headers);
    expect(s.requestForwarded).toBe(false);
    expect(s.localResponse?.grpcStatus).toBe(7);
    expect(counter(host, "mqmesh_rocketmq_grpc_acl_refused_total;api=other;reason=unknown")).toBe(1);
    // Without an ACL it passes, as any unknown call does.
    const open = replayCall(await startFilter(), { ...send, requestHeaders: headers });
    expect(Buffer.from(open.requestBody).equals(joined(send.request))).toBe(true);
  });

  it("passes compressed and oversize messages without looking at them; under an ACL a compressed one is refused", async () => {
    const send = callsOf("SendMessage")[0];
    const body = joined(send.request);
    const compressed = Buffer.from(body);
    compressed[0] = 1;
    const observer = await startFilter({});
    const observed = replayCall(observer, { ...send, request: [compressed.toString("base64")] });
    expect(Buffer.from(observed.requestBody).equals(compressed)).toBe(true);
    expect(counter(observer, "mqmesh_rocketmq_grpc_unparsed_messages_total;reason=compressed")).toBe(1);
    const host = await startFilter({ acl: { defaultAction: "deny" } });
    const s = replayCall(host, { ...send, request: [compressed.toString("base64")] });
    expect(Buffer.from(s.requestBody).equals(frame(new Uint8Array(0)))).toBe(true);
    expect(pb.SendMessageResponse.deserializeBinary(messages(Buffer.from(s.responseBody))[0]).getStatus().getCode()).toBe(defs.Code.FORBIDDEN);
    expect(counter(host, "mqmesh_rocketmq_grpc_acl_refused_total;api=SendMessage;reason=compressed")).toBe(1);
    // Larger than maxMessageBytes: never kept, so never judged (see README).
    const small = await startFilter({ maxMessageBytes: 64, acl: { defaultAction: "deny" } });
    const big = replayCall(small, send);
    expect(Buffer.from(big.requestBody).equals(body)).toBe(true);
    expect(counter(small, "mqmesh_rocketmq_grpc_unparsed_messages_total;reason=oversize")).toBeGreaterThan(0);
  });

  it("rejects a wrong configuration, naming the field", async () => {
    for (const [config, field] of [
      [{ maxMessageBytes: "big" }, "maxMessageBytes"],
      [{ acl: { rules: [{ action: "deny", topics: ["a"], operations: ["publish"] }] } }, "acl.rules[0].operations[0]"],
      [{ endpoints: { host: "x" } }, "endpoints.port"],
      [{ metrics: { perTopc: true } }, "perTopic"],
    ] as const) {
      await expect(startFilter(config), JSON.stringify(config)).rejects.toThrow(field);
    }
  });

  it("never traps or corrupts on random bodies, in observe and in ACL/rewrite mode", async () => {
    const send = callsOf("SendMessage")[0];
    const route = callsOf("QueryRoute")[0];
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 120 }), fc.constant(messages(joined(send.request))[0]).map((m) => Uint8Array.from(frame(m)))), { maxLength: 6 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }), { maxLength: 6 }),
        async (policing, req, resp) => {
          const host = await startFilter(policing ? { acl: { rules: [{ action: "deny", topics: ["zz*"] }] }, endpoints: { host: "h", port: 1 } } : {});
          for (const call of [send, route]) {
            const s = replayCall(host, { ...call, request: req.map((b) => Buffer.from(b).toString("base64")), response: resp.map((b) => Buffer.from(b).toString("base64")) });
            if (!policing) {
              expect(Buffer.from(s.requestBody).equals(Buffer.concat(req))).toBe(true);
              expect(Buffer.from(s.responseBody).equals(Buffer.concat(resp))).toBe(true);
            }
          }
          expect(host.errors).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
