// The model the Kafka codec generator works on: Kafka's message JSON read as
// data (names, types, versions, nullable/tagged versions, defaults,
// entityType) and turned into structs with version ranges narrowed to where
// each struct can occur, so emitted code tests only what can vary.

export interface JField {
  name: string; type: string; versions: string; nullableVersions?: string; taggedVersions?: string;
  tag?: number; default?: string | number | boolean; fields?: JField[]; flexibleVersions?: string;
  entityType?: string;
}
export interface JMessage {
  apiKey: number; type: string; name: string; validVersions: string; flexibleVersions: string;
  listeners?: string[]; latestVersionUnstable?: boolean;
  fields: JField[]; commonStructs?: { name: string; versions: string; fields: JField[] }[];
}

// Message JSON has // comments; strings may contain "//".
export function parseMessageJson(text: string): JMessage {
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
  return JSON.parse(out);
}

// ---- versions --------------------------------------------------------------

export type Range = [number, number]; // inclusive; [1, 0] = none
export const NONE: Range = [1, 0];
export const OPEN = 32767;

export function range(s: string | undefined): Range {
  if (s === undefined || s === "none") return NONE;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), OPEN];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}
export const isEmpty = (r: Range) => r[0] > r[1];
export const intersect = (a: Range, b: Range): Range => [Math.max(a[0], b[0]), Math.min(a[1], b[1])];
export const covers = (outer: Range, inner: Range) => isEmpty(inner) || (outer[0] <= inner[0] && outer[1] >= inner[1]);

// The test on `v` that selects r among the versions `within`: null when it
// always holds there, "false" when it never does. Never a constant otherwise.
export function cond(r: Range, within: Range): string | null {
  const [lo, hi] = intersect(r, within);
  if (lo > hi) return "false";
  const parts: string[] = [];
  if (lo > within[0]) parts.push(`v >= ${lo}`);
  if (hi < within[1]) parts.push(`v <= ${hi}`);
  return parts.length === 0 ? null : parts.join(" && ");
}

// ---- structs ---------------------------------------------------------------

export const PRIMS = new Set(["int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "string", "bytes", "records", "uuid"]);

export interface Field {
  name: string; prop: string;
  type: string; // a primitive, "array" or "struct"
  elem: string | null; // primitive element type of an array
  struct: Struct | null; // struct type of a struct or array-of-struct field
  versions: Range; // as in the JSON, intersected with the struct's versions
  nullable: Range; tagged: Range; tag: number; def: string; nonFlexString: boolean;
  entityType: string | null;
}
export interface Struct {
  cls: string; fields: Field[];
  flex: Range; // the message's flexible versions
  valid: Range; // versions where this struct can occur
  needsIsDefault: boolean;
  message: string; // the message it belongs to
}

export const camel = (s: string) => s[0].toLowerCase() + s.slice(1);

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

// The structs of one API's request and response, in creation order. Class
// names are the JSON struct names; a name taken already in the file gets the
// message name as prefix (so the request's struct keeps the plain name).
export class ApiModel {
  structs: Struct[] = [];
  private names = new Set<string>();
  private common = new Map<string, JField[]>();
  // a common struct used by several fields of a message is one class
  private commonBuilt = new Map<string, Struct>();

  private messageValid = new Map<string, Range>();

  addMessage(m: JMessage): Struct {
    for (const c of m.commonStructs ?? []) this.common.set(c.name, c.fields);
    this.messageValid.set(m.name, range(m.validVersions));
    return this.buildStruct(m.name, m.fields, range(m.validVersions), range(m.flexibleVersions), m.name);
  }

  private buildStruct(name: string, jf: JField[], valid: Range, flex: Range, message: string): Struct {
    let cls = name;
    if (this.names.has(cls)) cls = message + name;
    this.names.add(cls);
    const st: Struct = { cls, fields: [], flex, valid, needsIsDefault: false, message };
    this.structs.push(st);
    for (const f of jf) {
      if (f.flexibleVersions && f.flexibleVersions !== "none") throw new Error("field flexibleVersions " + f.flexibleVersions);
      const isArr = f.type.startsWith("[]");
      const base = isArr ? f.type.slice(2) : f.type;
      const versions = intersect(range(f.versions), valid);
      let struct: Struct | null = null;
      if (f.fields) {
        // A struct never seen (its field is outside validVersions) keeps the
        // message's range so its class still reads and writes something sane.
        struct = this.buildStruct(base, f.fields, isEmpty(versions) ? valid : versions, flex, message);
      } else if (!PRIMS.has(base)) {
        const sub = this.common.get(base);
        if (!sub) throw new Error(`unknown struct ${base} in ${name}`);
        const key = message + "/" + base;
        struct = this.commonBuilt.get(key) ?? null;
        if (!struct) {
          struct = this.buildStruct(base, sub, this.messageValid.get(message)!, flex, message);
          this.commonBuilt.set(key, struct);
        }
      }
      if (struct && !isArr && f.taggedVersions) struct.needsIsDefault = true;
      const nullable = range(f.nullableVersions);
      st.fields.push({
        name: f.name, prop: camel(f.name), type: isArr ? "array" : struct ? "struct" : base,
        elem: isArr && !struct ? base : null, struct, versions, nullable,
        tagged: range(f.taggedVersions), tag: f.tag ?? -1,
        def: isArr || struct ? "" : defaultExpr(f, base, !isEmpty(nullable)),
        nonFlexString: f.flexibleVersions === "none", entityType: f.entityType ?? null,
      });
    }
    return st;
  }
}

export const isTagged = (f: Field) => !isEmpty(f.tagged);
export const nullableEver = (f: Field) => !isEmpty(f.nullable);
