// Input adapters: one per HTTP API the bridge speaks. Each turns its request
// into OutboundRecords and shapes every answer the way that API's clients
// expect; the sequencer (stream.ts) does the rest, whatever the API:
//
//   route        the path's template (http.route of the server span)
//   readHeaders  method, path and headers: pubsub, topic, metadata (or an answer now)
//   parse        the whole body -> p.records (or an answer now)
//   eventView    how routing rules see a record; null: this API is not routed
//   failed       the publish failed as a whole: the API's error shape
//   succeeded    every record has its outcome and at least one was stored
//
// input_dapr.ts (Dapr publish), input_bulk.ts (Dapr bulk publish),
// input_cloudevents.ts (CloudEvents binary, structured, batch) share Dapr's
// path, metadata and error body (DaprPathInput below); input_rest.ts is the
// Kafka REST-style API.
import { HeaderPair, requestHeaders } from "../../assembly/proxy";
import { JsonValue } from "../../assembly/common/json";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { topicProblem } from "./backend";
import { ApiError, EnvelopeInput, parseBool, parsePublishPath } from "./dapr";
import { Publish } from "./publish";
import { Answer, Cause, Failure, OutboundRecord } from "./record";

export abstract class InputAdapter {
  // The `api` label of the metrics.
  constructor(readonly api: string) {}

  abstract route(path: string): string;

  abstract readHeaders(p: Publish, path: string): Answer | null;

  abstract parse(p: Publish, body: Uint8Array): Answer | null;

  eventView(p: Publish, r: OutboundRecord): JsonValue | null {
    return null;
  }

  abstract failed(p: Publish, f: Failure): Answer;

  abstract succeeded(p: Publish): Answer;
}

export function jsonHeaders(extra: HeaderPair[]): HeaderPair[] {
  const headers = [new HeaderPair("content-type", "application/json")];
  for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  return headers;
}

export function daprAnswer(e: ApiError, extra: HeaderPair[] = []): Answer {
  return new Answer(e.status, e.body(), jsonHeaders(extra), "mqmesh_" + e.code.toLowerCase());
}

export function malformed(message: string): Answer {
  return daprAnswer(new ApiError(400, "ERR_MALFORMED_REQUEST", message));
}

// POST {prefix}{pubsub}/{topic}[?metadata.<k>=<v>...] with Dapr's errors:
// {"errorCode": "...", "message": "..."}.
export abstract class DaprPathInput extends InputAdapter {
  // The request's Content-Type ("" when none).
  contentType: string = "";
  // metadata.rawPayload=true: bodies go unwrapped.
  rawPayload: bool = false;
  // metadata.partitionKey
  key: Uint8Array | null = null;

  constructor(api: string, private prefix: string) {
    super(api);
  }

  route(path: string): string {
    return this.prefix + "{pubsubname}/{topic}";
  }

  readHeaders(p: Publish, path: string): Answer | null {
    const method = requestHeaders.get(":method");
    if (method == null || method != "POST") return daprAnswer(new ApiError(405, "ERR_METHOD_NOT_ALLOWED", "publish needs POST"), [new HeaderPair("allow", "POST")]);
    const pr = parsePublishPath(path, this.prefix);
    if (pr.error != null) return daprAnswer(pr.error!);
    const pubsub = p.root.config.pubsub(pr.pubsub);
    if (pubsub == null) return daprAnswer(new ApiError(404, "ERR_PUBSUB_NOT_FOUND", "pubsub " + pr.pubsub + " not found"));
    const problem = topicProblem(pubsub, pr.topic);
    if (problem != null) return malformed("topic: " + problem);
    p.pubsub = pubsub;
    p.topic = pr.topic;
    for (let i = 0; i < pr.metadataKeys.length; i++) {
      const name = pr.metadataKeys[i];
      const value = pr.metadataValues[i];
      if (name == "rawPayload") {
        const b = parseBool(value);
        if (b < 0) return malformed("metadata.rawPayload: expected true or false, got \"" + value + "\"");
        this.rawPayload = b == 1;
      } else if (name == "partitionKey") {
        this.key = Uint8Array.wrap(String.UTF8.encode(value));
      } else {
        p.metadata.push(new RecordHeader(name, Uint8Array.wrap(String.UTF8.encode(value))));
      }
    }
    const ct = requestHeaders.get("content-type");
    this.contentType = ct == null ? "" : ct;
    return null;
  }

  // What every record of Dapr's envelope shares (source, topic, pubsub, time, trace).
  protected envelope(p: Publish): EnvelopeInput {
    const e = new EnvelopeInput();
    e.source = p.root.config.appId;
    e.topic = p.topic;
    e.pubsub = p.pubsubName;
    e.time = new Date(p.root.nowMs()).toISOString();
    e.traceparent = p.traceparent;
    e.tracestate = p.tracestate;
    return e;
  }

  // A broker's failure names the pubsub; the request's own problems do not.
  failed(p: Publish, f: Failure): Answer {
    if (f.cause == Cause.TooLarge) return daprAnswer(new ApiError(413, "ERR_PUBSUB_REQUEST_TOO_LARGE", f.message), f.headers);
    if (f.cause == Cause.Malformed) return daprAnswer(new ApiError(400, "ERR_MALFORMED_REQUEST", f.message), f.headers);
    // Dapr has no code of its own for a publish its sidecar refuses by rate.
    if (f.cause == Cause.RateLimited) return daprAnswer(new ApiError(429, "ERR_TOO_MANY_REQUESTS", "pubsub " + p.pubsubName + ": " + f.message), f.headers);
    const code = f.status == 404 ? "ERR_TOPIC_NOT_FOUND" : f.status == 400 ? "ERR_MALFORMED_REQUEST" : "ERR_PUBSUB_PUBLISH_MESSAGE";
    return daprAnswer(new ApiError(f.status, code, "pubsub " + p.pubsubName + ": " + f.message), f.headers);
  }

  succeeded(p: Publish): Answer {
    return published(204, "", []);
  }
}

export function published(status: u32, body: string, headers: HeaderPair[]): Answer {
  return new Answer(status, body, headers, "mqmesh_published");
}
