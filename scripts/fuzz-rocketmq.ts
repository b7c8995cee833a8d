// Fuzzes both RocketMQ filters' ACLs through their .wasm (not a timed test):
// random and mutated remoting frames of every RocketMQ 5.3 request code
// through the rocketmq filter, and random and mutated request messages of
// every MessagingService method through rocketmq-grpc, each with an ACL that
// denies a topic, a group and the cluster for some callers. Checked per
// frame: the module never traps, and each request either goes on byte for
// byte, goes on as the stand-in (refused), is dropped (a refused oneway
// request), or closes the connection (bytes it cannot follow); each gRPC
// request goes on byte for byte or as an empty message (refused; Telemetry
// settings emptied of names), or is answered locally (an unknown method).
//
//   npm run fuzz:rocketmq -- [--remoting 700000] [--grpc 300000] [--seed 1]
import { Command } from "commander";
import fc from "fast-check";
import { createRequire } from "node:module";
import { freshModule } from "./compile.ts";
import { ProxyHost } from "../test/host/index.ts";
import type { Connection } from "../test/host/connection.ts";
import { at, concat, message } from "../test/rocketmq/proto_writer.ts";
import { binaryFrame, command, decodeWire, jsonFrame, wire } from "../test/rocketmq/remoting.ts";
import { rocketmqFacts } from "../test/rocketmq/rocketmq_facts.ts";

const options = new Command()
  .option("--remoting <n>", "remoting frames", (v) => Number(v), 700_000)
  .option("--grpc <n>", "gRPC request messages", (v) => Number(v), 300_000)
  .option("--seed <n>", "fast-check seed", (v) => Number(v), 1)
  .parse()
  .opts<{ remoting: number; grpc: number; seed: number }>();

const require = createRequire(import.meta.url);
const NAMES = ["secret", "shown", "%RETRY%secret", "%RETRY%shown", "", " ", "secret;shown", "shown,secret", "sécret", "s\u0000", "ak-audit", "ak-admin"];
const FIELDS = ["topic", "group", "consumerGroup", "producerGroup", "groupName", "originTopic", "destGroup", "srcGroup",
  "compareGroup", "filterGroups", "topicList", "clusterName", "a", "b", "AccessKey", "clientID", "queueId"];
const ACL = {
  rules: [
    { action: "deny", principals: ["user:ak-audit", "cidr:10.0.0.0/8", "spiffe://c/ns/a/*"], topics: ["secret*"], groups: ["secret*"], cluster: true },
    { action: "allow", principals: ["user:ak-admin"], topics: ["*"], groups: ["*"], cluster: true },
    { action: "deny", topics: ["shown"], operations: ["Delete", "send"] },
  ],
};

const [facts, remotingWasm, grpcWasm] = await Promise.all([
  rocketmqFacts(),
  freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm" }),
  freshModule({ entry: "filters/rocketmq-grpc/index.ts", out: "build/rocketmq-grpc.wasm" }),
]);
const codes = facts.requestCodes.map((c) => c.code);

const name = fc.constantFrom(...NAMES);
const utf8 = (s: string) => new TextEncoder().encode(s);
const jsonBody = fc.record({
  clientID: name, consumerGroup: name, topic: name, group: name, groupName: name,
  consumerDataSet: fc.array(fc.record({ groupName: name, subscriptionDataSet: fc.array(fc.record({ topic: name }), { maxLength: 2 }) }), { maxLength: 2 }),
  mqSet: fc.array(fc.record({ topic: name, brokerName: fc.constant("b"), queueId: fc.nat(8) }), { maxLength: 2 }),
  acks: fc.array(fc.record({ c: name, t: name }), { maxLength: 2 }),
  topicConfigList: fc.array(fc.record({ topicName: name }), { maxLength: 2 }),
}, { requiredKeys: [] }).map((o) => utf8(JSON.stringify(o)));
const body = fc.oneof(jsonBody, fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(0)));

// A request frame (length prefix included), and a mutation of some of them.
const request = fc.record({
  code: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...codes) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 400000 }) }),
  opaque: fc.integer({ min: 0, max: 1 << 30 }),
  oneway: fc.boolean(),
  binary: fc.boolean(),
  ext: fc.array(fc.tuple(fc.constantFrom(...FIELDS), name), { maxLength: 6 }),
  body,
}).map((r) => {
  const c = command({ code: r.code & 0x7fff, opaque: r.opaque, flag: r.oneway ? 2 : 0, version: 479, ext: r.ext, body: r.body });
  return wire(r.binary ? binaryFrame(c) : jsonFrame(c));
});
const mutated = fc.tuple(request, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 })).map(([f, flips]) => {
  const out = Uint8Array.from(f);
  // Flips after the length prefix keep the frame whole (the prefix is fuzzed by the stream kind below).
  for (const [pos, v] of flips) if (out.length > 4) out[4 + (pos % (out.length - 4))] = v;
  return out;
});
const answer = fc.oneof(
  fc.constant(utf8('{"topicList":["secret","shown","%RETRY%secret"],"brokerAddr":"b"}')),
  fc.constant(utf8('{"groupList":["secret","shown"]}')),
  jsonBody, fc.uint8Array({ maxLength: 48 }),
);

type Frame = { bytes: Uint8Array; answer: Uint8Array; garbage: boolean };
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ bytes: request, answer, garbage: fc.constant(false) }) },
  { weight: 3, arbitrary: fc.record({ bytes: mutated, answer, garbage: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 80 }), answer, garbage: fc.constant(true) }) },
);

let traps = 0;
let refused = 0;
let passed = 0;
let closed = 0;
let garbage = 0;
const problems: string[] = [];

function decoded(w: Uint8Array): { code: number; opaque: number } | null {
  try {
    return decodeWire(w);
  } catch {
    return null;
  }
}

async function fuzzRemoting(total: number): Promise<void> {
  let host = await ProxyHost.start(remotingWasm, { pluginConfig: JSON.stringify({ acl: ACL, maxFrameBytes: 4096 }) });
  let conn: Connection | null = null;
  const properties: Record<string, string>[] = [{}, { "connection.uri_san_peer_certificate": "spiffe://c/ns/a/sa/b" }, { "source.address": "10.0.0.1:1" }];
  for (let done = 0, batch = 0; done < total; batch++) {
    const frames = fc.sample(frame, { numRuns: Math.min(5000, total - done), seed: options.seed * 7919 + batch });
    for (const f of frames) {
      done++;
      // A fresh connection every 64 frames: what a connection forwarded is kept whole by the emulator.
      if (conn !== null && !conn.closed && done % 64 === 0) conn.closeDownstream();
      if (conn === null || conn.closed) conn = host.newConnection({ properties: properties[done % properties.length] });
      const before = conn.forwardedUpstream.length;
      try {
        conn.callOnDownstreamData(f.bytes);
        if (conn.closed) {
          closed++;
          continue;
        }
        const delta = conn.forwardedUpstream.subarray(before);
        if (f.garbage) {
          garbage++; // arbitrary bytes: checked for traps only
          conn.closeDownstream(); // the stream may be desynced: start afresh
          continue;
        }
        const sent = decoded(delta);
        if (Buffer.from(delta).equals(Buffer.from(f.bytes))) passed++;
        else if (delta.length === 0 || sent?.code === 106) refused++;
        else problems.push(`remoting frame ${Buffer.from(f.bytes).toString("base64")} went on as ${Buffer.from(delta).toString("base64")}`);
        // The server's answer: a listing, or anything.
        if (sent) conn.callOnUpstreamData(wire(jsonFrame(command({ code: 0, opaque: sent.opaque, flag: 1, version: 479, body: f.answer }))));
      } catch (e) {
        if (!host.failed && !conn.closed) throw e;
        if (host.failed) {
          traps++;
          problems.push(`trap: ${host.failed.message} on ${Buffer.from(f.bytes).toString("base64")}`);
          host = await ProxyHost.start(remotingWasm, { pluginConfig: JSON.stringify({ acl: ACL, maxFrameBytes: 4096 }) });
        }
        conn = null;
      }
      if (problems.length > 20) return;
    }
  }
}

const grpcMethods = [...facts.grpc.map((m) => m.name), "SyncLiteSubscription", "Nope"];
const grpcRequest = fc.record({
  method: fc.constantFrom(...grpcMethods),
  resources: fc.array(fc.tuple(fc.constantFrom(...facts.grpc.flatMap((m) => m.resources.map((r) => r.numbers))), name), { maxLength: 4 }),
  extra: fc.oneof(fc.constant(new Uint8Array(0)), fc.constant(message([[2, 2]])), fc.uint8Array({ maxLength: 24 })),
  flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
  compressed: fc.nat(19),
  key: fc.constantFrom("ak-audit", "ak-admin", "ak-x", ""),
}).map((r) => {
  const msg = Uint8Array.from(concat([...r.resources.map(([numbers, n]) => at(numbers, n)), r.extra]));
  for (const [pos, v] of r.flips) if (msg.length > 0) msg[pos % msg.length] = v;
  const head = Buffer.alloc(5);
  head[0] = r.compressed === 0 ? 1 : 0;
  head.writeUInt32BE(msg.length, 1);
  return { method: r.method, key: r.key, frame: Buffer.concat([head, msg]) };
});

async function fuzzGrpc(total: number): Promise<void> {
  let host = await ProxyHost.start(grpcWasm, { pluginConfig: JSON.stringify({ acl: ACL }) });
  const emptyFrame = Buffer.alloc(5);
  for (let done = 0, batch = 0; done < total; batch++) {
    const calls = fc.sample(grpcRequest, { numRuns: Math.min(5000, total - done), seed: options.seed * 104729 + batch });
    for (const c of calls) {
      done++;
      const s = host.newHttpStream();
      try {
        const auth: [string, string][] = c.key ? [["authorization", `MQv2-HMAC-SHA1 Credential=${c.key}, SignedHeaders=x-mq-date-time, Signature=0`]] : [];
        s.callOnRequestHeaders([[":path", `/apache.rocketmq.v2.MessagingService/${c.method}`], ["content-type", "application/grpc"], ...auth]);
        if (s.localResponse) {
          refused++;
          continue;
        }
        s.callOnRequestBody(c.frame, { endOfStream: true });
        const sent = Buffer.from(s.requestBody);
        if (sent.equals(c.frame)) passed++;
        else if (sent.equals(emptyFrame)) refused++;
        // Refused Telemetry settings go on with publishing and subscription emptied: shorter.
        else if (c.method === "Telemetry" && sent.length >= 5 && sent.readUInt32BE(1) === sent.length - 5 && sent.length < c.frame.length) refused++;
        else problems.push(`gRPC ${c.method} ${c.frame.toString("base64")} went on as ${sent.toString("base64")}`);
        s.callOnResponseHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
        s.callOnResponseBody(emptyFrame);
        s.callOnResponseTrailers([["grpc-status", "0"]]);
        s.complete();
      } catch (e) {
        if (!host.failed) throw e;
        traps++;
        problems.push(`trap: ${host.failed.message} on ${c.method} ${c.frame.toString("base64")}`);
        host = await ProxyHost.start(grpcWasm, { pluginConfig: JSON.stringify({ acl: ACL }) });
      }
      if (problems.length > 20) return;
    }
  }
}

const started = Date.now();
await fuzzRemoting(options.remoting);
await fuzzGrpc(options.grpc);
const total = options.remoting + options.grpc;
console.log(`fuzz:rocketmq: ${total} requests (${options.remoting} remoting frames, ${options.grpc} gRPC messages), seed ${options.seed}, ` +
  `${((Date.now() - started) / 1000).toFixed(0)} s: ${passed} passed byte for byte, ${refused} refused, ${closed} closed the connection, ${garbage} raw byte runs passed on, ${traps} traps`);
for (const p of problems) console.log(p);
process.exit(traps === 0 && problems.length === 0 ? 0 : 1);
