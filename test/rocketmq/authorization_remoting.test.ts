// The remoting code map against RocketMQ 5.3 itself: every RequestCode
// constant of the published jar is classified, every resource its header
// annotations name is judged, and for requests built for every code (and the
// recorded traffic of real clients) the mesh names the same resources and
// actions as RocketMQ's own authorization builder, run as an oracle, except
// where the mesh is deliberately stricter (listed below with the reason).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { command, jsonFrame } from "./remoting.ts";
import { remotingLine, rocketmqFacts, rocketmqOracle, type Facts, type HeaderFact } from "./rocketmq_facts.ts";
import {
  exchanges, FLAG, KIND, codeRulesOf, loadAuthorization, mismatch, RETRY_SEND,
  type AuthorizationFixture, type CodeRule, type Probe, type Requirements,
} from "./authorization.ts";
import { loadRecording } from "../support/recordings.ts";

let m: AuthorizationFixture;
let facts: Facts;
let rules: Map<number, CodeRule>;

beforeAll(async () => {
  [m, facts] = await Promise.all([loadAuthorization(), rocketmqFacts()]);
  rules = codeRulesOf(m);
}, 900_000);

const headerOf = (code: number): HeaderFact | undefined => facts.headers.find((h) => h.code === code);

describe("the code map covers RocketMQ 5.3", () => {
  it("classifies every RequestCode constant of the rocketmq-remoting jar, and no other code", () => {
    expect(facts.rocketmq).toBe("V5_3_3");
    expect(facts.requestCodes.length).toBeGreaterThan(100);
    for (const { name, code } of facts.requestCodes) {
      const rule = rules.get(code);
      expect(rule, `${name} (${code})`).toBeDefined();
      expect(rule!.name, `${code}`).toBe(name);
      expect(Object.values(KIND)).toContain(rule!.kind);
    }
    expect([...rules.keys()].sort((a, b) => a - b)).toEqual(facts.requestCodes.map((c) => c.code).sort((a, b) => a - b));
  });

  it("judges every resource field a header annotation names, required where RocketMQ requires it", () => {
    for (const h of facts.headers) {
      const rule = rules.get(h.code)!;
      for (const f of h.fields) {
        const where = `${rule.name}.${f.name}`;
        if (f.type === "CLUSTER") {
          expect(rule.clusterKey, where).toBe(f.name);
          continue;
        }
        const mine = rule.fields.find((x) => x.key === f.name);
        expect(mine, where).toBeDefined();
        expect(mine!.type.toUpperCase(), where).toBe(f.type);
        if (f.required) expect(mine!.flags & FLAG.REQUIRED, where).toBe(FLAG.REQUIRED);
        expect(mine!.flags & (FLAG.SPLIT_COMMA | FLAG.SPLIT_SEMICOLON), where)
          .toBe(f.splitter === ";" ? FLAG.SPLIT_SEMICOLON : f.splitter === "," ? FLAG.SPLIT_COMMA : 0);
      }
    }
  });
});

// A value RocketMQ's header decoder accepts for a field of this Java type.
function dummy(type: string): string {
  if (/^(Integer|int|Long|long|Short|short)$/.test(type)) return "1";
  if (/^(Boolean|boolean)$/.test(type)) return "false";
  return "x";
}

/** Requests for one code: its resource fields set, each also retried, blank and missing, lists split. */
function probes(rule: CodeRule): Probe[] {
  const h = headerOf(rule.code);
  const base = new Map<string, string>((h?.requiredFields ?? []).map((f) => [f.name, dummy(f.type)]));
  const keys = new Set<string>([...(h?.fields ?? []).map((f) => f.name), ...rule.fields.map((f) => f.key)]);
  if (rule.clusterKey) keys.add(rule.clusterKey);
  if (RETRY_SEND[rule.code]) keys.add(RETRY_SEND[rule.code][1]);
  const split = new Set([...(h?.fields ?? []).filter((f) => f.splitter).map((f) => f.name),
    ...rule.fields.filter((f) => f.flags & (FLAG.SPLIT_COMMA | FLAG.SPLIT_SEMICOLON)).map((f) => f.key)]);
  const full = new Map(base);
  for (const k of keys) full.set(k, split.has(k) ? `n1-${k};n2-${k},n3-${k}` : `n-${k}`);
  const out: Probe[] = [{ code: rule.code, ext: [...full], what: "all fields" }];
  if (base.size === 0 && keys.size === 0) out.push({ code: rule.code, ext: [["bname", "b"]], what: "an unrelated field" });
  for (const k of keys) {
    const variant = (v: string | null, what: string) => {
      const e = new Map(full);
      if (v === null) e.delete(k);
      else e.set(k, v);
      out.push({ code: rule.code, ext: [...e], what: `${k} ${what}`, absent: v === null || v.trim() === "" ? k : undefined });
    };
    variant(`%RETRY%r-${k}`, "a retry topic");
    variant("", "blank");
    variant(" ", "whitespace");
    variant(null, "missing");
    if (split.has(k)) variant(`;%RETRY%s-${k},,p-${k};`, "a list with empty pieces");
  }
  return out;
}

describe("the mesh names what RocketMQ's own authorization names", () => {
  it("for requests built for every code from RocketMQ's header classes", async () => {
    const all = [...rules.values()].flatMap(probes);
    const frames = all.map((p) => jsonFrame(command({ code: p.code, opaque: 1, version: 479, ext: p.ext, body: p.body ?? new Uint8Array(0) })));
    const theirs = await rocketmqOracle(frames.map(remotingLine));
    const problems: string[] = [];
    let compared = 0;
    frames.forEach((f, i) => {
      const p = all[i];
      const mine = JSON.parse(m.frameRequirements(f)) as Requirements;
      expect(mine.decodeError, p.what).toBeUndefined();
      if (!("error" in theirs[i])) compared++;
      const why = mismatch(p, rules.get(p.code)!, mine, theirs[i]);
      if (why) problems.push(`${rules.get(p.code)!.name} (${p.what}): ${why}`);
    });
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(all.length / 2);
  }, 600_000);

  it("where the map says RocketMQ 5.3 checks nothing, RocketMQ's builder indeed names nothing", async () => {
    const unchecked = [...rules.values()].filter((r) =>
      r.kind === KIND.LISTING ||
      (r.kind !== KIND.UNSERVED && (r.clusterActions === "" || r.clusterMeshOnly) && (r.body === 0 || r.bodyMeshOnly) &&
        r.fields.every((f) => f.flags & FLAG.MESH)));
    expect(unchecked.length).toBeGreaterThan(20);
    const all = unchecked.flatMap(probes).filter((p) => p.what === "all fields");
    const theirs = await rocketmqOracle(all.map((p) => remotingLine(jsonFrame(command({ code: p.code, opaque: 1, ext: p.ext })))));
    all.forEach((p, i) => {
      const t = theirs[i];
      expect("error" in t ? [] : t.contexts, rules.get(p.code)!.name).toEqual([]);
    });
  }, 600_000);

  it("for every request real Java clients sent through a name server, broker and proxy", async () => {
    type Connections = { direction: "request" | "response"; base64: string }[][];
    const admin = loadRecording<{ steps: { connections: Connections }[] }>("rocketmq", "admin");
    const all = [
      ...["broker", "proxy"].flatMap((name) => exchanges(loadRecording<{ connections: Connections }>("rocketmq", name).connections)),
      ...exchanges(admin.steps.flatMap((s) => s.connections)),
    ];
    const theirs = await rocketmqOracle(all.map((e) => remotingLine(e.frame)));
    all.forEach((e, i) => {
      const mine = JSON.parse(m.frameRequirements(e.frame)) as Requirements;
      expect(mine.unreadable, `${e.code}`).toBeUndefined();
      expect(mismatch({ code: e.code, ext: e.ext, body: e.body, what: "recorded" }, rules.get(e.code)!, mine, theirs[i]), `${e.code}`).toBeNull();
    });
    // Producers, consumers and mqadmin: sends, pulls, offsets, heartbeats,
    // routes, listings, topic and group administration.
    expect(new Set(all.map((e) => e.code))).toEqual(new Set([14, 15, 34, 35, 38, 105, 106, 200, 202, 206, 208, 215, 216, 224, 300, 304, 305, 310, 311, 312, 313, 343, 351, 361]));
  }, 600_000);
});

describe("hostile frames", () => {
  it("never trap the module: recorded frames cut, corrupted and padded are judged or refused", () => {
    type Connections = { direction: "request" | "response"; base64: string }[][];
    const admin = loadRecording<{ steps: { connections: Connections }[] }>("rocketmq", "admin");
    const frames = exchanges(admin.steps.flatMap((s) => s.connections)).map((e) => e.frame);
    fc.assert(fc.property(fc.constantFrom(...frames), fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 8 }), (f, at, byte, pad) => {
      const i = at % f.length;
      const flipped = Uint8Array.from(f);
      flipped[i] = byte;
      for (const input of [f.subarray(0, i), flipped, Uint8Array.from([...f, ...pad])]) {
        const r = JSON.parse(m.frameRequirements(input)) as Requirements;
        if (r.decodeError === undefined && r.known) for (const it of r.items) if (it.type !== "Cluster") expect(it.name).not.toBe("");
      }
    }), { numRuns: 3000 });
  });
});
