// What a policy gets from the codec, for every API and version: the scan
// reports every resource a request names (checked against the schema's own
// entityType annotations and TopicId fields, walked here independently),
// drops denied entries into a denied part, the API's error response carries
// the error for every entry a request names, and merged into the answer to
// the rest it answers the denied entries and only those. Requests come from the
// independent encoder (wire.ts); responses the codec writes are read back
// with its independent decoder.
import { beforeAll, describe, expect, it } from "vitest";
import { DYNAMIC_RESOURCES, EXTRA_RESOURCES } from "../../scripts/kafka-codegen/exceptions.ts";
import {
  SCHEMAS, type Value, decodeRequestFrame, decodeResponseFrame, isFlexible, randomStruct, requestFrame, rngFrom, versionsOf,
} from "./wire.ts";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";
import type { SchemaField } from "./schema.gen.ts";

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

const inRange = (r: [number, number], v: number) => v >= r[0] && v <= r[1];
const ENTITY: Record<string, string> = { topicName: "Topic", groupId: "Group", transactionalId: "TransactionalId" };
// The numberings Kafka gives a resource type on the wire (ConfigResource.Type,
// the ACL ResourceType, FindCoordinator's CoordinatorType).
const FAMILY: Record<string, Record<number, string>> = {
  Config: { 2: "Topic", 4: "Broker", 8: "Broker", 16: "ClientMetrics", 32: "Group" },
  Acl: { 2: "Topic", 3: "Group", 4: "Cluster", 5: "TransactionalId", 6: "DelegationToken", 7: "User" },
  Coordinator: { 0: "Group", 1: "TransactionalId" },
};

interface Ref { type: string; name: string; field: string; removable?: boolean; denied?: boolean }
const key = (r: Ref) => `${r.type}|${r.name}|${r.field}`;
const sorted = (refs: Ref[]) => refs.map(key).sort();

// Every resource the value names, walking the schema.
function namedResources(api: string, fields: SchemaField[], val: Value, v: number, path = ""): Ref[] {
  const out: Ref[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, v) || !(f.name in val)) continue;
    const x = val[f.name];
    const p = path + f.name;
    const elem = f.type.replace("[]", "");
    const extra = EXTRA_RESOURCES.find((e) => e.api === api && e.path === p);
    const dyn = DYNAMIC_RESOURCES.find((d) => d.api === api && d.namePath === p);
    let type: string | undefined = extra?.type ?? (f.entityType ? ENTITY[f.entityType] : undefined);
    if (elem === "uuid" && f.name === "TopicId") type = "TopicId";
    if (dyn) type = FAMILY[dyn.family][(val[dyn.typePath.split(".").pop()!] as number | undefined) ?? 0] ?? "Other";
    if (type) {
      for (const one of Array.isArray(x) ? x : [x]) {
        if (one !== null) out.push({ type, name: one instanceof Uint8Array ? hex(one) : String(one), field: p });
      }
    }
    if (f.fields && x !== null) for (const e of Array.isArray(x) ? x : [x]) out.push(...namedResources(api, f.fields, e as Value, v, p + "."));
  }
  return out;
}

interface Scan { refs: Ref[]; whole: boolean; visited: number; allowed: string; denied: string | null; error?: string }
// Each denied name on a line of its own behind ">" (names may be empty).
const scan = (frame: Uint8Array, deny: string[]) => JSON.parse(codec.scanResources(frame, deny.map((d) => ">" + d).join("\n"))) as Scan;
const frameOf = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

// A few random requests of each API and version, some with entries.
function requests(api: string, v: number, count: number): { body: Value; frame: Uint8Array }[] {
  const m = SCHEMAS[api][api + "Request"];
  const rng = rngFrom(m.apiKey * 7919 + v * 13 + 5);
  return Array.from({ length: count }, (_, i) => {
    const body = randomStruct(m.fields, v, isFlexible(m, v), rng);
    return { body, frame: requestFrame(api, v, body, 500 + i, "policy-test") };
  });
}

for (const api of Object.keys(SCHEMAS)) {
  const req = SCHEMAS[api][api + "Request"];
  describe(api, () => {
    it("reports every resource each version's requests name, and only those", () => {
      for (const v of versionsOf(api, "Request")) {
        for (const { body, frame } of requests(api, v, 8)) {
          const s = scan(frame, []);
          expect(s.error, `${api} v${v}`).toBeUndefined();
          expect(sorted(s.refs), `${api} v${v}`).toEqual(sorted(namedResources(api, req.fields, body, v)));
          expect(s.whole).toBe(false);
          expect(s.denied).toBeNull();
          expect(s.allowed).toBe(hex(frame));
        }
      }
    });

    it("drops denied entries into the denied part, or refuses the request whole", () => {
      for (const v of versionsOf(api, "Request")) {
        for (const { frame } of requests(api, v, 8)) {
          const before = scan(frame, []).refs;
          const names = [...new Set(before.map((r) => r.name))];
          const deny = names.filter((_, i) => i % 2 === 0);
          const s = scan(frame, deny);
          expect(s.refs.map((r) => r.denied)).toEqual(before.map((r) => deny.includes(r.name)));
          expect(s.whole, `${api} v${v}`).toBe(s.refs.some((r) => r.denied && !r.removable));
          if (s.whole) continue;
          const allowed = decodeRequestFrame(frameOf(s.allowed)).body;
          const kept = namedResources(api, req.fields, allowed, v);
          expect(kept.filter((r) => deny.includes(r.name)), `${api} v${v}`).toEqual([]);
          const dropped = s.denied === null ? [] : namedResources(api, req.fields, decodeRequestFrame(frameOf(s.denied)).body, v);
          const after = new Set([...kept, ...dropped].map(key));
          for (const r of before) expect(after.has(key(r)), `${api} v${v} lost ${key(r)}`).toBe(true);
          for (const r of s.refs.filter((x) => x.denied)) expect(dropped.map(key), `${api} v${v}`).toContain(key(r));
        }
      }
    });

    it("answers every entry with the error code, at its oldest and newest version", () => {
      const versions = versionsOf(api, "Request");
      for (const v of [versions[0], versions[versions.length - 1]]) {
        for (const { frame } of requests(api, v, 12)) {
          const answer = codec.errorResponseFor(frame, CODE);
          expect(answer.length, `${api} v${v}`).toBeGreaterThan(0);
          const { correlationId, body: response } = decodeResponseFrame(api, v, answer);
          expect(correlationId).toBe(decodeRequestFrame(frame).correlationId);
          const fields = SCHEMAS[api][api + "Response"].fields;
          expect(topLevelCode(fields, response, v), `${api} v${v}`).toBe(true);
          for (const r of scan(frame, []).refs) expect(carries(fields, response, v, r, CODE), `${api} v${v} ${key(r)}`).toBe(true);
        }
      }
    });

    it("merges the denied part's answer into the answer to the rest", () => {
      const fields = SCHEMAS[api][api + "Response"].fields;
      for (const v of versionsOf(api, "Request")) {
        for (const { frame } of requests(api, v, 8)) {
          const before = scan(frame, []).refs;
          const deny = [...new Set(before.map((r) => r.name))].filter((_, i) => i % 2 === 1);
          const s = scan(frame, deny);
          const { body: response } = decodeResponseFrame(api, v, codec.answerDenied(frame, deny.map((d) => ">" + d).join("\n"), CODE));
          if (s.whole) {
            for (const r of before) expect(carries(fields, response, v, r, CODE), `${api} v${v} ${key(r)}`).toBe(true);
            continue;
          }
          const kept = namedResources(api, req.fields, decodeRequestFrame(frameOf(s.allowed)).body, v);
          const keptKeys = new Set(kept.map(key));
          // A name may stand in several entries, some kept: one of them answers 0.
          for (const r of s.refs.filter((x) => x.removable)) {
            if (r.denied) expect(carries(fields, response, v, r, CODE), `${api} v${v} ${key(r)} denied`).toBe(true);
            else if (keptKeys.has(key(r))) expect(answeredAsKept(fields, response, v, r), `${api} v${v} ${key(r)} kept`).toBe(true);
          }
        }
      }
    });
  });
}

const CODE = 29; // TOPIC_AUTHORIZATION_FAILED: any non-zero code does

interface Node { fields: SchemaField[]; val: Value; parent: Node | null }
function nodes(fields: SchemaField[], val: Value, v: number, parent: Node | null = null): Node[] {
  const self: Node = { fields, val, parent };
  const out = [self];
  for (const f of fields) {
    if (!f.fields || !inRange(f.versions, v) || val[f.name] == null) continue;
    const x = val[f.name];
    for (const e of Array.isArray(x) ? x : [x]) out.push(...nodes(f.fields, e as Value, v, self));
  }
  return out;
}
const codesOf = (n: Node, v: number) => n.fields.filter((f) => inRange(f.versions, v) && /^(Partition)?ErrorCode$/.test(f.name) && f.name in n.val).map((f) => n.val[f.name]);

// A response field that can echo the resource r names.
function echoes(f: SchemaField, r: Ref): boolean {
  const last = r.field.split(".").pop()!;
  if (r.type === "TopicId") return f.type === "uuid" && f.name === "TopicId";
  return f.type === "string" && (f.name === last || f.name === "ResourceName" || f.name === "Key" || (f.entityType !== undefined && ENTITY[f.entityType] === r.type));
}

// The response carries the code for r. An entry the scan could drop alone
// (removable) is answered by entries echoing it, each with the code: its own error code, or else those of its
// sub-entries (none for a topic of no partitions, as from Kafka), or, where
// its part of the schema has no error field, its nearest ancestor's.
// Anything else refuses the request whole: every error code in the answer is
// the code.
function carries(fields: SchemaField[], response: Value, v: number, r: Ref, code: number): boolean {
  const all = nodes(fields, response, v);
  if (!r.removable) return all.every((n) => codesOf(n, v).every((c) => c === code));
  const echoing = all.filter((n) => n.fields.some((f) => inRange(f.versions, v) && echoes(f, r) && valueOf(n.val[f.name]) === r.name));
  if (echoing.length === 0) return false;
  return echoing.every((n) => {
    const own = ownCodes(n, v);
    if (own.length > 0) return own.every((c) => c === code);
    if (hasErrorField(n.fields, v)) return nodes(n.fields, n.val, v).flatMap((x) => codesOf(x, v)).every((c) => c === code);
    for (let up = n.parent; up; up = up.parent) if (codesOf(up, v).length) return codesOf(up, v).every((c) => c === code);
    return true;
  });
}
const ownCodes = (n: Node, v: number) => codesOf({ ...n, fields: n.fields.filter((f) => !f.fields) }, v);
// A kept entry (its sub-entries may be denied) is echoed, and its own error code, if any, is none.
function answeredAsKept(fields: SchemaField[], response: Value, v: number, r: Ref): boolean {
  return nodes(fields, response, v).some((n) => n.fields.some((f) => inRange(f.versions, v) && echoes(f, r) && valueOf(n.val[f.name]) === r.name) &&
    ownCodes(n, v).every((c) => c === 0));
}
const hasErrorField = (fs: SchemaField[], v: number): boolean =>
  fs.some((f) => inRange(f.versions, v) && (/^(Partition)?ErrorCode$/.test(f.name) || (f.fields !== undefined && hasErrorField(f.fields, v))));
const valueOf = (x: unknown) => (x instanceof Uint8Array ? hex(x) : x);
// Where the response has a top-level error code, it is the code.
const topLevelCode = (fields: SchemaField[], response: Value, v: number) => codesOf({ fields, val: response, parent: null }, v).every((c) => c === CODE);
