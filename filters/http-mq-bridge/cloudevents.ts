// CloudEvents 1.0 over HTTP in (binary, structured and batch modes) and the
// records for the Kafka protocol binding, binary mode (README.md, "CloudEvents"):
//   POST /v1.0/cloudevents/{pubsub}/{topic}
//   attributes      -> record.event (written as headers ce_<name>, UTF-8 text)
//   datacontenttype -> record.event.contentType (written as header content-type)
//   data            -> record value (data_base64 decoded)
//   partitionkey    -> record key (also kept as ce_partitionkey)
//   traceparent     -> the record's trace context, unless the request has one
// Pure functions, no host calls.
import { HeaderPair } from "../../assembly/proxy/pairs";
import { JsonValue, JsonWriter, parseJson, stringify } from "../../assembly/common/json";
import { parseTraceparent } from "../../assembly/common/trace_context";
import { decodeUtf8Buffer } from "../../assembly/common/utf8";
import { ApiError, isJsonType, mediaType, percentDecode, validUtf8 } from "./dapr";
import { EventAttributes, OutboundRecord } from "./record";
import { decodeBase64 } from "./rest";

export const CLOUDEVENTS_PREFIX: string = "/v1.0/cloudevents/";
export const STRUCTURED_TYPE: string = "application/cloudevents+json";
export const BATCH_TYPE: string = "application/cloudevents-batch+json";

export const enum CeMode {
  Binary = 0,
  Structured = 1,
  Batch = 2,
}

export function isCloudEventsPath(path: string): bool {
  return path.startsWith(CLOUDEVENTS_PREFIX);
}

export function ceMode(contentType: string): CeMode {
  const mt = mediaType(contentType);
  if (mt == STRUCTURED_TYPE) return CeMode.Structured;
  if (mt == BATCH_TYPE) return CeMode.Batch;
  return CeMode.Binary;
}

// The records for one request, in event order, each with its event's id and
// valid traceparent extension ("" when none).
export class CeRecords {
  records: OutboundRecord[] = [];
  error: ApiError | null = null;
}

function bad(out: CeRecords, field: string, message: string): CeRecords {
  out.error = new ApiError(400, "ERR_MALFORMED_REQUEST", field + ": " + message);
  return out;
}

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

// CloudEvents attribute names: lower-case letters and digits.
function validName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

// Why the four required attributes are not valid, as "field: message", or null.
function requiredProblem(specversion: string | null, id: string | null, source: string | null, type: string | null): string | null {
  if (specversion == null) return "specversion: required";
  if (specversion != "1.0") return "specversion: only 1.0 is supported, got \"" + specversion + "\"";
  if (id == null || id.length == 0) return "id: required, a non-empty string";
  if (source == null || source.length == 0) return "source: required, a non-empty string";
  if (type == null || type.length == 0) return "type: required, a non-empty string";
  return null;
}

// `field`: how errors name the event ("" or "[i].").
function newRecord(field: string): OutboundRecord {
  const rec = new OutboundRecord();
  rec.field = field;
  rec.event = new EventAttributes();
  return rec;
}

function finish(out: CeRecords, rec: OutboundRecord, id: string, traceparent: string | null, contentType: string | null): void {
  if (traceparent != null) {
    const tc = parseTraceparent(traceparent);
    if (tc != null) rec.traceparent = tc.toTraceparent();
  }
  if (contentType != null && contentType.length > 0) rec.event!.contentType = contentType;
  rec.id = id;
  out.records.push(rec);
}

// Binary mode: the attributes are the ce-* headers (percent-decoded), the
// body is the data and Content-Type is datacontenttype.
export function binaryEvent(headers: HeaderPair[], body: Uint8Array): CeRecords {
  const out = new CeRecords();
  const rec = newRecord("");
  let specversion: string | null = null;
  let id: string | null = null;
  let source: string | null = null;
  let type: string | null = null;
  let traceparent: string | null = null;
  let contentType: string | null = null;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i].key.toLowerCase();
    if (name == "content-type") {
      contentType = headers[i].value;
      continue;
    }
    if (!name.startsWith("ce-")) continue;
    const attr = name.substring(3);
    if (!validName(attr)) return bad(out, "ce-" + attr, "attribute names use only a-z and 0-9");
    const value = percentDecode(headers[i].value, false);
    if (value == null) return bad(out, attr, "invalid percent-encoding in header ce-" + attr);
    if (attr == "datacontenttype") return bad(out, "datacontenttype", "in binary mode it is the Content-Type header, not ce-datacontenttype");
    if (attr == "specversion") specversion = value;
    else if (attr == "id") id = value;
    else if (attr == "source") source = value;
    else if (attr == "type") type = value;
    else if (attr == "traceparent") traceparent = value;
    else if (attr == "partitionkey") setKey(rec, value!);
    rec.event!.add(attr, value!);
  }
  const problem = requiredProblem(specversion, id, source, type);
  if (problem != null) {
    out.error = new ApiError(400, "ERR_MALFORMED_REQUEST", problem! + " (header ce-" + problem!.substring(0, problem!.indexOf(":")) + ")");
    return out;
  }
  rec.value = body.length == 0 && contentType == null ? null : body;
  finish(out, rec, id!, traceparent, contentType);
  return out;
}

// Structured mode: one JSON object (event format); `field` prefixes names in errors.
function jsonEvent(ce: JsonValue, field: string, out: CeRecords): bool {
  if (!ce.isObject) {
    bad(out, field.length == 0 ? "body" : field, "expected a CloudEvent JSON object");
    return false;
  }
  const rec = newRecord(field);
  const specversion = stringAttr(ce, "specversion");
  const id = stringAttr(ce, "id");
  const source = stringAttr(ce, "source");
  const type = stringAttr(ce, "type");
  const problem = requiredProblem(specversion, id, source, type);
  if (problem != null) {
    out.error = new ApiError(400, "ERR_MALFORMED_REQUEST", field + problem!);
    return false;
  }
  let contentType: string | null = null;
  let traceparent: string | null = null;
  const dct = ce.get("datacontenttype");
  if (dct != null && !dct.isNull) {
    if (!dct.isString) {
      bad(out, field + "datacontenttype", "expected a string");
      return false;
    }
    contentType = dct.asString();
  }
  const data = ce.get("data");
  const data64 = ce.get("data_base64");
  const hasData = data != null && !data.isNull;
  const hasData64 = data64 != null && !data64.isNull;
  if (hasData && hasData64) {
    bad(out, field + "data_base64", "not allowed together with data");
    return false;
  }
  for (let i = 0; i < ce.length; i++) {
    const name = ce.keyAt(i);
    if (name == "data" || name == "data_base64" || name == "datacontenttype") continue;
    const v = ce.at(i)!;
    if (v.isNull) continue;
    if (!validName(name)) {
      bad(out, field + name, "attribute names use only a-z and 0-9");
      return false;
    }
    let text: string;
    if (v.isString) text = v.asString();
    else if (v.isNumber || v.isBool) text = stringify(v);
    else {
      bad(out, field + name, "an attribute is a string, number or boolean");
      return false;
    }
    if (name == "traceparent") traceparent = text;
    else if (name == "partitionkey") setKey(rec, text);
    rec.event!.add(name, text);
  }
  if (hasData64) {
    if (!data64!.isString) {
      bad(out, field + "data_base64", "expected a base64 string");
      return false;
    }
    const bytes = decodeBase64(data64!.asString());
    if (bytes == null) {
      bad(out, field + "data_base64", "invalid base64");
      return false;
    }
    rec.value = bytes;
  } else if (hasData) {
    // JSON data (datacontenttype absent or JSON) travels as its JSON text;
    // a string with another media type travels as that text.
    const json = contentType == null || isJsonType(mediaType(contentType!));
    rec.value = utf8(!json && data!.isString ? data!.asString() : stringify(data!));
    if (contentType == null) contentType = "application/json";
  }
  finish(out, rec, id!, traceparent, contentType);
  return true;
}

function setKey(rec: OutboundRecord, key: string): void {
  rec.key = utf8(key);
  rec.keyField = rec.field + "partitionkey";
}

function stringAttr(ce: JsonValue, name: string): string | null {
  const v = ce.get(name);
  if (v == null || v.isNull) return null;
  if (v.isString) return v.asString();
  return stringify(v);
}

function parseBody(body: Uint8Array, out: CeRecords): JsonValue | null {
  if (!validUtf8(body)) {
    bad(out, "body", "not valid UTF-8");
    return null;
  }
  const parsed = parseJson(decodeUtf8Buffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)));
  if (!parsed.ok) {
    bad(out, "body", "invalid JSON: " + parsed.describe());
    return null;
  }
  return parsed.value;
}

export function structuredEvent(body: Uint8Array): CeRecords {
  const out = new CeRecords();
  const v = parseBody(body, out);
  if (v != null) jsonEvent(v, "", out);
  return out;
}

// Batch mode: a JSON array of structured events; errors name "[i].field".
export function batchEvents(body: Uint8Array): CeRecords {
  const out = new CeRecords();
  const v = parseBody(body, out);
  if (v == null) return out;
  if (!v.isArray) return bad(out, "body", "expected a JSON array of CloudEvents");
  for (let i = 0; i < v.length; i++) {
    if (!jsonEvent(v.at(i)!, "[" + i.toString() + "].", out)) return out;
  }
  return out;
}

// The batch answer, in event order.
export class EventResult {
  id: string = "";
  partition: i32 = -1;
  // RocketMQ: the stored message's id (there is no partition).
  messageId: string = "";
  offset: i64 = -1;
  // 0: stored
  status: u32 = 0;
  error: string = "";
}

export function batchResultsBody(results: EventResult[]): string {
  const w = new JsonWriter().beginObject().key("results").beginArray();
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    w.beginObject().key("id").string(r.id);
    if (r.partition >= 0) w.key("partition").int(r.partition);
    if (r.messageId.length > 0) w.key("messageId").string(r.messageId);
    if (r.status == 0) w.key("offset").int(r.offset);
    else w.key("status").int(r.status).key("error").string(r.error);
    w.endObject();
  }
  return w.endArray().endObject().toString();
}
