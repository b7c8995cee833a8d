// Dapr's publish API, as far as the wire goes (README.md, "Dapr publish"):
//   POST /v1.0/publish/{pubsub}/{topic}[?metadata.k=v&...]
// and the CloudEvent envelope Dapr wraps a body in unless
// metadata.rawPayload=true. Pure functions, no host calls.
import { JsonValue, JsonWriter, parseJson } from "../../assembly/common/json";
import { decodeUtf8Buffer } from "../../assembly/common/utf8";

export const PUBLISH_PREFIX: string = "/v1.0/publish/";

// A failed request: HTTP status, Dapr errorCode and message.
export class ApiError {
  constructor(public status: u32, public code: string, public message: string) {}

  body(): string {
    return new JsonWriter().beginObject().key("errorCode").string(this.code).key("message").string(this.message).endObject().toString();
  }
}

export class PublishRequest {
  pubsub: string = "";
  topic: string = "";
  // metadata.<name> query parameters, names without the prefix, in order.
  metadataKeys: string[] = [];
  metadataValues: string[] = [];
  error: ApiError | null = null;

  metadata(name: string): string | null {
    for (let i = 0; i < this.metadataKeys.length; i++) if (this.metadataKeys[i] == name) return this.metadataValues[i];
    return null;
  }
}

export function isPublishPath(path: string): bool {
  return path.startsWith(PUBLISH_PREFIX);
}

function malformed(message: string): ApiError {
  return new ApiError(400, "ERR_MALFORMED_REQUEST", message);
}

// Splits and decodes a publish path; pr.error is set when it is not valid.
// `prefix`: the part before {pubsub}/{topic} (publish, bulk, cloudevents).
export function parsePublishPath(path: string, prefix: string = PUBLISH_PREFIX): PublishRequest {
  const pr = new PublishRequest();
  let rest = path.substring(prefix.length);
  let query = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.substring(q + 1);
    rest = rest.substring(0, q);
  }
  const hash = query.indexOf("#");
  if (hash >= 0) query = query.substring(0, hash);
  const slash = rest.indexOf("/");
  const rawPubsub = slash < 0 ? rest : rest.substring(0, slash);
  const rawTopic = slash < 0 ? "" : rest.substring(slash + 1);
  const pubsub = percentDecode(rawPubsub, false);
  const topic = percentDecode(rawTopic, false);
  if (pubsub == null) {
    pr.error = malformed("pubsubname: invalid percent-encoding");
    return pr;
  }
  if (topic == null) {
    pr.error = malformed("topic: invalid percent-encoding");
    return pr;
  }
  if (pubsub.length == 0) {
    pr.error = new ApiError(404, "ERR_PUBSUB_EMPTY", "pubsub name is empty");
    return pr;
  }
  if (topic.length == 0) {
    pr.error = new ApiError(404, "ERR_TOPIC_EMPTY", "topic is empty in pubsub " + pubsub);
    return pr;
  }
  pr.pubsub = pubsub;
  pr.topic = topic;
  if (query.length > 0) {
    const parts = query.split("&");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.length == 0) continue;
      const eq = part.indexOf("=");
      const k = percentDecode(eq < 0 ? part : part.substring(0, eq), true);
      const v = percentDecode(eq < 0 ? "" : part.substring(eq + 1), true);
      if (k == null || v == null) {
        pr.error = malformed("query parameter " + (eq < 0 ? part : part.substring(0, eq)) + ": invalid percent-encoding");
        return pr;
      }
      if (!k.startsWith("metadata.")) continue;
      const name = k.substring(9);
      if (name.length == 0) {
        pr.error = malformed("query parameter metadata.: empty metadata name");
        return pr;
      }
      pr.metadataKeys.push(name);
      pr.metadataValues.push(v);
    }
  }
  return pr;
}

// Kafka's topic name rule: 1-249 of [a-zA-Z0-9._-], not "." or "..".
export function kafkaTopicProblem(topic: string): string | null {
  if (topic.length > 249) return "longer than 249 characters";
  if (topic == "." || topic == "..") return "\".\" and \"..\" are not topic names";
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d;
    if (!ok) return "Kafka topic names use only letters, digits, '.', '_' and '-'";
  }
  return null;
}

// Go's strconv.ParseBool, which Dapr uses for rawPayload; -1 if invalid.
export function parseBool(s: string): i32 {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return 1;
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") return 0;
  return -1;
}

// %XX decoding to UTF-8 (and '+' to space in query strings); null when an
// escape is malformed or the bytes are not valid UTF-8.
export function percentDecode(s: string, plusIsSpace: bool): string | null {
  let simple = true;
  for (let i = 0; i < s.length && simple; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25 || (plusIsSpace && c == 0x2b) || c > 0x7e) simple = false;
  }
  if (simple) return s;
  const src = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b == 0x25) {
      if (i + 2 >= src.length) return null;
      const hi = hexDigit(src[i + 1]);
      const lo = hexDigit(src[i + 2]);
      if (hi < 0 || lo < 0) return null;
      out[n++] = <u8>((hi << 4) | lo);
      i += 2;
    } else if (plusIsSpace && b == 0x2b) {
      out[n++] = 0x20;
    } else {
      out[n++] = b;
    }
  }
  const bytes = out.slice(0, n);
  if (!validUtf8(bytes)) return null;
  return decodeUtf8Buffer(bytes.buffer);
}

function hexDigit(b: u8): i32 {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

export function validUtf8(b: Uint8Array): bool {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = <u32>b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else return false;
    if (i + need >= n) return false;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return false;
      const cc = <u32>b[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

// The media type without parameters, lower case: "application/json".
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(";");
  return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase();
}

export function isJsonType(mt: string): bool {
  return mt == "application/json" || mt == "text/json" || mt.endsWith("+json");
}

// Dapr sends these as data_base64.
export function isBinaryType(mt: string): bool {
  return mt == "application/octet-stream";
}

export class EnvelopeInput {
  id: string = "";
  source: string = "";
  topic: string = "";
  pubsub: string = "";
  contentType: string = "";
  time: string = "";
  traceparent: string = "";
  tracestate: string = "";
}

// Wraps `body` the way Dapr does; the error says which field is wrong.
export class Envelope {
  value: Uint8Array = new Uint8Array(0);
  error: ApiError | null = null;
}

export function wrapCloudEvent(body: Uint8Array, e: EnvelopeInput): Envelope {
  const out = new Envelope();
  const contentType = e.contentType.length == 0 ? "text/plain" : e.contentType;
  const mt = mediaType(contentType);
  if (mt == "application/cloudevents+json") return completeCloudEvent(body, e);
  const w = new JsonWriter().beginObject();
  w.key("specversion").string("1.0");
  w.key("id").string(e.id);
  w.key("source").string(e.source);
  w.key("type").string("com.dapr.event.sent");
  w.key("datacontenttype").string(contentType);
  if (isJsonType(mt)) {
    const text = decodeBody(body);
    if (text == null) {
      out.error = malformed("body: not valid UTF-8 for content type " + mt);
      return out;
    }
    const parsed = parseJson(text!);
    if (!parsed.ok) {
      out.error = malformed("body: invalid JSON for content type " + mt + ": " + parsed.describe());
      return out;
    }
    w.key("data").value(parsed.value);
  } else if (isBinaryType(mt)) {
    w.key("data_base64").string(base64(body));
  } else {
    const text = decodeBody(body);
    if (text == null) w.key("data_base64").string(base64(body));
    else w.key("data").string(text!);
  }
  w.key("topic").string(e.topic);
  w.key("pubsubname").string(e.pubsub);
  if (e.traceparent.length > 0) {
    w.key("traceid").string(e.traceparent);
    w.key("traceparent").string(e.traceparent);
    w.key("tracestate").string(e.tracestate);
  }
  if (e.time.length > 0) w.key("time").string(e.time);
  w.endObject();
  out.value = Uint8Array.wrap(String.UTF8.encode(w.toString()));
  return out;
}

// A body that already is a structured CloudEvent: Dapr keeps it and fills in
// what is missing, and always sets topic and pubsubname.
function completeCloudEvent(body: Uint8Array, e: EnvelopeInput): Envelope {
  const out = new Envelope();
  const text = decodeBody(body);
  if (text == null) {
    out.error = malformed("body: application/cloudevents+json needs a JSON object");
    return out;
  }
  const parsed = parseJson(text!);
  if (!parsed.ok || !parsed.value.isObject) {
    out.error = malformed("body: application/cloudevents+json needs a JSON object");
    return out;
  }
  const ce = parsed.value;
  setIfMissing(ce, "specversion", "1.0");
  setIfMissing(ce, "id", e.id);
  setIfMissing(ce, "source", e.source);
  setIfMissing(ce, "type", "com.dapr.event.sent");
  if (!ce.has("datacontenttype") && (ce.has("data") || ce.has("data_base64"))) ce.set("datacontenttype", JsonValue.ofString("application/json"));
  ce.set("topic", JsonValue.ofString(e.topic));
  ce.set("pubsubname", JsonValue.ofString(e.pubsub));
  if (e.traceparent.length > 0) {
    setIfMissing(ce, "traceid", e.traceparent);
    setIfMissing(ce, "traceparent", e.traceparent);
    if (e.tracestate.length > 0) setIfMissing(ce, "tracestate", e.tracestate);
  }
  if (e.time.length > 0) setIfMissing(ce, "time", e.time);
  out.value = Uint8Array.wrap(String.UTF8.encode(new JsonWriter().value(ce).toString()));
  return out;
}

function setIfMissing(o: JsonValue, key: string, value: string): void {
  const v = o.get(key);
  if (v == null || v.isNull) o.set(key, JsonValue.ofString(value));
}

function decodeBody(body: Uint8Array): string | null {
  if (!validUtf8(body)) return null;
  return decodeUtf8Buffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64(b: Uint8Array): string {
  const n = b.length;
  const codes = new Array<i32>(((n + 2) / 3) * 4);
  let o = 0;
  for (let i = 0; i < n; i += 3) {
    const b0 = <u32>b[i];
    const b1 = i + 1 < n ? <u32>b[i + 1] : 0;
    const b2 = i + 2 < n ? <u32>b[i + 2] : 0;
    const v = (b0 << 16) | (b1 << 8) | b2;
    codes[o++] = B64.charCodeAt((v >> 18) & 63);
    codes[o++] = B64.charCodeAt((v >> 12) & 63);
    codes[o++] = i + 1 < n ? B64.charCodeAt((v >> 6) & 63) : 0x3d;
    codes[o++] = i + 2 < n ? B64.charCodeAt(v & 63) : 0x3d;
  }
  return String.fromCharCodes(codes);
}
