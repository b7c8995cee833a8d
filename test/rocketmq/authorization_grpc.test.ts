// The gRPC method map against RocketMQ 5.3 itself: every MessagingService
// method of the rocketmq-proto jar RocketMQ 5.3.3 serves with is mapped, every
// apache.rocketmq.v2.Resource its request message can hold is judged (or
// explained), and for requests built for every method and those a real
// client sent (rocketmq-client-nodejs recording), the mesh names the same
// resources and actions as RocketMQ's own authorization builder, except where
// the mesh judges more (MESH). Hostile messages never trap the module.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { GrpcRecording } from "../../scripts/record-rocketmq-grpc.ts";
import { grpcLine, rocketmqFacts, rocketmqOracle, type Facts, type OracleAnswer } from "./rocketmq_facts.ts";
import { at, concat, message, type Field } from "./proto_writer.ts";
import { contextKey, DEFAULT_CLUSTER, loadAuthorization, sortedContext, type AuthorizationFixture, type Requirements } from "./authorization.ts";

interface PathRule { name: string; numbers: number[]; type: string; actions: string; flags: number; each: number }
interface MethodRule { method: string; note: string; when: number; ignored: string[]; paths: PathRule[] }
const PATH_REQUIRED = 1;

let m: AuthorizationFixture;
let facts: Facts;
let rules: Map<string, MethodRule>;
beforeAll(async () => {
  [m, facts] = await Promise.all([loadAuthorization(), rocketmqFacts()]);
  rules = new Map((JSON.parse(m.grpcMethods()) as MethodRule[]).map((r) => [r.method, r]));
}, 900_000);

interface Probe { method: string; type: string; bytes: Uint8Array; what: string; absent?: string }

function probes(method: string, type: string): Probe[] {
  const rule = rules.get(method)!;
  const out: Probe[] = [];
  // Telemetry's publishing and subscription are a oneof: one at a time.
  const groups = method === "Telemetry"
    ? [rule.paths.filter((p) => p.numbers[1] === 5), rule.paths.filter((p) => p.numbers[1] === 6)]
    : [rule.paths];
  const extra: Uint8Array = method === "Heartbeat" ? message([[2, 2]]) : new Uint8Array(0); // a push consumer
  for (const paths of groups) {
    const build = (skip: string | null, value: (p: PathRule) => string) =>
      concat([...paths.filter((p) => p.name !== skip).map((p) => at(p.numbers, value(p))), extra]);
    out.push({ method, type, bytes: build(null, (p) => `n-${p.name}`), what: "all" });
    for (const p of paths) {
      out.push({ method, type, bytes: build(p.name, (q) => `n-${q.name}`), what: `${p.name} missing`, absent: p.name });
      out.push({ method, type, bytes: build(null, (q) => (q === p ? " " : `n-${q.name}`)), what: `${p.name} blank`, absent: p.name });
      out.push({ method, type, bytes: build(null, (q) => (q === p ? `%RETRY%r-${q.name}` : `n-${q.name}`)), what: `${p.name} retry` });
    }
  }
  if (method === "Heartbeat") {
    for (const t of [0, 1, 3, 4]) out.push({ method, type, bytes: concat([at([1], "g"), message([[2, t]])]), what: `client type ${t}` });
  }
  if (method === "SendMessage") out.push({ method, type, bytes: concat([at([1, 1], "t1"), at([1, 1], "t2")]), what: "two topics" });
  if (method === "Telemetry") out.push({ method, type, bytes: message([[3, message([[1, new TextEncoder().encode("nonce")]])]]), what: "a thread stack trace" });
  return out;
}

function mismatch(p: Probe, mine: Requirements, theirs: OracleAnswer): string | null {
  const rule = rules.get(p.method)!;
  if (!mine.known) return "a method reported unknown";
  if ("error" in theirs) return mine.unreadable === undefined ? `RocketMQ refuses (${theirs.error}), the mesh judged it` : null;
  const expected = theirs.contexts.map(sortedContext).sort();
  if (mine.unreadable !== undefined) {
    const required = rule.paths.some((q) => q.name === p.absent && q.flags & PATH_REQUIRED);
    return required ? null : `mesh refused (${mine.unreadable}) what RocketMQ judges as ${JSON.stringify(expected)}`;
  }
  const got = mine.items.filter((i) => !i.meshOnly).map((i) => contextKey(i, DEFAULT_CLUSTER)).sort();
  return JSON.stringify(got) === JSON.stringify(expected) ? null : `mesh ${JSON.stringify(got)} vs RocketMQ ${JSON.stringify(expected)}`;
}

describe("the gRPC method map", () => {
  it("maps every MessagingService method, and every Resource its request can hold", () => {
    expect(facts.protoJar).toMatch(/^rocketmq-proto-/);
    expect(facts.grpc.length).toBeGreaterThan(10);
    for (const f of facts.grpc) {
      const rule = rules.get(f.name);
      expect(rule, f.name).toBeDefined();
      for (const r of f.resources) {
        const mapped = rule!.paths.some((p) => JSON.stringify(p.numbers) === JSON.stringify(r.numbers));
        const ignored = rule!.ignored.some((i) => i.startsWith(`${r.path}:`));
        expect(mapped || ignored, `${f.name} ${r.path}`).toBe(true);
      }
      for (const p of rule!.paths) expect(f.resources.map((r) => JSON.stringify(r.numbers)), `${f.name} ${p.name}`).toContain(JSON.stringify(p.numbers));
    }
  });

  it("names what RocketMQ's own authorization names, for requests built for every method", async () => {
    const all = facts.grpc.flatMap((f) => probes(f.name, f.request.slice(f.request.lastIndexOf(".") + 1)));
    const theirs = await rocketmqOracle(all.map((p) => grpcLine(p.type, p.bytes)));
    const problems = all.flatMap((p, i) => {
      const why = mismatch(p, JSON.parse(m.grpcRequirements(p.method, p.bytes)), theirs[i]);
      return why ? [`${p.method} (${p.what}): ${why}`] : [];
    });
    expect(problems).toEqual([]);
    expect(theirs.filter((t) => "contexts" in t && t.contexts.length > 0).length).toBeGreaterThan(all.length / 3);
  }, 600_000);

  it("names what RocketMQ names for every request rocketmq-client-nodejs sent", async () => {
    const rec: GrpcRecording = JSON.parse(readFileSync(new URL("../recordings/rocketmq-grpc/nodejs.json", import.meta.url), "utf8"));
    const types = new Map(facts.grpc.map((f) => [f.name, f.request.slice(f.request.lastIndexOf(".") + 1)]));
    const all: Probe[] = [];
    for (const call of rec.calls) {
      const method = call.path.slice(call.path.lastIndexOf("/") + 1);
      const body = Buffer.concat(call.request.map((c) => Buffer.from(c, "base64")));
      for (let pos = 0; pos + 5 <= body.length; pos += 5 + body.readUInt32BE(pos + 1)) {
        all.push({ method, type: types.get(method)!, bytes: body.subarray(pos + 5, pos + 5 + body.readUInt32BE(pos + 1)), what: "recorded" });
      }
    }
    // A producer and a simple consumer: routes, settings, sends, receives, acks, goodbyes.
    expect(new Set(all.map((p) => p.method))).toEqual(new Set(["QueryRoute", "SendMessage", "Telemetry", "ReceiveMessage", "AckMessage", "NotifyClientTermination"]));
    const theirs = await rocketmqOracle(all.map((p) => grpcLine(p.type, p.bytes)));
    all.forEach((p, i) => {
      const mine = JSON.parse(m.grpcRequirements(p.method, p.bytes)) as Requirements;
      expect(mine.unreadable, p.method).toBeUndefined();
      expect(mismatch(p, mine, theirs[i]), p.method).toBeNull();
    });
  }, 600_000);

  it("judges the group of consumer types newer than RocketMQ 5.3 knows (lite consumers)", () => {
    for (const type of [5, 6, 99]) {
      const r = JSON.parse(m.grpcRequirements("Heartbeat", concat([at([1], "g"), message([[2, type]])]))) as Requirements;
      expect(r.items.map((i) => [i.type, i.name, i.actions])).toEqual([["Group", "g", "Sub"]]);
    }
  });

  it("judges every message of a batch, and refuses a send without messages", () => {
    const two = JSON.parse(m.grpcRequirements("SendMessage", concat([at([1, 1], "a"), at([1, 1], "b"), at([1, 1], "a")]))) as Requirements;
    expect(two.items.map((i) => [i.name, i.actions, i.meshOnly])).toEqual([["a", "Pub", false], ["b", "Pub", true]]);
    expect(JSON.parse(m.grpcRequirements("SendMessage", new Uint8Array(0))).unreadable).toBeDefined();
    // A message without a topic field at all, next to one with a topic.
    const missing = concat([at([1, 1], "a"), message([[1, message([[4, new Uint8Array([1])]])]])]);
    expect(JSON.parse(m.grpcRequirements("SendMessage", missing)).unreadable).toBeDefined();
  });

  it("refuses an unknown method, and never traps on hostile messages", () => {
    expect(JSON.parse(m.grpcRequirements("NoSuchMethod", new Uint8Array(0))).known).toBe(false);
    const names = [...rules.keys()];
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.nat(9))), { maxLength: 5 })
        .map((fields) => message(fields as Field[])),
    );
    fc.assert(fc.property(fc.constantFrom(...names), bytes, fc.nat(64), (method, b, cut) => {
      for (const input of [b, b.subarray(0, cut)]) {
        const r = JSON.parse(m.grpcRequirements(method, input)) as Requirements;
        expect(r.known).toBe(true);
        for (const it of r.items) expect(it.name.trim()).not.toBe("");
      }
    }), { numRuns: 3000 });
  });
});
