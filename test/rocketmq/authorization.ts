// Typed handle on the rocketmq_authorization fixture, and how its answers are
// compared with RocketMQ's own authorization contexts (rocketmq_facts.ts).
import { freshModule } from "../../scripts/compile.ts";
import { loadPureModule } from "../support/pure-module.ts";
import type { OracleAnswer } from "./rocketmq_facts.ts";

export interface Requirement {
  type: "Topic" | "Group" | "Cluster";
  name: string;
  actions: string; // "Pub,Sub"
  source: string;
  meshOnly: boolean;
}

export interface Requirements {
  known: boolean;
  unreadable?: string;
  items: Requirement[];
  decodeError?: string;
}

export interface FieldRule { key: string; type: string; actions: string; flags: number }

export interface CodeRule {
  code: number;
  name: string;
  kind: number;
  servedBy: number;
  note: string;
  body: number;
  bodyActions: string;
  bodyMeshOnly: boolean;
  answer: number;
  clusterActions: string;
  clusterKey: string;
  clusterMeshOnly: boolean;
  fields: FieldRule[];
}

export interface AuthorizationFixture {
  codeRules(): string;
  frameRequirements(frame: Uint8Array): string;
  requirements(code: number, ext: string, body: Uint8Array): string;
  grpcMethods(): string;
  grpcRequirements(method: string, message: Uint8Array): string;
  filterList(code: number, body: Uint8Array, hidden: string): string;
  filteredBody(): Uint8Array;
  remotingCaller(frame: Uint8Array): string;
  grpcAccessKey(authorization: string): string;
}

export const KIND = { RESOURCES: 1, CLUSTER: 2, LISTING: 3, UNSERVED: 4 } as const;
export const FLAG = { REQUIRED: 1, RETRY_AS_GROUP: 2, RETRY_GROUP_SUB: 4, SKIP_RETRY: 8, SPLIT_SEMICOLON: 16, SPLIT_COMMA: 32, MESH: 64 } as const;

/** The cluster name the oracle gives a cluster-wide resource (AuthorizationFacts.CLUSTER). */
export const DEFAULT_CLUSTER = "DefaultCluster";

/** The remoting code map by code. */
export function codeRulesOf(m: AuthorizationFixture): Map<number, CodeRule> {
  return new Map((JSON.parse(m.codeRules()) as CodeRule[]).map((r) => [r.code, r]));
}

export async function loadAuthorization(): Promise<AuthorizationFixture> {
  await freshModule({ entry: "test/fixtures/rocketmq_authorization.ts", out: "build/fixtures/rocketmq_authorization.wasm", bindings: true });
  return (await loadPureModule<AuthorizationFixture>("rocketmq_authorization")).exports;
}

/** RocketMQ's resource key and upper-case actions, as the oracle prints a context: "Topic:t PUB,SUB". */
export function contextKey(r: Requirement, defaultCluster: string): string {
  const name = r.type === "Cluster" && r.name === "" ? defaultCluster : r.name;
  const actions = r.actions.split(",").map((a) => a.toUpperCase()).sort().join(",");
  return `${r.type}:${name} ${actions}`;
}

/** An oracle context with its actions sorted, for comparison. */
export function sortedContext(c: string): string {
  const space = c.lastIndexOf(" ");
  return `${c.slice(0, space)} ${c.slice(space + 1).split(",").sort().join(",")}`;
}

/** The resource name of an oracle context ("Topic:t PUB" -> "t"). */
export function contextName(c: string): string {
  return c.slice(c.indexOf(":") + 1, c.lastIndexOf(" "));
}

// Where the mesh deliberately differs from RocketMQ 5.3's builder:
// - A resource field the map requires (REQUIRED) and the request lacks makes
//   the request unreadable: refused. RocketMQ's header decoder only logs a
//   missing @CFNotNull field, so its builder then judges the other fields.
// - A body the map reads that is missing or not JSON: refused.
// - A blank optional field names nothing for the mesh; RocketMQ judges a
//   resource named "", which no literal policy matches.
// - Without a cluster named in the header the mesh judges the cluster it
//   fronts; RocketMQ does so only for annotations that say CLUSTER.
// SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE to "%RETRY%g": RocketMQ
// judges the group in header "group" ("a" for V2) when there is one; the mesh
// judges g, the group whose retry topic it is.
export const RETRY_SEND: Record<number, [topic: string, group: string]> = { 10: ["topic", "group"], 310: ["b", "a"], 320: ["b", "a"] };

export interface Probe {
  code: number;
  ext: [string, string][];
  body?: Uint8Array;
  what: string;
  absent?: string; // the field left out or blank
}

const blankName = (c: string) => /^\s*$|^null$/.test(contextName(c));

/** Compares the mesh's answer with RocketMQ's; returns why they differ, or null. */
export function mismatch(p: Probe, rule: CodeRule, mine: Requirements, theirs: OracleAnswer): string | null {
  if (rule.kind === KIND.UNSERVED) return mine.known ? "an unserved code must be refused" : null;
  if (!mine.known) return "a served code reported unknown";
  if ("error" in theirs) return null; // RocketMQ refuses the request itself
  const ext = new Map(p.ext);
  let expected = theirs.contexts.map(sortedContext);
  if (p.ext.length === 0) {
    // RocketMQ checks nothing for a request without header fields; the mesh still does.
    return expected.length === 0 ? null : `RocketMQ judged a request without header fields: ${expected}`;
  }
  if (mine.unreadable !== undefined) {
    const requiredAbsent = rule.fields.some((f) => f.key === p.absent && f.flags & FLAG.REQUIRED);
    const noBody = rule.body !== 0 && (p.body ?? []).length === 0;
    if (expected.some(blankName) || requiredAbsent || noBody) return null;
    return `mesh refused (${mine.unreadable}) what RocketMQ judges as ${JSON.stringify(expected)}`;
  }
  expected = expected.map((c) => (c.startsWith("Cluster:") && blankName(c) ? `Cluster:${DEFAULT_CLUSTER} ${c.split(" ")[1]}` : c));
  expected = expected.filter((c) => !blankName(c));
  let got = mine.items.filter((i) => !i.meshOnly).map((i) => contextKey(i, DEFAULT_CLUSTER));
  if (p.absent !== undefined && p.absent === rule.clusterKey) {
    got = got.filter((c) => !c.startsWith("Cluster:"));
    expected = expected.filter((c) => !c.startsWith("Cluster:"));
  }
  const retry = RETRY_SEND[p.code];
  const retryTopic = retry ? ext.get(retry[0]) ?? "" : "";
  if (retry && retryTopic.startsWith("%RETRY%") && (ext.get(retry[1]) ?? "").trim() !== "") {
    expected = expected.map((c) => (c === `Group:${ext.get(retry[1])} SUB` ? `Group:${retryTopic.slice(7)} SUB` : c));
  }
  const a = [...got].sort(), b = [...expected].sort();
  return JSON.stringify(a) === JSON.stringify(b) ? null : `mesh ${JSON.stringify(a)} vs RocketMQ ${JSON.stringify(b)}`;
}

/** One request of a recorded connection, with the response that answered it (same opaque). */
export interface Exchange {
  frame: Buffer; // the request frame after its length prefix
  code: number;
  ext: [string, string][];
  body: Buffer;
  response?: { code: number; body: Buffer };
}

function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4 + bytes.readInt32BE(at)) out.push(bytes.subarray(at + 4, at + 4 + bytes.readInt32BE(at)));
  return out;
}

function jsonHeaderOf(frame: Buffer): { header: any; body: Buffer } {
  const len = frame.readUInt32BE(0) & 0xffffff;
  return { header: JSON.parse(frame.subarray(4, 4 + len).toString("utf8")), body: frame.subarray(4 + len) };
}

/** The client requests of recorded remoting connections (JSON headers), each with its answer. */
export function exchanges(connections: { direction: "request" | "response"; base64: string }[][]): Exchange[] {
  const out: Exchange[] = [];
  for (const conn of connections) {
    const side = (d: string) => Buffer.concat(conn.filter((c) => c.direction === d).map((c) => Buffer.from(c.base64, "base64")));
    const answers = new Map<number, { code: number; body: Buffer }>();
    for (const f of framesOf(side("response"))) {
      const { header, body } = jsonHeaderOf(f);
      if ((header.flag ?? 0) & 1) answers.set(header.opaque, { code: header.code, body });
    }
    for (const f of framesOf(side("request"))) {
      const { header, body } = jsonHeaderOf(f);
      if ((header.flag ?? 0) & 1) continue; // a client's answer to a server's request
      out.push({ frame: f, code: header.code, ext: Object.entries<string>(header.extFields ?? {}), body, response: answers.get(header.opaque) });
    }
  }
  return out;
}
