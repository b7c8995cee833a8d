// The request direction: counts every request by API (and client id), notes
// it as waiting for its response, and reads produce requests for per-topic
// record and byte counts: as they stream by with the ProduceScanner, which
// never keeps the frame and skips the record bodies; a held produce request
// (ACL) is decoded in full instead, with the same counts.
import { FrameFate, FrameHandler, FrameScanner } from "../../assembly/common/frame_stream";
import { Counter, getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { ApiKey, firstFlexibleVersion } from "../../assembly/kafka/api_keys";
import { decodeRequestBody, hasCodec } from "../../assembly/kafka/apis";
import { ProduceRequest } from "../../assembly/kafka/api/produce";
import { ProduceScanner } from "../../assembly/kafka/produce_scanner";
import { readBatches } from "../../assembly/kafka/record_batch";
import { LastTopic, topicName } from "../../assembly/kafka/topic_ids";
import { KafkaFilterConfig, OnUnknown } from "./config";
import { InflightRequest, InflightRequests } from "./inflight";
import { KafkaMetrics } from "./metrics";
import { RequestInterceptor } from "./interceptors";

// api key, api version, correlation id: the start of every request header.
const FIXED_HEADER = 8;
// Highest api version a plausible Kafka request can carry: anything above is
// taken for bytes of another protocol.
const MAX_PLAUSIBLE_VERSION: i16 = 100;
const NO_TOPIC_ID = new Uint8Array(16);

function readI16(b: Uint8Array, at: i32): i16 {
  return <i16>((<i32>b[at] << 8) | b[at + 1]);
}

function readI32(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | b[at + 3];
}

export class RequestObserver extends FrameHandler {
  // The request being read (set in decide, used in onFrame).
  private current: InflightRequest | null = null;
  private currentSize: i32 = 0;
  // An interceptor answered NeedMore for the current request.
  private judging: bool = false;
  private readonly produceScanner: ProduceScanner = new ProduceScanner();
  // The counters of the topic this connection produced to last.
  private readonly lastTopic: LastTopic = new LastTopic();
  private topicRecords: Counter | null = null;
  private topicBytes: Counter | null = null;

  constructor(
    private metrics: KafkaMetrics,
    private config: KafkaFilterConfig,
    private inflight: InflightRequests,
    private interceptors: RequestInterceptor[],
  ) {
    super();
  }

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    if (this.judging) {
      // Asked again with more of the frame, after an interceptor's NeedMore:
      // the request is counted already.
      this.judging = false;
      const request = this.current!;
      return this.afterCounting(request.apiKey, request.apiVersion, head, frameSize);
    }
    if (head.length < FIXED_HEADER) {
      return frameSize < FIXED_HEADER ? this.notKafka("short_frame") : FrameFate.NeedMore;
    }
    const apiKey = readI16(head, 0);
    const apiVersion = readI16(head, 2);
    if (firstFlexibleVersion(apiKey) < 0 || apiVersion < 0 || apiVersion > MAX_PLAUSIBLE_VERSION) {
      return this.notKafka("unknown_api");
    }
    let clientId: string | null = null;
    if (this.metrics.wantsClientId) {
      // The client id follows the fixed part as an int16-length string in
      // every header version.
      if (head.length < FIXED_HEADER + 2) return frameSize < FIXED_HEADER + 2 ? this.notKafka("short_frame") : FrameFate.NeedMore;
      const length = <i32>readI16(head, FIXED_HEADER);
      if (length > 0) {
        if (head.length < FIXED_HEADER + 2 + length) {
          return frameSize < FIXED_HEADER + 2 + length ? this.notKafka("short_frame") : FrameFate.NeedMore;
        }
        clientId = String.UTF8.decode(head.slice(FIXED_HEADER + 2, FIXED_HEADER + 2 + length).buffer);
      }
    }
    this.metrics.request(apiKey, clientId);
    const request = new InflightRequest(readI32(head, 4), apiKey, apiVersion, getCurrentTimeNanoseconds());
    this.inflight.add(request);
    this.current = request;
    this.currentSize = frameSize;
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return FrameFate.Pass;
    }
    return this.afterCounting(apiKey, apiVersion, head, frameSize);
  }

  private afterCounting(apiKey: i16, apiVersion: i16, head: Uint8Array, frameSize: i32): FrameFate {
    for (let i = 0; i < this.interceptors.length; i++) {
      const interceptor = this.interceptors[i];
      if (!interceptor.wantsRequest(apiKey, apiVersion)) continue;
      const fate = interceptor.judgeHead(apiKey, apiVersion, head, frameSize);
      if (fate == FrameFate.NeedMore) this.judging = true;
      if (fate != FrameFate.Pass) return fate;
    }
    // Produce is read for its topics, and for acks=0 (no response will come).
    if (apiKey == ApiKey.Produce && hasCodec(apiKey, apiVersion)) return FrameFate.Scan;
    return FrameFate.Pass;
  }

  scanner(): FrameScanner | null {
    return this.produceScanner.reset(this.currentSize);
  }

  // The same outcome as onFrame's decode of a produce request that is not held.
  onScanned(scanner: FrameScanner): void {
    this.current = null;
    const s = scanner as ProduceScanner;
    if (!s.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    if (s.acks == 0) this.inflight.dropNewest(s.correlationId);
    if (!this.metrics.wantsTopics) return;
    const byId = s.apiVersion >= 13;
    const count = s.topicRecords.length;
    for (let t = 0; t < count; t++) {
      if (byId) this.useTopic("", s.topicIds[t]);
      else this.useTopic(s.topicNames[t], NO_TOPIC_ID);
      this.metrics.count(this.topicRecords!, <u64>s.topicRecords[t]);
      this.metrics.count(this.topicBytes!, <u64>s.topicBytes[t]);
    }
  }

  private useTopic(name: string, id: Uint8Array): void {
    if (this.lastTopic.is(name, id)) return;
    const resolved = topicName(name, id);
    const label = this.metrics.topic(resolved);
    this.topicRecords = this.metrics.producedRecords.with1(label);
    this.topicBytes = this.metrics.producedBytes.with1(label);
    this.lastTopic.remember(name, id, resolved);
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    const request = this.current!;
    this.current = null;
    // A NeedMore with the whole frame here ends as a hold, without decide.
    this.judging = false;
    const decoded = decodeRequestBody(body);
    if (decoded.body == null && decoded.error != null) this.metrics.unparsed.add(["undecodable"]);
    if (decoded.body != null && decoded.header.apiKey == ApiKey.Produce) {
      this.observeProduce(decoded.body as ProduceRequest, decoded.header.correlationId);
    }
    if (!held) return null;
    let replacement: Uint8Array | null = null;
    for (let i = 0; i < this.interceptors.length && replacement == null; i++) {
      if (this.interceptors[i].wantsRequest(request.apiKey, request.apiVersion)) {
        replacement = this.interceptors[i].onRequest(decoded, request);
      }
    }
    return replacement;
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.config.onUnknown == OnUnknown.Close;
  }

  private observeProduce(request: ProduceRequest, correlationId: i32): void {
    if (request.acks == 0) this.inflight.dropNewest(correlationId);
    if (!this.metrics.wantsTopics) return;
    for (let t = 0; t < request.topicData.length; t++) {
      const topic = request.topicData[t];
      const label = this.metrics.topic(topicName(topic.name, topic.topicId));
      let records: i64 = 0;
      let bytes: i64 = 0;
      for (let p = 0; p < topic.partitionData.length; p++) {
        const data = topic.partitionData[p].records;
        if (data == null) continue;
        bytes += data.length;
        records += readBatches(data).totalRecords;
      }
      this.metrics.count(this.metrics.producedRecords.with1(label), <u64>records);
      this.metrics.count(this.metrics.producedBytes.with1(label), <u64>bytes);
    }
  }

  private notKafka(reason: string): FrameFate {
    this.metrics.unparsed.add([reason]);
    return this.config.onUnknown == OnUnknown.Close ? FrameFate.Close : FrameFate.Pass;
  }
}
