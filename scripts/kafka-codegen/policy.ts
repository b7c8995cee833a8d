// Emits, per API, what a policy needs besides the codec: the scan of the
// resources a request names (dropping denied entries into a "denied part")
// and the response that answers every entry of a request with one error code.
// The analysis is shape.ts; this file only writes it out.
import type { Api } from "../kafka-codegen.ts";
import { type Field, type Struct, cond, nullableEver } from "./model.ts";
import { elemType, flexOf, liveFields } from "./codec.ts";
import { ERROR_CODE_FIELDS, RESPONSE_MATCHES } from "./exceptions.ts";
import { type ScanNode, type Site, hasSites, keyClass, sameKey, scanTree } from "./shape.ts";

const lower = (s: string) => s[0].toLowerCase() + s.slice(1);

function siteCall(s: Site, x: string, owner: string, removable: string): string {
  const field = JSON.stringify(s.path);
  if (s.dynamic) {
    return `s.dynamic(DynamicFamily.${s.dynamic.family}, ${owner}.${s.dynamic.typeField.prop}, ${x}, ${field}, ${removable}, ${s.pattern})`;
  }
  if (s.type === "TopicId") return `s.topicId(${x}, ${field}, ${removable})`;
  return `s.name(ResourceType.${s.type}, ${x}, ${field}, ${removable}, ${s.pattern})`;
}

// `{ const a = <expr>; if (a !== null) { ... } }` with the null test only when needed.
function withArray(f: Field, owner: string, body: string[]): string[] {
  if (!nullableEver(f)) return ["{", `  const a = ${owner}.${f.prop};`, ...body.map((l) => "  " + l), "}"];
  return ["{", `  const a = ${owner}.${f.prop};`, "  if (a !== null) {", ...body.map((l) => "    " + l), "  }", "}"];
}

function gate(c: string | null, body: string[]): string[] {
  if (c === null) return body;
  if (c === "false") return [];
  const block = body[0] === "{" && body[body.length - 1] === "}";
  const inner = block ? body.slice(1, -1).map((l) => l.slice(2)) : body;
  return [`if (${c}) {`, ...inner.map((l) => "  " + l), "}"];
}

class PolicyEmitter {
  out: string[] = [];
  private ids = new Map<ScanNode, number>();
  private next = 0;
  constructor(private api: Api) {}

  private id(n: ScanNode): number {
    if (!this.ids.has(n)) this.ids.set(n, this.next++);
    return this.ids.get(n)!;
  }

  private hasOwn(n: ScanNode) {
    return n.own.length > 0 || n.ownArrays.length > 0 || n.ownStructs.length > 0;
  }
  private hasPaired(n: ScanNode) {
    return n.paired.some((p) => p.site !== null || (p.node !== null && hasSites(p.node)));
  }

  // own<id>(e, v, s, removable): shows the resources that stand or fall with e.
  private emitOwn(n: ScanNode): void {
    const body: string[] = ["let ok = true;"];
    for (const site of n.own) body.push(...gate(cond(site.field.versions, n.st.valid), [`if (!${siteCall(site, `e.${site.field.prop}`, "e", "removable")}) ok = false;`]));
    for (const { field, node } of n.ownStructs) {
      this.emitOwn(node);
      const call = `own${this.id(node)}(x, v, s, removable)`;
      const stmt = nullableEver(field) ? [`const x = e.${field.prop};`, `if (x !== null && !${call}) ok = false;`] : [`const x = e.${field.prop};`, `if (!${call}) ok = false;`];
      body.push(...gate(cond(field.versions, n.st.valid), ["{", ...stmt.map((l) => "  " + l), "}"]));
    }
    for (const { field, node, sites } of n.ownArrays) {
      let each: string;
      if (node) {
        this.emitOwn(node);
        each = `own${this.id(node)}(a[i], v, s, removable)`;
      } else each = siteCall(sites[0], "a[i]", "e", "removable");
      body.push(...gate(cond(field.versions, n.st.valid), withArray(field, "e", [`for (let i = 0; i < a.length; i++) if (!${each}) ok = false;`])));
    }
    body.push("return ok;");
    this.out.push("", `function own${this.id(n)}(e: ${n.st.cls}, v: i16, s: ResourceScan, removable: bool): bool {`, ...body.map((l) => "  " + l), "}");
  }

  // scan<id>(e, v, s): drops denied entries of e's paired arrays; returns a
  // copy of e holding them, or null.
  private emitScan(n: ScanNode): void {
    const cls = n.st.cls;
    const body: string[] = [`let shell: ${cls} | null = null;`];
    for (const p of n.paired) {
      if (!p.site && !(p.node && hasSites(p.node))) continue;
      const f = p.pair.req;
      const T = elemType(f);
      const keyed = p.pair.keyed;
      const loop: string[] = [`let out: Array<${T}> | null = null;`, "let keep = 0;", "for (let i = 0; i < a.length; i++) {", "  const x = a[i];"];
      if (p.site) {
        const test = siteCall(p.site, "x", "e", String(keyed));
        if (keyed) loop.push(`  if (!${test} && s.dropping()) out = pushTo<${T}>(out, x);`, "  else a[keep++] = x;");
        else loop.push(`  ${test};`, "  a[keep++] = x;");
      } else {
        const node = p.node!;
        const own = this.hasOwn(node);
        const nested = this.hasPaired(node);
        if (own) this.emitOwn(node);
        if (nested) this.emitScan(node);
        const kept = nested ? ["a[keep++] = x;", `if (part !== null) out = pushTo<${T}>(out, part);`] : ["a[keep++] = x;"];
        if (!own) {
          // nothing of the entry's own: it stays, its sub-entries may not
          loop.push(`  const part = scan${this.id(node)}(x, v, s);`, ...kept.map((l) => "  " + l));
        } else {
          loop.push(`  const ok = own${this.id(node)}(x, v, s, ${keyed});`);
          if (nested) loop.push("  if (!ok) s.mute();", `  const part = scan${this.id(node)}(x, v, s);`, "  if (!ok) s.unmute();");
          if (keyed) {
            loop.push(`  if (!ok && s.dropping()) out = pushTo<${T}>(out, x);`);
            if (kept.length === 1) loop.push(`  else ${kept[0]}`);
            else loop.push("  else {", ...kept.map((l) => "    " + l), "  }");
          } else loop.push(...kept.map((l) => "  " + l));
        }
      }
      loop.push("}", "a.length = keep;", "if (out !== null) {", `  if (shell === null) shell = shell${this.id(n)}(e);`, `  shell.${f.prop} = out;`, "}");
      body.push(...gate(cond(f.versions, n.st.valid), withArray(f, "e", loop)));
    }
    body.push("return shell;");
    this.emitShell(n);
    this.out.push("", `function scan${this.id(n)}(e: ${cls}, v: i16, s: ResourceScan): ${cls} | null {`, ...body.map((l) => "  " + l), "}");
  }

  // shell<id>(e): a copy of e whose scanned arrays are empty.
  private emitShell(n: ScanNode): void {
    const scanned = new Set(n.paired.filter((p) => p.site || (p.node && hasSites(p.node))).map((p) => p.pair.req));
    const body = [`const c = new ${n.st.cls}();`];
    for (const f of liveFields(n.st)) if (!scanned.has(f)) body.push(`c.${f.prop} = e.${f.prop};`);
    if (isTagged(n.st)) body.push("c.unknownTags = e.unknownTags;", "c.tagsSeen = e.tagsSeen;");
    body.push("return c;");
    this.out.push("", `function shell${this.id(n)}(e: ${n.st.cls}): ${n.st.cls} {`, ...body.map((l) => "  " + l), "}");
  }

  // answer<id>(q, p, v, code): p answers request struct q with `code`. One
  // function per pair of classes (a struct can sit at several paths).
  private answers = new Map<string, number>();
  private emitAnswer(n: ScanNode, resp: Struct): number {
    const pairKey = `${n.st.cls}->${resp.cls}`;
    const known = this.answers.get(pairKey);
    if (known !== undefined) return known;
    this.answers.set(pairKey, this.id(n));
    const body: string[] = [...errorLines(resp, "p")];
    for (const sf of liveFields(resp)) {
      if (sf.type === "array" || sf.type === "struct") continue;
      const qf = liveFields(n.st).find((f) => f.type !== "array" && f.type !== "struct" && sameKey(f, sf));
      if (qf) body.push(`p.${sf.prop} = ${fit(qf, sf, `q.${qf.prop}`)};`);
    }
    for (const p of n.paired) {
      const f = p.pair.req;
      const rf = p.pair.resp;
      const RT = rf.struct!.cls;
      const each: string[] = [`const x = new ${RT}();`];
      if (p.node) {
        each.push(`answer${this.emitAnswer(p.node, rf.struct!)}(a[i], x, v, code);`);
      } else {
        each.push(...errorLines(rf.struct!, "x"));
        const key = primitiveKey(this.api.name, n.path + f.name, f, rf.struct!);
        each.push(`x.${key.prop} = ${fit(f, key, "a[i]")};`);
      }
      each.push("out.push(x);");
      const loop = [`const out = new Array<${RT}>(0);`, "for (let i = 0; i < a.length; i++) {", ...each.map((l) => "  " + l), "}", `p.${rf.prop} = out;`];
      body.push(...gate(cond(f.versions, n.st.valid), withArray(f, "q", loop)));
    }
    this.out.push("", `function answer${this.id(n)}(q: ${n.st.cls}, p: ${resp.cls}, v: i16, code: i16): void {`, ...body.map((l) => "  " + l), "}");
    return this.id(n);
  }

  // merge<id>(into, from): adds from's entries to into's; an entry of the
  // same key as one there (a group both answered and denied in part) is
  // merged into it, else appended. One function per response class.
  private merges = new Map<string, number>();
  private emitMerge(n: ScanNode, resp: Struct): number | null {
    const known = this.merges.get(resp.cls);
    if (known !== undefined) return known;
    const seen = new Set<Field>();
    const body: string[] = [];
    for (const p of n.paired) {
      const rf = p.pair.resp;
      if (seen.has(rf)) continue;
      seen.add(rf);
      const sub = p.node && p.pair.keyed ? this.emitMerge(p.node, rf.struct!) : null;
      const add: string[] = [];
      if (sub === null) add.push("for (let i = 0; i < a.length; i++) b.push(a[i]);");
      else {
        const keys = entryKeyFields(p.node!, rf.struct!);
        const same = keys.map((k) => k.type === "uuid" ? `sameUuid(b[j].${k.prop}, x.${k.prop})` : `b[j].${k.prop} == x.${k.prop}`).join(" && ") || "false";
        add.push("for (let i = 0; i < a.length; i++) {", "  const x = a[i];", "  let j = 0;", `  while (j < b.length && !(${same})) j++;`,
          `  if (j < b.length) merge${sub}(b[j], x);`, "  else b.push(x);", "}");
      }
      const lines = [`const a = from.${rf.prop};`];
      if (nullableEver(rf)) lines.push("if (a !== null) {", `  const b = into.${rf.prop};`, `  if (b === null) into.${rf.prop} = a;`, "  else {", ...add.map((l) => "    " + l), "  }", "}");
      else lines.push(`const b = into.${rf.prop};`, ...add);
      body.push("{", ...lines.map((l) => "  " + l), "}");
    }
    if (body.length === 0) return null;
    const id = this.next++;
    this.merges.set(resp.cls, id);
    this.out.push("", `function merge${id}(into: ${resp.cls}, from: ${resp.cls}): void {`, ...body.map((l) => "  " + l), "}");
    return id;
  }

  emit(rq: Struct, rs: Struct, handwritten: boolean): void {
    const tree = scanTree(this.api.name, rq, rs, "");
    const fn = lower(this.api.name);
    if (hasSites(tree)) {
      const own = this.hasOwn(tree);
      const nested = this.hasPaired(tree);
      if (own) this.emitOwn(tree);
      if (nested) this.emitScan(tree);
      this.out.push("", `// Shows s's visitor every resource the request names; drops the denied entries`,
        `// that can go alone and returns them as a request of their own (or null).`,
        `export function ${fn}Resources(m: ${rq.cls}, v: i16, s: ResourceScan): ${rq.cls} | null {`);
      if (own) this.out.push(`  own${this.id(tree)}(m, v, s, false);`);
      this.out.push(`  return ${nested ? `scan${this.id(tree)}(m, v, s)` : "null"};`, "}");
    }
    if (handwritten) return;
    const top = this.emitAnswer(tree, rs);
    this.out.push("", "// The response in which every entry of the request carries `code`.",
      `export function ${fn}ErrorResponse(m: ${rq.cls}, v: i16, code: i16): ${rs.cls} {`,
      `  const p = new ${rs.cls}();`, `  answer${top}(m, p, v, code);`, "  return p;", "}");
    const merge = this.emitMerge(tree, rs);
    if (merge === null) return;
    this.out.push("", "// Adds the entries of `from` (the answer to a request's denied part) to `into`",
      "// (the broker's answer to the rest); top-level fields stay into's.",
      `export function ${fn}MergeResponse(into: ${rs.cls}, from: ${rs.cls}): void {`, `  merge${merge}(into, from);`, "}");
  }
}

// Whether the class keeps a tagged-field section (KafkaMessage or TaggedFields).
const isTagged = (st: Struct) => st.cls === st.message || flexOf(st).expr !== "false";

function errorLines(resp: Struct, v: string): string[] {
  return liveFields(resp).filter((f) => ERROR_CODE_FIELDS.has(f.name) && f.type === "int16").map((f) => `${v}.${f.prop} = code;`);
}

// The value of request field qf (expression x) as response field sf's type.
function fit(qf: Field, sf: Field, x: string): string {
  const qNull = nullableEver(qf) && qf.type !== "array";
  if (qNull && !nullableEver(sf) && (sf.type === "string")) return `${x} === null ? "" : ${x}!`;
  return x;
}

// The fields of a response entry that echo the request entry's keys.
function entryKeyFields(n: ScanNode, rs: Struct): Field[] {
  return liveFields(rs).filter((sf) => sf.type !== "array" && sf.type !== "struct" &&
    liveFields(n.st).some((qf) => qf.type !== "array" && qf.type !== "struct" && sameKey(qf, sf)));
}

// The field of a response entry that takes a primitive request entry.
function primitiveKey(api: string, path: string, f: Field, rs: Struct): Field {
  const manual = RESPONSE_MATCHES.find((m) => m.api === api && m.request === path);
  const fields = liveFields(rs).filter((x) => x.type === f.elem);
  const key = manual?.key ? fields.find((x) => x.name === manual.key) : fields.find((x) => keyClass(x) !== null && sameKey(f, x));
  if (!key) throw new Error(`${api}: no field of ${rs.cls} takes an entry of ${path}`);
  return key;
}

export function emitPolicy(api: Api, rq: Struct, rs: Struct, handwritten: boolean): string[] {
  const e = new PolicyEmitter(api);
  e.emit(rq, rs, handwritten);
  return e.out;
}

export const policyNames = (api: Api) => ({
  resources: `${lower(api.name)}Resources`, errorResponse: `${lower(api.name)}ErrorResponse`, merge: `${lower(api.name)}MergeResponse`,
});
