// The response direction: matches each response to its exchange, counts it
// with its latency and error codes, reads fetch responses for per-topic
// record and byte counts, learns topic ids from the responses naming them, and
// gives it to the interceptors watching it (or swaps it for the answer one
// of them made).
import { FrameFate, FrameHandler } from "../../assembly/common/frame_stream";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { InOrder } from "../../assembly/common/pipeline/inflight";
import { getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { KafkaMessage } from "../../assembly/kafka/message";
import { errorName } from "../../assembly/kafka/errors";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { SaslAuthenticateResponse } from "../../assembly/kafka/api/sasl_authenticate";
import { SaslHandshakeResponse } from "../../assembly/kafka/api/sasl_handshake";
import { SaslSession } from "../../assembly/kafka/sasl";
import { Session } from "../../assembly/common/framed_connection";
import { MetadataResponse } from "../../assembly/kafka/api/metadata";
import { DescribeTopicPartitionsResponse } from "../../assembly/kafka/api/describe_topic_partitions";
import { CreateTopicsResponse } from "../../assembly/kafka/api/create_topics";
import { readBatches } from "../../assembly/kafka/record_batch";
import { collectResponseErrors } from "../../assembly/kafka/response_errors";
import { scanProduceResponseErrors } from "../../assembly/kafka/produce_response_errors";
import { rememberTopicId, topicName } from "../../assembly/kafka/topic_ids";
import { KafkaFilterConfig, OnUnknown } from "./config";
import { KafkaExchange, KafkaPipeline, KafkaResponse } from "./exchange";
import { KafkaMetrics } from "./metrics";

const CORRELATION_ID = 4;

export class ResponseObserver extends FrameHandler {
  // The exchange of the response being read (set in decide, used in onFrame).
  private current: KafkaExchange | null = null;
  // The interceptors answered NeedMore for the current response.
  private judging: bool = false;
  private readonly errors: Array<i16> = new Array<i16>();
  private readonly head: FrameHead = new FrameHead();
  private readonly response: KafkaResponse = new KafkaResponse();

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
    if (head.length < CORRELATION_ID) return frameSize < CORRELATION_ID ? this.unmatched() : FrameFate.NeedMore;
    const correlationId = (<i32>head[0] << 24) | (<i32>head[1] << 16) | (<i32>head[2] << 8) | head[3];
    // Every request older than the one answered got no response.
    const older = this.exchanges.olderThan(correlationId);
    if (older < 0) return this.unmatched();
    for (let i = 0; i < older; i++) this.end(this.exchanges.shift(), true);
    const x = this.exchanges.shift();
    this.metrics.response(x.apiKey, getCurrentTimeNanoseconds() - x.startNanos);
    this.current = x;
    // The filter answered this request itself: the broker's answer (to the
    // stand-in request) is replaced, however large.
    if (x.answered) return FrameFate.Hold;
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return this.pass(x);
    }
    return this.judge(x, head, frameSize, oversize);
  }

  private judge(x: KafkaExchange, bytes: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    if (x.watching != 0) {
      const head = this.head;
      head.bytes = bytes;
      head.frameSize = frameSize;
      head.arrived = this.arrived;
      head.oversize = oversize;
      const verdict = this.pipeline.responseHead(x, head);
      this.judging = verdict == Verdict.NeedMore;
      if (verdict == Verdict.NeedMore) return FrameFate.NeedMore;
      if (verdict == Verdict.Close) return FrameFate.Close;
      if (verdict == Verdict.Hold) return FrameFate.Hold;
    }
    if (!hasCodec(x.api, x.version)) return this.pass(x);
    return FrameFate.Observe;
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    const x = this.current;
    if (x == null) return null;
    this.current = null;
    this.judging = false;
    let replacement = x.answer;
    if (replacement == null) {
      const response = this.response.reset(x, body);
      this.observe(x, response);
      if (held) replacement = this.pipeline.response(x, response);
      x.responseErrors = this.errors;
      x.response = response;
    }
    this.end(x, false);
    x.responseErrors = null;
    x.response = null;
    return replacement;
  }

  // Error codes for every response with a codec; produce responses (most of
  // them) are read in place (produce_response_errors.ts), others decoded.
  private observe(x: KafkaExchange, response: KafkaResponse): void {
    const errors = this.errors;
    errors.length = 0;
    if (x.api == ApiKey.Produce) {
      const tags = scanProduceResponseErrors(x.version, response.bytes, errors);
      response.produceTags = tags;
      if (tags >= 0) {
        this.countErrors(x);
        return;
      }
      errors.length = 0;
    }
    const message = response.message;
    if (message == null) {
      if (response.decoded().error != null) this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    collectResponseErrors(x.api, message, errors);
    this.countErrors(x);
    if (x.api == ApiKey.SaslHandshake || x.api == ApiKey.SaslAuthenticate) this.loggedIn(x.api, message);
    else if (x.api == ApiKey.Metadata || x.api == ApiKey.DescribeTopicPartitions || x.api == ApiKey.CreateTopics) learnTopicIds(x.api, message);
    else if (x.api == ApiKey.Fetch && this.metrics.wantsTopics) this.observeFetch(message as FetchResponse);
  }

  // The broker's answer in a SASL exchange: once it accepted the login,
  // the connection's caller is its user.
  private loggedIn(apiKey: i32, message: KafkaMessage): void {
    const sasl = this.sasl;
    const code = apiKey == ApiKey.SaslHandshake ? (message as SaslHandshakeResponse).errorCode : (message as SaslAuthenticateResponse).errorCode;
    sasl.onResponse(<i16>apiKey, code);
    if (sasl.user.length > 0) this.session.identity.user = sasl.user;
  }

  private countErrors(x: KafkaExchange): void {
    const errors = this.errors;
    if (errors.length == 0) return;
    const api = apiKeyName(x.apiKey);
    for (let i = 0; i < errors.length; i++) this.metrics.responseErrors.add([api, errorName(unchecked(errors[i]))]);
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.config.onUnknown == OnUnknown.Close;
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

  // A response that streams by unread: its exchange is over now.
  private pass(x: KafkaExchange): FrameFate {
    this.current = null;
    this.end(x, false);
    return FrameFate.Pass;
  }

  private end(x: KafkaExchange, abandoned: bool): void {
    this.pipeline.done(x, abandoned);
    this.exchanges.spares.recycle(x);
  }

  // A response to no request we saw: count it and let it through.
  private unmatched(): FrameFate {
    this.metrics.unparsed.add(["unmatched_response"]);
    return FrameFate.Pass;
  }
}

// Topic ids named in a response: Fetch v13+, Produce v13 and the newer
// consumer and share APIs name topics only by id, ACLs and metrics by name.
function learnTopicIds(apiKey: i32, message: KafkaMessage): void {
  if (apiKey == ApiKey.Metadata) {
    const topics = (message as MetadataResponse).topics;
    for (let t = 0; t < topics.length; t++) {
      const name = topics[t].name;
      if (name != null) rememberTopicId(topics[t].topicId, name);
    }
  } else if (apiKey == ApiKey.DescribeTopicPartitions) {
    const topics = (message as DescribeTopicPartitionsResponse).topics;
    for (let t = 0; t < topics.length; t++) {
      const name = topics[t].name;
      if (name != null) rememberTopicId(topics[t].topicId, name);
    }
  } else {
    const topics = (message as CreateTopicsResponse).topics;
    for (let t = 0; t < topics.length; t++) rememberTopicId(topics[t].topicId, topics[t].name);
  }
}
