// Routing rules (README.md, "Routing rules"): per pubsub, an ordered list of
//   {"pattern": {<event pattern>}, "topic": "<target>"}
// The first rule whose pattern matches an event sends it to its topic; no
// match keeps the topic of the path. The pattern sees the event as published:
//   CloudEvents API  the event's attributes (text), datacontenttype, and
//                    data (parsed when its content type is JSON)
//   Dapr, bulk       Dapr's CloudEvent envelope (JSON), data inside it
//   rawPayload       only data: the body as JSON if it parses, else its text
// Pure functions, no host calls.
import { ConfigReader } from "../../assembly/common/config";
import { EventPattern, compilePattern } from "../../assembly/common/event_pattern";
import { JsonValue, parseJson } from "../../assembly/common/json";
import { decodeUtf8Buffer } from "../../assembly/common/utf8";
import { isJsonType, kafkaTopicProblem, mediaType, validUtf8 } from "./dapr";
import { OutboundRecord } from "./record";

export class Route {
  constructor(public pattern: EventPattern, public topic: string) {}
}

// Reads "routes" of one pubsub; problems are reported on `pubsub` with their
// full path ("pubsubs.orders.routes[2].pattern.type[0].numeric: ...").
export function readRoutes(pubsub: ConfigReader): Route[] {
  const out = new Array<Route>(0);
  const routes = pubsub.array("routes");
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    const at = "routes[" + i.toString() + "]";
    const topic = r.requireStr("topic");
    if (r.has("topic")) {
      const problem = kafkaTopicProblem(topic);
      if (problem != null || topic.length == 0) pubsub.fail(at + ".topic", problem != null ? problem! : "must not be empty");
    }
    const pattern = r.value("pattern");
    if (pattern == null) {
      r.fail("pattern", "missing required field");
      continue;
    }
    const compiled = compilePattern(pattern);
    for (let k = 0; k < compiled.paths.length; k++) {
      const p = compiled.paths[k];
      pubsub.fail(at + ".pattern" + (p.length == 0 ? "" : p.startsWith("[") ? p : "." + p), compiled.messages[k]);
    }
    out.push(new Route(compiled.pattern, topic));
  }
  return out;
}

// The target topic of one event.
export function routeTopic(routes: Route[], event: JsonValue, fallback: string): string {
  for (let i = 0; i < routes.length; i++) if (routes[i].pattern.matches(event)) return routes[i].topic;
  return fallback;
}

function text(b: Uint8Array | null): string | null {
  if (b == null || !validUtf8(b)) return null;
  return decodeUtf8Buffer(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

// Data as JSON when it parses (and `json` allows), else as text; null when neither.
function dataValue(value: Uint8Array | null, json: bool): JsonValue | null {
  const t = text(value);
  if (t == null) return null;
  if (json) {
    const parsed = parseJson(t!);
    if (parsed.ok) return parsed.value;
  }
  return JsonValue.ofString(t!);
}

// A record of the CloudEvents API seen as its event.
export function cloudEventView(rec: OutboundRecord): JsonValue {
  const ev = JsonValue.newObject();
  const e = rec.event;
  let contentType: string | null = null;
  if (e != null) {
    for (let i = 0; i < e.names.length; i++) ev.set(e.names[i], JsonValue.ofString(e.values[i]));
    contentType = e.contentType;
  }
  if (contentType != null) ev.set("datacontenttype", JsonValue.ofString(contentType!));
  const data = dataValue(rec.value, contentType == null || isJsonType(mediaType(contentType!)));
  if (data != null) ev.set("data", data!);
  return ev;
}

// A record holding Dapr's CloudEvent envelope (JSON text).
export function envelopeView(rec: OutboundRecord): JsonValue {
  const t = text(rec.value);
  if (t != null) {
    const parsed = parseJson(t!);
    if (parsed.ok && parsed.value.isObject) return parsed.value;
  }
  return JsonValue.newObject();
}

// A rawPayload record: no attributes, only data.
export function rawView(rec: OutboundRecord): JsonValue {
  const ev = JsonValue.newObject();
  const data = dataValue(rec.value, true);
  if (data != null) ev.set("data", data!);
  return ev;
}
