// One HTTP request on the app-facing listener. Publish paths are answered
// here, after the broker acknowledged; everything else continues untouched.
//
//   headers  match the path, check pubsub/topic/metadata (404/400/413 now)
//   body     buffered by Envoy until the end of the request (413 above maxBodyBytes)
//   then     [Metadata through the tunnel when the partition count is not known]
//            Produce through the tunnel -> 204, or an error in Dapr's shape
//
// Needs the request headers held while the body is buffered: the Envoy
// config puts envoy.filters.http.buffer after this filter (README.md).
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HeaderPair, HttpContext, WasmResult,
  getRandomBytes, httpCall, httpCallResponseBody, httpCallResponseHeaders, log, requestBody, requestHeaders,
} from "../../assembly/proxy";
import { partitionForKey } from "../../assembly/common/murmur2";
import { parseTraceparent } from "../../assembly/common/trace_context";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { RecordBatchBuilder } from "../../assembly/kafka/record_batch_builder";
import { PubsubConfig } from "./config";
import { ApiError, EnvelopeInput, isPublishPath, kafkaTopicProblem, parseBool, parsePublishPath, wrapCloudEvent } from "./dapr";
import { Outcome, metadataOutcome, metadataRequest, produceOutcome, produceRequest } from "./kafka_client";
import { BridgeRoot } from "./root";
import { TUNNEL_CONTENT_TYPE, TUNNEL_HEADER } from "./tunnel";

const enum Phase {
  Pass, // not ours
  Collecting, // waiting for the body
  Metadata, // Metadata call in flight
  Producing, // Produce call in flight
  Done, // answered
}

export class PublishStream extends HttpContext {
  private phase: Phase = Phase.Pass;
  private pubsub: PubsubConfig | null = null;
  private topic: string = "";
  private rawPayload: bool = false;
  private key: Uint8Array | null = null;
  private headers: RecordHeader[] = [];
  private contentType: string = "";
  private traceparent: string = "";
  private tracestate: string = "";
  private value: Uint8Array = new Uint8Array(0);
  private partition: i32 = -1;
  private token: u32 = 0;
  private correlationId: i32 = 0;

  private get bridge(): BridgeRoot {
    return this.root as BridgeRoot;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const path = requestHeaders.get(":path");
    if (path == null || !isPublishPath(path)) return FilterHeadersStatus.Continue;
    const method = requestHeaders.get(":method");
    if (method == null || method != "POST") {
      this.fail(new ApiError(405, "ERR_METHOD_NOT_ALLOWED", "publish needs POST"), [new HeaderPair("allow", "POST")]);
      return FilterHeadersStatus.StopIteration;
    }
    const pr = parsePublishPath(path);
    if (pr.error != null) {
      this.fail(pr.error!);
      return FilterHeadersStatus.StopIteration;
    }
    const pubsub = this.bridge.config.pubsub(pr.pubsub);
    if (pubsub == null) {
      this.fail(new ApiError(404, "ERR_PUBSUB_NOT_FOUND", "pubsub " + pr.pubsub + " not found"));
      return FilterHeadersStatus.StopIteration;
    }
    const topicProblem = kafkaTopicProblem(pr.topic);
    if (topicProblem != null) {
      this.fail(new ApiError(400, "ERR_MALFORMED_REQUEST", "topic: " + topicProblem!));
      return FilterHeadersStatus.StopIteration;
    }
    this.pubsub = pubsub;
    this.topic = pr.topic;
    for (let i = 0; i < pr.metadataKeys.length; i++) {
      const name = pr.metadataKeys[i];
      const value = pr.metadataValues[i];
      if (name == "rawPayload") {
        const b = parseBool(value);
        if (b < 0) {
          this.fail(new ApiError(400, "ERR_MALFORMED_REQUEST", "metadata.rawPayload: expected true or false, got \"" + value + "\""));
          return FilterHeadersStatus.StopIteration;
        }
        this.rawPayload = b == 1;
      } else if (name == "partitionKey") {
        this.key = Uint8Array.wrap(String.UTF8.encode(value));
      } else {
        this.headers.push(new RecordHeader(name, Uint8Array.wrap(String.UTF8.encode(value))));
      }
    }
    const ct = requestHeaders.get("content-type");
    this.contentType = ct == null ? "" : ct;
    const tp = requestHeaders.get("traceparent");
    if (tp != null) {
      const tc = parseTraceparent(tp);
      if (tc != null) {
        this.traceparent = tc.toTraceparent();
        const ts = requestHeaders.get("tracestate");
        this.tracestate = ts == null ? "" : ts.trim();
      }
    }
    const cl = requestHeaders.get("content-length");
    if (cl != null) {
      const n = parseLength(cl);
      if (n > <i64>this.bridge.config.maxBodyBytes) {
        this.fail(this.tooLarge());
        return FilterHeadersStatus.StopIteration;
      }
    }
    if (endOfStream) {
      this.start(new Uint8Array(0));
      return FilterHeadersStatus.StopIteration;
    }
    this.phase = Phase.Collecting;
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (this.phase == Phase.Pass) return FilterDataStatus.Continue;
    if (this.phase != Phase.Collecting) return FilterDataStatus.StopIterationNoBuffer;
    if (<i64>bodySize > <i64>this.bridge.config.maxBodyBytes) {
      this.fail(this.tooLarge());
      return FilterDataStatus.StopIterationNoBuffer;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    this.start(this.readBody(bodySize));
    return FilterDataStatus.StopIterationAndBuffer;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    if (this.phase == Phase.Pass) return FilterTrailersStatus.Continue;
    if (this.phase == Phase.Collecting) this.start(this.readBody(requestBody.size()));
    return FilterTrailersStatus.StopIteration;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (token != this.token || (this.phase != Phase.Metadata && this.phase != Phase.Producing)) return;
    this.token = 0;
    const what = this.phase == Phase.Metadata ? "metadata" : "produce";
    if (numHeaders == 0) {
      this.unavailable("the broker did not answer the " + what + " request in time or the connection failed");
      return;
    }
    const status = httpCallResponseHeaders.get(":status");
    const tunnel = httpCallResponseHeaders.get(TUNNEL_HEADER);
    if (status == null || status != "200" || tunnel == null) {
      this.unavailable("the broker could not be reached (" + (status == null ? "no status" : status) + " from the tunnel)");
      return;
    }
    const data = httpCallResponseBody.get(0, bodySize);
    const frame = data == null ? new Uint8Array(0) : Uint8Array.wrap(data!);
    const pubsub = this.pubsub!;
    if (this.phase == Phase.Metadata) {
      const o = metadataOutcome(frame, this.correlationId, this.topic);
      if (!o.ok) {
        this.kafkaFailure(o);
        return;
      }
      this.bridge.rememberPartitions(pubsub, this.topic, o.partitions);
      this.produce(o.partitions);
      return;
    }
    const o = produceOutcome(frame, this.correlationId, this.topic, this.partition);
    if (!o.ok) {
      // The partition count or leader may have changed: ask again next time.
      if (o.status == 503 || o.status == 404) this.bridge.forgetPartitions(pubsub, this.topic);
      this.kafkaFailure(o);
      return;
    }
    this.phase = Phase.Done;
    this.sendLocalResponse(204, null, [], "mqmesh_published");
  }

  // ---- steps

  private start(body: Uint8Array): void {
    const bridge = this.bridge;
    if (!this.rawPayload) {
      const e = new EnvelopeInput();
      e.id = uuid4();
      e.source = bridge.config.appId;
      e.topic = this.topic;
      e.pubsub = this.pubsub!.name;
      e.contentType = this.contentType;
      e.time = new Date(bridge.nowMs()).toISOString();
      e.traceparent = this.traceparent;
      e.tracestate = this.tracestate;
      const env = wrapCloudEvent(body, e);
      if (env.error != null) {
        this.fail(env.error!);
        return;
      }
      this.value = env.value;
    } else {
      this.value = body;
    }
    if (this.traceparent.length > 0) {
      this.headers.push(new RecordHeader("traceparent", Uint8Array.wrap(String.UTF8.encode(this.traceparent))));
      if (this.tracestate.length > 0) this.headers.push(new RecordHeader("tracestate", Uint8Array.wrap(String.UTF8.encode(this.tracestate))));
    }
    const partitions = bridge.partitionsOf(this.pubsub!, this.topic);
    if (partitions > 0) {
      this.produce(partitions);
      return;
    }
    this.correlationId = bridge.nextCorrelationId();
    const frame = metadataRequest(this.correlationId, bridge.config.clientId, this.topic, this.pubsub!.allowAutoTopicCreation);
    this.call(Phase.Metadata, frame);
  }

  private produce(partitions: i32): void {
    const bridge = this.bridge;
    const pubsub = this.pubsub!;
    const key = this.key;
    this.partition = key != null ? partitionForKey(key, partitions) : <i32>(bridge.nextRoundRobin() % <u32>partitions);
    const batch = new RecordBatchBuilder().add(key, this.value, this.headers, bridge.nowMs()).build();
    this.correlationId = bridge.nextCorrelationId();
    const frame = produceRequest(this.correlationId, bridge.config.clientId, this.topic, this.partition, pubsub.acks, pubsub.timeoutMs, batch);
    this.call(Phase.Producing, frame);
  }

  private call(phase: Phase, frame: Uint8Array): void {
    const pubsub = this.pubsub!;
    const headers = [
      new HeaderPair(":method", "POST"),
      new HeaderPair(":path", "/kafka"),
      new HeaderPair(":authority", pubsub.cluster),
      new HeaderPair("content-type", TUNNEL_CONTENT_TYPE),
    ];
    const body = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length);
    // The call may wait for the broker's own timeout plus the way there and back.
    const r = httpCall(pubsub.cluster, headers, body, [], <u32>pubsub.timeoutMs + 1000);
    if (r.status != WasmResult.Ok) {
      log.error("http-mq-bridge: proxy_http_call to cluster " + pubsub.cluster + " failed: " + (<i32>r.status).toString());
      this.fail(new ApiError(500, "ERR_PUBSUB_PUBLISH_MESSAGE", "pubsub " + pubsub.name + ": cluster " + pubsub.cluster + " is not usable"));
      return;
    }
    this.token = r.token;
    this.phase = phase;
  }

  // ---- answers

  private readBody(size: u32): Uint8Array {
    if (size == 0) return new Uint8Array(0);
    const data = requestBody.get(0, size);
    return data == null ? new Uint8Array(0) : Uint8Array.wrap(data);
  }

  private tooLarge(): ApiError {
    return new ApiError(413, "ERR_PUBSUB_REQUEST_TOO_LARGE", "body: larger than " + this.bridge.config.maxBodyBytes.toString() + " bytes");
  }

  private unavailable(message: string): void {
    const retry = this.bridge.config.retryAfterSeconds.toString();
    this.fail(new ApiError(503, "ERR_PUBSUB_PUBLISH_MESSAGE", "pubsub " + this.pubsub!.name + ": " + message), [new HeaderPair("retry-after", retry)]);
  }

  private kafkaFailure(o: Outcome): void {
    const message = "pubsub " + this.pubsub!.name + ": " + o.message;
    if (o.status == 503) {
      this.fail(new ApiError(503, "ERR_PUBSUB_PUBLISH_MESSAGE", message), [new HeaderPair("retry-after", this.bridge.config.retryAfterSeconds.toString())]);
    } else if (o.status == 404) {
      this.fail(new ApiError(404, "ERR_TOPIC_NOT_FOUND", message));
    } else {
      this.fail(new ApiError(o.status, "ERR_PUBSUB_PUBLISH_MESSAGE", message));
    }
  }

  private fail(e: ApiError, extra: HeaderPair[] = []): void {
    this.phase = Phase.Done;
    const headers = [new HeaderPair("content-type", "application/json")];
    for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
    this.sendLocalResponse(e.status, String.UTF8.encode(e.body()), headers, "mqmesh_" + e.code.toLowerCase());
  }
}

function parseLength(s: string): i64 {
  const t = s.trim();
  if (t.length == 0 || t.length > 18) return -1;
  let n: i64 = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function uuid4(): string {
  const b = Uint8Array.wrap(getRandomBytes(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += hex.charAt(b[i] >> 4) + hex.charAt(b[i] & 15);
  }
  return s;
}
