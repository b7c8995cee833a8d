// An independent TypeScript model of the RocketMQ remoting wire format,
// written from the Java sources (RemotingCommand, RocketMQSerializable,
// fastjson's bean output), so tests compare the AssemblyScript codec with
// something other than itself.
import { loadPureModule } from "../support/pure-module.ts";

export interface Codec {
  lastError(): string;
  describeFrame(frame: Uint8Array): string;
  reencode(frame: Uint8Array): Uint8Array;
  convert(frame: Uint8Array, type: number): Uint8Array;
  edit(frame: Uint8Array, key: string, value: string | null, remark: string | null, code: number): Uint8Array;
  respond(frame: Uint8Array, code: number, remark: string | null): Uint8Array;
  buildRequest(code: number, opaque: number, type: number, ext: string, body: Uint8Array): Uint8Array;
  peek(head: Uint8Array, frameSize: number): string;
  peekExt(head: Uint8Array, frameSize: number, key: string, indexOnRead?: boolean): string;
  sendInfo(frame: Uint8Array): string;
  addSendProperty(frame: Uint8Array, name: string, value: string): Uint8Array;
  consumeInfo(frame: Uint8Array): string;
  heartbeatInfo(frame: Uint8Array): string;
  routeAddresses(body: Uint8Array): string;
  routeRewrite(body: Uint8Array, address: string): Uint8Array;
  propsParse(s: string): string;
  propsCanonical(s: string): string;
  propsWith(s: string, name: string, value: string): string;
  batchDescribe(body: Uint8Array): string;
  batchWith(body: Uint8Array, name: string, value: string): Uint8Array;
  codeNames(req: number, resp: number): string;
  standardJson(s: string): string;
}

export async function loadCodec(): Promise<Codec> {
  return (await loadPureModule<Codec>("rocketmq_codec")).exports;
}

export const JSON_TYPE = 0;
export const ROCKETMQ_TYPE = 1;
export const LANGUAGES = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"];

export interface Command {
  code: number;
  language: number; // LanguageCode byte
  version: number;
  opaque: number;
  flag: number;
  remark: string | null;
  ext: [string, string][]; // wire order
  body: Uint8Array;
}

export function command(partial: Partial<Command>): Command {
  return { code: 0, language: 0, version: 0, opaque: 0, flag: 0, remark: null, ext: [], body: new Uint8Array(0), ...partial };
}

// fastjson's string escaping: the JSON specials, other controls as \u00XX.
// Upper-case hex on purpose: json.ts writes lower case, so a test that sees
// these bytes come back proves they were copied, not re-serialized.
export function fjString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20) out += "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

// fastjson output for a value: a Map keeps its order and writes number keys
// bare (HashMap<Long,...>); a plain object is a bean (members sorted, nulls
// and undefined left out).
export function fastjson(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return fjString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "[" + v.map(fastjson).join(",") + "]";
  if (v instanceof Map) {
    return "{" + [...v].map(([k, x]) => (typeof k === "number" ? String(k) : fjString(k)) + ":" + fastjson(x)).join(",") + "}";
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== null && o[k] !== undefined).sort();
  return "{" + keys.map((k) => fjString(k) + ":" + fastjson(o[k])).join(",") + "}";
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export function jsonHeader(c: Command): Uint8Array {
  return utf8(fastjson({
    code: c.code,
    extFields: c.ext.length ? new Map(c.ext) : null,
    flag: c.flag,
    language: LANGUAGES[c.language],
    opaque: c.opaque,
    remark: c.remark,
    serializeTypeCurrentRPC: "JSON",
    version: c.version,
  }));
}

// RocketMQSerializable.rocketMQProtocolEncode.
export function binaryHeader(c: Command): Uint8Array {
  const parts: number[] = [];
  const u8 = (v: number) => parts.push(v & 0xff);
  const i16 = (v: number) => { u8(v >> 8); u8(v); };
  const i32 = (v: number) => { u8(v >>> 24); u8(v >>> 16); u8(v >>> 8); u8(v); };
  const bytes = (b: Uint8Array) => b.forEach((x) => parts.push(x));
  i16(c.code); u8(c.language); i16(c.version); i32(c.opaque); i32(c.flag);
  if (c.remark) { const r = utf8(c.remark); i32(r.length); bytes(r); } else i32(0);
  const ext: number[] = [];
  for (const [k, v] of c.ext) {
    const kb = utf8(k), vb = utf8(v);
    ext.push((kb.length >> 8) & 0xff, kb.length & 0xff, ...kb);
    ext.push((vb.length >>> 24) & 0xff, (vb.length >>> 16) & 0xff, (vb.length >>> 8) & 0xff, vb.length & 0xff, ...vb);
  }
  i32(ext.length);
  parts.push(...ext);
  return Uint8Array.from(parts);
}

// The frame after the length prefix (what the filter's FrameStream hands over).
export function frame(type: number, header: Uint8Array, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + header.length + body.length);
  new DataView(out.buffer).setUint32(0, ((type << 24) | header.length) >>> 0);
  out.set(header, 4);
  out.set(body, 4 + header.length);
  return out;
}

export function wire(f: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + f.length);
  new DataView(out.buffer).setInt32(0, f.length);
  out.set(f, 4);
  return out;
}

export function jsonFrame(c: Command): Uint8Array {
  return frame(JSON_TYPE, jsonHeader(c), c.body);
}

export function binaryFrame(c: Command): Uint8Array {
  return frame(ROCKETMQ_TYPE, binaryHeader(c), c.body);
}

// Decodes a wire frame (length prefix included) back into a Command, the
// way Java's RemotingCommand.decode would, with JSON.parse for JSON headers.
export function decodeWire(w: Uint8Array): Command & { type: number; json?: Record<string, unknown> } {
  const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
  const total = dv.getInt32(0);
  if (total !== w.length - 4) throw new Error(`length prefix ${total} vs ${w.length - 4}`);
  const word = dv.getUint32(4);
  const type = word >>> 24;
  const hlen = word & 0xffffff;
  const header = w.subarray(8, 8 + hlen);
  const body = w.slice(8 + hlen);
  if (type === JSON_TYPE) {
    const j = JSON.parse(new TextDecoder().decode(header));
    return {
      type, json: j, code: j.code ?? 0, language: LANGUAGES.indexOf(j.language ?? "JAVA"), version: j.version ?? 0,
      opaque: j.opaque ?? 0, flag: j.flag ?? 0, remark: j.remark ?? null, ext: Object.entries(j.extFields ?? {}), body,
    };
  }
  const h = new DataView(header.buffer, header.byteOffset, header.byteLength);
  let p = 0;
  const code = h.getInt16(p); p += 2;
  const language = h.getUint8(p); p += 1;
  const version = h.getInt16(p); p += 2;
  const opaque = h.getInt32(p); p += 4;
  const flag = h.getInt32(p); p += 4;
  const rl = h.getInt32(p); p += 4;
  const remark = rl ? new TextDecoder().decode(header.subarray(p, p + rl)) : null; p += rl;
  const el = h.getInt32(p); p += 4;
  const end = p + el;
  const ext: [string, string][] = [];
  while (p < end) {
    const kl = h.getInt16(p); p += 2;
    const k = new TextDecoder().decode(header.subarray(p, p + kl)); p += kl;
    const vl = h.getInt32(p); p += 4;
    ext.push([k, new TextDecoder().decode(header.subarray(p, p + vl))]); p += vl;
  }
  if (p !== header.length) throw new Error("binary header has trailing bytes");
  return { type, code, language, version, opaque, flag, remark, ext, body };
}

// What describeFrame should say for a Command.
export function described(c: Command, type: number) {
  return {
    type, code: c.code, language: c.language, languageName: LANGUAGES[c.language] ?? "", version: c.version,
    opaque: c.opaque, flag: c.flag, response: (c.flag & 1) !== 0, oneway: (c.flag & 2) !== 0,
    remark: c.remark, ext: c.ext, bodyLength: c.body.length,
  };
}

/** A properties string as Java writes it: name \u0001 value \u0002 ... */
export const P = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}\u0001${v}\u0002`).join("");

// MessageDecoder.string2messageProperties, restated.
export function javaProps(s: string): Map<string, string> {
  const map = new Map<string, string>();
  let index = 0;
  while (index < s.length) {
    let next = s.indexOf("\u0002", index);
    if (next < 0) next = s.length;
    if (next - index >= 3) {
      const kv = s.indexOf("\u0001", index);
      if (kv > index && kv < next - 1) map.set(s.substring(index, kv), s.substring(kv + 1, next));
    }
    index = next + 1;
  }
  return map;
}

/** One message of a SEND_BATCH_MESSAGE body (MessageDecoder.encodeMessages). */
export function batchMessage(flag: number, body: string, props: string): Uint8Array {
  const b = new TextEncoder().encode(body), p = new TextEncoder().encode(props);
  const out = new Uint8Array(20 + b.length + 2 + p.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, out.length); dv.setInt32(12, flag); dv.setInt32(16, b.length);
  out.set(b, 20); dv.setInt16(20 + b.length, p.length); out.set(p, 22 + b.length);
  return out;
}

export const concat = (...a: Uint8Array[]) => Uint8Array.from(a.flatMap((x) => [...x]));

// MessageDecoder's stored form, restated, for messages the recordings lack.
export function storedMessage(o: { topic: string; properties: string; queueId?: number; queueOffset?: bigint; v6?: boolean; magicV2?: boolean }): Uint8Array {
  const topic = Buffer.from(o.topic), props = Buffer.from(o.properties), body = Buffer.from("payload");
  const host = o.v6 ? 16 : 4;
  const size = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + (host + 4) + 8 + (host + 4) + 4 + 8 + 4 + body.length + (o.magicV2 ? 2 : 1) + topic.length + 2 + props.length;
  const b = Buffer.alloc(size);
  let p = 0;
  p = b.writeInt32BE(size, p); p = b.writeInt32BE(o.magicV2 ? -626843477 : -626843481, p); p = b.writeInt32BE(0, p);
  p = b.writeInt32BE(o.queueId ?? 0, p); p = b.writeInt32BE(0, p); p = b.writeBigInt64BE(o.queueOffset ?? 0n, p); p = b.writeBigInt64BE(0n, p);
  p = b.writeInt32BE(o.v6 ? 0x30 : 0, p); p = b.writeBigInt64BE(1700000000000n, p);
  p += host; p = b.writeInt32BE(9000, p); p = b.writeBigInt64BE(1700000000001n, p); p += host; p = b.writeInt32BE(10911, p);
  p = b.writeInt32BE(0, p); p = b.writeBigInt64BE(0n, p); p = b.writeInt32BE(body.length, p); p += body.copy(b, p);
  p = o.magicV2 ? b.writeInt16BE(topic.length, p) : b.writeInt8(topic.length, p); p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p); props.copy(b, p);
  return b;
}
