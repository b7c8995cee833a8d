// The request direction: counts every request by API (and client id), opens
// its exchange (exchange.ts) and queues it for its response, asks the
// pipeline's interceptors about it, and reads produce requests for their
// acks and per-topic record and byte counts. One reading path for those:
// the ProduceScanner reads the request's head as it arrives (what an
// interceptor judges a produce request by), then the rest as it streams by,
// never keeping the frame and skipping the record bodies; a produce request
// an interceptor holds is read by the same scanner, whole.
import { Session } from "../../assembly/common/framed_connection";
import { FrameFate, FrameHandler, FrameScanner } from "../../assembly/common/frame_stream";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { decodeUtf8 } from "../../assembly/common/utf8";
import { InOrder } from "../../assembly/common/pipeline/inflight";
import { Counter, getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { ApiKey, firstFlexibleVersion } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { RequestHeader } from "../../assembly/kafka/header";
import { ProduceScanner } from "../../assembly/kafka/produce_scanner";
import { SaslSession } from "../../assembly/kafka/sasl";
import { BytesReader } from "../../assembly/common/bytes_reader";
import { LastTopic, topicName } from "../../assembly/kafka/topic_ids";
import { KafkaFilterConfig, OnUnknown } from "./config";
import { KafkaExchange, KafkaPipeline, KafkaRequest } from "./exchange";
import { KafkaMetrics } from "./metrics";
import { noteProduceTopics } from "./tracing";

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
  // The request being read, from decide until its last byte went by.
  private current: KafkaExchange | null = null;
  // The interceptors answered NeedMore for the current request: decide is
  // called again for it with more of its bytes.
  private judging: bool = false;
  private readonly head: FrameHead = new FrameHead();
  private readonly held: KafkaRequest = new KafkaRequest();
  private readonly produceScanner: ProduceScanner = new ProduceScanner();
  // The counters of the topic this connection produced to last.
  private readonly lastTopic: LastTopic = new LastTopic();
  private topicRecords: Counter | null = null;
  private topicBytes: Counter | null = null;

  constructor(
    private metrics: KafkaMetrics,
    private config: KafkaFilterConfig,
    private exchanges: InOrder<KafkaExchange>,
    private pipeline: KafkaPipeline,
    private session: Session,
    private sasl: SaslSession,
  ) {
    super();
  }

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    if (this.judging) return this.judge(this.current!, head, frameSize, oversize);
    if (head.length < FIXED_HEADER) {
      return frameSize < FIXED_HEADER ? this.notKafka("short_frame") : FrameFate.NeedMore;
    }
    const apiKey = readI16(head, 0);
    const apiVersion = readI16(head, 2);
    if (firstFlexibleVersion(apiKey) < 0 || apiVersion < 0 || apiVersion > MAX_PLAUSIBLE_VERSION) {
      return this.notKafka("unknown_api");
    }
    // The client id follows the fixed part as an int16-length string in
    // every header version. It is decoded for a label, or until the
    // connection's caller is named by one (its identity, for policies).
    const identity = this.session.identity;
    let clientId: string | null = null;
    if (this.metrics.wantsClientId) {
      if (head.length < FIXED_HEADER + 2) return frameSize < FIXED_HEADER + 2 ? this.notKafka("short_frame") : FrameFate.NeedMore;
      const length = <i32>readI16(head, FIXED_HEADER);
      if (length > 0) {
        if (head.length < FIXED_HEADER + 2 + length) {
          return frameSize < FIXED_HEADER + 2 + length ? this.notKafka("short_frame") : FrameFate.NeedMore;
        }
        clientId = decodeUtf8(head.dataStart + FIXED_HEADER + 2, length);
        if (identity.clientId.length == 0) identity.clientId = clientId;
      }
    } else if (identity.clientId.length == 0 && frameSize >= FIXED_HEADER + 2 && (!oversize || head.length < this.arrived)) {
      // (An oversize frame is never waited for: it is shown what arrived.)
      if (head.length < FIXED_HEADER + 2) return FrameFate.NeedMore;
      const length = <i32>readI16(head, FIXED_HEADER);
      if (length > 0 && frameSize >= FIXED_HEADER + 2 + length) {
        if (head.length < FIXED_HEADER + 2 + length) return FrameFate.NeedMore;
        identity.clientId = decodeUtf8(head.dataStart + FIXED_HEADER + 2, length);
      }
    }
    this.metrics.request(apiKey, clientId);
    let x = this.exchanges.spares.reuse();
    if (x == null) x = new KafkaExchange(this.session);
    x.reset(readI32(head, 4), apiKey, apiVersion, getCurrentTimeNanoseconds(), frameSize);
    const givenUp = this.exchanges.push(x);
    if (givenUp != null) this.end(givenUp, true);
    this.current = x;
    // A frame too large to keep goes by unread; its interceptors still see
    // its head (head.oversize), to fail closed if they must.
    if (oversize) this.metrics.unparsed.add(["oversize"]);
    else if (apiKey == ApiKey.Produce && hasCodec(apiKey, apiVersion)) x.produce = this.produceScanner.reset(frameSize);
    return this.judge(x, head, frameSize, oversize);
  }

  // The interceptors' verdict on the head (those that gave one are not asked
  // again), then the frame's fate.
  private judge(x: KafkaExchange, bytes: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    const produce = x.produce;
    if (produce != null) produce.prefeed(bytes);
    let verdict = Verdict.Pass;
    if (!this.pipeline.empty) {
      const head = this.head;
      head.bytes = bytes;
      head.frameSize = frameSize;
      head.arrived = this.arrived;
      head.oversize = oversize;
      verdict = this.pipeline.requestHead(x, head);
    }
    if (verdict == Verdict.Close) return FrameFate.Close;
    // An oversize frame can be shown more of what arrived, never waited for.
    if (oversize && (verdict != Verdict.NeedMore || bytes.length >= this.arrived)) {
      this.judging = false;
      this.current = null;
      return FrameFate.Pass;
    }
    this.judging = verdict == Verdict.NeedMore;
    if (verdict == Verdict.NeedMore) return FrameFate.NeedMore;
    if (verdict == Verdict.Hold) return FrameFate.Hold;
    // Produce is read for its topics, and for acks=0 (no response will come).
    if (produce != null) return FrameFate.Scan;
    // SASL requests are read as they pass, for the user they log in as.
    if (isSasl(x.api)) return FrameFate.Observe;
    this.current = null;
    return FrameFate.Pass;
  }

  scanner(): FrameScanner | null {
    return this.produceScanner.handOff();
  }

  onScanned(scanner: FrameScanner): void {
    const x = this.current;
    this.current = null;
    if (x == null) return;
    this.countProduce(x, this.produceScanner);
    x.produce = null;
    // A request that gets no response is over once it went by.
    if (x.oneway) this.dropAnswerless(x);
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    const x = this.current;
    this.current = null;
    // A NeedMore with the whole frame here ends as a hold, without decide.
    this.judging = false;
    if (x == null) return null;
    if (isSasl(x.api)) {
      const r = new BytesReader(body);
      new RequestHeader().decode(r);
      if (r.ok) this.sasl.onRequest(<i16>x.api, x.version, r);
      if (!held) return null;
    }
    const produce = x.produce;
    if (produce != null) {
      produce.prefeed(body);
      this.countProduce(x, produce);
    }
    const request = this.held.reset(body);
    const replacement = this.pipeline.request(x, request);
    // A produce request was judged readable by its scanner (above).
    if (produce == null && request.decodedError) this.metrics.unparsed.add(["undecodable"]);
    x.produce = null;
    if (x.oneway) this.dropAnswerless(x);
    return replacement;
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.config.onUnknown == OnUnknown.Close;
  }

  // The one counting routine of produce requests, streamed or held.
  private countProduce(x: KafkaExchange, s: ProduceScanner): void {
    if (!s.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    x.oneway = s.acks == 0;
    if (x.span != null) noteProduceTopics(x, s);
    if (!this.metrics.wantsTopics) return;
    const byId = s.apiVersion >= 13;
    const count = s.topicRecords.length;
    for (let t = 0; t < count; t++) {
      if (byId) this.useTopic("", unchecked(s.topicIds[t]));
      else this.useTopic(unchecked(s.topicNames[t]), NO_TOPIC_ID);
      this.metrics.count(this.topicRecords!, <u64>unchecked(s.topicRecords[t]));
      this.metrics.count(this.topicBytes!, <u64>unchecked(s.topicBytes[t]));
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

  private dropAnswerless(x: KafkaExchange): void {
    if (this.exchanges.dropNewest(x.id)) this.end(x, false);
  }

  private end(x: KafkaExchange, abandoned: bool): void {
    this.pipeline.done(x, abandoned);
    this.exchanges.spares.recycle(x);
  }

  private notKafka(reason: string): FrameFate {
    this.metrics.unparsed.add([reason]);
    return this.config.onUnknown == OnUnknown.Close ? FrameFate.Close : FrameFate.Pass;
  }
}

function isSasl(apiKey: i32): bool {
  return apiKey == ApiKey.SaslHandshake || apiKey == ApiKey.SaslAuthenticate;
}
