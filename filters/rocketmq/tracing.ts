// Trace context and spans (README.md, "Tracing"), on the shared tracer
// (assembly/common/otel):
//
//   send     SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE: a span
//            "send <topic>". A message whose properties carry a traceparent
//            is left as it is and parents the span (CLIENT); one without
//            gets the span's context as its traceparent property when the
//            inject mode says so (PRODUCER), and then only is the request
//            held and re-encoded. A batch is held and each of its messages
//            gets the context unless it carries one (linked then).
//   receive  PULL_MESSAGE, LITE_PULL_MESSAGE, POP_MESSAGE: a span
//            "receive <topic>" from the request to its answer, linked to the
//            contexts the delivered messages carry; recorded only when
//            messages were delivered (a long poll that times out is no
//            trace anyone wants).
//
// error.type is the response code's name for answers that are errors.
import { SpanSlot } from "../../assembly/common/pipeline/exchange";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import {
  MESSAGING_BATCH_MESSAGE_COUNT, MESSAGING_CLIENT_ID, MESSAGING_CONSUMER_GROUP_NAME, OPERATION_RECEIVE, OPERATION_SEND,
  SYSTEM_ROCKETMQ, setUpstreamServer, startMessagingSpan,
} from "../../assembly/common/otel/messaging";
import { Span, SpanKind } from "../../assembly/common/otel/span";
import { INJECT_OFF } from "../../assembly/common/otel/config";
import { Tracer } from "../../assembly/common/otel/tracer";
import { TraceContext } from "../../assembly/common/trace_context";
import {
  NO_MESSAGE, POLLING_TIMEOUT, PULL_NOT_FOUND, PULL_OFFSET_MOVED, PULL_RETRY_IMMEDIATELY, SUCCESS, responseCodeLabel,
} from "../../assembly/rocketmq/response_codes";
import { V2_PROPERTIES, isSendRequest, usesShortNames } from "../../assembly/rocketmq/send_message";
import { countStoredMessages } from "../../assembly/rocketmq/stored_messages";
import { injectSendTrace, pulledTraceContexts, readTraceProperties } from "../../assembly/rocketmq/trace_properties";
import { RemotingRequest, RemotingResponse, RocketMQExchange, RocketMQInterceptor } from "./exchange";
import { isBatchSend, isPullRequest } from "./request_kinds";

// An exchange's span; `inject`: its context goes into the request's messages.
class RocketMQSpan extends SpanSlot {
  // Messages a pull answer delivered.
  delivered: i32 = 0;
  constructor(readonly span: Span, readonly inject: bool) {
    super();
  }
}

// Pull answers that are no error: nothing new, or try elsewhere.
function isPullError(code: i32): bool {
  return code != SUCCESS && code != PULL_NOT_FOUND && code != PULL_RETRY_IMMEDIATELY && code != PULL_OFFSET_MOVED &&
    code != NO_MESSAGE && code != POLLING_TIMEOUT;
}

export class RocketMQTracing extends RocketMQInterceptor {
  private readonly records: bool;
  private readonly mayInject: bool;

  constructor(readonly tracer: Tracer) {
    super();
    this.records = tracer.exporter != null;
    this.mayInject = tracer.config.enabled && tracer.config.inject != INJECT_OFF;
  }

  handlesRequest(code: i32, version: i16): bool {
    return (isSendRequest(code) && (this.records || this.mayInject)) || (this.records && isPullRequest(code));
  }

  handlesResponse(code: i32, version: i16): bool {
    return this.records && isPullRequest(code);
  }

  onRequestHead(x: RocketMQExchange, head: FrameHead): Verdict {
    const peek = x.header!;
    if (!peek.headerShown) return head.oversize && head.shownAll ? Verdict.Pass : Verdict.NeedMore;
    const topicOrNull = x.topic();
    const topic = topicOrNull == null ? "" : topicOrNull!;
    if (isPullRequest(x.api)) {
      const span = startMessagingSpan(this.tracer, SYSTEM_ROCKETMQ, OPERATION_RECEIVE, "receive", topic, null, false, x.startNanos);
      if (!span.recording) return Verdict.Pass;
      const group = x.group();
      if (group != null) span.setString(MESSAGING_CONSUMER_GROUP_NAME, group!);
      this.describe(x, span);
      x.span = new RocketMQSpan(span, false);
      return Verdict.Pass;
    }
    if (isBatchSend(peek)) {
      // Its messages' contexts are in the body: decided when it is whole.
      const span = this.startSend(x, topic, null);
      x.span = new RocketMQSpan(span, this.tracer.injects(span) && !head.oversize);
      return (x.span as RocketMQSpan).inject || span.recording ? Verdict.Hold : Verdict.Pass;
    }
    const props = peek.ext(usesShortNames(x.api) ? V2_PROPERTIES : "properties");
    let carried: TraceContext | null = null;
    if (props != null) carried = readTraceProperties(props!);
    const span = this.startSend(x, topic, carried);
    const inject = carried == null && this.tracer.injects(span) && !head.oversize;
    if (!inject) span.kind = SpanKind.Client;
    if (!inject && !span.recording) return Verdict.Pass;
    x.span = new RocketMQSpan(span, inject);
    return inject ? Verdict.Hold : Verdict.Pass;
  }

  // A send held to carry the span's context (or a batch, to be counted).
  onRequest(x: RocketMQExchange, request: RemotingRequest): void {
    const slot = x.span;
    if (slot == null) return;
    const s = slot as RocketMQSpan;
    const cmd = request.command();
    if (cmd == null) return;
    const batch = isBatchSend(request.peek());
    if (batch) s.span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, <i64>countStoredMessages(cmd.body));
    if (!s.inject) return;
    const r = injectSendTrace(cmd, s.span.context);
    if (r.changed) request.markChanged();
    if (!batch) return;
    s.span.addLinks(r.carried);
    // No message took the span's context: it is no creation context.
    if (r.injected == 0) s.span.kind = SpanKind.Client;
  }

  // A pull answer is held to read the contexts of its messages.
  onResponseHead(x: RocketMQExchange, head: FrameHead): Verdict {
    return x.span != null && x.responseCode == SUCCESS && !head.oversize ? Verdict.Hold : Verdict.Pass;
  }

  onResponse(x: RocketMQExchange, response: RemotingResponse): void {
    const slot = x.span;
    const cmd = response.command();
    if (slot == null || cmd == null) return;
    const s = slot as RocketMQSpan;
    const span = s.span;
    s.delivered = countStoredMessages(cmd.body);
    span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, <i64>s.delivered);
    span.addLinks(pulledTraceContexts(cmd.body).carried);
  }

  onDone(x: RocketMQExchange, abandoned: bool): void {
    const slot = x.span;
    if (slot == null) return;
    x.span = null;
    const s = slot as RocketMQSpan;
    const span = s.span;
    const code = x.responseCode;
    if (isPullRequest(x.api)) {
      // Recorded when messages came, or the pull failed.
      if (abandoned || (code == SUCCESS && s.delivered == 0) || (code != SUCCESS && !isPullError(code))) span.recording = false;
      else if (code != SUCCESS) span.setError(responseCodeLabel(code));
    } else if (abandoned) {
      span.setError("connection_closed");
    } else if (!x.oneway && code != SUCCESS) {
      span.setError(responseCodeLabel(code));
    }
    this.tracer.end(span);
  }

  private startSend(x: RocketMQExchange, topic: string, parent: TraceContext | null): Span {
    const span = startMessagingSpan(this.tracer, SYSTEM_ROCKETMQ, OPERATION_SEND, "send", topic, parent, true, x.startNanos);
    if (span.recording) this.describe(x, span);
    return span;
  }

  // What every span says of the connection: the broker and the client.
  private describe(x: RocketMQExchange, span: Span): void {
    const clientId = x.session.identity.clientId;
    if (clientId.length > 0) span.setString(MESSAGING_CLIENT_ID, clientId);
    setUpstreamServer(span);
  }
}
