// The response direction: matches each response to its request, counts it
// with its latency and error codes, reads fetch responses for per-topic
// record and byte counts, and learns topic ids from metadata responses.
import { FrameFate, FrameHandler } from "../../assembly/common/frame_stream";
import { getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { decodeResponseBody, encodeResponse, hasCodec } from "../../assembly/kafka/apis";
import { KafkaMessage } from "../../assembly/kafka/message";
import { errorName } from "../../assembly/kafka/errors";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { MetadataResponse } from "../../assembly/kafka/api/metadata";
import { readBatches } from "../../assembly/kafka/record_batch";
import { collectResponseErrors } from "../../assembly/kafka/response_errors";
import { scanProduceResponseErrors } from "../../assembly/kafka/produce_response_errors";
import { rememberTopicId, topicName } from "../../assembly/kafka/topic_ids";
import { KafkaFilterConfig, OnUnknown } from "./config";
import { InflightRequest, InflightRequests } from "./inflight";
import { KafkaMetrics } from "./metrics";
import { ResponseInterceptor } from "./interceptors";

const CORRELATION_ID = 4;

export class ResponseObserver extends FrameHandler {
  // The request of the response being read (set in decide, used in onFrame).
  private current: InflightRequest | null = null;
  private errors: Array<i16> = new Array<i16>();

  constructor(
    private metrics: KafkaMetrics,
    private config: KafkaFilterConfig,
    private inflight: InflightRequests,
    private interceptors: ResponseInterceptor[],
  ) {
    super();
  }

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    if (head.length < CORRELATION_ID) return frameSize < CORRELATION_ID ? this.unmatched() : FrameFate.NeedMore;
    const correlationId = (<i32>head[0] << 24) | (<i32>head[1] << 16) | (<i32>head[2] << 8) | head[3];
    const request = this.inflight.take(correlationId);
    if (request == null) return this.unmatched();
    this.metrics.response(request.apiKey, getCurrentTimeNanoseconds() - request.startNanos);
    this.current = request;
    // The filter answered this request itself: the broker's answer (to the
    // stand-in request) is replaced, however large.
    if (request.syntheticResponse != null) return FrameFate.Hold;
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return FrameFate.Pass;
    }
    for (let i = 0; i < this.interceptors.length; i++) {
      if (this.interceptors[i].wantsResponse(request)) return FrameFate.Hold;
    }
    if (!hasCodec(request.apiKey, request.apiVersion)) return FrameFate.Pass;
    return FrameFate.Observe;
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    const request = this.current;
    if (request == null) return null;
    this.current = null;
    if (request.syntheticResponse != null) return request.syntheticResponse;
    // Most responses are to produce requests: their error codes are read in
    // place, without a decode (produce_response_errors.ts), and one held for
    // an interceptor is decoded only if one has something to do in it.
    if (request.apiKey == ApiKey.Produce) {
      this.errors.length = 0;
      const tags = scanProduceResponseErrors(request.apiVersion, body, this.errors);
      if (tags >= 0 && (!held || !this.anyWantsProduceResponse(request, tags))) {
        this.countErrors(request);
        return null;
      }
      if (!held) {
        this.metrics.unparsed.add(["undecodable"]);
        return null;
      }
    }
    // Decoded once: for the metrics, then for every interceptor in turn
    // (ACLs filter Metadata topics, the rewrite changes its brokers).
    const decoded = decodeResponseBody(request.apiKey, request.apiVersion, body);
    if (decoded.body == null) {
      if (decoded.error != null) this.metrics.unparsed.add(["undecodable"]);
      return null;
    }
    const response = decoded.body!;
    this.observe(request, response);
    if (!held) return null;
    let changed = false;
    for (let i = 0; i < this.interceptors.length; i++) {
      if (this.interceptors[i].wantsResponse(request) && this.interceptors[i].onResponse(response, request)) changed = true;
    }
    return changed ? encodeResponse(request.apiKey, request.apiVersion, decoded.header, response) : null;
  }

  private anyWantsProduceResponse(request: InflightRequest, tags: i32): bool {
    for (let i = 0; i < this.interceptors.length; i++) {
      const interceptor = this.interceptors[i];
      if (interceptor.wantsResponse(request) && interceptor.wantsProduceResponse(request, tags)) return true;
    }
    return false;
  }

  private observe(request: InflightRequest, response: KafkaMessage): void {
    this.errors.length = 0;
    collectResponseErrors(request.apiKey, response, this.errors);
    this.countErrors(request);
    if (request.apiKey == ApiKey.Metadata) this.learnTopicIds(response as MetadataResponse);
    else if (request.apiKey == ApiKey.Fetch && this.metrics.wantsTopics) this.observeFetch(response as FetchResponse);
  }

  private countErrors(request: InflightRequest): void {
    const api = apiKeyName(request.apiKey);
    for (let i = 0; i < this.errors.length; i++) this.metrics.responseErrors.add([api, errorName(this.errors[i])]);
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.config.onUnknown == OnUnknown.Close;
  }

  private learnTopicIds(response: MetadataResponse): void {
    for (let t = 0; t < response.topics.length; t++) {
      const topic = response.topics[t];
      const name = topic.name;
      if (name != null) rememberTopicId(topic.topicId, name);
    }
  }

  private observeFetch(response: FetchResponse): void {
    for (let t = 0; t < response.responses.length; t++) {
      const topic = response.responses[t];
      const label = this.metrics.topic(topicName(topic.topic, topic.topicId));
      let records: i64 = 0;
      let bytes: i64 = 0;
      for (let p = 0; p < topic.partitions.length; p++) {
        const data = topic.partitions[p].records;
        if (data == null) continue;
        // A fetch may end in a partial batch (the broker cuts at the size
        // limit); only whole batches reach the client's application.
        const batches = readBatches(data);
        for (let b = 0; b < batches.batches.length; b++) {
          const batch = batches.batches[b];
          if (batch.isControl) continue;
          records += batch.recordCount;
          bytes += batch.sizeInBytes;
        }
      }
      this.metrics.count(this.metrics.fetchedRecords.with1(label), <u64>records);
      this.metrics.count(this.metrics.fetchedBytes.with1(label), <u64>bytes);
    }
  }

  // A response to no request we saw: count it and let it through.
  private unmatched(): FrameFate {
    this.metrics.unparsed.add(["unmatched_response"]);
    return FrameFate.Pass;
  }
}
