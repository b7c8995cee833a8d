// Dapr's bulk publish (README.md, "Dapr bulk publish"):
//   POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic}[?metadata.k=v...]
//   [{"entryId": "...", "event": <string|JSON>, "contentType": "...", "metadata": {"k": "v"}}, ...]
// Every entry becomes one record, wrapped in Dapr's CloudEvent unless
// metadata.rawPayload=true. Answer: 204, or
//   {"failedEntries":[{"entryId","error"}],"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}
// Pure functions, no host calls.
import { JsonValue, JsonWriter, parseJson, stringify } from "../../assembly/common/json";
import { decodeUtf8Buffer } from "../../assembly/common/utf8";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { ApiError, EnvelopeInput, isJsonType, mediaType, validUtf8, wrapCloudEvent } from "./dapr";
import { OutboundRecord } from "./record";

export const BULK_PREFIX: string = "/v1.0-alpha1/publish/bulk/";

export function isBulkPath(path: string): bool {
  return path.startsWith(BULK_PREFIX);
}

// One record per entry, its id the entryId.
export class BulkEntries {
  records: OutboundRecord[] = [];
  error: ApiError | null = null;
}

function bad(out: BulkEntries, field: string, message: string): BulkEntries {
  out.error = new ApiError(400, "ERR_MALFORMED_REQUEST", field + ": " + message);
  return out;
}

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

// `shared`: the request's metadata headers; `envelope` carries what every
// entry shares (source, topic, pubsub, time, trace); `newId` gives each
// wrapped entry its CloudEvent id.
export function parseBulk(body: Uint8Array, rawPayload: bool, shared: RecordHeader[], envelope: EnvelopeInput, newId: () => string): BulkEntries {
  const out = new BulkEntries();
  if (!validUtf8(body)) return bad(out, "body", "not valid UTF-8");
  const parsed = parseJson(decodeUtf8Buffer(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)));
  if (!parsed.ok) return bad(out, "body", "invalid JSON: " + parsed.describe());
  let entries = parsed.value;
  // Also accepted: {"entries": [...]}, the shape of the gRPC request.
  if (entries.isObject && entries.has("entries")) entries = entries.get("entries")!;
  if (!entries.isArray) return bad(out, "body", "expected a JSON array of {entryId, event, contentType, metadata}");
  if (entries.length == 0) return bad(out, "body", "no entries");
  const ids = new Array<string>(0);
  for (let i = 0; i < entries.length; i++) {
    const field = "entries[" + i.toString() + "]";
    const e = entries.at(i)!;
    if (!e.isObject) return bad(out, field, "expected an object");
    const idv = e.get("entryId");
    if (idv == null || !idv.isString || idv.asString().length == 0) return bad(out, field + ".entryId", "required, a non-empty string");
    const entryId = idv.asString();
    if (ids.includes(entryId)) return bad(out, field + ".entryId", "\"" + entryId + "\" is not unique");
    const event = e.get("event");
    if (event == null || event.isNull) return bad(out, field + ".event", "required");
    let contentType = "";
    const ctv = e.get("contentType");
    if (ctv != null && !ctv.isNull) {
      if (!ctv.isString) return bad(out, field + ".contentType", "expected a string");
      contentType = ctv.asString();
    }
    if (contentType.length == 0) contentType = inferContentType(event);
    const rec = new OutboundRecord();
    rec.id = entryId;
    rec.field = field + ".";
    rec.metadata = shared;
    const md = e.get("metadata");
    if (md != null && !md.isNull) {
      if (!md.isObject) return bad(out, field + ".metadata", "expected an object of strings");
      for (let k = 0; k < md.length; k++) {
        const name = md.keyAt(k);
        const v = md.at(k)!;
        if (!v.isString) return bad(out, field + ".metadata." + name, "expected a string");
        if (name == "partitionKey") {
          rec.key = utf8(v.asString());
          rec.keyField = field + ".metadata.partitionKey";
        } else if (name != "rawPayload") rec.headers.push(new RecordHeader(name, utf8(v.asString())));
      }
    }
    const mt = mediaType(contentType);
    const bytes = utf8(event.isString && !isJsonType(mt) ? event.asString() : stringify(event));
    if (rawPayload) {
      rec.value = bytes;
    } else {
      const env = new EnvelopeInput();
      env.id = newId();
      env.source = envelope.source;
      env.topic = envelope.topic;
      env.pubsub = envelope.pubsub;
      env.contentType = contentType;
      env.time = envelope.time;
      env.traceparent = envelope.traceparent;
      env.tracestate = envelope.tracestate;
      const w = wrapCloudEvent(bytes, env);
      // The envelope's message names the body; here the body is the event.
      if (w.error != null) return bad(out, field + ".event", withoutPrefix(w.error!.message, "body: "));
      rec.value = w.value;
    }
    out.records.push(rec);
    ids.push(entryId);
  }
  return out;
}

function withoutPrefix(s: string, prefix: string): string {
  return s.startsWith(prefix) ? s.substring(prefix.length) : s;
}

// As Dapr's SDKs do: a string is text/plain, an object with the four required
// CloudEvent attributes is a CloudEvent, anything else JSON.
function inferContentType(event: JsonValue): string {
  if (event.isString) return "text/plain";
  if (event.isObject && event.has("id") && event.has("source") && event.has("specversion") && event.has("type")) return "application/cloudevents+json";
  return "application/json";
}

export function failedEntriesBody(code: string, entryIds: string[], errors: string[]): string {
  const w = new JsonWriter().beginObject().key("failedEntries").beginArray();
  for (let i = 0; i < entryIds.length; i++) w.beginObject().key("entryId").string(entryIds[i]).key("error").string(errors[i]).endObject();
  return w.endArray().key("errorCode").string(code).endObject().toString();
}
