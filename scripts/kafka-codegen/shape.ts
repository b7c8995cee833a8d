// Where a request names resources, and how its response answers each entry:
// the analysis behind the generated resource scans and error responses.
//
// Resources come from entityType annotations (topicName, groupId,
// transactionalId), uuid fields named TopicId (the JSON does not annotate
// them) and the hand-written entries of exceptions.ts. A request array is
// paired with the response array that answers it entry for entry: same
// name, or an element that echoes the request element's key (a topic name
// or id, group, partition index...). Entries of a paired array can be
// dropped from a request one by one; everything else a request names stands
// or falls with the request.
import type { Field, Struct } from "./model.ts";
import { liveFields } from "./codec.ts";
import { DYNAMIC_RESOURCES, ENTITY_TYPES, EXTRA_RESOURCES, PARTITION_FIELDS, RESPONSE_MATCHES } from "./exceptions.ts";

export interface Site {
  field: Field;
  path: string; // dotted JSON path from the request, e.g. "Topics.Name"
  type: string; // ResourceType member: Topic, TopicId, Group, TransactionalId; "" when dynamic
  pattern: boolean;
  dynamic: { family: string; typeField: Field } | null;
}

export interface Pair { req: Field; resp: Field; keyed: boolean }

// Names of fields that identify an entry: an answer echoes them.
const KEY_NAMES = new Set(["Name", "Topic", "TopicName", "GroupId", "TransactionalId", "ResourceType", "ResourceName", "Key", "MemberId", "GroupInstanceId"]);
// Keys that pair a request array with a response array. Not a bare name:
// a config's Name, say, is not answered entry for entry.
const PAIR_NAMES = new Set(["ResourceName", "MemberId"]);

// What kind of key a field is, or null when it is not one.
export function keyClass(f: Field): string | null {
  const t = f.type === "array" ? f.elem : f.type;
  if (f.entityType && ENTITY_TYPES[f.entityType]) return "entity:" + f.entityType;
  if (t === "uuid" && /^TopicIds?$/.test(f.name)) return "topicId";
  if (t === "int32" && PARTITION_FIELDS.has(f.name)) return "partition";
  if (KEY_NAMES.has(f.name)) return "name:" + f.name + ":" + t;
  return null;
}

// A key that pairs arrays: resources, partitions, a few names, and (in a
// struct entry, never as a list of filters) a producer id.
function pairKey(f: Field, inStruct: boolean): string | null {
  if (inStruct && f.entityType === "producerId") return "entity:producerId";
  const k = keyClass(f);
  if (k === null || !k.startsWith("name:")) return k;
  return PAIR_NAMES.has(f.name) ? k : null;
}
// Response field sf takes the value of request field qf in an answer.
export function sameKey(qf: Field, sf: Field): boolean {
  const q = keyClass(qf);
  const s = keyClass(sf);
  if (q === null || s === null) return false;
  const qt = qf.type === "array" ? qf.elem : qf.type;
  if (qt !== sf.type) return false;
  if (q === s) return true;
  // an annotated field and an unannotated one of the same name
  return q.startsWith("entity:") !== s.startsWith("entity:") && qf.name === sf.name;
}

// The pairing keys of an array's entries, as [field, key] pairs.
function entryKeys(f: Field): [Field, string][] {
  if (!f.struct) {
    const k = pairKey(f, false);
    return k ? [[f, k]] : [];
  }
  const out: [Field, string][] = [];
  for (const x of liveFields(f.struct)) {
    const k = x.type === "array" || x.type === "struct" ? null : pairKey(x, true);
    if (k) out.push([x, k]);
  }
  return out;
}
const shareKey = (q: [Field, string][], s: [Field, string][]) => q.some(([, a]) => s.some(([, b]) => a === b));

// Request arrays of `rq` paired with response arrays of `rs`.
export function pairs(api: string, rq: Struct, rs: Struct, reqPath: string): Pair[] {
  const out: Pair[] = [];
  const respArrays = liveFields(rs).filter((f) => f.type === "array" && f.struct);
  for (const qf of liveFields(rq)) {
    if (qf.type !== "array") continue;
    const path = reqPath + qf.name;
    const manual = RESPONSE_MATCHES.find((m) => m.api === api && m.request === path);
    if (manual?.response === null) continue;
    if (manual) {
      const sf = respArrays.find((f) => f.name === manual.response!.split(".").pop());
      if (!sf) throw new Error(`${api}: no response array ${manual.response}`);
      out.push({ req: qf, resp: sf, keyed: !manual.positional });
      continue;
    }
    const keys = entryKeys(qf);
    const keyed = respArrays.filter((sf) => shareKey(keys, entryKeys(sf)));
    const byName = keyed.filter((sf) => sf.name === qf.name);
    const pick = byName.length === 1 ? byName[0] : keyed.length === 1 ? keyed[0] : null;
    if (pick && (pick.versions[0] > qf.versions[0] || pick.versions[1] < qf.versions[1])) throw new Error(`${api}: ${path} is answered by ${pick.name} only in some versions`);
    if (pick) out.push({ req: qf, resp: pick, keyed: true });
    else if (keyed.length > 1) throw new Error(`${api}: ${path} could pair with ${keyed.map((f) => f.name).join(", ")}; say which in exceptions.ts`);
  }
  return out;
}

// The resource a field names, if any.
function siteOf(api: string, st: Struct, f: Field, path: string): Site | null {
  const extra = EXTRA_RESOURCES.find((e) => e.api === api && e.path === path);
  if (extra) return { field: f, path, type: extra.type, pattern: extra.pattern ?? false, dynamic: null };
  const dyn = DYNAMIC_RESOURCES.find((d) => d.api === api && d.namePath === path);
  if (dyn) {
    const typeName = dyn.typePath.split(".").pop()!;
    const typeField = st.fields.find((x) => x.name === typeName);
    if (!typeField) throw new Error(`${api}: no ${dyn.typePath} beside ${path}`);
    return { field: f, path, type: "", pattern: dyn.pattern ?? false, dynamic: { family: dyn.family, typeField } };
  }
  if (f.entityType) {
    if (!(f.entityType in ENTITY_TYPES)) throw new Error(`${api}: ${path} has entityType ${f.entityType}, unknown to exceptions.ts`);
    const type = ENTITY_TYPES[f.entityType];
    return type ? { field: f, path, type, pattern: false, dynamic: null } : null;
  }
  if (keyClass(f) === "topicId") return { field: f, path, type: "TopicId", pattern: false, dynamic: null };
  return null;
}

// How a request struct names resources: its own sites (which stand or fall
// with the struct), and its paired arrays, whose entries are scanned each.
export interface ScanNode {
  st: Struct; path: string;
  own: Site[]; // sites of this struct and of nested structs/arrays that are not paired
  ownArrays: { field: Field; node: ScanNode | null; sites: Site[] }[]; // unpaired arrays holding sites
  ownStructs: { field: Field; node: ScanNode }[]; // nested non-array structs holding sites
  paired: { pair: Pair; node: ScanNode | null; site: Site | null }[]; // node for struct elements, site for primitive ones
  respStruct: Struct | null;
}

export function scanTree(api: string, st: Struct, resp: Struct | null, path: string): ScanNode {
  const node: ScanNode = { st, path, own: [], ownArrays: [], ownStructs: [], paired: [], respStruct: resp };
  const ps = resp ? pairs(api, st, resp, path) : [];
  for (const f of liveFields(st)) {
    const fpath = path + f.name;
    const pair = ps.find((p) => p.req === f);
    if (f.type === "struct") {
      const sub = scanTree(api, f.struct!, null, fpath + ".");
      if (hasSites(sub)) node.ownStructs.push({ field: f, node: sub });
    } else if (f.type === "array" && f.struct) {
      const sub = scanTree(api, f.struct, pair ? pair.resp.struct : null, fpath + ".");
      if (pair) node.paired.push({ pair, node: sub, site: null });
      else if (hasSites(sub)) node.ownArrays.push({ field: f, node: sub, sites: [] });
    } else {
      const site = siteOf(api, st, f, fpath);
      if (pair) node.paired.push({ pair, node: null, site });
      else if (site && f.type === "array") node.ownArrays.push({ field: f, node: null, sites: [site] });
      else if (site) node.own.push(site);
    }
  }
  return node;
}

export function hasSites(n: ScanNode): boolean {
  return n.own.length > 0 || n.ownArrays.length > 0 || n.ownStructs.length > 0 || n.paired.some((p) => p.site !== null || (p.node !== null && hasSites(p.node)));
}

// Every site of the tree with whether its entry can be dropped alone (for
// the generated listing, resources.md).
export function allSites(n: ScanNode, removable = false): { site: Site; removable: boolean }[] {
  const out = n.own.map((site) => ({ site, removable }));
  for (const s of n.ownStructs) out.push(...allSites(s.node, removable).map((x) => ({ ...x, removable })));
  for (const a of n.ownArrays) {
    out.push(...a.sites.map((site) => ({ site, removable })));
    if (a.node) out.push(...allSites(a.node, removable).map((x) => ({ ...x, removable })));
  }
  for (const p of n.paired) {
    const r = p.pair.keyed;
    if (p.site) out.push({ site: p.site, removable: r });
    if (p.node) out.push(...allSites(p.node, r));
  }
  return out;
}
