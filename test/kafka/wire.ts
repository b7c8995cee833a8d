// An independent TypeScript encoder and decoder for Kafka messages, used to
// make test vectors for the AssemblyScript codec and to read what it writes.
// It interprets the field lists in schema.gen.ts directly (no shared code
// with the generated AS classes), and also produces the JSON the AS side's
// toJson() should report for a value.
import { SCHEMAS, type Range, type SchemaField, type SchemaMessage } from "./schema.gen.ts";

export { SCHEMAS };
export type Value = { [k: string]: unknown };
type Rng = () => number;

const inRange = (r: Range, v: number) => v >= r[0] && v <= r[1];
const PRIMS = new Set(["int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "string", "bytes", "records", "uuid"]);

// ---- byte building -----------------------------------------------------------

export class Out {
  parts: number[] = [];
  u8(x: number) { this.parts.push(x & 0xff); }
  i16(x: number) { this.u8(x >> 8); this.u8(x); }
  i32(x: number) { this.u8(x >>> 24); this.u8(x >>> 16); this.u8(x >>> 8); this.u8(x); }
  i64(x: bigint) { const u = BigInt.asUintN(64, x); this.i32(Number(u >> 32n)); this.i32(Number(u & 0xffffffffn)); }
  uvarint(x: number) { let u = x >>> 0; while (u >= 0x80) { this.u8((u & 0x7f) | 0x80); u >>>= 7; } this.u8(u); }
  varint(x: number) { this.uvarint(((x << 1) ^ (x >> 31)) >>> 0); }
  varlong(x: bigint) {
    let u = BigInt.asUintN(64, (x << 1n) ^ (x >> 63n));
    while (u >= 0x80n) { this.u8(Number((u & 0x7fn) | 0x80n)); u >>= 7n; }
    this.u8(Number(u));
  }
  raw(b: Uint8Array | number[]) { for (const x of b) this.parts.push(x); }
  bytes(): Uint8Array { return Uint8Array.from(this.parts); }
}

// ---- random values -------------------------------------------------------------

export function rngFrom(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 0x100000000; };
}
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const WORDS = ["", "t", "orders", "payments-eu", "grüße", "日本", "a.b_c-d", "x".repeat(40)];
function randBytes(rng: Rng, n: number) { return Uint8Array.from({ length: n }, () => int(rng, 0, 255)); }

function randomScalar(t: string, rng: Rng): unknown {
  switch (t) {
    case "int8": return int(rng, -128, 127);
    case "int16": return int(rng, -32768, 32767);
    case "int32": return [0, -1, 1, 2147483647, -2147483648, int(rng, -1e6, 1e6)][int(rng, 0, 5)];
    case "uint16": return int(rng, 0, 65535);
    case "uint32": return int(rng, 0, 0xffffffff);
    case "int64": return [0n, -1n, 9223372036854775807n, -9223372036854775808n, BigInt(int(rng, -1e9, 1e9)) * 1000003n][int(rng, 0, 4)];
    case "float64": return [0, 1.5, -2.25, 1e10][int(rng, 0, 3)];
    case "bool": return rng() < 0.5;
    case "string": return WORDS[int(rng, 0, WORDS.length - 1)];
    case "bytes": case "records": return randBytes(rng, int(rng, 0, 12));
    case "uuid": return rng() < 0.2 ? new Uint8Array(16) : randBytes(rng, 16);
  }
  throw new Error(t);
}

function fieldsOf(f: SchemaField): SchemaField[] | undefined { return f.fields; }

// A random value for every field the version carries. Tagged fields are
// sometimes absent (key missing). Flexible structs sometimes get unknown tags.
export function randomStruct(fields: SchemaField[], v: number, flex: boolean, rng: Rng): Value {
  const out: Value = {};
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    const tagged = inRange(f.tagged, v);
    if (tagged && rng() < 0.4) continue;
    out[f.name] = randomField(f, v, flex, rng);
  }
  if (flex && rng() < 0.15) out._unknownTags = [[int(rng, 90, 120), randBytes(rng, int(rng, 0, 5))]];
  return out;
}

function randomField(f: SchemaField, v: number, flex: boolean, rng: Rng): unknown {
  const nullable = inRange(f.nullable, v);
  if (nullable && rng() < 0.2) return null;
  if (f.type.startsWith("[]")) {
    const elem = f.type.slice(2);
    const n = int(rng, 0, 3);
    return Array.from({ length: n }, () => (PRIMS.has(elem) ? randomScalar(elem, rng) : randomStruct(fieldsOf(f)!, v, flex, rng)));
  }
  if (!PRIMS.has(f.type)) return randomStruct(fieldsOf(f)!, v, flex, rng);
  return randomScalar(f.type, rng);
}

// ---- encoding ----------------------------------------------------------------

function writeScalar(o: Out, t: string, x: unknown, flex: boolean) {
  switch (t) {
    case "int8": return o.u8(x as number);
    case "int16": return o.i16(x as number);
    case "int32": case "uint32": return o.i32(x as number);
    case "uint16": return o.i16(x as number);
    case "int64": return o.i64(x as bigint);
    case "float64": { const b = Buffer.alloc(8); b.writeDoubleBE(x as number); return o.raw(b); }
    case "bool": return o.u8(x ? 1 : 0);
    case "uuid": return o.raw(x as Uint8Array);
    case "string": {
      if (x === null) return flex ? o.uvarint(0) : o.i16(-1);
      const b = Buffer.from(x as string, "utf8");
      if (flex) o.uvarint(b.length + 1); else o.i16(b.length);
      return o.raw(b);
    }
    case "bytes": case "records": {
      if (x === null) return flex ? o.uvarint(0) : o.i32(-1);
      const b = x as Uint8Array;
      if (flex) o.uvarint(b.length + 1); else o.i32(b.length);
      return o.raw(b);
    }
  }
  throw new Error(t);
}

function writeField(o: Out, f: SchemaField, x: unknown, v: number, flex: boolean) {
  const fflex = f.flexible ? inRange(f.flexible, v) && flex : flex;
  if (f.type.startsWith("[]")) {
    const elem = f.type.slice(2);
    if (x === null) return flex ? o.uvarint(0) : o.i32(-1);
    const a = x as unknown[];
    if (flex) o.uvarint(a.length + 1); else o.i32(a.length);
    for (const e of a) PRIMS.has(elem) ? writeScalar(o, elem, e, flex) : writeStruct(o, fieldsOf(f)!, e as Value, v, flex);
    return;
  }
  if (!PRIMS.has(f.type)) {
    if (inRange(f.nullable, v)) o.u8(x === null ? -1 : 1);
    if (x !== null) writeStruct(o, fieldsOf(f)!, x as Value, v, flex);
    return;
  }
  writeScalar(o, f.type, x, fflex);
}

export function writeStruct(o: Out, fields: SchemaField[], val: Value, v: number, flex: boolean) {
  const tags: [number, Uint8Array][] = [];
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    if (flex && inRange(f.tagged, v)) {
      if (!(f.name in val)) continue;
      const t = new Out();
      writeField(t, f, val[f.name], v, true);
      tags.push([f.tag, t.bytes()]);
      continue;
    }
    writeField(o, f, val[f.name], v, flex);
  }
  if (!flex) return;
  for (const [tag, data] of (val._unknownTags as [number, Uint8Array][] | undefined) ?? []) tags.push([tag, data]);
  tags.sort((a, b) => a[0] - b[0]);
  o.uvarint(tags.length);
  for (const [tag, data] of tags) { o.uvarint(tag); o.uvarint(data.length); o.raw(data); }
}

// ---- decoding ----------------------------------------------------------------

// A cursor that throws on anything short or malformed: what it reads was
// written by the code under test, which must write valid frames.
export class In {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.b.length) throw new Error(`read of ${n} at ${this.pos} beyond ${this.b.length}`);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private view(n: number) { const b = this.take(n); return new DataView(b.buffer, b.byteOffset, n); }
  u8() { return this.take(1)[0]; }
  i8() { return this.view(1).getInt8(0); }
  i16() { return this.view(2).getInt16(0); }
  u16() { return this.view(2).getUint16(0); }
  i32() { return this.view(4).getInt32(0); }
  u32() { return this.view(4).getUint32(0); }
  i64() { return this.view(8).getBigInt64(0); }
  f64() { return this.view(8).getFloat64(0); }
  uvarint() { let x = 0; for (let shift = 0; ; shift += 7) { const c = this.u8(); x += (c & 0x7f) * 2 ** shift; if (c < 0x80) return x; if (shift > 28) throw new Error("varint too long"); } }
  raw(n: number) { return Uint8Array.from(this.take(n)); }
  get done() { return this.pos === this.b.length; }
}

function readScalar(i: In, t: string, flex: boolean): unknown {
  switch (t) {
    case "int8": return i.i8();
    case "int16": return i.i16();
    case "int32": return i.i32();
    case "uint16": return i.u16();
    case "uint32": return i.u32();
    case "int64": return i.i64();
    case "float64": return i.f64();
    case "bool": return i.u8() !== 0;
    case "uuid": return i.raw(16);
    case "string": case "bytes": case "records": {
      const n = flex ? i.uvarint() - 1 : t === "string" ? i.i16() : i.i32();
      if (n < 0) return null;
      const b = i.raw(n);
      return t === "string" ? Buffer.from(b).toString("utf8") : b;
    }
  }
  throw new Error(t);
}

function readField(i: In, f: SchemaField, v: number, flex: boolean): unknown {
  const fflex = f.flexible ? inRange(f.flexible, v) && flex : flex;
  if (f.type.startsWith("[]")) {
    const elem = f.type.slice(2);
    const n = flex ? i.uvarint() - 1 : i.i32();
    if (n < 0) return null;
    return Array.from({ length: n }, () => (PRIMS.has(elem) ? readScalar(i, elem, flex) : readStruct(i, fieldsOf(f)!, v, flex)));
  }
  if (!PRIMS.has(f.type)) {
    if (inRange(f.nullable, v) && i.i8() < 0) return null;
    return readStruct(i, fieldsOf(f)!, v, flex);
  }
  return readScalar(i, f.type, fflex);
}

// The value writeStruct would write as these bytes.
export function readStruct(i: In, fields: SchemaField[], v: number, flex: boolean): Value {
  const out: Value = {};
  for (const f of fields) {
    if (!inRange(f.versions, v) || (flex && inRange(f.tagged, v))) continue;
    out[f.name] = readField(i, f, v, flex);
  }
  if (!flex) return out;
  const unknown: [number, Uint8Array][] = [];
  for (let n = i.uvarint(); n > 0; n--) {
    const tag = i.uvarint();
    const data = i.raw(i.uvarint());
    const f = fields.find((x) => x.tag === tag && inRange(x.versions, v) && inRange(x.tagged, v));
    if (!f) { unknown.push([tag, data]); continue; }
    const sub = new In(data);
    out[f.name] = readField(sub, f, v, true);
    if (!sub.done) throw new Error(`tag ${tag} of ${f.name}: ${data.length - sub.pos} bytes left`);
  }
  if (unknown.length) out._unknownTags = unknown;
  return out;
}

export function apiOfKey(key: number): string | undefined {
  return Object.keys(SCHEMAS).find((api) => SCHEMAS[api][api + "Request"].apiKey === key);
}

export function decodeRequestFrame(frame: Uint8Array): { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null; body: Value } {
  const i = new In(frame);
  if (i.i32() !== frame.length - 4) throw new Error("bad frame size");
  const apiKey = i.i16(), apiVersion = i.i16(), correlationId = i.i32();
  const clientId = readScalar(i, "string", false) as string | null;
  const api = apiOfKey(apiKey);
  if (!api) throw new Error(`no schema for api key ${apiKey}`);
  const m = SCHEMAS[api][api + "Request"];
  const flex = isFlexible(m, apiVersion);
  if (flex) readStruct(i, [], apiVersion, true);
  const body = readStruct(i, m.fields, apiVersion, flex);
  if (!i.done) throw new Error("trailing bytes");
  return { apiKey, apiVersion, correlationId, clientId, body };
}

export function decodeResponseFrame(api: string, v: number, frame: Uint8Array): { correlationId: number; body: Value } {
  const i = new In(frame);
  if (i.i32() !== frame.length - 4) throw new Error("bad frame size");
  const correlationId = i.i32();
  const m = SCHEMAS[api][api + "Response"];
  const flex = isFlexible(m, v);
  if (flex && api !== "ApiVersions") readStruct(i, [], v, true);
  const body = readStruct(i, m.fields, v, flex);
  if (!i.done) throw new Error("trailing bytes");
  return { correlationId, body };
}

// ---- expected JSON (the shape of the AS toJson output) -------------------------

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
function jsonScalar(t: string, x: unknown): unknown {
  if (x === null) return null;
  if (t === "int64") return (x as bigint).toString();
  if (t === "bytes" || t === "records" || t === "uuid") return hex(x as Uint8Array);
  return x;
}
export function expectedJson(fields: SchemaField[], val: Value, v: number): Value {
  const out: Value = {};
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    if (inRange(f.tagged, v) && !(f.name in val)) continue;
    const x = val[f.name];
    if (f.type.startsWith("[]")) {
      const elem = f.type.slice(2);
      out[f.name] = x === null ? null : (x as unknown[]).map((e) => (PRIMS.has(elem) ? jsonScalar(elem, e) : expectedJson(fieldsOf(f)!, e as Value, v)));
    } else if (!PRIMS.has(f.type)) out[f.name] = x === null ? null : expectedJson(fieldsOf(f)!, x as Value, v);
    else out[f.name] = jsonScalar(f.type, x);
  }
  const unk = val._unknownTags as [number, Uint8Array][] | undefined;
  if (unk && unk.length) out._unknownTags = unk.map(([t, d]) => [t, hex(d)]);
  return out;
}

// A value of every (untagged) field of the version: the given ones, zero or
// empty for the rest (tagged fields only when given).
export function fill(fields: SchemaField[], v: number, given: Value): Value {
  const out: Value = {};
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    if (inRange(f.tagged, v) && !(f.name in given)) continue;
    const x = given[f.name];
    if (f.type.startsWith("[]")) {
      const arr = (x as unknown[] | null | undefined) ?? [];
      out[f.name] = x === null ? null : f.fields ? arr.map((e) => fill(f.fields!, v, e as Value)) : arr;
    } else if (f.fields) out[f.name] = fill(f.fields, v, (x as Value) ?? {});
    else if (x !== undefined) out[f.name] = x;
    else out[f.name] = zeroOf(f.type);
  }
  return out;
}

function zeroOf(type: string): unknown {
  switch (type) {
    case "int64": return 0n;
    case "string": return "";
    case "bool": return false;
    case "uuid": return new Uint8Array(16);
    case "bytes": case "records": return new Uint8Array(0);
    default: return 0;
  }
}

// ---- frames ------------------------------------------------------------------

export function isFlexible(m: SchemaMessage, v: number) { return inRange(m.flexibleVersions, v); }

export function requestFrame(api: string, v: number, body: Value, correlationId: number, clientId: string | null): Uint8Array {
  const m = SCHEMAS[api][api + "Request"];
  const flex = isFlexible(m, v);
  const o = new Out();
  o.i16(m.apiKey); o.i16(v); o.i32(correlationId);
  writeScalar(o, "string", clientId, false); // client id keeps its int16 length in header v2
  if (flex) o.uvarint(0);
  writeStruct(o, m.fields, body, v, flex);
  const b = o.bytes();
  const f = new Out(); f.i32(b.length); f.raw(b);
  return f.bytes();
}

export function responseFrame(api: string, v: number, body: Value, correlationId: number): Uint8Array {
  const m = SCHEMAS[api][api + "Response"];
  const flex = isFlexible(m, v);
  const o = new Out();
  o.i32(correlationId);
  if (flex && api !== "ApiVersions") o.uvarint(0); // ApiVersions responses keep header v0
  writeStruct(o, m.fields, body, v, flex);
  const b = o.bytes();
  const f = new Out(); f.i32(b.length); f.raw(b);
  return f.bytes();
}

export function versionsOf(api: string, kind: "Request" | "Response"): number[] {
  const [lo, hi] = SCHEMAS[api][api + kind].validVersions;
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
