// One HTTP request on the app-facing listener, and the sequencer between the
// input adapters (input_*.ts) and the backends (kafka_send.ts,
// rocketmq_send.ts). Publish paths are answered here, after the broker
// acknowledged; everything else continues untouched.
//
//   headers  the path picks the API; its adapter reads pubsub, topic and
//            metadata (405/404/400 now); Content-Length over maxBodyBytes: 413
//   body     buffered by Envoy until the end of the request (413 above maxBodyBytes)
//   parse    the adapter turns the body into records (400 naming the field)
//   route    each record's topic (the pubsub's routing rules), its trace context
//   prepare  the backend refuses what its broker cannot carry (400)
//   admit    the hooks may refuse the publish (limits)
//   send     the backend stores the records and tells each one's outcome
//   answer   in the API's shape: success when a record was stored, else the first failure
//
// The hooks (hooks.ts) see the start, each record handed over and
// acknowledged, and the answer. The request headers must be held while the
// body is buffered: the Envoy config puts envoy.filters.http.buffer after
// this filter (README.md).
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HeaderPair, HttpContext,
  getCallStatus, grpcReceiveBuffer, requestBody, requestHeaders,
} from "../../assembly/proxy";
import { parseTraceparent } from "../../assembly/common/trace_context";
import { Backend } from "./backend";
import { isBulkPath } from "./bulk";
import { isCloudEventsPath } from "./cloudevents";
import { BridgeConfig, TYPE_ROCKETMQ } from "./config";
import { isPublishPath } from "./dapr";
import { InputAdapter } from "./input";
import { BulkInput } from "./input_bulk";
import { CloudEventsInput } from "./input_cloudevents";
import { DaprInput } from "./input_dapr";
import { RestInput } from "./input_rest";
import { KafkaSend } from "./kafka_send";
import { Outcome } from "./kafka_client";
import { Phase, Publish } from "./publish";
import { Answer, Cause, Failure, OutboundRecord } from "./record";
import { isRestPath } from "./rest";
import { BridgeRoot } from "./root";
import { routeTopic } from "./routing";
import { RocketMQSend } from "./rocketmq_send";
import { parseDecimal } from "./tunnel";

// The adapter of the API `path` belongs to; null: not a publish.
function inputFor(path: string, config: BridgeConfig): InputAdapter | null {
  if (isRestPath(path) && config.restPubsub.length > 0) return new RestInput();
  if (isPublishPath(path)) return new DaprInput();
  if (isCloudEventsPath(path)) return new CloudEventsInput();
  if (isBulkPath(path)) return new BulkInput();
  return null;
}

export class PublishStream extends HttpContext {
  private publish: Publish | null = null;

  private get bridge(): BridgeRoot {
    return this.root as BridgeRoot;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const path = requestHeaders.get(":path");
    if (path == null) return FilterHeadersStatus.Continue;
    const input = inputFor(path, this.bridge.config);
    if (input == null) return FilterHeadersStatus.Continue;
    const p = new Publish(this.bridge, input);
    this.publish = p;
    readTrace(p);
    const hooks = this.bridge.hooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].started(p);
    const refused = input.readHeaders(p, path);
    if (refused != null) {
      this.respond(refused);
      return FilterHeadersStatus.StopIteration;
    }
    const cl = requestHeaders.get("content-length");
    if (cl != null && parseDecimal(cl.trim()) > <i64>this.bridge.config.maxBodyBytes) {
      this.tooLarge();
      return FilterHeadersStatus.StopIteration;
    }
    if (endOfStream) {
      this.start(new Uint8Array(0));
      return FilterHeadersStatus.StopIteration;
    }
    p.phase = Phase.Collecting;
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const p = this.publish;
    if (p == null) return FilterDataStatus.Continue;
    if (p.phase != Phase.Collecting) return FilterDataStatus.StopIterationNoBuffer;
    if (<i64>bodySize > <i64>this.bridge.config.maxBodyBytes) {
      this.tooLarge();
      return FilterDataStatus.StopIterationNoBuffer;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    this.start(readBody(bodySize));
    return FilterDataStatus.StopIterationAndBuffer;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    const p = this.publish;
    if (p == null) return FilterTrailersStatus.Continue;
    if (p.phase == Phase.Collecting) this.start(readBody(requestBody.size()));
    return FilterTrailersStatus.StopIteration;
  }

  onDone(): bool {
    const p = this.publish;
    if (p == null) return true;
    p.gone = true;
    if (p.phase != Phase.Done) {
      const hooks = this.bridge.hooks;
      for (let i = 0; i < hooks.length; i++) hooks[i].gone(p);
    }
    return true;
  }

  // ---- the steps

  private start(body: Uint8Array): void {
    const p = this.publish!;
    p.bodyEndMs = this.bridge.nowMs();
    const refused = p.input.parse(p, body);
    if (refused != null) {
      this.respond(refused);
      return;
    }
    // Only an empty CloudEvents batch has nothing to send.
    if (p.records.length == 0) {
      this.respond(p.input.succeeded(p));
      return;
    }
    this.address(p);
    const backend = newBackend(this, p);
    p.backend = backend;
    let refusal = backend.prepare();
    const hooks = this.bridge.hooks;
    for (let i = 0; i < hooks.length && refusal == null; i++) refusal = hooks[i].admit(p);
    if (refusal != null) {
      this.fail(refusal);
      return;
    }
    p.pending = p.records.length;
    p.phase = Phase.Sending;
    backend.send();
  }

  // Each record's topic (the first matching routing rule's, else the path's)
  // and trace context (the request's wins over a CloudEvent's extension).
  private address(p: Publish): void {
    const routes = p.pubsub!.routes;
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      r.topic = p.topic;
      if (routes.length > 0) {
        const view = p.input.eventView(p, r);
        if (view != null) r.topic = routeTopic(routes, view, p.topic);
      }
      if (p.traceparent.length > 0) {
        r.traceparent = p.traceparent;
        r.tracestate = p.tracestate;
      }
    }
  }

  // ---- from the backend

  // A record is handed over, before its backend encodes it.
  sending(r: OutboundRecord): void {
    const p = this.publish!;
    const hooks = this.bridge.hooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].sending(p, r);
  }

  // A record's outcome; the last one answers the app.
  settle(r: OutboundRecord, o: Outcome): void {
    const p = this.publish!;
    if (p.phase != Phase.Sending || r.outcome != null) return;
    r.outcome = o;
    const hooks = this.bridge.hooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].acknowledged(p, r);
    p.pending--;
    if (p.pending > 0) return;
    let firstFailure: Outcome | null = null;
    let stored = false;
    for (let i = 0; i < p.records.length; i++) {
      const rec = p.records[i];
      if (rec.stored) stored = true;
      else if (firstFailure == null) firstFailure = rec.outcome;
    }
    if (stored) this.respond(p.input.succeeded(p));
    else this.fail(new Failure(firstFailure!.status, firstFailure!.message));
  }

  // The publish failed as a whole. The broker's "try again" statuses carry Retry-After.
  fail(f: Failure): void {
    const p = this.publish!;
    if (f.cause == Cause.Broker && (f.status == 503 || f.status == 429) && !f.has("retry-after")) {
      f.headers.push(new HeaderPair("retry-after", this.bridge.config.retryAfterSeconds.toString()));
    }
    this.respond(p.input.failed(p, f));
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const backend = this.sendingBackend();
    if (backend != null) backend.onHttpCallResponse(token, numHeaders, bodySize);
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    const backend = this.sendingBackend();
    if (backend == null) return;
    const data = grpcReceiveBuffer.get(0, messageSize);
    backend.onGrpcReceive(token, data == null ? new Uint8Array(0) : Uint8Array.wrap(data));
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const backend = this.sendingBackend();
    if (backend == null) return;
    backend.onGrpcClose(token, statusCode, getCallStatus().message);
  }

  private sendingBackend(): Backend | null {
    const p = this.publish;
    return p == null || p.phase != Phase.Sending ? null : p.backend;
  }

  // ---- answers

  private tooLarge(): void {
    this.fail(new Failure(413, "body: larger than " + this.bridge.config.maxBodyBytes.toString() + " bytes", Cause.TooLarge));
  }

  // Every answer to a publish passes here, so the hooks see each one once.
  private respond(a: Answer): void {
    const p = this.publish!;
    p.phase = Phase.Done;
    if (p.gone) return;
    const hooks = this.bridge.hooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].answered(p, a);
    this.sendLocalResponse(a.status, a.body.length > 0 ? String.UTF8.encode(a.body) : null, a.headers, a.details);
  }
}

function newBackend(stream: PublishStream, p: Publish): Backend {
  if (p.pubsub!.type == TYPE_ROCKETMQ) return new RocketMQSend(stream, p);
  return new KafkaSend(stream, p);
}

function readTrace(p: Publish): void {
  const tp = requestHeaders.get("traceparent");
  if (tp == null) return;
  const tc = parseTraceparent(tp);
  if (tc == null) return;
  p.traceparent = tc.toTraceparent();
  const ts = requestHeaders.get("tracestate");
  p.tracestate = ts == null ? "" : ts.trim();
}

function readBody(size: u32): Uint8Array {
  if (size == 0) return new Uint8Array(0);
  const data = requestBody.get(0, size);
  return data == null ? new Uint8Array(0) : Uint8Array.wrap(data);
}
