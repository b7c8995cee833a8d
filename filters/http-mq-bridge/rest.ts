// Kafka REST-style produce (the shape of Confluent REST Proxy v2):
//   POST /topics/{topic}[/partitions/{p}]
//   Content-Type: application/vnd.kafka.json.v2+json    key/value: any JSON, sent as its JSON text
//                 application/vnd.kafka.binary.v2+json  key/value: base64 strings
//   {"records":[{"key":…, "value":…, "partition"?: n, "headers"?: {"k":"v"} | [{"name":"k","value":"v"}]}]}
// Answer 200: {"key_schema_id":null,"value_schema_id":null,
//              "offsets":[{"partition":p,"offset":o,"error_code":null,"error":null} |
//                         {"partition":p|null,"offset":null,"error_code":n,"error":"…"}]}
// Whole-request errors: {"error_code": n, "message": "…"}. Pure functions.
import { JsonValue, JsonWriter, parseJson, stringify } from "../../assembly/common/json";
import { decodeUtf8Buffer } from "../../assembly/common/utf8";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { kafkaTopicProblem, mediaType, percentDecode, validUtf8 } from "./dapr";
import { OutboundRecord } from "./record";

export const TOPICS_PREFIX: string = "/topics/";

export class RestError {
  constructor(public status: u32, public code: i32, public message: string) {}

  body(): string {
    return new JsonWriter().beginObject().key("error_code").int(this.code).key("message").string(this.message).endObject().toString();
  }
}

export class RestPath {
  topic: string = "";
  // -1: chosen per record
  partition: i32 = -1;
  error: RestError | null = null;
}

export function isRestPath(path: string): bool {
  return path.startsWith(TOPICS_PREFIX);
}

export function parseRestPath(path: string): RestPath {
  const out = new RestPath();
  let rest = path.substring(TOPICS_PREFIX.length);
  const q = rest.indexOf("?");
  if (q >= 0) rest = rest.substring(0, q);
  const parts = rest.split("/");
  const topic = percentDecode(parts[0], false);
  if (topic == null || topic.length == 0) {
    out.error = new RestError(404, 40401, "Topic not found: an empty or malformed topic name");
    return out;
  }
  const problem = kafkaTopicProblem(topic);
  if (problem != null) {
    out.error = new RestError(400, 400, "topic: " + problem!);
    return out;
  }
  out.topic = topic;
  if (parts.length == 1 || (parts.length == 2 && parts[1].length == 0)) return out;
  if (parts.length == 3 && parts[1] == "partitions") {
    const p = parseIndex(parts[2]);
    if (p < 0) {
      out.error = new RestError(400, 400, "partition: expected a non-negative integer in the path");
      return out;
    }
    out.partition = p;
    return out;
  }
  out.error = new RestError(404, 404, "no such resource: " + path);
  return out;
}

export const enum Embedded {
  Json = 0,
  Binary = 1,
}

// The embedded format from the Content-Type, or -1 when unsupported.
export function embeddedFormat(contentType: string): i32 {
  const mt = mediaType(contentType);
  if (mt == "application/vnd.kafka.json.v2+json" || mt == "application/vnd.kafka.v2+json" || mt == "application/json" || mt.length == 0) return Embedded.Json;
  if (mt == "application/vnd.kafka.binary.v2+json") return Embedded.Binary;
  return -1;
}

// Records with their key, value, headers and partition (-1: chosen by key or spread).
export class RestBody {
  records: OutboundRecord[] = [];
  error: RestError | null = null;
}

function bad(out: RestBody, field: string, message: string): RestBody {
  out.error = new RestError(400, 400, field + ": " + message);
  return out;
}

export function parseRestBody(body: Uint8Array, format: i32, pathPartition: i32): RestBody {
  const out = new RestBody();
  if (!validUtf8(body)) return bad(out, "body", "not valid UTF-8");
  const parsed = parseJson(decodeUtf8Buffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)));
  if (!parsed.ok) return bad(out, "body", "invalid JSON: " + parsed.describe());
  const root = parsed.value;
  if (!root.isObject) return bad(out, "body", "expected an object with \"records\"");
  const records = root.get("records");
  if (records == null || !records.isArray) return bad(out, "records", "required: an array of records");
  if (records.length == 0) return bad(out, "records", "must not be empty");
  for (let i = 0; i < records.length; i++) {
    const field = "records[" + i.toString() + "]";
    const r = records.at(i)!;
    if (!r.isObject) return bad(out, field, "expected an object");
    const rec = new OutboundRecord();
    rec.field = field + ".";
    const key = r.get("key");
    const value = r.get("value");
    const kErr = embedded(key, format);
    if (kErr != null) return bad(out, field + ".key", kErr!);
    const vErr = embedded(value, format);
    if (vErr != null) return bad(out, field + ".value", vErr!);
    rec.key = embeddedBytes(key, format);
    rec.value = embeddedBytes(value, format);
    const p = r.get("partition");
    if (p != null && !p.isNull) {
      if (!p.isInteger || p.asInt() < 0 || p.asInt() > 1000000) return bad(out, field + ".partition", "expected a non-negative integer");
      rec.partition = <i32>p.asInt();
      if (pathPartition >= 0 && rec.partition != pathPartition) return bad(out, field + ".partition", "differs from the partition in the path");
    } else {
      rec.partition = pathPartition;
    }
    const h = r.get("headers");
    if (h != null && !h.isNull) {
      const err = readHeaders(h, format, rec.headers);
      if (err != null) {
        out.error = new RestError(400, 400, field + ".headers" + err!);
        return out;
      }
    }
    for (let k = 0; k < r.length; k++) {
      const name = r.keyAt(k);
      if (name != "key" && name != "value" && name != "partition" && name != "headers") return bad(out, field + "." + name, "unknown field");
    }
    out.records.push(rec);
  }
  return out;
}

// Why a key/value is not valid in this format, or null.
function embedded(v: JsonValue | null, format: i32): string | null {
  if (v == null || v.isNull) return null;
  if (format == Embedded.Binary) {
    if (!v.isString) return "expected a base64 string (binary embedded format)";
    if (decodeBase64(v.asString()) == null) return "invalid base64";
  }
  return null;
}

function embeddedBytes(v: JsonValue | null, format: i32): Uint8Array | null {
  if (v == null || v.isNull) return null;
  if (format == Embedded.Binary) return decodeBase64(v.asString());
  return Uint8Array.wrap(String.UTF8.encode(stringify(v)));
}

// Fills `into`; returns a field suffix + message on error.
function readHeaders(h: JsonValue, format: i32, into: RecordHeader[]): string | null {
  if (h.isObject) {
    for (let i = 0; i < h.length; i++) {
      const err = header(h.keyAt(i), h.at(i)!, format, into);
      if (err != null) return "." + h.keyAt(i) + ": " + err!;
    }
    return null;
  }
  if (h.isArray) {
    for (let i = 0; i < h.length; i++) {
      const e = h.at(i)!;
      const at = "[" + i.toString() + "]";
      if (!e.isObject) return at + ": expected {\"name\": …, \"value\": …}";
      const name = e.get("name");
      if (name == null || !name.isString || name.asString().length == 0) return at + ".name: required string";
      const v = e.get("value");
      const err = header(name.asString(), v == null ? JsonValue.ofNull() : v, format, into);
      if (err != null) return at + ".value: " + err!;
    }
    return null;
  }
  return ": expected an object of name -> value or an array of {name, value}";
}

function header(name: string, v: JsonValue, format: i32, into: RecordHeader[]): string | null {
  if (v.isNull) {
    into.push(new RecordHeader(name, null));
    return null;
  }
  if (!v.isString) return "expected a string";
  if (format == Embedded.Binary) {
    const b = decodeBase64(v.asString());
    if (b == null) return "invalid base64";
    into.push(new RecordHeader(name, b));
  } else {
    into.push(new RecordHeader(name, Uint8Array.wrap(String.UTF8.encode(v.asString()))));
  }
  return null;
}

function parseIndex(s: string): i32 {
  if (s.length == 0 || s.length > 7) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function b64(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b || c == 0x2d) return 62;
  if (c == 0x2f || c == 0x5f) return 63;
  return -1;
}

// Standard or URL-safe alphabet, padding optional; null if invalid.
export function decodeBase64(s: string): Uint8Array | null {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) == 0x3d) n--;
  if (s.length - n > 2 || n % 4 == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const d = b64(s.charCodeAt(i));
    if (d < 0) return null;
    acc = (acc << 6) | <u32>d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>(acc >> bits);
    }
  }
  return out;
}

// One entry of "offsets".
export class OffsetEntry {
  partition: i32 = -1;
  offset: i64 = -1;
  errorCode: i32 = 0;
  error: string = "";
}

export function offsetsBody(entries: OffsetEntry[]): string {
  const w = new JsonWriter().beginObject();
  w.key("key_schema_id").null();
  w.key("value_schema_id").null();
  w.key("offsets").beginArray();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    w.beginObject();
    w.key("partition");
    if (e.partition >= 0) w.int(e.partition);
    else w.null();
    w.key("offset");
    if (e.errorCode == 0) w.int(e.offset);
    else w.null();
    w.key("error_code");
    if (e.errorCode == 0) w.null();
    else w.int(e.errorCode);
    w.key("error");
    if (e.errorCode == 0) w.null();
    else w.string(e.error);
    w.endObject();
  }
  w.endArray().endObject();
  return w.toString();
}
