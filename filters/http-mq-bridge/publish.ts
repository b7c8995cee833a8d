// The state of one HTTP publish, from its request headers to its answer: the
// API it came through (its input adapter, holding what that API parsed), the
// pubsub and topic, the records, the backend that stores them (holding its
// calls in flight), and what metrics and policies read: the caller, the
// server span, the rate limit fields. The sequencer
// (stream.ts) moves it along; it dies with the HTTP stream.
import { Identity } from "../../assembly/common/identity";
import { Span } from "../../assembly/common/otel/span";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { Backend } from "./backend";
import { PubsubConfig } from "./config";
import { InputAdapter } from "./input";
import { OutboundRecord } from "./record";
import { BridgeRoot } from "./root";

export const enum Phase {
  Headers, // reading the request headers
  Collecting, // waiting for the body
  Sending, // records with the backend (Metadata first, for Kafka)
  Done, // answered
}

export class Publish {
  phase: Phase = Phase.Headers;
  pubsub: PubsubConfig | null = null;
  // The topic in the path (routing may send records elsewhere).
  topic: string = "";
  // metadata.<k> query parameters that become headers of every record.
  metadata: RecordHeader[] = [];
  // The request's valid W3C trace context ("" when none). A tracing hook
  // may replace it at the start (PublishHook.started).
  traceparent: string = "";
  tracestate: string = "";
  records: OutboundRecord[] = [];
  backend: Backend | null = null;
  // Records whose outcome the backend has not told yet.
  pending: i32 = 0;
  // For metrics: when the body was complete, whether the broker was asked.
  bodyEndMs: i64 = -1;
  askedBroker: bool = false;
  // The app went away: records already handed over are still stored, nobody is answered.
  gone: bool = false;
  // The server span of the request (tracing.ts); null without tracing.
  serverSpan: Span | null = null;
  // The RateLimit-Policy and RateLimit field values the answer carries ("": none; limits.ts).
  rateLimitPolicy: string = "";
  rateLimit: string = "";
  private identity: Identity | null = null;

  constructor(readonly root: BridgeRoot, readonly input: InputAdapter) {}

  // Who sent the request: the connection's mTLS peer and source address,
  // read from Envoy on first use.
  caller(): Identity {
    let id = this.identity;
    if (id == null) {
      id = new Identity();
      id.resolve();
      this.identity = id;
    }
    return id;
  }

  // "" until the request named a configured pubsub.
  get pubsubName(): string {
    return this.pubsub == null ? "" : this.pubsub!.name;
  }
}
