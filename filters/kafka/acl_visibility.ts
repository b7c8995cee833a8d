// Responses that list topics the client did not name (all topics of a
// Metadata or DescribeTopicPartitions request, the committed offsets of a
// group) show only the topics the caller may describe, as a broker with an
// authorizer answers them.
import { Identity } from "../../assembly/common/identity";
import { ApiKey } from "../../assembly/kafka/api_keys";
import { KafkaMessage } from "../../assembly/kafka/message";
import { topicNameForId } from "../../assembly/kafka/topic_ids";
import { MetadataResponse, MetadataResponseTopic } from "../../assembly/kafka/api/metadata";
import { DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponseTopic } from "../../assembly/kafka/api/describe_topic_partitions";
import { OffsetFetchResponse, OffsetFetchResponseTopic, OffsetFetchResponseTopics } from "../../assembly/kafka/api/offset_fetch";
import { AclConfig, Kind } from "./acl_config";
import { OP_DESCRIBE } from "./acl_operations";

// The APIs whose responses are filtered.
export function listsTopics(apiKey: i32): bool {
  return apiKey == ApiKey.Metadata || apiKey == ApiKey.DescribeTopicPartitions || apiKey == ApiKey.OffsetFetch;
}

// Leaves out of `response` the topics `who` may not describe; true when it
// left out any. A topic known only by an id nobody named is left out when a
// rule could deny describing topics.
export function hideTopics(acl: AclConfig, who: Identity, apiKey: i32, response: KafkaMessage): bool {
  const v = new Visibility(acl, who);
  switch (apiKey) {
    case ApiKey.Metadata: {
      const res = response as MetadataResponse;
      const keep = new Array<MetadataResponseTopic>();
      for (let i = 0; i < res.topics.length; i++) {
        const t = res.topics[i];
        if (v.visible(t.name, t.topicId)) keep.push(t);
      }
      res.topics = keep;
      break;
    }
    case ApiKey.DescribeTopicPartitions: {
      const res = response as DescribeTopicPartitionsResponse;
      const keep = new Array<DescribeTopicPartitionsResponseTopic>();
      for (let i = 0; i < res.topics.length; i++) {
        const t = res.topics[i];
        if (v.visible(t.name, t.topicId)) keep.push(t);
      }
      res.topics = keep;
      break;
    }
    case ApiKey.OffsetFetch: {
      const res = response as OffsetFetchResponse;
      // v0-7: one group, topics at the top; v8+: per group.
      const topics = new Array<OffsetFetchResponseTopic>();
      for (let i = 0; i < res.topics.length; i++) {
        if (v.visible(res.topics[i].name, null)) topics.push(res.topics[i]);
      }
      res.topics = topics;
      for (let g = 0; g < res.groups.length; g++) {
        const group = res.groups[g];
        const kept = new Array<OffsetFetchResponseTopics>();
        for (let i = 0; i < group.topics.length; i++) {
          const t = group.topics[i];
          if (v.visible(t.name, t.topicId)) kept.push(t);
        }
        group.topics = kept;
      }
      break;
    }
  }
  return v.hidden > 0;
}

class Visibility {
  hidden: i32 = 0;

  constructor(private acl: AclConfig, private who: Identity) {}

  visible(name: string | null, id: Uint8Array | null): bool {
    let resolved: string | null = name != null && name.length > 0 ? name : null;
    if (resolved == null && id != null) resolved = topicNameForId(id);
    const ok = resolved == null ? !this.acl.canDeny(Kind.Topic, OP_DESCRIBE) : this.acl.allowed(Kind.Topic, resolved!, OP_DESCRIBE, this.who);
    if (!ok) this.hidden++;
    return ok;
  }
}
