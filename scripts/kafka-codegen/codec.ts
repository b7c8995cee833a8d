// Emits the AssemblyScript codec of one struct: fields, decode, encode, the
// known tagged fields (through the shared readTags/writeTags of
// primitives.ts) and toJson for tests. Every version test is relative to the
// versions the struct can occur in, so none is constant.
import { type Field, type Range, type Struct, cond, intersect, isEmpty, isTagged, nullableEver } from "./model.ts";

const AS_TYPE: Record<string, string> = {
  int8: "i8", int16: "i16", int32: "i32", int64: "i64", uint16: "u16", uint32: "u32", float64: "f64", bool: "bool",
  string: "string", bytes: "Uint8Array", records: "Uint8Array", uuid: "Uint8Array",
};
export const asType = (t: string) => AS_TYPE[t];
export const elemType = (f: Field) => f.struct ? f.struct.cls : asType(f.elem!);

export function propType(f: Field): string {
  const n = nullableEver(f) ? " | null" : "";
  if (f.type === "array") return `Array<${elemType(f)}>${n}`;
  if (f.type === "struct") return `${f.struct!.cls}${n}`;
  if (f.type === "records") return "Uint8Array | null";
  return asType(f.type) + (f.type === "string" || f.type === "bytes" ? n : "");
}

export function initExpr(f: Field): string {
  if (f.type === "array") return `new Array<${elemType(f)}>(0)`;
  if (f.type === "struct") return `new ${f.struct!.cls}()`;
  if (f.type === "records") return "null";
  if (f.type === "bytes" && f.def === "null" && !nullableEver(f)) return "new Uint8Array(0)";
  return f.def;
}

// The fields a struct carries in some version it can occur in.
export const liveFields = (st: Struct) => st.fields.filter((f) => !isEmpty(f.versions));

// How a struct's encoding is chosen: the literal when it never varies.
export function flexOf(st: Struct): { expr: string; decl: string | null } {
  if (isEmpty(intersect(st.flex, st.valid))) return { expr: "false", decl: null };
  const c = cond(st.flex, st.valid);
  return c === null ? { expr: "true", decl: null } : { expr: "flex", decl: `const flex = ${c};` };
}

// Null allowed: "true" always (within the field's versions), null never, else a test on v.
function nullTest(f: Field): string | null {
  if (!nullableEver(f)) return null;
  const c = cond(f.nullable, f.versions);
  return c === "false" ? null : c ?? "true";
}

function readScalar(t: string, flex: string, nullable: string | null): string {
  switch (t) {
    case "int8": return "r.i8()"; case "int16": return "r.i16()"; case "int32": return "r.i32()";
    case "int64": return "r.i64()"; case "uint16": return "r.u16()"; case "uint32": return "r.u32()";
    case "float64": return "r.f64()"; case "bool": return "r.bool()"; case "uuid": return "readUuid(r)";
    case "records": return `readNullableBytes(r, ${flex})`;
  }
  const kind = t === "string" ? "String" : "Bytes";
  if (nullable === null) return `read${kind}(r, ${flex})`;
  if (nullable === "true") return `readNullable${kind}(r, ${flex})`;
  return `(${nullable} ? readNullable${kind}(r, ${flex}) : read${kind}(r, ${flex}))`;
}

function writeScalar(t: string, x: string, flex: string, nullableType: boolean): string {
  switch (t) {
    case "int8": return `w.i8(${x})`; case "int16": return `w.i16(${x})`; case "int32": return `w.i32(${x})`;
    case "int64": return `w.i64(${x})`; case "uint16": return `w.u16(${x})`; case "uint32": return `w.u32(${x})`;
    case "float64": return `w.f64(${x})`; case "bool": return `w.bool(${x})`; case "uuid": return `writeUuid(w, ${x})`;
    case "string": return nullableType ? `writeNullableString(w, ${x}, ${flex})` : `writeString(w, ${x}, ${flex})`;
  }
  return nullableType ? `writeNullableBytes(w, ${x}, ${flex})` : `writeBytes(w, ${x}, ${flex})`;
}

function jsonScalar(t: string, x: string): string {
  switch (t) {
    case "int64": return `jsonI64(${x})`;
    case "bool": return `(${x} ? "true" : "false")`;
    case "string": return `jsonString(${x})`;
    case "bytes": case "records": case "uuid": return `hex(${x})`;
  }
  return `${x}.toString()`;
}

// Statements reading field f from r into this.<prop>.
function emitRead(f: Field, flex: string): string[] {
  const p = `this.${f.prop}`;
  const nt = nullTest(f);
  if (f.type === "array") {
    const len = nt === null ? `readArrayLengthNotNull(r, ${flex})` : nt === "true" ? `readArrayLength(r, ${flex})`
      : `${nt} ? readArrayLength(r, ${flex}) : readArrayLengthNotNull(r, ${flex})`;
    const T = elemType(f);
    if (f.struct) return [`${p} = read${nullableEver(f) ? "Nullable" : ""}Structs<${T}>(r, ${len}, v);`];
    const lines = ["{", `  const n = ${len};`];
    if (nullableEver(f)) lines.push(`  if (n < 0) ${p} = null;`, "  else {");
    else lines.push("  {");
    lines.push(`    const a = new Array<${T}>(0);`, `    for (let i = 0; i < n && r.ok; i++) a.push(${readScalar(f.elem!, flex, null)});`, `    ${p} = a;`, "  }", "}");
    return lines;
  }
  if (f.type === "struct") {
    const read = `readStruct<${f.struct!.cls}>(r, v)`;
    if (nt === null) return [`${p} = ${read};`];
    return [`${p} = ${nt === "true" ? "" : `${nt} && `}r.i8() < 0 ? null : ${read};`];
  }
  return [`${p} = ${readScalar(f.type, f.nonFlexString ? "false" : flex, f.type === "records" ? null : nt)};`];
}

function emitWrite(f: Field, flex: string): string[] {
  const p = `this.${f.prop}`;
  const nullableType = nullableEver(f);
  const fx = f.nonFlexString ? "false" : flex;
  if (f.type === "array") {
    if (f.struct) return [`writeStructs<${f.struct.cls}>(w, ${p}, v, ${flex});`];
    const lines = ["{", `  const a = ${p};`];
    if (nullableType) lines.push(`  if (a === null) writeArrayLength(w, -1, ${flex});`, "  else {");
    else lines.push("  {");
    lines.push(`    writeArrayLength(w, a.length, ${flex});`, `    for (let i = 0; i < a.length; i++) ${writeScalar(f.elem!, "a[i]", flex, false)};`, "  }", "}");
    return lines;
  }
  if (f.type === "struct") {
    if (!nullableType) return [`${p}.encode(w, v);`];
    const nt = nullTest(f)!;
    if (nt === "true") return [`writeNullableStruct<${f.struct!.cls}>(w, ${p}, v);`];
    return [`if (${nt}) writeNullableStruct<${f.struct!.cls}>(w, ${p}, v);`, `else writeStruct<${f.struct!.cls}>(w, ${p}, v);`];
  }
  if ((f.type === "string" || f.type === "bytes") && nullableType) {
    // null where the version has no null is written as empty (Kafka would throw)
    const nt = nullTest(f)!;
    const kind = f.type === "string" ? "String" : "Bytes";
    if (nt === "true") return [`writeNullable${kind}(w, ${p}, ${fx});`];
    return [`if (${nt}) writeNullable${kind}(w, ${p}, ${fx});`, `else writeNonNull${kind}(w, ${p}, ${fx});`];
  }
  return [writeScalar(f.type, p, fx, f.type === "records") + ";"];
}

// A known tagged field is written when it was on the wire or differs from
// its default (what Kafka's writers do).
function nonDefault(f: Field): string {
  const p = `this.${f.prop}`;
  if (f.type === "array") return nullableEver(f) ? `${p} !== null` : `${p}.length > 0`;
  if (f.type === "struct") return `!${p}.isDefault()`;
  if (f.type === "uuid") return `!isZeroUuid(${p})`;
  if (f.type === "bytes" || f.type === "records") return f.def === "null" ? `${p} !== null` : `${p}.length > 0`;
  return `${p} != ${f.def}`;
}

// `if (c) stmt` for a one-line body, a block otherwise; the body as is when c is null.
function guarded(c: string | null, body: string[], indent: string): string[] {
  if (c === null) return body.map((l) => indent + l);
  if (body.length === 1) return [`${indent}if (${c}) ${body[0]}`];
  const block = body[0] === "{" && body[body.length - 1] === "}";
  const inner = block ? body.slice(1, -1).map((l) => l.slice(2)) : body;
  return [`${indent}if (${c}) {`, ...inner.map((l) => indent + "  " + l), `${indent}}`];
}

export function emitCodec(st: Struct, isTop: boolean, apiKey: number, isRequest: boolean): string[] {
  const L: string[] = [];
  const fields = liveFields(st);
  const flex = flexOf(st);
  const hasFlex = flex.expr !== "false";
  const regular = fields.filter((f) => !isTagged(f));
  const tagged = fields.filter(isTagged);
  for (const f of tagged) if (f.tagged[0] > f.versions[0] || f.tagged[1] < f.versions[1]) throw new Error(`${st.cls}.${f.name}: tagged/versions differ`);
  const base = isTop ? " extends KafkaMessage" : hasFlex ? " extends TaggedFields" : "";
  L.push(`export class ${st.cls}${base} {`);
  for (const f of fields) {
    const ver = f.versions[1] === 32767 ? `${f.versions[0]}+` : `${f.versions[0]}-${f.versions[1]}`;
    const nul = nullableEver(f) ? `, nullable ${f.nullable[0]}+` : "";
    L.push(`  ${f.prop}: ${propType(f)} = ${initExpr(f)}; // v${ver}${nul}${f.tag >= 0 ? `, tag ${f.tag}` : ""}`);
  }
  if (isTop) L.push("", "  constructor() {", `    super(${apiKey}, ${isRequest});`, "  }");
  const ov = isTop ? "override " : "";
  // decode / encode
  L.push("", `  ${ov}decode(r: BytesReader, v: i16): void {`);
  if (flex.decl) L.push(`    ${flex.decl}`);
  for (const f of regular) L.push(...guarded(cond(f.versions, st.valid), emitRead(f, flex.expr), "    "));
  if (hasFlex) L.push(...guarded(flex.decl ? "flex" : null, ["readTags(r, this, v);"], "    "));
  L.push("  }", "", `  ${ov}encode(w: BytesWriter, v: i16): void {`);
  if (flex.decl) L.push(`    ${flex.decl}`);
  for (const f of regular) L.push(...guarded(cond(f.versions, st.valid), emitWrite(f, flex.expr), "    "));
  if (hasFlex) L.push(...guarded(flex.decl ? "flex" : null, [tagged.length ? "writeTags(w, this, v);" : "writeRawTags(w, this.unknownTags);"], "    "));
  L.push("  }");
  if (tagged.length) {
    // Tagged fields exist only in flexible versions: their encoding is compact.
    const within: Range = intersect(st.flex, st.valid);
    L.push("", "  override readTag(tag: u32, r: BytesReader, v: i16): bool {");
    for (const f of tagged) {
      const c = cond(f.versions, within);
      L.push(`    if (tag == ${f.tag}${c ? ` && ${c}` : ""}) {`, ...emitRead(f, "true").map((l) => "      " + l), "      return true;", "    }");
    }
    L.push("    return false;", "  }", "", "  override writeKnownTags(tags: TagWriter, v: i16): void {");
    for (const f of tagged) {
      const c = cond(f.versions, within);
      const when = `this.seen(${f.tag}) || ${nonDefault(f)}`;
      L.push(`    if (${c ? `${c} && (${when})` : when}) {`, `      const w = tags.begin(${f.tag});`,
        ...emitWrite(f, "true").map((l) => "      " + l), "      tags.end();", "    }");
    }
    L.push("  }");
  }
  L.push(...emitToJson(st, fields, ov, hasFlex));
  if (st.needsIsDefault) {
    L.push("", "  // True when every field has its default value (then a tagged field is omitted).", "  isDefault(): bool {");
    for (const f of fields) L.push(`    if (${nonDefault(f)}) return false;`);
    L.push("    return true;", "  }");
  }
  L.push("}");
  return L;
}

function emitToJson(st: Struct, fields: Field[], ov: string, hasFlex: boolean): string[] {
  const L = ["", "  // JSON-ish summary of the fields this version carries (tests, debug logs).", `  ${ov}toJson(v: i16): string {`,
    "    const j = new JsonFields();"];
  for (const f of fields) {
    const p = `this.${f.prop}`;
    const c = cond(f.versions, st.valid);
    const seen = isTagged(f) ? `(this.seen(${f.tag}) || ${nonDefault(f)})` : null;
    const when = [c, seen].filter((x) => x !== null).join(" && ") || null;
    let body: string[];
    if (f.type === "array") {
      const each = f.struct ? "a[i].toJson(v)" : jsonScalar(f.elem!, "a[i]");
      body = ["{", `  const a = ${p};`, `  let s = "null";`, "  if (a !== null) {", `    s = "[";`,
        `    for (let i = 0; i < a.length; i++) s += (i > 0 ? "," : "") + ${each};`, `    s += "]";`, "  }", `  j.add("${f.name}", s);`, "}"];
    } else {
      const value = f.type !== "struct" ? jsonScalar(f.type, p)
        : nullableEver(f) ? `(${p} === null ? "null" : ${p}!.toJson(v))` : `${p}.toJson(v)`;
      body = [`j.add("${f.name}", ${value});`];
    }
    L.push(...guarded(when, body, "    "));
  }
  L.push(`    return j.close(${hasFlex ? "this.unknownTags" : "null"});`, "  }");
  return L;
}
