// The Kafka requests the bridge sends through the tunnel and what their
// answers mean for the HTTP caller. Pure functions, no host calls.
import { ApiKey } from "../../assembly/kafka/api_keys";
import { decodeResponseInto, encodeRequest } from "../../assembly/kafka/apis";
import { RequestHeader } from "../../assembly/kafka/header";
import { KafkaMessage } from "../../assembly/kafka/message";
import { InitProducerIdRequest, InitProducerIdResponse } from "../../assembly/kafka/api/init_producer_id";
import { MetadataRequest, MetadataRequestTopic, MetadataResponse } from "../../assembly/kafka/api/metadata";
import { PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData } from "../../assembly/kafka/api/produce";
import * as errors from "../../assembly/kafka/errors";

// Versions every Kafka broker from 2.8 on accepts (and 4.x still does).
export const PRODUCE_VERSION: i16 = 9;
export const METADATA_VERSION: i16 = 9;
export const INIT_PRODUCER_ID_VERSION: i16 = 4;

function requestHeader(apiKey: ApiKey, version: i16, correlationId: i32, clientId: string): RequestHeader {
  const header = new RequestHeader();
  header.apiKey = <i16>apiKey;
  header.apiVersion = version;
  header.correlationId = correlationId;
  header.clientId = clientId;
  return header;
}

// One batch per (topics[i], partitions[i]); routing rules can send the
// records of one HTTP request to several topics.
export function produceRequestMulti(correlationId: i32, clientId: string, topics: string[], partitions: i32[], batches: Uint8Array[],
  acks: i16, timeoutMs: i32): Uint8Array {
  const header = requestHeader(ApiKey.Produce, PRODUCE_VERSION, correlationId, clientId);
  const body = new ProduceRequest();
  body.acks = acks;
  body.timeoutMs = timeoutMs;
  for (let i = 0; i < partitions.length; i++) {
    let t: TopicProduceData | null = null;
    for (let k = 0; k < body.topicData.length && t == null; k++) if (body.topicData[k].name == topics[i]) t = body.topicData[k];
    if (t == null) {
      t = new TopicProduceData();
      t.name = topics[i];
      body.topicData.push(t);
    }
    const p = new PartitionProduceData();
    p.index = partitions[i];
    p.records = batches[i];
    t.partitionData.push(p);
  }
  return encodeRequest(header, body);
}

export function metadataRequest(correlationId: i32, clientId: string, topics: string[], allowAutoTopicCreation: bool): Uint8Array {
  const header = requestHeader(ApiKey.Metadata, METADATA_VERSION, correlationId, clientId);
  const body = new MetadataRequest();
  const list = new Array<MetadataRequestTopic>(0);
  for (let i = 0; i < topics.length; i++) {
    const t = new MetadataRequestTopic();
    t.name = topics[i];
    list.push(t);
  }
  body.topics = list;
  body.allowAutoTopicCreation = allowAutoTopicCreation;
  return encodeRequest(header, body);
}

// A new producer id for an idempotent (not transactional) producer, as the
// Java client asks for it: no transactional id, no previous id/epoch.
export function initProducerIdRequest(correlationId: i32, clientId: string): Uint8Array {
  const header = requestHeader(ApiKey.InitProducerId, INIT_PRODUCER_ID_VERSION, correlationId, clientId);
  const body = new InitProducerIdRequest();
  body.transactionalId = null;
  body.transactionTimeoutMs = i32.MAX_VALUE;
  return encodeRequest(header, body);
}

// What an answer means: ok, or an HTTP status with a Kafka error to report.
export class Outcome {
  ok: bool = false;
  status: u32 = 0;
  kafkaError: i16 = 0;
  message: string = "";
  // Produce: where the record went; Metadata: the partition count and each
  // partition's leader (node id by partition index, -1 unknown).
  partition: i32 = -1;
  offset: i64 = -1;
  partitions: i32 = 0;
  leaders: i32[] = [];
  // InitProducerId: the producer id and epoch.
  producerId: i64 = -1;
  producerEpoch: i16 = -1;

  static failure(status: u32, kafkaError: i16, message: string): Outcome {
    const o = new Outcome();
    o.status = status;
    o.kafkaError = kafkaError;
    o.message = message;
    return o;
  }
}

// Errors a producer retries: the same request may succeed shortly (503).
export function retriable(code: i16): bool {
  switch (code) {
    case errors.LEADER_NOT_AVAILABLE:
    case errors.NOT_LEADER_OR_FOLLOWER:
    case errors.REQUEST_TIMED_OUT:
    case errors.BROKER_NOT_AVAILABLE:
    case errors.REPLICA_NOT_AVAILABLE:
    case errors.NETWORK_EXCEPTION:
    case errors.NOT_ENOUGH_REPLICAS:
    case errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case errors.KAFKA_STORAGE_ERROR:
    case errors.FENCED_LEADER_EPOCH:
    case errors.UNKNOWN_LEADER_EPOCH:
    case errors.THROTTLING_QUOTA_EXCEEDED:
    // InitProducerId while the broker's producer id manager is not ready.
    case errors.COORDINATOR_LOAD_IN_PROGRESS:
    case errors.COORDINATOR_NOT_AVAILABLE:
    case errors.NOT_COORDINATOR:
      return true;
  }
  return false;
}

function statusFor(code: i16): u32 {
  if (retriable(code)) return 503;
  switch (code) {
    case errors.UNKNOWN_TOPIC_OR_PARTITION: return 404;
    case errors.MESSAGE_TOO_LARGE:
    case errors.RECORD_LIST_TOO_LARGE: return 413;
    case errors.INVALID_TOPIC_EXCEPTION: return 400;
    case errors.TOPIC_AUTHORIZATION_FAILED:
    case errors.CLUSTER_AUTHORIZATION_FAILED: return 403;
  }
  return 500;
}

function kafkaFailure(code: i16, what: string, detail: string | null): Outcome {
  let message = what + ": Kafka error " + errors.errorName(code) + " (" + code.toString() + ")";
  if (detail != null && detail.length > 0) message += ": " + detail;
  return Outcome.failure(statusFor(code), code, message);
}

class Checked {
  body: KafkaMessage | null = null;
  failure: Outcome | null = null;
}

// `body`: a new response of the API asked, decoded in place.
function checkFrame(frame: Uint8Array, correlationId: i32, body: KafkaMessage, version: i16): Checked {
  const out = new Checked();
  const decoded = decodeResponseInto(body, version, frame);
  if (decoded.error != null || decoded.body == null) {
    out.failure = Outcome.failure(502, 0, "the broker's answer could not be decoded" + (decoded.error != null ? ": " + decoded.error! : ""));
  } else if (decoded.header.correlationId != correlationId) {
    out.failure = Outcome.failure(502, 0, "the broker answered correlation id " + decoded.header.correlationId.toString() + ", expected " + correlationId.toString());
  } else {
    out.body = decoded.body;
  }
  return out;
}

// One Outcome per asked partition (same order), or a single failure for the
// whole answer (decode error, wrong correlation id).
export class ProduceResults {
  failure: Outcome | null = null;
  partitions: Outcome[] = [];
}

export function produceResults(frame: Uint8Array, correlationId: i32, topics: string[], partitions: i32[]): ProduceResults {
  const out = new ProduceResults();
  const c = checkFrame(frame, correlationId, new ProduceResponse(), PRODUCE_VERSION);
  if (c.failure != null) {
    out.failure = c.failure;
    return out;
  }
  const resp = c.body as ProduceResponse;
  for (let k = 0; k < partitions.length; k++) {
    const partition = partitions[k];
    const topic = topics[k];
    let found: Outcome | null = null;
    for (let i = 0; i < resp.responses.length && found == null; i++) {
      const t = resp.responses[i];
      if (t.name != topic) continue;
      for (let j = 0; j < t.partitionResponses.length; j++) {
        const p = t.partitionResponses[j];
        if (p.index != partition) continue;
        if (p.errorCode != 0) {
          found = kafkaFailure(p.errorCode, "produce to " + topic + "/" + partition.toString(), p.errorMessage);
        } else {
          const o = new Outcome();
          o.ok = true;
          o.status = 200;
          o.partition = partition;
          o.offset = p.baseOffset;
          found = o;
        }
        break;
      }
    }
    if (found == null) found = Outcome.failure(502, 0, "the broker's produce answer does not name " + topic + "/" + partition.toString());
    found!.partition = partition;
    out.partitions.push(found!);
  }
  return out;
}

// One Outcome per asked topic (same order); a frame that does not decode
// or match fails every topic the same way.
export function metadataOutcomes(frame: Uint8Array, correlationId: i32, topics: string[]): Outcome[] {
  const out = new Array<Outcome>(0);
  const c = checkFrame(frame, correlationId, new MetadataResponse(), METADATA_VERSION);
  for (let k = 0; k < topics.length; k++) {
    if (c.failure != null) out.push(c.failure!);
    else out.push(topicMetadata(c.body as MetadataResponse, topics[k]));
  }
  return out;
}

function topicMetadata(resp: MetadataResponse, topic: string): Outcome {
  for (let i = 0; i < resp.topics.length; i++) {
    const t = resp.topics[i];
    if (t.name == null || t.name! != topic) continue;
    if (t.errorCode != 0) return kafkaFailure(t.errorCode, "metadata of " + topic, null);
    if (t.partitions.length == 0) return kafkaFailure(errors.LEADER_NOT_AVAILABLE, "metadata of " + topic, "no partitions yet");
    const o = new Outcome();
    o.ok = true;
    o.partitions = t.partitions.length;
    o.leaders = new Array<i32>(t.partitions.length).fill(-1);
    for (let j = 0; j < t.partitions.length; j++) {
      const p = t.partitions[j];
      if (p.partitionIndex >= 0 && p.partitionIndex < o.leaders.length && p.errorCode == 0) o.leaders[p.partitionIndex] = p.leaderId;
    }
    return o;
  }
  return Outcome.failure(502, 0, "the broker's metadata answer does not name " + topic);
}

export function initProducerIdOutcome(frame: Uint8Array, correlationId: i32): Outcome {
  const c = checkFrame(frame, correlationId, new InitProducerIdResponse(), INIT_PRODUCER_ID_VERSION);
  if (c.failure != null) return c.failure!;
  const resp = c.body as InitProducerIdResponse;
  if (resp.errorCode != 0) return kafkaFailure(resp.errorCode, "producer id", null);
  const o = new Outcome();
  o.ok = true;
  o.producerId = resp.producerId;
  o.producerEpoch = resp.producerEpoch;
  return o;
}

// Errors that say the broker no longer accepts this producer id, epoch or
// sequence: a new producer id makes the next attempt acceptable.
export function producerStateLost(code: i16): bool {
  return code == errors.OUT_OF_ORDER_SEQUENCE_NUMBER || code == errors.UNKNOWN_PRODUCER_ID ||
    code == errors.INVALID_PRODUCER_EPOCH || code == errors.PRODUCER_FENCED;
}
