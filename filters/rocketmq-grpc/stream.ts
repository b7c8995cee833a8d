// One gRPC call (an HTTP/2 stream). Requests to apache.rocketmq.v2.MessagingService
// are followed message by message in both directions (grpc_frames.ts): the
// request messages name the topic and group, the response messages carry the
// Status and, for ReceiveMessage, the delivered messages. Anything else
// (another service, a compressed message, bytes that do not parse) passes
// through untouched.
//
// What is held back: only a request the ACL must check before it goes on,
// and a response the filter may change (a denied call's answer, route
// endpoints to rewrite); each only until that one message is complete.
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, GrpcStatus, HttpContext, getMonotonicTimeNanoseconds,
  requestBody, requestHeaders, responseBody, responseHeaders, responseTrailers,
} from "../../assembly/proxy";
import { GrpcFrames, MessageFate, grpcFrame } from "../../assembly/common/grpc_frames";
import { Identity } from "../../assembly/common/identity";
import { deniedStandIn } from "./acl";
import { Method, SERVICE_PATH_PREFIX, methodName, methodOfPath } from "../../assembly/rocketmq/grpc/methods";
import { CODE_FORBIDDEN, CODE_OK, codeName, responseStatus, statusResponse } from "../../assembly/rocketmq/grpc/status";
import { readSendMessageRequest } from "../../assembly/rocketmq/grpc/send";
import { readReceiveMessageRequest, readReceiveMessageResponse } from "../../assembly/rocketmq/grpc/receive";
import { readAckMessageRequest } from "../../assembly/rocketmq/grpc/ack";
import { readHeartbeatGroup } from "../../assembly/rocketmq/grpc/heartbeat";
import { readQueryAssignmentRequest, readQueryRouteTopic, rewriteAssignmentEndpoints, rewriteRouteEndpoints } from "../../assembly/rocketmq/grpc/route";
import { resourceField } from "../../assembly/rocketmq/grpc/resource";
import { RocketMQGrpcRoot } from "./root";
import { RocketMQGrpcMetrics, TopicCounts } from "./metrics";
import { RequestSide, ResponseSide } from "./call_sides";
import { GRPC_AUTHORIZATION, GRPC_CLIENT_ID, grpcAccessKey } from "../../assembly/rocketmq/caller";
import { CODE_TOO_MANY_REQUESTS } from "./limits";
import { GrpcCallSpan } from "./tracing";

const EMPTY = new Uint8Array(0);

export class RocketMQGrpcStream extends HttpContext {
  readonly metrics: RocketMQGrpcMetrics;
  private readonly rocketRoot: RocketMQGrpcRoot;
  private method: Method = Method.Unknown;
  private api: string = "";
  private started: u64 = 0;
  private request: GrpcFrames | null = null;
  private response: GrpcFrames | null = null;
  private checkAcl: bool = false;
  private compressedRequest: bool = false;
  private deniedReason: string = "";
  private rewrite: bool = false;
  // What the request named, for the response's metrics.
  private group: string = "";
  private topic: string = "";
  private sent: TopicCounts | null = null;
  private ackEntries: i32 = 0;
  private requestParsed: bool = false;
  private denied: bool = false;
  private deniedAnswered: bool = false;
  private statusSeen: bool = false;
  private finished: bool = false;
  // Limits and tracing (limits.ts, tracing.ts): whether this call is
  // checked, the refusal it got, whether its request may be rewritten, its span.
  private limited: bool = false;
  private throttled: string | null = null;
  private injects: bool = false;
  private callSpan: GrpcCallSpan | null = null;
  private identity: Identity = new Identity();

  constructor(id: u32, root: RocketMQGrpcRoot) {
    super(id, root);
    this.rocketRoot = root;
    this.metrics = root.metrics;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const path = requestHeaders.get(":path");
    const contentType = requestHeaders.get("content-type");
    if (path == null || contentType == null || !contentType.startsWith("application/grpc")) return FilterHeadersStatus.Continue;
    const method = methodOfPath(path);
    const config = this.rocketRoot.config;
    if (method == Method.Unknown) {
      if (!config.acl.checks || !path.startsWith(SERVICE_PATH_PREFIX)) return FilterHeadersStatus.Continue;
      // A method of the service the ACL cannot judge: fail closed.
      this.sendLocalResponse(403, null, [], config.acl.refuseMethod(path), GrpcStatus.PermissionDenied);
      return FilterHeadersStatus.StopIteration;
    }
    this.method = method;
    this.api = methodName(method);
    this.started = getMonotonicTimeNanoseconds();
    this.metrics.requests.add([this.api]);
    this.checkAcl = config.acl.checks;
    this.rewrite = this.rocketRoot.endpoints != null && (method == Method.QueryRoute || method == Method.QueryAssignment);
    const limits = this.rocketRoot.limits;
    this.limited = limits != null && limits.limits(method);
    const tracing = this.rocketRoot.tracing;
    this.injects = tracing != null && tracing.mayInject && method == Method.SendMessage;
    if (this.checkAcl || this.limited) this.readCaller();
    this.request = new GrpcFrames(new RequestSide(this), config.maxMessageBytes, this.checkAcl || this.limited || this.injects);
    // A checked call's answer may have to be replaced, so it may be held.
    this.response = new GrpcFrames(new ResponseSide(this), config.maxMessageBytes, this.checkAcl || this.rewrite || this.limited);
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const frames = this.request;
    if (frames == null) return FilterDataStatus.Continue;
    const chunk = requestBody.get(0, bodySize);
    if (chunk == null) return FilterDataStatus.Continue;
    if (frames.push(Uint8Array.wrap(chunk), endOfStream)) requestBody.replacePrefix(bodySize, frames.output.slice(0).buffer);
    return FilterDataStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (this.response != null && endOfStream) {
      // Trailers-only: a gRPC error without any response message.
      this.grpcStatus(responseHeaders.get("grpc-status"));
      this.finish();
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const frames = this.response;
    if (frames == null) return FilterDataStatus.Continue;
    const chunk = responseBody.get(0, bodySize);
    if (chunk != null && frames.push(Uint8Array.wrap(chunk), endOfStream)) {
      responseBody.replacePrefix(bodySize, frames.output.slice(0).buffer);
    }
    if (endOfStream) this.finish();
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: u32): FilterTrailersStatus {
    if (this.response != null) {
      this.grpcStatus(responseTrailers.get("grpc-status"));
      this.finish();
    }
    return FilterTrailersStatus.Continue;
  }

  onDone(): bool {
    if (this.response != null) this.finish();
    return true;
  }

  // ---- request messages

  requestFate(compressed: bool): MessageFate {
    // Every message of a checked call is judged (Telemetry's settings too).
    if (this.checkAcl && (this.method == Method.Telemetry || !this.requestParsed)) {
      this.compressedRequest = compressed;
      return MessageFate.Hold;
    }
    if (this.method == Method.Telemetry) return MessageFate.Pass;
    if (compressed) {
      this.metrics.unparsed.add(["compressed"]);
      return MessageFate.Pass;
    }
    if (this.requestParsed) return MessageFate.Pass; // unary or server streaming: one request message
    return this.limited || this.injects ? MessageFate.Hold : MessageFate.Observe;
  }

  onRequestMessage(message: Uint8Array, held: bool): Uint8Array | null {
    this.requestParsed = true;
    if (held && this.checkAcl) {
      if (this.denied) return EMPTY; // a denied stream's further messages are dropped
      const acl = this.rocketRoot.config.acl;
      const allowed = this.compressedRequest ? acl.refuseCompressed(this.method) : acl.allows(this.method, message, this.identity);
      if (!allowed) {
        const standIn = deniedStandIn(this.method, message);
        // Telemetry settings go on naming nothing, and the stream goes on:
        // clients restart a refused stream every second, and what they
        // publish or receive is judged call by call anyway.
        if (this.method == Method.Telemetry && standIn.length > 0) return this.strip(acl.deniedTopic, standIn);
        return this.deny(acl.deniedTopic, acl.reason, standIn);
      }
    }
    if (this.method == Method.Telemetry) return null;
    switch (this.method) {
      case Method.SendMessage: {
        const messages = readSendMessageRequest(message);
        if (messages == null) return this.unparsed();
        const counts = new TopicCounts();
        for (let i = 0; i < messages.length; i++) {
          const m = unchecked(messages[i]);
          counts.add(m.topic, m.bodyBytes);
        }
        this.sent = counts;
        if (counts.topics.length > 0) this.topic = counts.topics[0];
        break;
      }
      case Method.ReceiveMessage:
      case Method.PullMessage: {
        const gt = readReceiveMessageRequest(message);
        if (gt == null) return this.unparsed();
        this.group = gt.group;
        this.topic = gt.topic;
        break;
      }
      case Method.AckMessage: {
        const ack = readAckMessageRequest(message);
        if (ack == null) return this.unparsed();
        this.group = ack.group;
        this.topic = ack.topic;
        this.ackEntries = ack.entries;
        break;
      }
      case Method.QueryRoute: {
        const topic = readQueryRouteTopic(message);
        if (topic == null) return this.unparsed();
        this.topic = topic;
        break;
      }
      case Method.QueryAssignment: {
        const gt = readQueryAssignmentRequest(message);
        if (gt == null) return this.unparsed();
        this.group = gt.group;
        this.topic = gt.topic;
        break;
      }
      case Method.Heartbeat: {
        const group = readHeartbeatGroup(message);
        if (group == null) return this.unparsed();
        this.group = group;
        break;
      }
      case Method.ChangeInvisibleDuration:
      case Method.ForwardMessageToDeadLetterQueue: {
        const topic = resourceField(message, 2);
        if (topic == null) return this.unparsed();
        this.topic = topic.name;
        break;
      }
      default:
        break;
    }
    return this.governed(message, held);
  }

  private strip(topic: string, standIn: Uint8Array): Uint8Array {
    this.metrics.denied.add([this.api, this.metrics.wantsTopics ? (topic.length > 0 ? this.metrics.topic(topic) : "_") : ""]);
    return grpcFrame(standIn);
  }

  // Denied: the broker gets the stand-in (acl.ts: an empty request of the
  // same method, which it rejects without touching any topic) and its
  // answer is replaced.
  private deny(topic: string, reason: string, standIn: Uint8Array): Uint8Array {
    this.denied = true;
    this.deniedReason = reason;
    const label = topic.length > 0 ? this.metrics.topic(topic) : "_";
    this.metrics.denied.add([this.api, this.metrics.wantsTopics ? label : ""]);
    if (topic.length > 0) this.topic = topic;
    return grpcFrame(standIn);
  }

  // An allowed request: its limits, then its span (and the context its
  // messages get). What goes to the proxy instead, or null.
  private governed(message: Uint8Array, held: bool): Uint8Array | null {
    const limits = this.rocketRoot.limits;
    if (held && this.limited && limits != null) {
      const sent = this.sent;
      let refusal: string | null = null;
      if (this.method != Method.SendMessage) refusal = limits.admitReceive(this.identity, this.topic, this.group);
      else if (sent != null) refusal = limits.admitSend(this.identity, sent.topics, sent.messages, sent.bytes);
      if (refusal != null) {
        this.throttled = refusal;
        return grpcFrame(EMPTY);
      }
    }
    const tracing = this.rocketRoot.tracing;
    if (tracing == null) return null;
    if (this.method == Method.SendMessage && (tracing.records || tracing.mayInject)) {
      const sent = this.sent;
      let count: u64 = 0;
      if (sent != null) for (let i = 0; i < sent.messages.length; i++) count += sent.messages[i];
      const span = GrpcCallSpan.send(tracing, message, this.topic, <i32>count);
      this.callSpan = span;
      return held && span.rewritten != null ? grpcFrame(span.rewritten!) : null;
    }
    if (tracing.records && (this.method == Method.ReceiveMessage || this.method == Method.PullMessage)) {
      this.callSpan = GrpcCallSpan.receive(tracing, this.topic, this.group);
    }
    return null;
  }

  // The caller, for principal patterns: the connection, the AccessKey that
  // signs the call and the client id it names.
  private readCaller(): void {
    this.identity.resolve();
    const authorization = requestHeaders.get(GRPC_AUTHORIZATION);
    if (authorization != null) this.identity.user = grpcAccessKey(authorization);
    const clientId = requestHeaders.get(GRPC_CLIENT_ID);
    if (clientId != null) this.identity.clientId = clientId;
  }

  private unparsed(): Uint8Array | null {
    this.metrics.unparsed.add(["request"]);
    return null;
  }

  // ---- response messages

  responseFate(compressed: bool): MessageFate {
    if (this.denied || this.throttled != null) return MessageFate.Hold; // replaced even when compressed
    if (compressed) {
      this.metrics.unparsed.add(["compressed"]);
      return MessageFate.Pass;
    }
    if (this.method == Method.Telemetry) return MessageFate.Pass;
    return this.rewrite ? MessageFate.Hold : MessageFate.Observe;
  }

  onResponseMessage(message: Uint8Array, held: bool): Uint8Array | null {
    if (this.denied) {
      if (this.deniedAnswered) return EMPTY; // a stream's further messages are dropped
      this.deniedAnswered = true;
      this.status(CODE_FORBIDDEN);
      return grpcFrame(statusResponse(CODE_FORBIDDEN, this.deniedReason));
    }
    if (this.throttled != null) {
      if (this.deniedAnswered) return EMPTY;
      this.deniedAnswered = true;
      this.status(CODE_TOO_MANY_REQUESTS);
      return grpcFrame(statusResponse(CODE_TOO_MANY_REQUESTS, this.throttled!));
    }
    if (this.method == Method.ReceiveMessage || this.method == Method.PullMessage) {
      const r = readReceiveMessageResponse(message);
      if (r == null) {
        this.metrics.unparsed.add(["response"]);
        return null;
      }
      if (r.status != null) this.status(r.status!.code);
      const m = r.message;
      if (m != null) {
        const topic = m.topic.length > 0 ? m.topic : this.topic;
        this.metrics.receivedMessages.add(this.topicGroup(topic));
        this.delivered(message);
      }
      return null;
    }
    const status = responseStatus(message);
    if (status == null) {
      this.metrics.unparsed.add(["response"]);
      return null;
    }
    const code = status.code;
    this.status(code);
    if (code == CODE_OK) {
      if (this.method == Method.SendMessage) this.metrics.countSent(this.sent);
      else if (this.method == Method.AckMessage) this.metrics.acks.add(this.topicGroup(this.topic), <u64>this.ackEntries);
    }
    if (!held || !this.rewrite) return null;
    const count = new StaticArray<i32>(1);
    const endpoints = this.rocketRoot.endpoints!;
    const rewritten = this.method == Method.QueryRoute
      ? rewriteRouteEndpoints(message, endpoints, count)
      : rewriteAssignmentEndpoints(message, endpoints, count);
    if (rewritten == null) return null;
    this.metrics.endpointRewrites.add([this.api], <u64>count[0]);
    return grpcFrame(rewritten);
  }

  private topicGroup(topic: string): string[] {
    if (!this.metrics.wantsTopics) return ["", this.metrics.group(this.group)];
    return [this.metrics.topic(topic), this.metrics.group(this.group)];
  }

  // A receive call delivered a message: charged to its limits, linked from its span.
  private delivered(response: Uint8Array): void {
    const limits = this.rocketRoot.limits;
    if (this.limited && limits != null) limits.received(this.identity, this.topic, this.group, 1);
    const span = this.callSpan;
    if (span != null) span.delivers(response);
  }

  private status(code: i32): void {
    const span = this.callSpan;
    if (span != null) span.status(code);
    this.statusSeen = true;
    this.metrics.responses.add([this.api, codeName(code)]);
  }

  // A call that ended without any Status message: its grpc-status counts.
  private grpcStatus(value: string | null): void {
    if (this.statusSeen || value == null || value == "0") return;
    let n = 0;
    for (let i = 0; i < value.length && i < 4; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return;
      n = n * 10 + (c - 0x30);
    }
    this.statusSeen = true;
    this.metrics.responses.add([this.api, "GRPC_" + n.toString()]);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const elapsed = (getMonotonicTimeNanoseconds() - this.started) / 1000000;
    this.metrics.latency.record([this.api], elapsed);
    const span = this.callSpan;
    if (span != null) span.end();
  }
}
