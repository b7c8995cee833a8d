// One request and its response: created by the protocol on the request's
// first bytes, ended when its response goes to the client (or its
// connection closes), and never kept beyond its connection. Everything a
// policy knows or decides about the request lives here; a protocol adds
// typed fields in its subclass (KafkaExchange, RocketMQExchange), and a
// policy that needs per-request state adds an explicit field there, not a
// map of its own. See pipeline.ts for the model.
import { Session } from "../framed_connection";
import { TraceContext } from "../trace_context";

// Held by the tracing policy: the span of this exchange.
export abstract class SpanSlot {}

export class Exchange {
  // The protocol's request id (Kafka correlation id, RocketMQ opaque), API
  // (Kafka API key, RocketMQ request code) and its version.
  id: i32 = 0;
  api: i32 = 0;
  version: i16 = 0;
  // When the request's first bytes arrived (ns, host clock).
  startNanos: u64 = 0;
  // Bytes of the request frame after its size prefix.
  requestSize: i32 = 0;
  // The client expects no response (Kafka acks=0 produce, RocketMQ oneway):
  // an answered request is dropped instead of substituted.
  oneway: bool = false;
  // A policy closed the connection on this request (close()).
  closing: bool = false;
  // An answer a policy made (shortCircuit): the request goes to the server as
  // a stand-in, and this frame (size prefix included; empty: nothing) goes to
  // the client in place of the server's answer to it.
  answer: Uint8Array | null = null;
  // Set by a quota: how long the client is asked to back off (a response
  // field such as Kafka's throttle_time_ms), 0 when not throttled.
  throttleMs: i32 = 0;
  trace: TraceContext | null = null;
  span: SpanSlot | null = null;
  // Interceptor bookkeeping, one bit per interceptor (Pipeline.add): those
  // that gave the request head their verdict, those holding the request,
  // those that get the response, and the same two for the response.
  asked: u32 = 0;
  holding: u32 = 0;
  watching: u32 = 0;
  responseAsked: u32 = 0;
  responseHolding: u32 = 0;

  constructor(readonly session: Session) {}

  // Answers the request with `response` (the whole frame, size prefix
  // included; empty: the client gets nothing): Kroxylicious's
  // shortCircuitResponse. Ends the request's chain of interceptors.
  shortCircuit(response: Uint8Array): void {
    this.answer = response;
  }

  get answered(): bool {
    return this.answer != null;
  }

  // Fails closed from onRequest: nothing of this request goes on, and the
  // connection is closed (from a head, answer Verdict.Close instead).
  close(): void {
    this.closing = true;
    this.session.close();
  }

  // Clears what a previous request left, for a recycled exchange.
  protected resetExchange(id: i32, api: i32, version: i16, startNanos: u64, requestSize: i32): void {
    this.id = id;
    this.api = api;
    this.version = version;
    this.startNanos = startNanos;
    this.requestSize = requestSize;
    this.oneway = false;
    this.closing = false;
    this.answer = null;
    this.throttleMs = 0;
    this.trace = null;
    this.span = null;
    this.asked = 0;
    this.holding = 0;
    this.watching = 0;
    this.responseAsked = 0;
    this.responseHolding = 0;
  }
}
