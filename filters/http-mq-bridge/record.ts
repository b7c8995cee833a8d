// What passes between the input adapters (input_*.ts: an HTTP API's request
// in, its answer out) and the backends (kafka_send.ts, rocketmq_send.ts: one
// broker's way to store records), through the sequencer (stream.ts):
//
//   OutboundRecord  one message to store, whatever API it came from and
//                   whatever broker takes it; the backend writes its fate back
//   Failure         why a publish failed as a whole, before an API shapes it
//   Answer          the HTTP answer an adapter shaped
//
// Data, no host calls.
import { HeaderPair } from "../../assembly/proxy";
import { Span } from "../../assembly/common/otel/span";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { Outcome } from "./kafka_client";

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

// A CloudEvent carried in binary mode (the CloudEvents API): its context
// attributes and extensions as text, in the order the app sent them, and its
// datacontenttype. Backends carry them as ce_<name> headers (Kafka protocol
// binding) or properties and `content-type`; routing rules and spans read
// them here.
export class EventAttributes {
  names: string[] = [];
  values: string[] = [];
  // null: the event has none (no content-type header is written).
  contentType: string | null = null;

  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }

  // The last value of `name` (an attribute sent twice keeps both headers).
  get(name: string): string | null {
    for (let i = this.names.length - 1; i >= 0; i--) if (this.names[i] == name) return this.values[i];
    return null;
  }
}

export class OutboundRecord {
  // ---- set by the input adapter

  // How the answer names this record: a bulk entryId or a CloudEvent id ("" for a Dapr or REST record).
  id: string = "";
  // How error messages name this record's fields: "entries[1].", "[1].", "" when the request has one record.
  field: string = "";
  // The request field its key came from, for error messages.
  keyField: string = "";
  key: Uint8Array | null = null;
  value: Uint8Array | null = null;
  // The CloudEvents API's event; null for the other APIs (Dapr's envelope is in the value).
  event: EventAttributes | null = null;
  // The request's metadata.<k> (the same list for every record of the request),
  // then the record's own: bulk entry metadata, REST record headers.
  metadata: RecordHeader[] = [];
  headers: RecordHeader[] = [];
  // A partition the app named (REST), else -1; the Kafka backend writes the one it chose.
  partition: i32 = -1;

  // ---- set by the sequencer

  // The path's topic, or the one a routing rule chose.
  topic: string = "";
  // W3C trace context the record carries (the request's, else a CloudEvent's
  // traceparent extension). A tracing hook may replace it when the record is
  // handed to its backend (PublishHook.sending); it is written after that.
  traceparent: string = "";
  tracestate: string = "";
  // The producer span of this record (tracing.ts), from its hand-over to its outcome.
  span: Span | null = null;

  // ---- set by the backend

  // The broker's answer for this record; null while it is out.
  outcome: Outcome | null = null;
  // Kafka: the record's offset (-1 unknown); RocketMQ: the queue offset.
  offset: i64 = -1;
  // RocketMQ: the message id (the proxy's once stored).
  messageId: string = "";

  private wire: RecordHeader[] | null = null;

  get stored(): bool {
    return this.outcome != null && this.outcome!.ok;
  }

  // Everything a broker stores next to the value, in this order: the event's
  // ce_<name> and content-type, metadata, own headers, trace context. Built
  // once, by the backend, after the record was handed over.
  wireHeaders(): RecordHeader[] {
    if (this.wire != null) return this.wire!;
    const out = new Array<RecordHeader>(0);
    const e = this.event;
    if (e != null) {
      for (let i = 0; i < e.names.length; i++) out.push(new RecordHeader("ce_" + e.names[i], utf8(e.values[i])));
      if (e.contentType != null) out.push(new RecordHeader("content-type", utf8(e.contentType!)));
    }
    for (let i = 0; i < this.metadata.length; i++) out.push(this.metadata[i]);
    for (let i = 0; i < this.headers.length; i++) out.push(this.headers[i]);
    if (this.traceparent.length > 0) {
      out.push(new RecordHeader("traceparent", utf8(this.traceparent)));
      if (this.tracestate.length > 0) out.push(new RecordHeader("tracestate", utf8(this.tracestate)));
    }
    this.wire = out;
    return out;
  }
}

// Why a publish failed as a whole. The adapter of its API gives it the
// error code and body shape of that API (InputAdapter.failed).
export const enum Cause {
  // The broker's answer, or the way to it: the status follows the broker's error.
  Broker,
  // The request holds something its broker cannot carry (400).
  Malformed,
  // The body is larger than maxBodyBytes (413).
  TooLarge,
  // A REST record names a partition the topic does not have (404).
  PartitionNotFound,
  // The bridge's own rate limits refused the publish (429, limits.ts).
  RateLimited,
}

export class Failure {
  // Sent with the answer (Retry-After, ...).
  headers: HeaderPair[] = [];

  constructor(public status: u32, public message: string, public cause: Cause = Cause.Broker) {}

  has(header: string): bool {
    for (let i = 0; i < this.headers.length; i++) if (this.headers[i].key == header) return true;
    return false;
  }
}

export class Answer {
  // `details` is Envoy's response code details for the local reply.
  constructor(public status: u32, public body: string, public headers: HeaderPair[], public details: string) {}
}
