// What the kafka quotas (quotas.ts) count of a request or response besides
// its size: partition mutations (KIP-599), record bytes per topic, and the
// answer to a refused mutation.
import { ApiKey } from "../../assembly/kafka/api_keys";
import { CreatePartitionsRequest, CreatePartitionsResponse } from "../../assembly/kafka/api/create_partitions";
import { CreateTopicsRequest, CreateTopicsResponse } from "../../assembly/kafka/api/create_topics";
import { DeleteTopicsRequest, DeleteTopicsResponse } from "../../assembly/kafka/api/delete_topics";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { KafkaMessage } from "../../assembly/kafka/message";
import { topicName } from "../../assembly/kafka/topic_ids";
import { KafkaQuotaRule } from "./quota_config";

const EMPTY_ID = new Uint8Array(16);

export function isMutation(api: i32): bool {
  return api == ApiKey.CreateTopics || api == ApiKey.CreatePartitions || api == ApiKey.DeleteTopics;
}

// The versions that know THROTTLING_QUOTA_EXCEEDED (KIP-599).
export function refusesWithQuotaError(api: i32, v: i16): bool {
  if (api == ApiKey.CreateTopics) return v >= 6;
  if (api == ApiKey.CreatePartitions) return v >= 3;
  if (api == ApiKey.DeleteTopics) return v >= 5;
  return false;
}

// Partitions a mutation request creates or deletes in the rule's topics.
export function mutations(api: i32, body: KafkaMessage, rule: KafkaQuotaRule): i64 {
  let n: i64 = 0;
  if (api == ApiKey.CreateTopics) {
    const topics = (body as CreateTopicsRequest).topics;
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i];
      if (!rule.countsTopic(t.name)) continue;
      n += t.numPartitions > 0 ? <i64>t.numPartitions : t.assignments.length > 0 ? <i64>t.assignments.length : 1;
    }
  } else if (api == ApiKey.CreatePartitions) {
    const topics = (body as CreatePartitionsRequest).topics;
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i];
      if (rule.countsTopic(t.name)) n += max<i64>(<i64>t.count, 1);
    }
  } else if (api == ApiKey.DeleteTopics) {
    const d = body as DeleteTopicsRequest;
    for (let i = 0; i < d.topicNames.length; i++) if (rule.countsTopic(d.topicNames[i])) n++;
    for (let i = 0; i < d.topics.length; i++) {
      const t = d.topics[i];
      const name = t.name != null ? t.name! : topicName("", t.topicId);
      if (rule.countsTopic(name)) n++;
    }
  }
  return n;
}

export function setMutationThrottle(answer: KafkaMessage, ms: i32): void {
  if (<i32>answer.apiKey == ApiKey.CreateTopics) (answer as CreateTopicsResponse).throttleTimeMs = ms;
  else if (<i32>answer.apiKey == ApiKey.CreatePartitions) (answer as CreatePartitionsResponse).throttleTimeMs = ms;
  else if (<i32>answer.apiKey == ApiKey.DeleteTopics) (answer as DeleteTopicsResponse).throttleTimeMs = ms;
}

// Record bytes of a held produce request in the rule's topics.
export function producedBytes(rule: KafkaQuotaRule, names: string[], ids: Uint8Array[], bytes: i64[]): i64 {
  let n: i64 = 0;
  for (let t = 0; t < bytes.length; t++) {
    const name = t < names.length ? topicName(names[t], EMPTY_ID) : t < ids.length ? topicName("", ids[t]) : "";
    if (rule.countsTopic(name)) n += bytes[t];
  }
  return n;
}

// Record bytes of a fetch response in the rule's topics.
export function fetchedBytes(rule: KafkaQuotaRule, response: FetchResponse): i64 {
  let n: i64 = 0;
  for (let t = 0; t < response.responses.length; t++) {
    const topic = response.responses[t];
    if (!rule.countsTopic(topicName(topic.topic, topic.topicId))) continue;
    for (let p = 0; p < topic.partitions.length; p++) {
      const records = topic.partitions[p].records;
      if (records != null) n += <i64>records.length;
    }
  }
  return n;
}
