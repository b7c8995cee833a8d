// Writes assembly/kafka/api/<api>.ts and test/kafka/schema.gen.ts from Kafka's
// message definitions (clients/src/main/resources/common/message/*.json, the
// Kafka 4.x files). The JSON is read as data: field names, types, versions,
// nullable/tagged versions and defaults. Nothing of Kafka's generator is used.
//
//   npx tsx scripts/kafka-codegen.ts <dir with the *.json files>
//
// The output is committed; re-run it when moving to a newer Kafka. The files
// used were Kafka 4.3's: the apache/kafka snapshot available to us stops at
// 4.0.0-SNAPSHOT (Oct 2024), so they came from the unmodified copy kafka-python
// vendors (kafka/protocol/schemas/resources, "Updates protocol json files to
// 4.3"); its ProduceRequest.json etc. match upstream field for field.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const src = process.argv[2];
if (!src) throw new Error("usage: kafka-codegen.ts <message json dir>");

// File name -> JSON message names. One file per API, like Kafka's one JSON per message.
export const APIS: [string, string][] = [
  ["api_versions", "ApiVersions"], ["metadata", "Metadata"], ["produce", "Produce"], ["fetch", "Fetch"],
  ["find_coordinator", "FindCoordinator"], ["describe_cluster", "DescribeCluster"], ["list_offsets", "ListOffsets"],
  ["offset_commit", "OffsetCommit"], ["offset_fetch", "OffsetFetch"], ["join_group", "JoinGroup"],
  ["heartbeat", "Heartbeat"], ["leave_group", "LeaveGroup"], ["sync_group", "SyncGroup"],
  ["describe_groups", "DescribeGroups"], ["create_topics", "CreateTopics"], ["delete_topics", "DeleteTopics"],
  ["init_producer_id", "InitProducerId"], ["describe_configs", "DescribeConfigs"],
];

// ---- JSON with comments ----------------------------------------------------

function stripComments(text: string): string {
  let out = "";
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else out += c;
  }
  return out;
}

interface JField {
  name: string; type: string; versions: string; nullableVersions?: string; taggedVersions?: string;
  tag?: number; default?: string | number | boolean; fields?: JField[]; flexibleVersions?: string;
}
interface JMessage { apiKey: number; type: string; name: string; validVersions: string; flexibleVersions: string;
  fields: JField[]; commonStructs?: { name: string; versions: string; fields: JField[] }[] }

function load(name: string): JMessage {
  return JSON.parse(stripComments(readFileSync(join(src, name + ".json"), "utf8")));
}

// ---- versions --------------------------------------------------------------

type Range = [number, number]; // inclusive; [1, 0] = none
function range(s: string | undefined): Range {
  if (s === undefined || s === "none") return [1, 0];
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), 32767];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}
function cond(r: Range, valid: Range): string | null {
  const lo = Math.max(r[0], valid[0]);
  const hi = Math.min(r[1], valid[1]);
  if (lo > hi) return "false";
  const parts: string[] = [];
  if (lo > valid[0]) parts.push(`v >= ${lo}`);
  if (hi < valid[1]) parts.push(`v <= ${hi}`);
  return parts.length === 0 ? null : parts.join(" && ");
}

// ---- model -----------------------------------------------------------------

interface Field {
  name: string; prop: string; type: string; elem: string | null; struct: string | null;
  versions: Range; nullable: Range; tagged: Range; tag: number; def: string; always: boolean;
  nonFlexString: boolean;
}
interface Struct { cls: string; fields: Field[]; flex: Range; valid: Range; needsIsDefault: boolean }

const camel = (s: string) => s[0].toLowerCase() + s.slice(1);
const PRIMS = new Set(["int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "string", "bytes", "records", "uuid"]);

function asType(t: string): string {
  return ({ int8: "i8", int16: "i16", int32: "i32", int64: "i64", uint16: "u16", uint32: "u32", float64: "f64", bool: "bool",
    string: "string", bytes: "Uint8Array", records: "Uint8Array", uuid: "Uint8Array" } as Record<string, string>)[t];
}

function defaultExpr(f: JField, t: string, nullableEver: boolean): string {
  const d = f.default;
  if (t === "string") {
    if (d === "null") return "null";
    return d === undefined ? '""' : JSON.stringify(String(d));
  }
  if (t === "bytes" || t === "records") return nullableEver && d === "null" ? "null" : "new Uint8Array(0)";
  if (t === "uuid") return "new Uint8Array(16)";
  if (t === "bool") return d === true || d === "true" ? "true" : "false";
  if (t === "float64") return d === undefined ? "0.0" : String(d);
  if (d === undefined) return "0";
  const s = String(d);
  if (s === "9223372036854775807") return "i64.MAX_VALUE";
  if (s === "-9223372036854775808") return "i64.MIN_VALUE";
  if (s === "-2147483648") return "i32.MIN_VALUE";
  return s;
}

class FileGen {
  structs: Struct[] = [];
  names = new Set<string>();
  common = new Map<string, JField[]>();
  schema: Record<string, unknown> = {};

  addMessage(m: JMessage): string {
    for (const c of m.commonStructs ?? []) this.common.set(c.name, c.fields);
    const valid = range(m.validVersions);
    const flex = range(m.flexibleVersions);
    this.buildStruct(m.name, m.fields, valid, flex, m.name);
    this.schema[m.name] = { apiKey: m.apiKey, validVersions: valid, flexibleVersions: flex, fields: this.schemaFields(m.fields) };
    return m.name;
  }

  schemaFields(fs: JField[]): unknown[] {
    return fs.map((f) => {
      const t = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      const sub = f.fields ?? (PRIMS.has(t) ? undefined : this.common.get(t));
      return {
        name: f.name, type: f.type, versions: range(f.versions), nullable: range(f.nullableVersions),
        tagged: range(f.taggedVersions), tag: f.tag ?? -1, default: f.default ?? null,
        ...(f.flexibleVersions ? { flexible: range(f.flexibleVersions) } : {}),
        ...(sub ? { fields: this.schemaFields(sub) } : {}),
      };
    });
  }

  buildStruct(name: string, jf: JField[], valid: Range, flex: Range, prefix: string): string {
    let cls = name;
    if (this.names.has(cls)) cls = prefix + name;
    this.names.add(cls);
    const st: Struct = { cls, fields: [], flex, valid, needsIsDefault: false };
    this.structs.push(st);
    for (const f of jf) {
      const isArr = f.type.startsWith("[]");
      const base = isArr ? f.type.slice(2) : f.type;
      let struct: string | null = null;
      if (!PRIMS.has(base)) {
        const sub = f.fields ?? this.common.get(base);
        if (!sub) throw new Error(`unknown struct ${base} in ${name}`);
        struct = this.buildStruct(base, sub, valid, flex, prefix);
        if (!isArr && f.taggedVersions) this.structs.find((s) => s.cls === struct)!.needsIsDefault = true;
      }
      const nullable = range(f.nullableVersions);
      const nullableEver = nullable[0] <= nullable[1];
      st.fields.push({
        name: f.name, prop: camel(f.name), type: isArr ? "array" : struct ? "struct" : base,
        elem: isArr ? (struct ? null : base) : null, struct, versions: range(f.versions), nullable,
        tagged: range(f.taggedVersions), tag: f.tag ?? -1,
        def: isArr || struct ? "" : defaultExpr(f, base, nullableEver),
        always: false, nonFlexString: f.flexibleVersions === "none",
      });
      if (f.flexibleVersions && f.flexibleVersions !== "none") throw new Error("field flexibleVersions " + f.flexibleVersions);
    }
    return cls;
  }
}

// ---- AssemblyScript emission -----------------------------------------------

function propType(f: Field): string {
  const nullableEver = f.nullable[0] <= f.nullable[1];
  const n = nullableEver ? " | null" : "";
  if (f.type === "array") return `Array<${f.struct ?? asType(f.elem!)}>${n}`;
  if (f.type === "struct") return `${f.struct}${n}`;
  if (f.type === "records") return "Uint8Array | null";
  return asType(f.type) + (f.type === "string" || f.type === "bytes" ? n : "");
}

function initExpr(f: Field): string {
  const nullableEver = f.nullable[0] <= f.nullable[1];
  if (f.type === "array") return `new Array<${f.struct ?? asType(f.elem!)}>(0)`;
  if (f.type === "struct") return `new ${f.struct}()`;
  if (f.type === "records") return "null";
  if ((f.type === "bytes") && f.def === "null" && !nullableEver) return "new Uint8Array(0)";
  return f.def;
}

// Reads one scalar of type t; `flex` is the variable holding the encoding.
function readScalar(t: string, flex: string, nullable: string | null): string {
  switch (t) {
    case "int8": return "r.i8()"; case "int16": return "r.i16()"; case "int32": return "r.i32()";
    case "int64": return "r.i64()"; case "uint16": return "r.u16()"; case "uint32": return "r.u32()";
    case "float64": return "r.f64()"; case "bool": return "r.bool()"; case "uuid": return "readUuid(r)";
    case "string": return nullable ? `(${nullable} ? readNullableString(r, ${flex}) : readString(r, ${flex}))` : `readString(r, ${flex})`;
    case "bytes": return nullable ? `(${nullable} ? readNullableBytes(r, ${flex}) : readBytes(r, ${flex}))` : `readBytes(r, ${flex})`;
    case "records": return `readNullableBytes(r, ${flex})`;
  }
  throw new Error(t);
}
function writeScalar(t: string, x: string, flex: string, nullableType: boolean): string {
  switch (t) {
    case "int8": return `w.i8(${x})`; case "int16": return `w.i16(${x})`; case "int32": return `w.i32(${x})`;
    case "int64": return `w.i64(${x})`; case "uint16": return `w.u16(${x})`; case "uint32": return `w.u32(${x})`;
    case "float64": return `w.f64(${x})`; case "bool": return `w.bool(${x})`; case "uuid": return `writeUuid(w, ${x})`;
    case "string": return nullableType ? `writeNullableString(w, ${x}, ${flex})` : `writeString(w, ${x}, ${flex})`;
    case "bytes": case "records": return nullableType ? `writeNullableBytes(w, ${x}, ${flex})` : `writeBytes(w, ${x}, ${flex})`;
  }
  throw new Error(t);
}
function jsonScalar(t: string, x: string): string {
  switch (t) {
    case "int64": return `jsonI64(${x})`;
    case "bool": return `(${x} ? "true" : "false")`;
    case "string": return `jsonString(${x})`;
    case "bytes": case "records": case "uuid": return `hex(${x})`;
    default: return `${x}.toString()`;
  }
}

// Condition (within the field's own versions) under which null is allowed.
function nullCond(f: Field, st: Struct): string | null {
  if (f.nullable[0] > f.nullable[1]) return null;
  const within: Range = [Math.max(st.valid[0], f.versions[0]), Math.min(st.valid[1], f.versions[1])];
  const c = cond(f.nullable, within);
  return c === null ? "true" : c;
}

// Statements that read field f into this.<prop> from reader r (flex = `flexVar`).
function emitRead(f: Field, st: Struct, flexVar: string): string[] {
  const p = `this.${f.prop}`;
  const nc = nullCond(f, st);
  const nullableType = f.nullable[0] <= f.nullable[1];
  const flexExpr = f.nonFlexString ? "false" : flexVar;
  if (f.type === "array") {
    const elemRead = f.struct ? null : readScalar(f.elem!, flexVar, null);
    const lines = [
      "{",
      `  const n = ${nc ? `${nc} ? readArrayLength(r, ${flexVar}) : readArrayLengthNotNull(r, ${flexVar})` : `readArrayLengthNotNull(r, ${flexVar})`};`,
    ];
    const T = f.struct ?? asType(f.elem!);
    if (nullableType) lines.push(`  if (n < 0) ${p} = null;`, "  else {");
    else lines.push("  {");
    lines.push(`    const a = new Array<${T}>(0);`, "    for (let i = 0; i < n && r.ok; i++) {");
    if (f.struct) lines.push(`      const e = new ${f.struct}();`, "      e.decode(r, v);", "      a.push(e);");
    else lines.push(`      a.push(${elemRead});`);
    lines.push("    }", `    ${p} = a;`, "  }", "}");
    return lines;
  }
  if (f.type === "struct") {
    if (nullableType) {
      return [`if (${nc ?? "false"} && r.i8() < 0) ${p} = null;`, "else {", `  const e = new ${f.struct}();`, "  e.decode(r, v);", `  ${p} = e;`, "}"];
    }
    return [`{`, `  const e = new ${f.struct}();`, "  e.decode(r, v);", `  ${p} = e;`, "}"];
  }
  return [`${p} = ${readScalar(f.type, flexExpr, f.type === "records" ? null : nc)};`];
}

function emitWrite(f: Field, st: Struct, flexVar: string): string[] {
  const p = `this.${f.prop}`;
  const nullableType = f.nullable[0] <= f.nullable[1];
  const flexExpr = f.nonFlexString ? "false" : flexVar;
  if (f.type === "array") {
    const lines: string[] = ["{", `  const a = ${p};`];
    if (nullableType) lines.push(`  if (a === null) writeArrayLength(w, -1, ${flexVar});`, "  else {");
    else lines.push("  {");
    lines.push(`    writeArrayLength(w, a.length, ${flexVar});`);
    if (f.struct) lines.push("    for (let i = 0; i < a.length; i++) a[i].encode(w, v);");
    else lines.push(`    for (let i = 0; i < a.length; i++) ${writeScalar(f.elem!, "a[i]", flexVar, false)};`);
    lines.push("  }", "}");
    return lines;
  }
  if (f.type === "struct") {
    if (nullableType) {
      const nc = nullCond(f, st) ?? "false";
      return ["{", `  const e = ${p};`, `  if (${nc}) w.i8(e === null ? -1 : 1);`,
        `  if (e !== null) e.encode(w, v);`, `  else if (!(${nc})) new ${f.struct}().encode(w, v);`, "}"];
    }
    return [`${p}.encode(w, v);`];
  }
  if (f.type === "string" && nullableType) {
    // null written where the version has no null: write "" (Kafka would throw)
    const nc = nullCond(f, st)!;
    if (nc === "true") return [`writeNullableString(w, ${p}, ${flexExpr});`];
    return [`{`, `  const s = ${p};`, `  if (${nc} || s !== null) writeNullableString(w, s, ${flexExpr});`, `  else writeString(w, "", ${flexExpr});`, "}"];
  }
  if (f.type === "bytes" && nullableType) {
    const nc = nullCond(f, st)!;
    if (nc === "true") return [`writeNullableBytes(w, ${p}, ${flexExpr});`];
    return [`{`, `  const b = ${p};`, `  if (${nc} || b !== null) writeNullableBytes(w, b, ${flexExpr});`, `  else writeBytes(w, new Uint8Array(0), ${flexExpr});`, "}"];
  }
  return [writeScalar(f.type, p, flexExpr, f.type === "records") + ";"];
}

// Condition under which a known tagged field is written: it was on the wire,
// or it differs from its default (what Kafka's writers do).
function nonDefault(f: Field): string {
  const p = `this.${f.prop}`;
  if (f.type === "array") return f.nullable[0] <= f.nullable[1] ? `${p} !== null` : `${p}.length > 0`;
  if (f.type === "struct") return `!${p}.isDefault()`;
  if (f.type === "uuid") return `!isZeroUuid(${p})`;
  if (f.type === "bytes" || f.type === "records") return f.def === "null" ? `${p} !== null` : `${p}.length > 0`;
  if (f.type === "string") return f.def === "null" ? `${p} !== null` : `${p} != ${f.def}`;
  return `${p} != ${f.def}`;
}

function emitStruct(st: Struct, isTop: boolean, apiKey: number, kind: string): string {
  const L: string[] = [];
  const flexAll = st.flex;
  const flexCond = cond(flexAll, st.valid);
  const hasFlex = flexAll[0] <= Math.min(flexAll[1], st.valid[1]);
  const regular = st.fields.filter((f) => f.tagged[0] > f.tagged[1]);
  const tagged = st.fields.filter((f) => f.tagged[0] <= f.tagged[1]);
  for (const f of tagged) {
    if (f.versions[0] !== f.tagged[0] || f.versions[1] !== f.tagged[1]) throw new Error(`${st.cls}.${f.name}: tagged/versions differ`);
  }
  L.push(isTop ? `export class ${st.cls} extends KafkaMessage {` : `export class ${st.cls} {`);
  for (const f of st.fields) {
    const tagNote = f.tag >= 0 ? `, tag ${f.tag}` : "";
    const ver = f.versions[1] === 32767 ? `${f.versions[0]}+` : `${f.versions[0]}-${f.versions[1]}`;
    const nul = f.nullable[0] <= f.nullable[1] ? `, nullable ${f.nullable[0]}+` : "";
    L.push(`  ${f.prop}: ${propType(f)} = ${initExpr(f)}; // v${ver}${nul}${tagNote}`);
  }
  if (hasFlex) {
    L.push("  // tagged fields this codec does not interpret, kept for exact re-encoding");
    L.push("  unknownTags: Array<RawTaggedField> | null = null;");
    if (tagged.length) L.push("  // bit per known tag that was present on the wire (re-encoded even if default)", "  tagsSeen: u64 = 0;");
  }
  if (isTop) {
    L.push("", `  constructor() {`, `    super(${apiKey}, ${kind === "request"});`, "  }");
  }
  // decode
  L.push("", `  ${isTop ? "override " : ""}decode(r: BytesReader, v: i16): void {`);
  if (hasFlex) L.push(`    const flex = ${flexCond ?? "true"};`);
  const flexVar = hasFlex ? "flex" : "false";
  for (const f of regular) {
    const c = cond(f.versions, st.valid);
    if (c === "false") continue;
    const body = emitRead(f, st, flexVar);
    if (c === null) L.push(...body.map((l) => "    " + l));
    else if (body.length === 1) L.push(`    if (${c}) ${body[0]}`);
    else L.push(`    if (${c}) ${body[0]}`, ...body.slice(1).map((l) => "    " + l));
  }
  if (hasFlex) {
    L.push("    if (flex) {", "      const count = readTagCount(r);", "      for (let i = 0; i < count && r.ok; i++) {",
      "        const tag = r.uvarint();", "        const size = <i32>r.uvarint();", "        if (size < 0) {", '          r.fail("tag size");', "          break;", "        }", "        const sub = r.sub(size);");
    let first = true;
    for (const f of tagged) {
      const c = cond(f.versions, st.valid);
      const cc = `tag == ${f.tag}` + (c ? ` && ${c}` : "");
      L.push(`        ${first ? "" : "} else "}if (${cc}) {`);
      first = false;
      const body = emitRead(f, st, "true").map((l) => l.replace(/\br\b(?=[.,)])/g, "sub").replace(/\(r\)/g, "(sub)").replace(/\(r, /g, "(sub, "));
      L.push(...body.map((l) => "          " + l), `          this.tagsSeen |= (<u64>1) << ${f.tag};`, "          endTag(r, sub);");
    }
    if (tagged.length) L.push("        } else {");
    const ind = tagged.length ? "          " : "        ";
    L.push(`${ind}if (r.ok) this.unknownTags = pushUnknownTag(this.unknownTags, tag, sub.rest());`);
    if (tagged.length) L.push("        }");
    L.push("      }", "    }");
  }
  L.push("  }");
  // encode
  L.push("", `  ${isTop ? "override " : ""}encode(w: BytesWriter, v: i16): void {`);
  if (hasFlex) L.push(`    const flex = ${flexCond ?? "true"};`);
  for (const f of regular) {
    const c = cond(f.versions, st.valid);
    if (c === "false") continue;
    const body = emitWrite(f, st, flexVar);
    if (c === null) L.push(...body.map((l) => "    " + l));
    else if (body.length === 1) L.push(`    if (${c}) ${body[0]}`);
    else L.push(`    if (${c}) ${body[0]}`, ...body.slice(1).map((l) => "    " + l));
  }
  if (hasFlex) {
    if (tagged.length === 0) L.push("    if (flex) writeRawTags(w, this.unknownTags);");
    else {
      L.push("    if (flex) {", "      const tags = new TagWriter(this.unknownTags);");
      for (const f of tagged) {
        const c = cond(f.versions, st.valid);
        L.push(`      if (${c ? c + " && " : ""}((this.tagsSeen & ((<u64>1) << ${f.tag})) != 0 || ${nonDefault(f)})) {`);
        L.push(`        const tw = tags.begin(${f.tag});`);
        L.push(...emitWrite(f, st, "true").map((l) => "        " + l.replace(/\bw\b(?=[.,)])/g, "tw").replace(/\(w, /g, "(tw, ")));
        L.push("        tags.end();", "      }");
      }
      L.push("      tags.finish(w);", "    }");
    }
  }
  L.push("  }");
  // json
  L.push("", "  // JSON-ish summary of the fields this version carries (tests, debug logs).");
  L.push(`  ${isTop ? "override " : ""}toJson(v: i16): string {`, '    let s = "{";', "    let sep = \"\";");
  for (const f of st.fields) {
    const c = cond(f.versions, st.valid);
    if (c === "false") continue;
    const isTag = f.tagged[0] <= f.tagged[1];
    let val: string;
    const p = `this.${f.prop}`;
    const lines: string[] = [];
    if (f.type === "array") {
      const T = f.struct ?? asType(f.elem!);
      lines.push(`{ const a = ${p}; if (a === null) s += sep + '"${f.name}":null'; else { s += sep + '"${f.name}":['; for (let i = 0; i < a.length; i++) { if (i > 0) s += ","; s += ${f.struct ? "a[i].toJson(v)" : jsonScalar(f.elem!, "a[i]")}; } s += "]"; } sep = ","; }`);
      void T;
    } else if (f.type === "struct") {
      lines.push(`{ const e = ${p}; s += sep + '"${f.name}":' + (e === null ? "null" : e.toJson(v)); sep = ","; }`);
    } else {
      val = jsonScalar(f.type, p);
      lines.push(`{ s += sep + '"${f.name}":' + ${val}; sep = ","; }`);
    }
    let cc = c;
    if (isTag) cc = (c ? c + " && " : "") + `((this.tagsSeen & ((<u64>1) << ${f.tag})) != 0 || ${nonDefault(f)})`;
    L.push(...lines.map((l) => (cc ? `    if (${cc}) ${l}` : `    ${l}`)));
  }
  L.push(`    return s${hasFlex ? " + unknownTagsJson(this.unknownTags)" : ""} + "}";`, "  }");
  if (st.needsIsDefault) {
    L.push("", "  // True when every field has its default value (then a tagged field is omitted).", "  isDefault(): bool {");
    for (const f of st.fields) {
      if (f.type === "array" || f.type === "struct") { L.push(`    if (${nonDefault(f)}) return false;`); continue; }
      L.push(`    if (${nonDefault(f)}) return false;`);
    }
    L.push("    return true;", "  }");
  }
  L.push("}");
  return L.join("\n");
}

function emitFile(file: string, api: string, req: JMessage, resp: JMessage): string {
  const g = new FileGen();
  g.addMessage(req);
  const reqStructs = g.structs.length;
  g.addMessage(resp);
  const out: string[] = [];
  const vr = (m: JMessage) => { const r = range(m.validVersions); return `${r[0]}-${r[1]}`; };
  const fr = (m: JMessage) => range(m.flexibleVersions)[0];
  out.push(
    `// Kafka ${api} (api key ${req.apiKey}): request v${vr(req)}, response v${vr(resp)}; flexible from v${fr(req)}.`,
    "//",
    `// One file per API, mirroring Kafka's one JSON per message (${api}Request.json and`,
    `// ${api}Response.json of Kafka 4.x) rather than one class per version: each field`,
    "// is read and written only in the versions the JSON gives it, so a version's",
    "// layout is the sum of its gated fields. Record sets stay undecoded slices.",
    "// Generated by scripts/kafka-codegen.ts from the JSON field lists; regenerate rather",
    "// than edit. Structs are emitted children first, so nested types precede their users.",
    'import { BytesReader } from "../../common/bytes_reader";',
    'import { BytesWriter } from "../../common/bytes_writer";',
    'import { KafkaMessage } from "../message";',
    "import {",
    "  RawTaggedField, TagWriter, endTag, hex, isZeroUuid, jsonI64, jsonString, pushUnknownTag, readArrayLength,",
    "  readArrayLengthNotNull, readBytes, readNullableBytes, readNullableString, readString, readTagCount, readUuid,",
    "  unknownTagsJson, writeArrayLength, writeBytes, writeNullableBytes, writeNullableString, writeRawTags, writeString, writeUuid,",
    '} from "../primitives";',
    "",
    `export const ${api.toUpperCase().replace(/([a-z])([A-Z])/g, "$1_$2")}_KEY: i16 = ${req.apiKey};`,
  );
  void reqStructs;
  // emit children before parents: reverse creation order keeps dependencies first
  const order = [...g.structs].reverse();
  const tops = new Set([req.name, resp.name]);
  for (const st of order) {
    out.push("");
    const kind = st.cls === req.name ? "request" : "response";
    out.push(emitStruct(st, tops.has(st.cls), req.apiKey, kind));
  }
  // silence unused-import warnings: AssemblyScript does not warn on unused imports
  writeFileSync(join(root, "assembly/kafka/api", file + ".ts"), out.join("\n") + "\n");
  return JSON.stringify(g.schema);
}

mkdirSync(join(root, "assembly/kafka/api"), { recursive: true });
const schemas: string[] = [];
for (const [file, api] of APIS) {
  const req = load(api + "Request");
  const resp = load(api + "Response");
  const s = emitFile(file, api, req, resp);
  schemas.push(`  ${JSON.stringify(api)}: ${s},`);
}
writeFileSync(
  join(root, "test/kafka/schema.gen.ts"),
  [
    "// Field lists of Kafka 4.x message JSON (names, types, versions, nullable/tagged versions,",
    "// defaults), projected by scripts/kafka-codegen.ts. The test encoder in wire.ts",
    "// interprets them independently of the generated AssemblyScript. Ranges are inclusive",
    "// [lo, hi]; [1, 0] means none.",
    "export type Range = [number, number];",
    "export interface SchemaField { name: string; type: string; versions: Range; nullable: Range; tagged: Range; tag: number;",
    "  default: string | number | boolean | null; flexible?: Range; fields?: SchemaField[] }",
    "export interface SchemaMessage { apiKey: number; validVersions: Range; flexibleVersions: Range; fields: SchemaField[] }",
    "export const SCHEMAS: Record<string, Record<string, SchemaMessage>> = {",
    ...schemas,
    "};",
    "",
  ].join("\n"),
);
console.log("generated", APIS.length, "APIs");
