// The kafka filter's `tracing` (assembly/common/otel/README.md): W3C trace
// context in produced records, and a span per produce request and topic
// (`send <topic>`) and per fetched topic (`receive <topic>`).
//
// A produce request's span is drawn at its head, before its records are
// seen: that decides whether the frame is held. It is held only when its
// records will get the span's context (inject `always`, or `sampled` and the
// drawn trace is sampled); then every record without a traceparent gets one
// (trace_headers.ts: uncompressed v2 batches are rewritten, lengths and
// CRC32C recomputed; compressed ones are counted and left alone), and a
// context the records carry parents the topic's span instead. A request
// that is not held streams by unread: its span (recorded when the drawn
// trace is sampled) starts a trace of its own.
//
// Receive spans link to the contexts the fetched records carry; fetch
// responses are kept for reading anyway (responses.ts), so this costs no
// extra copy, and the records are read only for a recorded span.
import { SpanSlot } from "../../assembly/common/pipeline/exchange";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import {
  MESSAGING_BATCH_MESSAGE_COUNT, MESSAGING_CLIENT_ID, MESSAGING_DESTINATION_NAME, MESSAGING_DESTINATION_PARTITION_ID,
  OPERATION_RECEIVE, OPERATION_SEND, SYSTEM_KAFKA, setUpstreamServer, startMessagingSpan, startSampledMessagingRoot,
} from "../../assembly/common/otel/messaging";
import { Span, SpanKind } from "../../assembly/common/otel/span";
import { Tracer } from "../../assembly/common/otel/tracer";
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { TraceContext } from "../../assembly/common/trace_context";
import { Counter } from "../../assembly/proxy";
import { ApiKey } from "../../assembly/kafka/api_keys";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { ProduceRequest, ProduceResponse, TopicProduceData } from "../../assembly/kafka/api/produce";
import { errorName } from "../../assembly/kafka/errors";
import { ProduceScanner } from "../../assembly/kafka/produce_scanner";
import { readBatches } from "../../assembly/kafka/record_batch";
import { TraceInjection, injectTraceContext, readTraceContexts } from "../../assembly/kafka/trace_headers";
import { topicName } from "../../assembly/kafka/topic_ids";
import { KafkaExchange, KafkaInterceptor, KafkaRequest } from "./exchange";

const NO_TOPIC_ID = new Uint8Array(16);
// error.type of an exchange whose connection closed before its response.
const ERROR_OTHER = "_OTHER";

// One topic of a produce request: what its span says.
class TopicSend {
  span: Span | null = null;
  constructor(public name: string, public records: i64, public partition: i32) {}
}

// The send spans of one produce request, kept on its exchange.
export class SendSpans extends SpanSlot {
  topics: TopicSend[] = [];
  constructor(public drawn: Span, public held: bool) {
    super();
  }
}

export class KafkaTracingMetrics {
  readonly injectedRecords: Counter = new Counter("mqmesh_kafka_trace_injected_records_total");
  // Batches of held produce requests whose records got no context, by reason:
  // compressed, skipped (legacy, control or bad CRC), unreadable (a record
  // set that does not parse; counted once per record set).
  readonly untouchedBatches: CounterFamily = new CounterFamily("mqmesh_kafka_trace_untouched_batches_total", ["reason"]);
}

// The produce request's topics as the scanner read them (requests.ts calls
// this for a traced request, streamed or held, once it was read whole).
export function noteProduceTopics(x: KafkaExchange, s: ProduceScanner): void {
  const slot = x.span;
  if (!(slot instanceof SendSpans)) return;
  const spans = slot as SendSpans;
  const byId = s.apiVersion >= 13;
  for (let t = 0; t < s.topicRecords.length; t++) {
    const name = byId ? topicName("", unchecked(s.topicIds[t])) : topicName(unchecked(s.topicNames[t]), NO_TOPIC_ID);
    spans.topics.push(new TopicSend(name, unchecked(s.topicRecords[t]), unchecked(s.topicPartitions[t])));
  }
}

export class KafkaTracing extends KafkaInterceptor {
  constructor(private tracer: Tracer, private metrics: KafkaTracingMetrics) {
    super();
  }

  handlesRequest(api: i32, version: i16): bool {
    return api == ApiKey.Produce;
  }

  handlesResponse(api: i32, version: i16): bool {
    return api == ApiKey.Fetch;
  }

  onRequestHead(x: KafkaExchange, head: FrameHead): Verdict {
    // Unless every request gets a context, one whose new trace is not
    // sampled is neither held nor recorded: nothing is built for it.
    const maybe = this.tracer.config.injectsUnsampled
      ? startMessagingSpan(this.tracer, SYSTEM_KAFKA, OPERATION_SEND, "send", "", null, true, x.startNanos)
      : startSampledMessagingRoot(this.tracer, SYSTEM_KAFKA, OPERATION_SEND, "send", "", true, x.startNanos);
    if (maybe == null) return Verdict.Pass;
    const drawn = maybe!;
    const hold = !head.oversize && this.tracer.injects(drawn);
    if (!hold && !drawn.recording) return Verdict.Pass;
    x.span = new SendSpans(drawn, hold);
    return hold ? Verdict.Hold : Verdict.Pass;
  }

  onRequest(x: KafkaExchange, request: KafkaRequest): void {
    const slot = x.span;
    const message = request.message;
    if (!(slot instanceof SendSpans) || message == null) return;
    const spans = slot as SendSpans;
    const topics = (message as ProduceRequest).topicData;
    if (topics.length != spans.topics.length) return;
    let changed = false;
    for (let t = 0; t < topics.length; t++) {
      const span = t == 0 ? spans.drawn : this.sendSpan(unchecked(spans.topics[t]).name, null, x.startNanos);
      if (this.traceTopic(unchecked(topics[t]), span, unchecked(spans.topics[t]), x.startNanos)) changed = true;
    }
    if (changed) request.markChanged();
  }

  // Injects the span's context into a topic's records (or, when a record
  // carries a context, into the others a child span's), and gives the topic
  // its span. True when records changed.
  private traceTopic(topic: TopicProduceData, span: Span, send: TopicSend, startNanos: u64): bool {
    const partitions = topic.partitionData;
    const found = new Array<TraceInjection>(partitions.length);
    let parent: TraceContext | null = null;
    let injects = this.tracer.injects(span);
    for (let p = 0; p < partitions.length; p++) {
      const records = unchecked(partitions[p]).records;
      const r = injects ? injectTraceContext(records, span.context) : readTraceContexts(records);
      found[p] = r;
      if (parent == null) parent = r.parent;
    }
    if (parent != null) {
      // The records' own context parents the span (the others it links to);
      // the records without one get the context of that child span instead.
      const injectedFirst = injects;
      span = this.sendSpan(send.name, parent, startNanos);
      injects = this.tracer.injects(span);
      for (let p = 0; p < partitions.length; p++) {
        const r = unchecked(found[p]);
        for (let c = 0; c < r.carried.length; c++) {
          const other = unchecked(r.carried[c]);
          if (other.spanId != parent.spanId || other.traceId != parent.traceId) span.addLink(other);
        }
        if (injects && (!injectedFirst || r.injected > 0)) found[p] = injectTraceContext(unchecked(partitions[p]).records, span.context);
      }
    }
    send.span = span;
    let injected = 0;
    for (let p = 0; p < partitions.length; p++) {
      const r = unchecked(found[p]);
      if (!injects) continue;
      if (r.error != null) this.metrics.untouchedBatches.add(["unreadable"]);
      if (r.compressedBatches > 0) this.metrics.untouchedBatches.add(["compressed"], <u64>r.compressedBatches);
      if (r.skippedBatches > 0) this.metrics.untouchedBatches.add(["skipped"], <u64>r.skippedBatches);
      if (r.records == null) continue;
      unchecked(partitions[p]).records = r.records;
      injected += r.injected;
    }
    if (injected > 0) this.metrics.injectedRecords.increment(<u64>injected);
    // PRODUCER when the span's context went into records, CLIENT otherwise.
    span.kind = injected > 0 ? SpanKind.Producer : SpanKind.Client;
    return injected > 0;
  }

  private sendSpan(topic: string, parent: TraceContext | null, startNanos: u64): Span {
    return startMessagingSpan(this.tracer, SYSTEM_KAFKA, OPERATION_SEND, "send", topic, parent, true, startNanos);
  }

  onDone(x: KafkaExchange, abandoned: bool): void {
    if (x.api == ApiKey.Produce) this.endSends(x, abandoned);
    else if (x.api == ApiKey.Fetch && !abandoned) this.receive(x);
  }

  private endSends(x: KafkaExchange, abandoned: bool): void {
    const slot = x.span;
    // A request another policy answered itself never reached the broker.
    if (!(slot instanceof SendSpans) || x.answered) return;
    const spans = slot as SendSpans;
    const response = x.response;
    const message = response != null && !abandoned ? response.message : null;
    const errors = message != null ? (message as ProduceResponse).responses : null;
    for (let t = 0; t < spans.topics.length; t++) {
      const send = unchecked(spans.topics[t]);
      const traced = send.span;
      // Streamed, not held: spans of their own traces, no context carried.
      const span = traced != null ? traced : t == 0 ? spans.drawn : this.sendSpan(send.name, null, x.startNanos);
      if (traced == null) span.kind = SpanKind.Client;
      if (!span.recording) continue;
      if (span.name == "send") {
        span.name = "send " + send.name;
        span.setString(MESSAGING_DESTINATION_NAME, send.name);
      }
      span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, send.records);
      if (send.partition >= 0) span.setString(MESSAGING_DESTINATION_PARTITION_ID, send.partition.toString());
      this.common(x, span);
      if (abandoned) span.setError(ERROR_OTHER, "connection closed before the response");
      else if (errors != null && t < errors.length) {
        const parts = unchecked(errors[t]).partitionResponses;
        for (let p = 0; p < parts.length; p++) {
          const code = unchecked(parts[p]).errorCode;
          if (code == 0) continue;
          span.setError(errorName(code));
          break;
        }
      }
      this.tracer.end(span);
    }
  }

  // A receive span per topic with records in the fetch response.
  private receive(x: KafkaExchange): void {
    const response = x.response;
    const message = response != null ? response.message : null;
    if (message == null) return;
    const fetch = message as FetchResponse;
    for (let t = 0; t < fetch.responses.length; t++) {
      const topic = unchecked(fetch.responses[t]);
      const partitions = topic.partitions;
      let withRecords = 0;
      let partition: i32 = -1;
      for (let p = 0; p < partitions.length; p++) {
        const records = unchecked(partitions[p]).records;
        if (records == null || records.length == 0) continue;
        withRecords++;
        partition = unchecked(partitions[p]).partitionIndex;
      }
      if (withRecords == 0) continue;
      const name = topicName(topic.topic, topic.topicId);
      const carried: TraceContext[] = [];
      for (let p = 0; p < partitions.length; p++) {
        const contexts = readTraceContexts(unchecked(partitions[p]).records).carried;
        for (let c = 0; c < contexts.length; c++) carried.push(unchecked(contexts[c]));
      }
      // Records that all come from one trace make the receive span part of
      // it (child of the first record's context), so the trace shows the
      // message from its send to its receipt; from several traces it starts
      // its own, linked to each.
      const parent = oneTrace(carried) ? unchecked(carried[0]) : null;
      const span = startMessagingSpan(this.tracer, SYSTEM_KAFKA, OPERATION_RECEIVE, "receive", name, parent, false, x.startNanos);
      if (!span.recording) continue;
      let count: i64 = 0;
      let error: i16 = fetch.errorCode;
      for (let p = 0; p < partitions.length; p++) {
        const data = unchecked(partitions[p]);
        if (error == 0) error = data.errorCode;
        const batches = readBatches(data.records).batches;
        for (let b = 0; b < batches.length; b++) if (!unchecked(batches[b]).isControl) count += unchecked(batches[b]).recordCount;
      }
      span.addLinks(carried);
      span.setInt(MESSAGING_BATCH_MESSAGE_COUNT, count);
      if (withRecords == 1) span.setString(MESSAGING_DESTINATION_PARTITION_ID, partition.toString());
      this.common(x, span);
      if (error != 0) span.setError(errorName(error));
      this.tracer.end(span);
    }
  }

  // What every span of the connection says: the broker it went to, the client.
  private common(x: KafkaExchange, span: Span): void {
    const clientId = x.session.identity.clientId;
    if (clientId.length > 0) span.setString(MESSAGING_CLIENT_ID, clientId);
    setUpstreamServer(span);
  }
}

// Whether the contexts are all of one trace (and there is at least one).
function oneTrace(contexts: TraceContext[]): bool {
  if (contexts.length == 0) return false;
  const traceId = unchecked(contexts[0]).traceId;
  for (let i = 1; i < contexts.length; i++) if (unchecked(contexts[i]).traceId != traceId) return false;
  return true;
}
