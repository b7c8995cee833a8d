// RocketMQ 5 as a bridge target, as pure functions (no host calls): a record
// becomes an apache.rocketmq.v2.Message for MessagingService/SendMessage on
// the proxy's gRPC port, and the call's end becomes an Outcome with the HTTP
// status the app sees (README.md, "RocketMQ").
//
//   record value        -> body
//   record key          -> keys[0] (and message_group when keyAsMessageGroup)
//   record wire headers -> user properties (ce_<attr>, content-type,
//                          metadata.<k>, traceparent, tracestate)
import { HeaderPair, GrpcStatus } from "../../assembly/proxy";
import { decodeUtf8 } from "../../assembly/common/utf8";
import { OutgoingMessage, encodeSendMessageRequest } from "../../assembly/rocketmq/grpc/send_request";
import { readSendMessageResponse } from "../../assembly/rocketmq/grpc/send_response";
import { Status, codeName, responseStatus } from "../../assembly/rocketmq/grpc/status";
import { PubsubConfig } from "./config";
import { Outcome } from "./kafka_client";
import { OutboundRecord } from "./record";
import { RecordHeader } from "../../assembly/kafka/record_batch";

export const SERVICE = "apache.rocketmq.v2.MessagingService";
export const METHOD = "SendMessage";
export const QUERY_ROUTE = "QueryRoute";
// RocketMQ 5.3 proxies check the topic's message type before they look the
// topic up: a send to a topic the broker does not have is refused with this
// code (expected type UNSPECIFIED), never with TOPIC_NOT_FOUND.
export const CODE_TYPE_CONFLICT: i32 = 40014;
const CODE_NOT_FOUND: i32 = 40400;
const CODE_TOPIC_NOT_FOUND: i32 = 40402;

// RocketMQ's topic rule (TopicValidator): 1-127 of [a-zA-Z0-9_-%|].
export function rocketmqTopicProblem(topic: string): string | null {
  if (topic.length > 127) return "longer than 127 characters";
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x25 || c == 0x7c;
    if (!ok) return "RocketMQ topic names use only letters, digits, '_', '-', '%' and '|'";
  }
  return null;
}

function text(b: Uint8Array | null): string {
  return b == null ? "" : decodeUtf8(b.dataStart, b.length);
}

// The broker stores properties as name\x01value\x02...: either byte inside a
// name or value would shift every property after it.
function separatorProblem(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 1 || c == 2) return true;
  }
  return false;
}

const NO_SEPARATORS = "must not contain \\u0001 or \\u0002";
const PROPERTY_RULE = "RocketMQ property names must be non-empty and names and values " + NO_SEPARATORS;

function headersProblem(headers: RecordHeader[], field: string): string | null {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i].key;
    if (name.length == 0 || separatorProblem(name) || separatorProblem(text(headers[i].value))) return field + "metadata." + name + ": " + PROPERTY_RULE;
  }
  return null;
}

// Why RocketMQ cannot store this record as a message (naming the request
// field it came from), or null. The request's own metadata is named without
// the record's prefix: it is the same for every record.
export function messageProblem(r: OutboundRecord): string | null {
  const e = r.event;
  if (e != null) {
    for (let i = 0; i < e.names.length; i++) {
      if (separatorProblem(e.values[i])) return r.field + e.names[i] + ": " + NO_SEPARATORS + " (RocketMQ property ce_" + e.names[i] + ")";
    }
    if (e.contentType != null && separatorProblem(e.contentType!)) return r.field + "datacontenttype: " + NO_SEPARATORS;
  }
  let problem = headersProblem(r.metadata, "");
  if (problem == null) problem = headersProblem(r.headers, r.field);
  if (problem != null) return problem;
  if (separatorProblem(r.tracestate)) return "tracestate: " + NO_SEPARATORS;
  if (r.key != null && separatorProblem(text(r.key))) return r.keyField + ": " + NO_SEPARATORS;
  return null;
}

// The message for a record messageProblem accepted.
export function outgoingMessage(r: OutboundRecord, pubsub: PubsubConfig, messageId: string, nowMs: i64, bornHost: string): OutgoingMessage {
  const m = new OutgoingMessage();
  m.namespace = pubsub.namespace;
  m.topic = r.topic;
  m.body = r.value == null ? new Uint8Array(0) : r.value!;
  const headers = r.wireHeaders();
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i].key;
    const value = text(headers[i].value);
    // A later header of the same name wins, as it would in the property map.
    const at = m.propertyNames.indexOf(name);
    if (at >= 0) m.propertyValues[at] = value;
    else {
      m.propertyNames.push(name);
      m.propertyValues.push(value);
    }
  }
  if (r.key != null) {
    const key = text(r.key);
    if (key.length > 0) {
      m.keys.push(key);
      if (pubsub.keyAsMessageGroup) m.messageGroup = key;
    }
  }
  m.messageId = messageId;
  m.bornMs = nowMs;
  m.bornHost = bornHost;
  return m;
}

export function sendMessageRequest(m: OutgoingMessage): Uint8Array {
  return encodeSendMessageRequest([m]);
}

function two(n: i32): string {
  return n < 10 ? "0" + n.toString() : n.toString();
}

// The transport headers every RocketMQ 5 client sends
// (rocketmq-clients docs/transport.md).
export function grpcMetadata(pubsub: PubsubConfig, clientId: string, requestId: string, nowMs: i64): HeaderPair[] {
  const d = new Date(nowMs);
  const dateTime = d.getUTCFullYear().toString() + two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + "T" + two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()) + "Z";
  const md = [
    new HeaderPair("x-mq-protocol", "v2"),
    new HeaderPair("x-mq-client-id", clientId),
    new HeaderPair("x-mq-request-id", requestId),
    new HeaderPair("x-mq-date-time", dateTime),
    // A RocketMQ LanguageCode; what an HTTP bridge is.
    new HeaderPair("x-mq-language", "HTTP"),
    new HeaderPair("x-mq-client-version", "5.0.0"),
  ];
  if (pubsub.namespace.length > 0) md.push(new HeaderPair("x-mq-namespace", pubsub.namespace));
  return md;
}

// HTTP status of a RocketMQ Code (definition.proto); 0 for OK.
export function httpStatusOf(code: i32): u32 {
  if (code == 20000) return 0;
  if (code == 40300 || code == 40100) return 403;
  if (code == 40400 || code == 40402) return 404;
  if (code == 40800 || code == 50100 || code == 50400 || code == 50401 || code == 50402) return 503;
  if (code == 41300 || code == 41301 || code == 43100 || code == 43101) return 413;
  if (code == 42900) return 429;
  // BAD_REQUEST, ILLEGAL_*, MESSAGE_BODY_EMPTY, ...: the request, not the broker.
  if ((code >= 40000 && code < 40100) || code == 41302) return 400;
  return 502;
}

function statusOutcome(s: Status): Outcome {
  const status = httpStatusOf(s.code);
  if (status == 0) {
    const o = new Outcome();
    o.ok = true;
    return o;
  }
  return Outcome.failure(status, 0, "RocketMQ " + codeName(s.code) + (s.message.length > 0 ? ": " + s.message : ""));
}

// The answer of one SendMessage call carrying one message. Message id and
// queue offset of a stored message are in messageId / o.offset.
export class SendOutcome {
  outcome: Outcome = new Outcome();
  messageId: string = "";
  // The RocketMQ code that decided the outcome; 0 when none did.
  code: i32 = 0;
}

export function sendAnswer(response: Uint8Array): SendOutcome {
  const out = new SendOutcome();
  const r = readSendMessageResponse(response);
  if (r == null) {
    out.outcome = Outcome.failure(502, 0, "the RocketMQ proxy's SendMessage answer could not be decoded");
    return out;
  }
  // A failed request has only the top-level status; a sent one has an entry
  // per message, and the entry's status is then the one that counts. An OK
  // without an entry does not say the message was stored.
  const top = r.status.code;
  if (top == 20000 && r.entries.length == 0) {
    out.outcome = Outcome.failure(502, 0, "the RocketMQ proxy answered OK without a result for the message");
    return out;
  }
  const s = (top == 20000 || top == 30000) && r.entries.length > 0 && r.entries[0].status.code != 0 ? r.entries[0].status : r.status;
  out.outcome = statusOutcome(s);
  out.code = s.code;
  if (out.outcome.ok && r.entries.length > 0) {
    out.outcome.offset = r.entries[0].offset;
    out.messageId = r.entries[0].messageId;
  }
  return out;
}

// A call that ended without an answer (Envoy's gRPC status).
export function callFailure(grpcStatus: u32, message: string): Outcome {
  const detail = " (gRPC status " + grpcStatus.toString() + (message.length > 0 ? ": " + message : "") + ")";
  switch (grpcStatus) {
    case GrpcStatus.DeadlineExceeded:
      return Outcome.failure(503, 0, "the RocketMQ proxy did not answer in time" + detail);
    case GrpcStatus.Unavailable:
    case GrpcStatus.Cancelled:
    case GrpcStatus.ResourceExhausted:
      return Outcome.failure(503, 0, "the RocketMQ proxy could not be reached" + detail);
    case GrpcStatus.PermissionDenied:
    case GrpcStatus.Unauthenticated:
      return Outcome.failure(403, 0, "the RocketMQ proxy refused the request" + detail);
    default:
      return Outcome.failure(502, 0, "the RocketMQ proxy failed the call" + detail);
  }
}

// The failure a type conflict stands for, given the QueryRoute answer for the
// topic (null: no usable answer): 404 when the topic does not exist, else
// null (the conflict is real and stays a 400).
export function missingTopic(routeResponse: Uint8Array | null, topic: string): Outcome | null {
  if (routeResponse == null) return null;
  const s = responseStatus(routeResponse);
  if (s == null || (s.code != CODE_TOPIC_NOT_FOUND && s.code != CODE_NOT_FOUND)) return null;
  return Outcome.failure(404, 0, "RocketMQ " + codeName(s.code) + ": topic " + topic + " does not exist" + (s.message.length > 0 ? " (" + s.message + ")" : ""));
}
