// Trace context and spans of the gRPC filter (README.md, "Tracing"), on the
// shared tracer (assembly/common/otel), one span per call:
//
//   SendMessage     "send <topic>". When every message carries a context
//                   (user_properties traceparent, or the system trace
//                   context) the request is left alone and the first one
//                   parents a CLIENT span; otherwise the messages without
//                   one get the span's context in user_properties when the
//                   inject mode says so (PRODUCER), linked to those that
//                   carry one.
//   ReceiveMessage  "receive <topic>" from the request to the end of the
//                   response stream, linked to the contexts of the
//                   delivered messages; recorded when messages came or the
//                   call failed (an empty long poll is no trace anyone wants).
//
// error.type is the Status code's name (definition.proto) for a call that
// did not succeed.
import { ProtoReader, WireType } from "../../assembly/common/protobuf";
import { INJECT_OFF } from "../../assembly/common/otel/config";
import {
  MESSAGING_BATCH_MESSAGE_COUNT, MESSAGING_CONSUMER_GROUP_NAME, OPERATION_RECEIVE, OPERATION_SEND, SYSTEM_ROCKETMQ,
  setUpstreamServer, startMessagingSpan,
} from "../../assembly/common/otel/messaging";
import { Span, SpanKind } from "../../assembly/common/otel/span";
import { Tracer } from "../../assembly/common/otel/tracer";
import { TraceContext } from "../../assembly/common/trace_context";
import { CODE_OK, codeName } from "../../assembly/rocketmq/grpc/status";
import { injectSendRequestTrace, readMessageTrace, receivedMessageTrace } from "../../assembly/rocketmq/grpc/trace_context";

// Status codes of a receive that are no failure: nothing there yet.
const CODE_MESSAGE_NOT_FOUND: i32 = 40401;

export class GrpcTracing {
  readonly records: bool;
  readonly mayInject: bool;

  constructor(readonly tracer: Tracer) {
    this.records = tracer.exporter != null;
    this.mayInject = tracer.config.enabled && tracer.config.inject != INJECT_OFF;
  }
}

// The span of one call.
export class GrpcCallSpan {
  // SendMessage: the request with the span's context added; null when unchanged.
  rewritten: Uint8Array | null = null;
  private delivered: i32 = 0;
  private failed: bool = false;
  private receive: bool;

  private constructor(readonly tracer: Tracer, readonly span: Span, receive: bool) {
    this.receive = receive;
  }

  // A SendMessageRequest of `count` messages, the first on `topic`.
  static send(tracing: GrpcTracing, request: Uint8Array, topic: string, count: i32): GrpcCallSpan {
    const carried = carriedByAll(request);
    const tracer = tracing.tracer;
    const span = startMessagingSpan(tracer, SYSTEM_ROCKETMQ, OPERATION_SEND, "send", topic, carried, true);
    if (count > 1) span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, <i64>count);
    const out = new GrpcCallSpan(tracer, span, false);
    if (carried != null || !tracer.injects(span)) {
      span.kind = SpanKind.Client;
      return out;
    }
    const r = injectSendRequestTrace(request, span.context);
    out.rewritten = r.request;
    span.addLinks(r.carried);
    if (r.injected == 0) span.kind = SpanKind.Client;
    return out;
  }

  static receive(tracing: GrpcTracing, topic: string, group: string): GrpcCallSpan {
    const span = startMessagingSpan(tracing.tracer, SYSTEM_ROCKETMQ, OPERATION_RECEIVE, "receive", topic, null, false);
    if (group.length > 0) span.setString(MESSAGING_CONSUMER_GROUP_NAME, group);
    return new GrpcCallSpan(tracing.tracer, span, true);
  }

  // A ReceiveMessageResponse stream message that delivers a message.
  delivers(response: Uint8Array): void {
    this.delivered++;
    const ctx = receivedMessageTrace(response);
    if (ctx != null) this.span.addLink(ctx);
  }

  // The call's Status.
  status(code: i32): void {
    if (code == CODE_OK || (this.receive && code == CODE_MESSAGE_NOT_FOUND)) return;
    this.failed = true;
    this.span.setError(codeName(code));
  }

  end(): void {
    const span = this.span;
    if (this.receive) {
      if (this.delivered == 0 && !this.failed) span.recording = false;
      else span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, <i64>this.delivered);
    }
    if (span.recording) setUpstreamServer(span);
    this.tracer.end(span);
  }
}

// The context of the first message when every message of a
// SendMessageRequest carries one; null otherwise.
function carriedByAll(request: Uint8Array): TraceContext | null {
  const r = ProtoReader.of(request);
  let first: TraceContext | null = null;
  while (r.next()) {
    if (r.field != 1 || r.wireType != WireType.Len) {
      r.skip();
      continue;
    }
    const ctx = readMessageTrace(r.bytes());
    if (ctx == null) return null;
    if (first == null) first = ctx;
  }
  return r.ok ? first : null;
}
