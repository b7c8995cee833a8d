// Spans of the bridge (README.md, "Tracing"), a PublishHook on the shared
// tracer (assembly/common/otel):
//
//   started       a SERVER span for the HTTP request, "POST /v1.0/publish/{pubsubname}/{topic}",
//                 the child of the request's traceparent (or a new trace);
//                 its context becomes the publish's (Dapr's envelope carries it)
//   sending       a PRODUCER span per record, "send <topic>", the server
//                 span's child; its context is what the record carries
//                 (Kafka header, RocketMQ property traceparent)
//   acknowledged  the producer span ends with the broker's answer
//   answered      the server span ends with the HTTP status
//   gone          the app went away: the server span ends (error.type
//                 client_closed); records already handed over end theirs
//                 when the broker answers
//
// Attributes follow the HTTP server and messaging conventions. error.type:
// a server span's HTTP status from 400 on (an Error status from 500), a
// producer span's Kafka error name, else the HTTP status the broker's answer
// maps to. The bridge always propagates: with a `tracing` section every record
// carries its producer span's context whatever `inject` says; spans are
// recorded for sampled traces when a collector is configured.
import { requestHeaders } from "../../assembly/proxy";
import { ERROR_TYPE, SpanKind } from "../../assembly/common/otel/span";
import {
  MESSAGING_CLIENT_ID, MESSAGING_DESTINATION_PARTITION_ID, MESSAGING_KAFKA_OFFSET, MESSAGING_MESSAGE_ID,
  MESSAGING_ROCKETMQ_NAMESPACE, OPERATION_SEND, SYSTEM_KAFKA, SYSTEM_ROCKETMQ, startMessagingSpan,
} from "../../assembly/common/otel/messaging";
import { Tracer } from "../../assembly/common/otel/tracer";
import { TraceContext } from "../../assembly/common/trace_context";
import { errorName } from "../../assembly/kafka/errors";
import { TYPE_ROCKETMQ } from "./config";
import { PublishHook } from "./hooks";
import { Publish } from "./publish";
import { Answer, OutboundRecord } from "./record";

const HTTP_REQUEST_METHOD = "http.request.method";
const HTTP_ROUTE = "http.route";
const URL_PATH = "url.path";
const HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";
// What the HTTP conventions call a method outside the well-known set.
const OTHER_METHOD = "_OTHER";
const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
export const CLIENT_CLOSED = "client_closed";

export class BridgeTracing extends PublishHook {
  constructor(readonly tracer: Tracer, readonly clientId: string) {
    super();
  }

  started(p: Publish): void {
    const parent = p.traceparent.length > 0 ? TraceContext.parse(p.traceparent, p.tracestate) : null;
    const raw = requestHeaders.get(":method");
    const method = raw != null && KNOWN_METHODS.includes(raw) ? raw : OTHER_METHOD;
    const fullPath = requestHeaders.get(":path");
    const path = fullPath == null ? "" : withoutQuery(fullPath);
    const route = p.input.route(path);
    const span = this.tracer.startSpan((method == OTHER_METHOD ? "HTTP" : method) + " " + route, SpanKind.Server, parent);
    span.setString(HTTP_REQUEST_METHOD, method);
    span.setString(HTTP_ROUTE, route);
    span.setString(URL_PATH, path);
    p.serverSpan = span;
    p.traceparent = span.context.toTraceparent();
    p.tracestate = span.context.tracestate.toString();
  }

  sending(p: Publish, r: OutboundRecord): void {
    const server = p.serverSpan;
    if (server == null) return;
    const pubsub = p.pubsub!;
    const rocketmq = pubsub.type == TYPE_ROCKETMQ;
    const span = startMessagingSpan(this.tracer, rocketmq ? SYSTEM_ROCKETMQ : SYSTEM_KAFKA, OPERATION_SEND, "send", r.topic, server.context, true, 0, false);
    span.setString(MESSAGING_CLIENT_ID, this.clientId);
    if (rocketmq) {
      span.setString(MESSAGING_MESSAGE_ID, r.messageId);
      if (pubsub.namespace.length > 0) span.setString(MESSAGING_ROCKETMQ_NAMESPACE, pubsub.namespace);
    } else {
      span.setString(MESSAGING_DESTINATION_PARTITION_ID, r.partition.toString());
    }
    r.span = span;
    r.traceparent = span.context.toTraceparent();
    r.tracestate = span.context.tracestate.toString();
  }

  acknowledged(p: Publish, r: OutboundRecord): void {
    const span = r.span;
    if (span == null) return;
    const o = r.outcome!;
    if (o.ok) {
      // RocketMQ answers with the proxy's message id, Kafka with an offset.
      if (r.messageId.length > 0) span.setString(MESSAGING_MESSAGE_ID, r.messageId);
      if (r.offset >= 0 && p.pubsub!.type != TYPE_ROCKETMQ) span.setInt(MESSAGING_KAFKA_OFFSET, r.offset);
    } else {
      span.setError(o.kafkaError != 0 ? errorName(o.kafkaError) : o.status.toString(), o.message);
    }
    this.tracer.end(span);
  }

  answered(p: Publish, a: Answer): void {
    const span = p.serverSpan;
    if (span == null) return;
    span.setInt(HTTP_RESPONSE_STATUS_CODE, <i64>a.status);
    if (a.status >= 500) span.setError(a.status.toString());
    else if (a.status >= 400) span.setString(ERROR_TYPE, a.status.toString());
    this.tracer.end(span);
  }

  gone(p: Publish): void {
    const span = p.serverSpan;
    if (span == null) return;
    span.setString(ERROR_TYPE, CLIENT_CLOSED);
    this.tracer.end(span);
  }
}

function withoutQuery(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.substring(0, q);
}
