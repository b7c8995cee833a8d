// OpenTelemetry semantic conventions for messaging spans, as the proxy
// applies them (names and values from the conventions' attribute registry):
//
// - span name "{messaging.operation.name} {destination}", e.g. "send orders";
// - "send" (messaging.operation.type send): PRODUCER when the span's own
//   context is injected into the messages as their creation context, CLIENT
//   when the messages already carry one (the span then links to them);
// - "receive" (type receive, pull-based consumption): CLIENT, with a link
//   to each received message's creation context;
// - "process": CONSUMER.
// error.type (ERROR_TYPE in span.ts) carries the protocol's error name, e.g.
// NOT_LEADER_OR_FOLLOWER.
import { getPropertyString } from "../../proxy";
import { TraceContext } from "../trace_context";
import { Span, SpanKind } from "./span";
import { Tracer } from "./tracer";

export const MESSAGING_SYSTEM = "messaging.system";
export const MESSAGING_OPERATION_TYPE = "messaging.operation.type";
export const MESSAGING_OPERATION_NAME = "messaging.operation.name";
export const MESSAGING_DESTINATION_NAME = "messaging.destination.name";
export const MESSAGING_DESTINATION_PARTITION_ID = "messaging.destination.partition.id";
export const MESSAGING_BATCH_MESSAGE_COUNT = "messaging.batch.message_count";
export const MESSAGING_CONSUMER_GROUP_NAME = "messaging.consumer.group.name";
export const MESSAGING_CLIENT_ID = "messaging.client.id";
export const MESSAGING_MESSAGE_ID = "messaging.message.id";
export const MESSAGING_KAFKA_OFFSET = "messaging.kafka.offset";
export const MESSAGING_ROCKETMQ_NAMESPACE = "messaging.rocketmq.namespace";
export const SERVER_ADDRESS = "server.address";
export const SERVER_PORT = "server.port";

// messaging.system values.
export const SYSTEM_KAFKA = "kafka";
export const SYSTEM_ROCKETMQ = "rocketmq";

// messaging.operation.type values.
export const OPERATION_SEND = "send";
export const OPERATION_RECEIVE = "receive";
export const OPERATION_PROCESS = "process";
export const OPERATION_SETTLE = "settle";

// The span kind the conventions give an operation type; a send span is a
// PRODUCER only when its context becomes the messages' creation context.
export function messagingSpanKind(operationType: string, createsContext: bool = true): SpanKind {
  if (operationType == OPERATION_SEND) return createsContext ? SpanKind.Producer : SpanKind.Client;
  if (operationType == OPERATION_PROCESS) return SpanKind.Consumer;
  return SpanKind.Client;
}

// A span for one messaging operation on one destination, with the
// attributes every such span has. operationName is the system's own name
// (Kafka "send"/"poll", RocketMQ "send"/"receive"...). parentRemote: false
// when the parent is a span of this proxy (the bridge's server span).
export function startMessagingSpan(
  tracer: Tracer, system: string, operationType: string, operationName: string, destination: string,
  parent: TraceContext | null, createsContext: bool = true, startNanos: u64 = 0, parentRemote: bool = true,
): Span {
  const name = destination.length > 0 ? operationName + " " + destination : operationName;
  const span = tracer.startSpan(name, messagingSpanKind(operationType, createsContext), parent, startNanos, parentRemote);
  return withMessagingAttributes(span, system, operationType, operationName, destination);
}

// startMessagingSpan for a new trace, only when it is sampled (Tracer.startSampledRoot); null otherwise.
export function startSampledMessagingRoot(
  tracer: Tracer, system: string, operationType: string, operationName: string, destination: string,
  createsContext: bool = true, startNanos: u64 = 0,
): Span | null {
  const name = destination.length > 0 ? operationName + " " + destination : operationName;
  const span = tracer.startSampledRoot(name, messagingSpanKind(operationType, createsContext), startNanos);
  return span == null ? null : withMessagingAttributes(span, system, operationType, operationName, destination);
}

function withMessagingAttributes(span: Span, system: string, operationType: string, operationName: string, destination: string): Span {
  span.setString(MESSAGING_SYSTEM, system);
  span.setString(MESSAGING_OPERATION_TYPE, operationType);
  span.setString(MESSAGING_OPERATION_NAME, operationName);
  if (destination.length > 0) span.setString(MESSAGING_DESTINATION_NAME, destination);
  return span;
}

// server.address and server.port from Envoy's upstream.address ("ip:port",
// "[ipv6]:port") of the current connection or stream; nothing when Envoy
// has none (no upstream yet).
export function setUpstreamServer(span: Span): void {
  const upstream = getPropertyString(["upstream", "address"]);
  if (upstream == null) return;
  const colon = upstream.lastIndexOf(":");
  if (colon <= 0) {
    span.setString(SERVER_ADDRESS, upstream);
    return;
  }
  const host = upstream.substring(0, colon);
  span.setString(SERVER_ADDRESS, host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length - 1) : host);
  const port = I32.parseInt(upstream.substring(colon + 1));
  if (port > 0 && port < 65536) span.setInt(SERVER_PORT, <i64>port);
}
