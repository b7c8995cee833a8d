// One HTTP request on the app-facing listener. Publish paths (Dapr
// /v1.0/publish/…, and Kafka REST-style /topics/… when "rest" is configured)
// are answered here, after the broker acknowledged; everything else continues
// untouched.
//
//   headers  match the path, check pubsub/topic/metadata (404/400/413 now)
//   body     buffered by Envoy until the end of the request (413 above maxBodyBytes)
//   then     [Metadata through the tunnel when the partition count is not known]
//            Produce through the tunnel -> 204, or an error in Dapr's shape
//
// Needs the request headers held while the body is buffered: the Envoy
// config puts envoy.filters.http.buffer after this filter (README.md).
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, GrpcStatus, HeaderPair, HttpContext, WasmResult,
  getCallStatus, getRandomBytes, grpcReceiveBuffer, requestBody, requestHeaders,
} from "../../assembly/proxy";
import { partitionForKey } from "../../assembly/common/murmur2";
import { parseTraceparent } from "../../assembly/common/trace_context";
import { RecordHeader } from "../../assembly/kafka/record_batch";
import { recordHeadersSize } from "../../assembly/kafka/record_batch_builder";
import { PubsubConfig, TYPE_ROCKETMQ } from "./config";
import { OutgoingMessage } from "../../assembly/rocketmq/grpc/send_request";
import { rocketmqTopicProblem } from "./rocketmq_client";
import { RocketMQSend, Shape } from "./rocketmq_send";
import { ApiError, EnvelopeInput, PUBLISH_PREFIX, isPublishPath, kafkaTopicProblem, parseBool, parsePublishPath, wrapCloudEvent } from "./dapr";
import { Outcome, metadataOutcomes, metadataRequest } from "./kafka_client";
import { Piece } from "./producer";
import { OffsetEntry, RestError, RestRecord, embeddedFormat, isRestPath, offsetsBody, parseRestBody, parseRestPath } from "./rest";
import { BridgeRoot } from "./root";
import { BULK_PREFIX, failedEntriesBody, isBulkPath, parseBulk } from "./bulk";
import { CLOUDEVENTS_PREFIX, CeMode, EventResult, batchEvents, batchResultsBody, binaryEvent, ceMode, isCloudEventsPath, structuredEvent } from "./cloudevents";
import { callTunnel, tunnelAnswer } from "./tunnel_call";
import { cloudEventView, envelopeView, rawView, routeTopic } from "./routing";

const enum Phase {
  Pass, // not ours
  Collecting, // waiting for the body
  Metadata, // Metadata call in flight
  Producing, // records handed to the producer (producer.ts)
  Waiting, // Metadata asked again on the root's next tick
  Done, // answered
}

const enum Api {
  Dapr,
  Rest,
  CloudEvents,
  Bulk,
}

export class PublishStream extends HttpContext {
  private phase: Phase = Phase.Pass;
  private api: Api = Api.Dapr;
  private pubsub: PubsubConfig | null = null;
  private topic: string = "";
  private rawPayload: bool = false;
  private key: Uint8Array | null = null;
  private headers: RecordHeader[] = [];
  private restFormat: i32 = 0;
  private restPartition: i32 = -1;
  private records: RestRecord[] = [];
  // CloudEvents: the mode and the ce-* headers; bulk: entry ids; both: one id per record.
  private ceMode: CeMode = CeMode.Binary;
  private requestPairs: HeaderPair[] = [];
  private recordIds: string[] = [];
  // Per record: its topic (routing rules), partition, batch and place in that batch.
  private recordTopic: string[] = [];
  private recordPartition: i32[] = [];
  private recordBatch: i32[] = [];
  private recordIndex: i32[] = [];
  // The request's distinct topics with their partition counts (0: ask Metadata).
  private topics: string[] = [];
  private topicPartitions: i32[] = [];
  private batchTopics: string[] = [];
  private batchPartitions: i32[] = [];
  // Per batch (entry of batchTopics/batchPartitions): its outcome, once the producer told it.
  private results: Outcome[] = [];
  private remaining: i32 = 0;
  private contentType: string = "";
  private traceparent: string = "";
  private tracestate: string = "";
  private token: u32 = 0;
  private correlationId: i32 = 0;
  private metadataAttempts: i32 = 0;
  private gone: bool = false;
  // RocketMQ pubsubs: the SendMessage calls in flight.
  private rocketmq: RocketMQSend | null = null;
  // For metrics: when the body was complete, whether the broker was asked,
  // whether every batch has its outcome in `results`.
  private bodyEndMs: i64 = -1;
  private askedBroker: bool = false;
  private produced: bool = false;

  private get bridge(): BridgeRoot {
    return this.root as BridgeRoot;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const path = requestHeaders.get(":path");
    if (path == null) return FilterHeadersStatus.Continue;
    if (isRestPath(path) && this.bridge.config.restPubsub.length > 0) return this.restHeaders(path, endOfStream);
    let prefix = "";
    if (isPublishPath(path)) prefix = PUBLISH_PREFIX;
    else if (isCloudEventsPath(path)) {
      prefix = CLOUDEVENTS_PREFIX;
      this.api = Api.CloudEvents;
    } else if (isBulkPath(path)) {
      prefix = BULK_PREFIX;
      this.api = Api.Bulk;
    } else return FilterHeadersStatus.Continue;
    const method = requestHeaders.get(":method");
    if (method == null || method != "POST") {
      this.fail(new ApiError(405, "ERR_METHOD_NOT_ALLOWED", "publish needs POST"), [new HeaderPair("allow", "POST")]);
      return FilterHeadersStatus.StopIteration;
    }
    const pr = parsePublishPath(path, prefix);
    if (pr.error != null) {
      this.fail(pr.error!);
      return FilterHeadersStatus.StopIteration;
    }
    const pubsub = this.bridge.config.pubsub(pr.pubsub);
    if (pubsub == null) {
      this.fail(new ApiError(404, "ERR_PUBSUB_NOT_FOUND", "pubsub " + pr.pubsub + " not found"));
      return FilterHeadersStatus.StopIteration;
    }
    const topicProblem = pubsub.type == TYPE_ROCKETMQ ? rocketmqTopicProblem(pr.topic) : kafkaTopicProblem(pr.topic);
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
    if (this.api == Api.CloudEvents) {
      this.ceMode = ceMode(this.contentType);
      if (this.ceMode == CeMode.Binary) this.requestPairs = requestHeaders.pairs();
    }
    this.readTrace();
    return this.collect(endOfStream);
  }

  private restHeaders(path: string, endOfStream: bool): FilterHeadersStatus {
    this.api = Api.Rest;
    const method = requestHeaders.get(":method");
    if (method == null || method != "POST") {
      this.failRest(new RestError(405, 405, "produce needs POST"), [new HeaderPair("allow", "POST")]);
      return FilterHeadersStatus.StopIteration;
    }
    const rp = parseRestPath(path);
    if (rp.error != null) {
      this.failRest(rp.error!);
      return FilterHeadersStatus.StopIteration;
    }
    const ct = requestHeaders.get("content-type");
    const format = embeddedFormat(ct == null ? "" : ct);
    if (format < 0) {
      this.failRest(new RestError(415, 415, "content-type: use application/vnd.kafka.json.v2+json or application/vnd.kafka.binary.v2+json"));
      return FilterHeadersStatus.StopIteration;
    }
    this.pubsub = this.bridge.config.pubsub(this.bridge.config.restPubsub);
    this.topic = rp.topic;
    this.restPartition = rp.partition;
    this.restFormat = format;
    this.readTrace();
    return this.collect(endOfStream);
  }

  private readTrace(): void {
    const tp = requestHeaders.get("traceparent");
    if (tp != null) {
      const tc = parseTraceparent(tp);
      if (tc != null) {
        this.traceparent = tc.toTraceparent();
        const ts = requestHeaders.get("tracestate");
        this.tracestate = ts == null ? "" : ts.trim();
      }
    }
  }

  private collect(endOfStream: bool): FilterHeadersStatus {
    const cl = requestHeaders.get("content-length");
    if (cl != null) {
      const n = parseLength(cl);
      if (n > <i64>this.bridge.config.maxBodyBytes) {
        this.failTooLarge();
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
      this.failTooLarge();
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
    if (token != this.token || this.phase != Phase.Metadata) return;
    this.token = 0;
    const answer = tunnelAnswer(numHeaders, bodySize);
    if (!answer.ok) {
      this.bridge.metrics.brokerError(this.pubsub!.name, answer.code);
      this.unavailable(answer.problem);
      return;
    }
    const frame = answer.frame;
    const pubsub = this.pubsub!;
    const asked = this.unknownTopics();
    const outcomes = metadataOutcomes(frame, this.correlationId, asked);
    let failure: Outcome | null = null;
    let waiting = false;
    for (let i = 0; i < asked.length; i++) {
      const o = outcomes[i];
      if (o.ok) {
        this.bridge.rememberPartitions(pubsub, asked[i], o.partitions, o.leaders);
        this.topicPartitions[this.topics.indexOf(asked[i])] = o.partitions;
        continue;
      }
      this.bridge.metrics.brokerFailure(pubsub.name, o);
      // A topic being created (auto-creation, or by an admin a moment ago)
      // has no leader yet: ask again shortly instead of failing the publish.
      const settling = o.status == 503 || (o.status == 404 && pubsub.allowAutoTopicCreation);
      if (settling && this.metadataAttempts < this.bridge.config.metadataRetries) waiting = true;
      else if (failure == null) failure = o;
    }
    if (failure != null) {
      this.kafkaFailure(failure!);
      return;
    }
    if (waiting) {
      this.metadataAttempts++;
      this.phase = Phase.Waiting;
      this.bridge.retryLater(this);
      return;
    }
    this.produce();
  }

  // From the producer: the outcome of this publish's records in batch `slot`.
  pieceDone(slot: i32, o: Outcome): void {
    if (this.phase != Phase.Producing) return;
    this.results[slot] = o;
    this.remaining--;
    if (this.remaining > 0) return;
    this.produced = true;
    if (this.gone) {
      this.phase = Phase.Done;
      return;
    }
    this.answerProduced(this.results);
  }

  // Every batch answered: 204/200 if any record was stored, else the first
  // failure. The producer counted the broker's errors as they came
  // (retries included); observe() counts the records per topic.
  private answerProduced(results: Outcome[]): void {
    let okCount = 0;
    let firstFailure: Outcome | null = null;
    for (let i = 0; i < results.length; i++) {
      if (results[i].ok) okCount++;
      else if (firstFailure == null) firstFailure = results[i];
    }
    if (okCount == 0) {
      this.kafkaFailure(firstFailure!);
      return;
    }
    this.phase = Phase.Done;
    if (this.api == Api.Dapr || (this.api == Api.CloudEvents && this.ceMode != CeMode.Batch)) {
      this.sendLocalResponse(204, null, [], "mqmesh_published");
      return;
    }
    if (this.api == Api.Bulk) {
      this.answerBulk(results);
      return;
    }
    if (this.api == Api.CloudEvents) {
      const out = new Array<EventResult>(0);
      for (let i = 0; i < this.records.length; i++) {
        const o = results[this.recordBatch[i]];
        const r = new EventResult();
        r.id = this.recordIds[i];
        r.partition = this.recordPartition[i];
        if (o.ok) r.offset = o.offset + <i64>this.recordIndex[i];
        else {
          r.status = o.status;
          r.error = o.message;
        }
        out.push(r);
      }
      this.sendLocalResponse(200, String.UTF8.encode(batchResultsBody(out)), [new HeaderPair("content-type", "application/json")], "mqmesh_published");
      return;
    }
    const entries = new Array<OffsetEntry>(0);
    for (let i = 0; i < this.records.length; i++) {
      const o = results[this.recordBatch[i]];
      const e = new OffsetEntry();
      e.partition = this.recordPartition[i];
      if (o.ok) e.offset = o.offset + <i64>this.recordIndex[i];
      else {
        e.errorCode = o.status == 503 ? 50003 : o.status == 404 ? 40403 : 50002;
        e.error = o.message;
      }
      entries.push(e);
    }
    this.sendLocalResponse(200, String.UTF8.encode(offsetsBody(entries)), [new HeaderPair("content-type", "application/vnd.kafka.v2+json")], "mqmesh_published");
  }

  onDone(): bool {
    this.gone = true;
    return true;
  }

  // From the root's tick: the stream may have ended meanwhile.
  retryMetadata(): void {
    if (this.gone || this.phase != Phase.Waiting) return;
    this.setEffectiveContext();
    this.askMetadata();
  }

  // ---- steps

  private start(body: Uint8Array): void {
    const bridge = this.bridge;
    this.bodyEndMs = bridge.nowMs();
    if (this.api == Api.Rest) {
      const parsed = parseRestBody(body, this.restFormat, this.restPartition);
      if (parsed.error != null) {
        this.failRest(parsed.error!);
        return;
      }
      this.records = parsed.records;
    } else if (this.api == Api.CloudEvents) {
      const ce = this.ceMode == CeMode.Binary ? binaryEvent(this.requestPairs, body) : this.ceMode == CeMode.Structured ? structuredEvent(body) : batchEvents(body);
      if (ce.error != null) {
        this.fail(ce.error!);
        return;
      }
      if (ce.records.length == 0) {
        this.phase = Phase.Done;
        this.sendLocalResponse(200, String.UTF8.encode(batchResultsBody([])), [new HeaderPair("content-type", "application/json")], "mqmesh_published");
        return;
      }
      // The request's trace context wins; else an event's traceparent extension.
      for (let i = 0; i < ce.records.length; i++) {
        const r = ce.records[i];
        for (let k = 0; k < this.headers.length; k++) r.headers.push(this.headers[k]);
        if (this.traceparent.length == 0 && ce.traceparents[i].length > 0) r.headers.push(new RecordHeader("traceparent", Uint8Array.wrap(String.UTF8.encode(ce.traceparents[i]))));
      }
      this.records = ce.records;
      this.recordIds = ce.ids;
    } else if (this.api == Api.Bulk) {
      const e = this.envelope();
      const b = parseBulk(body, this.rawPayload, this.headers, e, uuid4);
      if (b.error != null) {
        this.fail(b.error!);
        return;
      }
      for (let i = 0; i < b.records.length; i++) if (b.records[i].key == null) b.records[i].key = this.key;
      this.records = b.records;
      this.recordIds = b.entryIds;
    } else {
      const rec = new RestRecord();
      rec.key = this.key;
      rec.headers = this.headers;
      if (!this.rawPayload) {
        const e = this.envelope();
        e.id = uuid4();
        e.contentType = this.contentType;
        const env = wrapCloudEvent(body, e);
        if (env.error != null) {
          this.fail(env.error!);
          return;
        }
        rec.value = env.value;
      } else {
        rec.value = body;
      }
      this.records = [rec];
    }
    if (this.traceparent.length > 0) {
      const tp = Uint8Array.wrap(String.UTF8.encode(this.traceparent));
      const ts = Uint8Array.wrap(String.UTF8.encode(this.tracestate));
      for (let i = 0; i < this.records.length; i++) {
        const h = this.records[i].headers;
        h.push(new RecordHeader("traceparent", tp));
        if (this.tracestate.length > 0) h.push(new RecordHeader("tracestate", ts));
      }
    }
    if (this.pubsub!.type == TYPE_ROCKETMQ) {
      this.sendRocketMQ();
      return;
    }
    this.route();
    for (let i = 0; i < this.topics.length; i++) this.topicPartitions.push(bridge.partitionsOf(this.pubsub!, this.topics[i]));
    if (this.unknownTopics().length == 0) {
      this.produce();
      return;
    }
    this.askMetadata();
  }

  // Each record's topic: the first matching routing rule's, else the path's.
  private route(): void {
    const routes = this.pubsub!.routes;
    for (let i = 0; i < this.records.length; i++) {
      let topic = this.topic;
      if (routes.length > 0 && this.api != Api.Rest) {
        const r = this.records[i];
        const event = this.api == Api.CloudEvents ? cloudEventView(r) : this.rawPayload ? rawView(r) : envelopeView(r);
        topic = routeTopic(routes, event, this.topic);
      }
      this.recordTopic.push(topic);
      if (!this.topics.includes(topic)) this.topics.push(topic);
    }
  }

  private unknownTopics(): string[] {
    const out = new Array<string>(0);
    for (let i = 0; i < this.topics.length; i++) if (this.topicPartitions[i] == 0) out.push(this.topics[i]);
    return out;
  }

  private envelope(): EnvelopeInput {
    const e = new EnvelopeInput();
    e.source = this.bridge.config.appId;
    e.topic = this.topic;
    e.pubsub = this.pubsub!.name;
    e.time = new Date(this.bridge.nowMs()).toISOString();
    e.traceparent = this.traceparent;
    e.tracestate = this.tracestate;
    return e;
  }

  // 204 when every entry is stored, else 500 with the failed entries.
  private answerBulk(partitions: Outcome[]): void {
    const ids = new Array<string>(0);
    const errs = new Array<string>(0);
    for (let i = 0; i < this.records.length; i++) {
      const o = partitions[this.recordBatch[i]];
      if (o.ok) continue;
      ids.push(this.recordIds[i]);
      errs.push("pubsub " + this.pubsub!.name + ": " + o.message);
    }
    if (ids.length == 0) {
      this.sendLocalResponse(204, null, [], "mqmesh_published");
      return;
    }
    this.sendLocalResponse(500, String.UTF8.encode(failedEntriesBody("ERR_PUBSUB_PUBLISH_MESSAGE", ids, errs)), [new HeaderPair("content-type", "application/json")], "mqmesh_err_pubsub_publish_message");
  }

  private sendRocketMQ(): void {
    const bridge = this.bridge;
    const now = bridge.nowMs();
    const messages = new Array<OutgoingMessage>(0);
    const problem = RocketMQSend.prepare(this.records, this.pubsub!, this.topic, now, bridge.config.appId, messages);
    if (problem.length > 0) {
      this.fail(new ApiError(400, "ERR_MALFORMED_REQUEST", problem));
      return;
    }
    const send = new RocketMQSend();
    this.rocketmq = send;
    this.phase = Phase.Producing;
    if (!send.start(messages, this.pubsub!, bridge.config.clientId, now, uuid4)) this.answerRocketMQ();
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    if (this.gone || this.rocketmq == null || this.phase != Phase.Producing) return;
    const data = grpcReceiveBuffer.get(0, messageSize);
    if (this.rocketmq!.received(token, data == null ? new Uint8Array(0) : Uint8Array.wrap(data!), this.bridge.nowMs())) this.answerRocketMQ();
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    if (this.gone || this.rocketmq == null || this.phase != Phase.Producing) return;
    if (this.rocketmq!.closed(token, statusCode, getCallStatus().message, this.bridge.nowMs())) this.answerRocketMQ();
  }

  private answerRocketMQ(): void {
    const shape = this.api == Api.Bulk ? Shape.Bulk : this.api == Api.CloudEvents && this.ceMode == CeMode.Batch ? Shape.Batch : Shape.Single;
    const r = this.rocketmq!.reply(shape, this.recordIds, this.pubsub!.name);
    if (r.failure != null) {
      this.kafkaFailure(r.failure!);
      return;
    }
    this.phase = Phase.Done;
    this.sendLocalResponse(r.status, r.body.length > 0 ? String.UTF8.encode(r.body) : null, r.headers, r.status == 500 ? "mqmesh_err_pubsub_publish_message" : "mqmesh_published");
  }

  private askMetadata(): void {
    const bridge = this.bridge;
    this.correlationId = bridge.nextCorrelationId();
    const frame = metadataRequest(this.correlationId, bridge.config.clientId, this.unknownTopics(), this.pubsub!.allowAutoTopicCreation);
    this.call(Phase.Metadata, frame);
  }

  // Places every record (explicit partition, else murmur2 of the key, else
  // one round-robin partition for all unkeyed records of this request's
  // topic) and hands them to the worker's producer, one piece per topic and
  // partition; it sends them, coalesced with other publishes, and calls
  // pieceDone per piece.
  private produce(): void {
    const bridge = this.bridge;
    const turn = bridge.nextRoundRobin();
    const pieces = new Array<RestRecord[]>(0);
    const sizes = new Array<i32>(0);
    this.batchTopics = [];
    this.batchPartitions = [];
    this.recordPartition = [];
    this.recordBatch = [];
    this.recordIndex = [];
    for (let i = 0; i < this.records.length; i++) {
      const r = this.records[i];
      const topic = this.recordTopic[i];
      const partitions = this.topicPartitions[this.topics.indexOf(topic)];
      const spread = <i32>(turn % <u32>partitions);
      let p = r.partition;
      if (p >= partitions) {
        this.failRest(new RestError(404, 40402, "Partition not found: " + this.topic + " has " + partitions.toString() + " partitions, record " + i.toString() + " names " + p.toString()));
        return;
      }
      if (p < 0) p = r.key != null ? partitionForKey(r.key!, partitions) : spread;
      let b = 0;
      while (b < this.batchPartitions.length && (this.batchPartitions[b] != p || this.batchTopics[b] != topic)) b++;
      if (b == this.batchPartitions.length) {
        this.batchTopics.push(topic);
        this.batchPartitions.push(p);
        pieces.push([]);
        sizes.push(0);
      }
      this.recordPartition.push(p);
      this.recordBatch.push(b);
      this.recordIndex.push(pieces[b].length);
      pieces[b].push(r);
      sizes[b] += (r.key == null ? 0 : r.key!.length) + (r.value == null ? 0 : r.value!.length) + recordHeadersSize(r.headers) + 16;
    }
    this.results = new Array<Outcome>(pieces.length);
    this.remaining = pieces.length;
    this.phase = Phase.Producing;
    this.askedBroker = true;
    const producer = bridge.producer(this.pubsub!);
    for (let b = 0; b < pieces.length; b++) producer.submit(this.batchTopics[b], this.batchPartitions[b], new Piece(this, b, pieces[b], sizes[b]));
    // One flush for all routed topics: one Produce per leader.
    producer.flush(this.topics);
  }

  private call(phase: Phase, frame: Uint8Array): void {
    const pubsub = this.pubsub!;
    // The call may wait for the broker's own timeout plus the way there and back.
    const token = callTunnel(pubsub.cluster, frame, <u32>pubsub.timeoutMs + 1000);
    if (token == 0) {
      this.answer(500, "cluster " + pubsub.cluster + " is not usable", []);
      return;
    }
    this.token = token;
    this.phase = phase;
    this.askedBroker = true;
  }

  // ---- answers

  // Every answer to a publish passes here, so metrics see each one once.
  sendLocalResponse(statusCode: u32, body: ArrayBuffer | null, headers: HeaderPair[] = [], details: string = "",
    grpcStatus: GrpcStatus = GrpcStatus.InvalidCode): WasmResult {
    this.observe(statusCode);
    return super.sendLocalResponse(statusCode, body, headers, details, grpcStatus);
  }

  private observe(status: u32): void {
    const metrics = this.bridge.metrics;
    const api = this.api == Api.Dapr ? "dapr" : this.api == Api.Rest ? "rest" : this.api == Api.Bulk ? "bulk" : "cloudevents";
    const pubsub = this.pubsub == null ? "" : this.pubsub!.name;
    metrics.answered(api, pubsub, status);
    if (this.askedBroker) metrics.duration(api, this.bridge.nowMs() - this.bodyEndMs);
    for (let i = 0; i < this.recordTopic.length; i++) {
      const b = i < this.recordBatch.length ? this.recordBatch[i] : -1;
      const stored = this.produced && b >= 0 && b < this.results.length && this.results[b].ok;
      metrics.record(pubsub, this.recordTopic[i], stored);
    }
  }

  private readBody(size: u32): Uint8Array {
    if (size == 0) return new Uint8Array(0);
    const data = requestBody.get(0, size);
    return data == null ? new Uint8Array(0) : Uint8Array.wrap(data);
  }

  private failTooLarge(): void {
    const message = "body: larger than " + this.bridge.config.maxBodyBytes.toString() + " bytes";
    if (this.api == Api.Rest) this.failRest(new RestError(413, 41301, message));
    else this.fail(new ApiError(413, "ERR_PUBSUB_REQUEST_TOO_LARGE", message));
  }

  private unavailable(message: string): void {
    this.answer(503, message, [new HeaderPair("retry-after", this.bridge.config.retryAfterSeconds.toString())]);
  }

  private kafkaFailure(o: Outcome): void {
    const extra = o.status == 503 || o.status == 429 ? [new HeaderPair("retry-after", this.bridge.config.retryAfterSeconds.toString())] : [];
    this.answer(o.status, o.message, extra);
  }

  // A failure after the request was accepted, in the shape of its API.
  private answer(status: u32, message: string, extra: HeaderPair[]): void {
    if (this.api == Api.Rest) {
      const code = status == 503 ? 50301 : status == 404 ? 40403 : status == 413 ? 41301 : 50002;
      this.failRest(new RestError(status, code, message), extra);
      return;
    }
    const text = "pubsub " + this.pubsub!.name + ": " + message;
    if (this.api == Api.Bulk && this.recordIds.length > 0) {
      this.phase = Phase.Done;
      const errs = new Array<string>(0);
      for (let i = 0; i < this.recordIds.length; i++) errs.push(text);
      const headers = [new HeaderPair("content-type", "application/json")];
      for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
      this.sendLocalResponse(status, String.UTF8.encode(failedEntriesBody(status == 404 ? "ERR_TOPIC_NOT_FOUND" : "ERR_PUBSUB_PUBLISH_MESSAGE", this.recordIds, errs)), headers, "mqmesh_bulk_failed");
      return;
    }
    if (status == 404) this.fail(new ApiError(404, "ERR_TOPIC_NOT_FOUND", text), extra);
    else if (status == 400) this.fail(new ApiError(400, "ERR_MALFORMED_REQUEST", text), extra);
    else this.fail(new ApiError(status, "ERR_PUBSUB_PUBLISH_MESSAGE", text), extra);
  }

  private failRest(e: RestError, extra: HeaderPair[] = []): void {
    this.phase = Phase.Done;
    const headers = [new HeaderPair("content-type", "application/vnd.kafka.v2+json")];
    for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
    this.sendLocalResponse(e.status, String.UTF8.encode(e.body()), headers, "mqmesh_rest_" + e.code.toString());
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
