// Trace context in RocketMQ messages: remoting send requests recorded from
// the Java client (properties in the header, or per message in a batch
// body), and gRPC SendMessageRequests recorded from rocketmq-client-nodejs,
// read back with the Java rules restated (remoting.ts) and the client's
// own protobuf classes.
import { beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { OURS, THEIRS, loadTraceCodecs, type TraceCodecs } from "../otel/codecs.ts";
import { chunksOf, joined, loadRecording } from "../support/recordings.ts";
import type { RecordedChunk } from "../../scripts/recording-proxy.ts";
import type { GrpcRecording } from "../../scripts/record-rocketmq-grpc.ts";
import { P, batchMessage, binaryFrame, command, concat, decodeWire, javaProps, jsonFrame, storedMessage } from "./remoting.ts";

const require = createRequire(import.meta.url);
const pb: any = require("rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js");

let m: TraceCodecs;
beforeAll(async () => { m = await loadTraceCodecs(); }, 180_000);

const SEND_MESSAGE_V2 = 310;
const SEND_BATCH_MESSAGE = 320;

// The frames (after their length prefix) of one direction of a connection.
function framesOf(stream: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0; pos + 4 <= stream.length; pos += 4 + stream.readInt32BE(pos)) out.push(stream.subarray(pos + 4, pos + 4 + stream.readInt32BE(pos)));
  return out;
}

function wireOf(f: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + f.length);
  new DataView(out.buffer).setInt32(0, f.length);
  out.set(f, 4);
  return out;
}

// Every client request frame of a remoting recording.
function requestFrames(name: string): Uint8Array[] {
  const rec = loadRecording<{ connections: RecordedChunk[][] }>("rocketmq", name);
  return rec.connections.flatMap((conn) => framesOf(joined(chunksOf(conn), "request")));
}

const summary = () => JSON.parse(m.lastSummary());
const propsOf = (c: ReturnType<typeof decodeWire>) => c.ext.find(([k]) => k === "i")![1];

describe("remoting properties", () => {
  it("reads traceparent and tracestate the way Java parses properties", () => {
    expect(m.propertiesRead(P([["KEYS", "k"], ["traceparent", THEIRS], ["tracestate", "v=1"]]))).toBe(`${THEIRS} v=1`);
    expect(m.propertiesRead(P([["KEYS", "k"]]))).toBe("none");
    expect(m.propertiesRead(P([["traceparent", "not-a-context"]]))).toBe("none");
    // The last duplicate wins, as in Java's HashMap; no final \u0002 is fine.
    expect(m.propertiesRead(`traceparent\u0001garbage\u0002traceparent\u0001${THEIRS}`)).toBe(THEIRS);
  });

  it("appends the context only where none is carried", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom("KEYS", "TAGS", "a", "tracestate"), fc.string({ minLength: 1, maxLength: 8 })
      .filter((v) => !/[\u0001\u0002]/.test(v))), { maxLength: 4 }), fc.boolean(), (pairs, carried) => {
      const props = P(carried ? [...pairs, ["traceparent", THEIRS]] : pairs);
      const out = m.propertiesInject(props, OURS, "mqmesh=1");
      if (carried) {
        expect(out).toBe("UNCHANGED");
        expect(summary()).toMatchObject({ injected: 0, carrying: 1 });
        return;
      }
      expect(out.startsWith(props)).toBe(true);
      const expected = javaProps(props);
      expected.set("traceparent", OURS);
      if (!expected.has("tracestate")) expected.set("tracestate", "mqmesh=1");
      expect(javaProps(out)).toEqual(expected);
    }), { numRuns: 300 });
  });
});

describe("remoting send requests", () => {
  const sends = [...requestFrames("broker"), ...requestFrames("proxy")].filter((f) => decodeWire(wireOf(f)).code === SEND_MESSAGE_V2);

  it("adds traceparent to every recorded SEND_MESSAGE_V2, changing nothing else", () => {
    expect(sends.length).toBe(60);
    for (const f of sends) {
      const before = decodeWire(wireOf(f));
      const after = decodeWire(m.sendInject(f, OURS, ""));
      expect(summary()).toMatchObject({ injected: 1, carrying: 0, error: null });
      expect(propsOf(after)).toBe(propsOf(before) + `traceparent\u0001${OURS}\u0002`);
      expect(after.ext.filter(([k]) => k !== "i")).toEqual(before.ext.filter(([k]) => k !== "i"));
      expect({ ...after, ext: [], json: undefined }).toEqual({ ...before, ext: [], json: undefined });
    }
  });

  it("leaves a request whose message carries a context, in either header serialization", () => {
    const before = decodeWire(wireOf(sends[0]));
    const carrying = { ...before, ext: before.ext.map(([k, v]): [string, string] => [k, k === "i" ? v + P([["traceparent", THEIRS]]) : v]) };
    for (const build of [jsonFrame, binaryFrame]) {
      expect(m.sendInject(build(command(carrying)), OURS, "").length).toBe(0);
      expect(summary()).toEqual({ injected: 0, carrying: 1, carried: [THEIRS], error: null });
      // The binary header is re-encoded as the client would have written it.
      const injected = decodeWire(m.sendInject(build(command(before)), OURS, ""));
      expect(javaProps(propsOf(injected)).get("traceparent")).toBe(OURS);
    }
  });

  it("adds the context to each message of a batch body that has none", () => {
    const body = concat(batchMessage(0, "one", P([["KEYS", "a"]])), batchMessage(0, "two", P([["traceparent", THEIRS]])));
    const ext: [string, string][] = [["a", "pg"], ["b", "T"], ["i", P([["WAIT", "true"]])], ["m", "true"]];
    const out = decodeWire(m.sendInject(jsonFrame(command({ code: SEND_BATCH_MESSAGE, ext, body })), OURS, "v=1"));
    expect(summary()).toEqual({ injected: 1, carrying: 1, carried: [THEIRS], error: null });
    expect(out.ext).toEqual(ext); // the batch's own header properties reach no consumer
    expect(out.body).toEqual(concat(batchMessage(0, "one", P([["KEYS", "a"], ["traceparent", OURS], ["tracestate", "v=1"]])),
      batchMessage(0, "two", P([["traceparent", THEIRS]]))));
    // A body that does not decode is left alone.
    expect(m.sendInject(jsonFrame(command({ code: SEND_BATCH_MESSAGE, ext, body: body.subarray(0, 30) })), OURS, "").length).toBe(0);
    expect(summary().error).toMatch(/batch message/);
  });
});

describe("pulled messages", () => {
  const LITE_PULL_MESSAGE = 361;

  // Bodies of successful pull responses, and the UNIQ_KEYs the producer sent, per recording.
  function pulls(name: string) {
    const rec = loadRecording<{ truth: { topic: string; receivedMessages: number }; connections: RecordedChunk[][] }>("rocketmq", name);
    const bodies: Uint8Array[] = [];
    const sent = new Set<string>();
    for (const conn of rec.connections) {
      const chunks = chunksOf(conn);
      const pullOpaques = new Set<number>();
      for (const f of framesOf(joined(chunks, "request"))) {
        const c = decodeWire(wireOf(f));
        if (c.code === LITE_PULL_MESSAGE) pullOpaques.add(c.opaque);
        if (c.code === SEND_MESSAGE_V2) sent.add(javaProps(propsOf(c)).get("UNIQ_KEY")!);
      }
      for (const f of framesOf(joined(chunks, "response"))) {
        const c = decodeWire(wireOf(f));
        if (pullOpaques.has(c.opaque) && c.code === 0 && c.body.length > 0) bodies.push(c.body);
      }
    }
    return { bodies, sent, truth: rec.truth };
  }

  it("reads every message the broker and the proxy returned to the Java pull consumer", () => {
    for (const name of ["broker", "proxy"]) {
      const { bodies, sent, truth } = pulls(name);
      const lines = bodies.flatMap((b) => m.storedDescribe(b).split("\n"));
      expect(lines.filter((l) => l.startsWith("ERR:"))).toEqual([]);
      const messages = lines.map((l) => l.split("|"));
      expect(messages.length, name).toBe(truth.receivedMessages);
      expect(new Set(messages.map((f) => f[0]))).toEqual(new Set([truth.topic]));
      expect(new Set(messages.map((f) => javaProps(f.slice(4).join("|")).get("UNIQ_KEY")))).toEqual(sent);
      expect(JSON.parse(m.pulledContexts(bodies[0]))).toEqual({ injected: 0, carrying: 0, carried: [] });
    }
  });

  it("reports the contexts pulled messages carry, IPv6 hosts and long topics included", () => {
    const body = concat(
      storedMessage({ topic: "T", properties: P([["traceparent", THEIRS], ["tracestate", "v=1"]]), queueId: 3, queueOffset: 42n }),
      storedMessage({ topic: "T", properties: P([["KEYS", "k"]]), v6: true }),
      storedMessage({ topic: "T".repeat(200), properties: P([["traceparent", OURS]]), magicV2: true }),
      storedMessage({ topic: "T", properties: P([["traceparent", THEIRS]]) }),
    );
    expect(m.storedDescribe(body).split("\n").map((l) => l.split("|").slice(0, 4).join("|")))
      .toEqual(["T|3|42|7", "T|0|0|7", `${"T".repeat(200)}|0|0|7`, "T|0|0|7"]);
    expect(JSON.parse(m.pulledContexts(body))).toEqual({ injected: 0, carrying: 3, carried: [`${THEIRS} v=1`, OURS] });
  });

  it("never traps on a cut body and keeps the messages before the cut", () => {
    const body = pulls("broker").bodies[0];
    const whole = m.storedDescribe(body).split("\n");
    for (let n = 0; n < body.length; n++) {
      const lines = m.storedDescribe(body.subarray(0, n)).split("\n").filter((l) => l.length > 0);
      const complete = lines.filter((l) => !l.startsWith("ERR:"));
      expect(complete).toEqual(whole.slice(0, complete.length));
    }
  });
});

describe("gRPC messages", () => {
  const rec: GrpcRecording = JSON.parse(readFileSync(new URL("../recordings/rocketmq-grpc/nodejs.json", import.meta.url), "utf8"));
  const grpcMessages = (chunks: string[]) => {
    const body = Buffer.concat(chunks.map((c) => Buffer.from(c, "base64")));
    const out: Buffer[] = [];
    for (let pos = 0; pos + 5 <= body.length; pos += 5 + body.readUInt32BE(pos + 1)) out.push(body.subarray(pos + 5, pos + 5 + body.readUInt32BE(pos + 1)));
    return out;
  };
  const sendRequests = rec.calls.filter((c) => c.path.endsWith("/SendMessage")).flatMap((c) => grpcMessages(c.request));
  const withoutUserProperties = (msg: any) => ({ ...msg.toObject(), userPropertiesMap: [] });

  it("adds traceparent to user_properties of every recorded SendMessageRequest, changing nothing else", () => {
    expect(sendRequests.length).toBe(20);
    for (const req of sendRequests) {
      const before = pb.SendMessageRequest.deserializeBinary(req);
      const after = pb.SendMessageRequest.deserializeBinary(m.grpcInject(req, OURS, "v=1"));
      expect(summary()).toMatchObject({ injected: before.getMessagesList().length, carrying: 0, error: null });
      after.getMessagesList().forEach((msg: any, i: number) => {
        const original = before.getMessagesList()[i];
        const props = Object.fromEntries(msg.getUserPropertiesMap().toArray());
        expect(props).toEqual({ ...Object.fromEntries(original.getUserPropertiesMap().toArray()), traceparent: OURS, tracestate: "v=1" });
        expect(withoutUserProperties(msg)).toEqual(withoutUserProperties(original));
        expect(m.grpcRead(msg.serializeBinary())).toBe(`${OURS} v=1`);
      });
    }
  });

  it("reads and keeps a context carried in user_properties or system_properties.trace_context", () => {
    const original = pb.SendMessageRequest.deserializeBinary(sendRequests[0]).getMessagesList()[0];
    const inUser = original.clone();
    inUser.getUserPropertiesMap().set("traceparent", THEIRS).set("tracestate", "vendor=x");
    const inSystem = original.clone();
    inSystem.getSystemProperties().setTraceContext(THEIRS);
    for (const [msg, carried] of [[inUser, `${THEIRS} vendor=x`], [inSystem, THEIRS]] as const) {
      expect(m.grpcRead(msg.serializeBinary())).toBe(carried);
      const req = new pb.SendMessageRequest();
      req.setMessagesList([msg, original]);
      const out = pb.SendMessageRequest.deserializeBinary(m.grpcInject(req.serializeBinary(), OURS, ""));
      expect(summary()).toEqual({ injected: 1, carrying: 1, carried: [carried], error: null });
      expect(out.getMessagesList()[0].toObject()).toEqual(msg.toObject());
      expect(out.getMessagesList()[1].getUserPropertiesMap().get("traceparent")).toBe(OURS);
    }
  });

  it("reads the context of a received message, from recorded ReceiveMessage streams and a traced one", () => {
    const responses = rec.calls.filter((c) => c.path.endsWith("/ReceiveMessage")).flatMap((c) => grpcMessages(c.response));
    const delivered = responses.filter((r) => pb.ReceiveMessageResponse.deserializeBinary(r).hasMessage());
    expect(delivered.length).toBe(20);
    for (const r of responses) expect(m.grpcReceived(r)).toBe("none");
    const traced = pb.ReceiveMessageResponse.deserializeBinary(delivered[0]);
    traced.getMessage().getUserPropertiesMap().set("traceparent", THEIRS);
    expect(m.grpcReceived(traced.serializeBinary())).toBe(THEIRS);
  });

  it("never traps on truncated requests and forwards them as they were", () => {
    const req = sendRequests[0];
    for (let n = 0; n < req.length; n++) {
      const out = m.grpcInject(req.subarray(0, n), OURS, "");
      if (out.length > 0) expect(() => pb.SendMessageRequest.deserializeBinary(out)).not.toThrow();
    }
  });
});
