// The kafka filter's topic ACL, part one: a request split into what the
// broker may see and what it may not. Each split* function removes the
// denied topics from a decoded request (in place) and writes their errors
// into a response of the same API, as a broker with ACLs would answer them.
import { ApiKey } from "../../assembly/kafka/api_keys";
import { KafkaMessage } from "../../assembly/kafka/message";
import { CLUSTER_AUTHORIZATION_FAILED } from "../../assembly/kafka/errors";
import { topicNameForId } from "../../assembly/kafka/topic_ids";
import { ApiVersionsRequest, ApiVersionsResponse } from "../../assembly/kafka/api/api_versions";
import { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData, TopicProduceResponse } from "../../assembly/kafka/api/produce";
import { FetchRequest, FetchResponse, FetchTopic, FetchableTopicResponse, PartitionData } from "../../assembly/kafka/api/fetch";
import { ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse, ListOffsetsTopic, ListOffsetsTopicResponse } from "../../assembly/kafka/api/list_offsets";
import { MetadataRequest, MetadataRequestTopic, MetadataResponse, MetadataResponseTopic } from "../../assembly/kafka/api/metadata";
import { OffsetCommitRequest, OffsetCommitRequestTopic, OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic } from "../../assembly/kafka/api/offset_commit";
import {
  OffsetFetchRequest, OffsetFetchRequestTopic, OffsetFetchRequestTopics, OffsetFetchResponse, OffsetFetchResponseGroup,
  OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic, OffsetFetchResponseTopics,
} from "../../assembly/kafka/api/offset_fetch";
import { CreatableTopic, CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse } from "../../assembly/kafka/api/create_topics";
import { DeletableTopicResult, DeleteTopicState, DeleteTopicsRequest, DeleteTopicsResponse } from "../../assembly/kafka/api/delete_topics";
import { DescribeConfigsRequest, DescribeConfigsResource, DescribeConfigsResponse, DescribeConfigsResult } from "../../assembly/kafka/api/describe_configs";
import { Coordinator, FindCoordinatorRequest, FindCoordinatorResponse } from "../../assembly/kafka/api/find_coordinator";
import { JoinGroupRequest, JoinGroupResponse } from "../../assembly/kafka/api/join_group";
import { HeartbeatResponse } from "../../assembly/kafka/api/heartbeat";
import { LeaveGroupResponse } from "../../assembly/kafka/api/leave_group";
import { SyncGroupResponse } from "../../assembly/kafka/api/sync_group";
import { DescribeGroupsRequest, DescribeGroupsResponse, DescribedGroup } from "../../assembly/kafka/api/describe_groups";
import { InitProducerIdRequest, InitProducerIdResponse } from "../../assembly/kafka/api/init_producer_id";
import { DescribeClusterResponse } from "../../assembly/kafka/api/describe_cluster";
import { AclConfig, OP_CONSUME, OP_CREATE, OP_DELETE, OP_DESCRIBE, OP_PRODUCE } from "./acl_config";

const TOPIC_RESOURCE: i8 = 2;
export const DENIED_MESSAGE = "Denied by the mqmesh topic ACL";
// "visible" instead of one operation: Metadata.
const VISIBLE: i32 = -1;

// A topic's name from a name (older versions) or an id (newer ones); null
// when only an id the filter never saw named is given.
export function nameOf(name: string | null, id: Uint8Array): string | null {
  if (name != null && name.length > 0) return name;
  return topicNameForId(id);
}

// What one request splits into.
export class Split {
  allowed: i32 = 0;
  denied: string[] = [];
  // The response must be filtered (requests for "all topics").
  filter: bool = false;

  constructor(readonly acl: AclConfig, readonly all: bool, readonly code: i16) {}

  // Counts the topic as allowed or denied; true when denied.
  denies(name: string | null, op: i32): bool {
    const ok = !this.all && (op == VISIBLE ? this.acl.topicVisible(name) : this.acl.allowed(name, op));
    if (ok) {
      this.allowed++;
      return false;
    }
    this.denied.push(name == null ? "unknown" : name!);
    return true;
  }
}

// Removes denied topics from `body` (in place) and adds their errors to
// `out`, a response of the same API. With split.all every topic is denied.
export function split(apiKey: i32, v: i16, body: KafkaMessage, out: KafkaMessage, s: Split): void {
  switch (apiKey) {
    case ApiKey.Produce: splitProduce(body as ProduceRequest, out as ProduceResponse, s); break;
    case ApiKey.Fetch: splitFetch(body as FetchRequest, out as FetchResponse, s); break;
    case ApiKey.ListOffsets: splitListOffsets(body as ListOffsetsRequest, out as ListOffsetsResponse, s); break;
    case ApiKey.Metadata: splitMetadata(v, body as MetadataRequest, out as MetadataResponse, s); break;
    case ApiKey.OffsetCommit: splitOffsetCommit(body as OffsetCommitRequest, out as OffsetCommitResponse, s); break;
    case ApiKey.OffsetFetch: splitOffsetFetch(v, body as OffsetFetchRequest, out as OffsetFetchResponse, s); break;
    case ApiKey.CreateTopics: splitCreateTopics(body as CreateTopicsRequest, out as CreateTopicsResponse, s); break;
    case ApiKey.DeleteTopics: splitDeleteTopics(v, body as DeleteTopicsRequest, out as DeleteTopicsResponse, s); break;
    case ApiKey.DescribeConfigs: splitDescribeConfigs(body as DescribeConfigsRequest, out as DescribeConfigsResponse, s); break;
  }
}

function splitProduce(req: ProduceRequest, out: ProduceResponse, s: Split): void {
  const keep = new Array<TopicProduceData>();
  for (let i = 0; i < req.topicData.length; i++) {
    const t = req.topicData[i];
    if (!s.denies(nameOf(t.name, t.topicId), OP_PRODUCE)) {
      keep.push(t);
      continue;
    }
    const r = new TopicProduceResponse();
    r.name = t.name;
    r.topicId = t.topicId;
    for (let p = 0; p < t.partitionData.length; p++) {
      const pr = new PartitionProduceResponse();
      pr.index = t.partitionData[p].index;
      pr.errorCode = s.code;
      pr.baseOffset = -1;
      r.partitionResponses.push(pr);
    }
    out.responses.push(r);
  }
  req.topicData = keep;
}

function splitFetch(req: FetchRequest, out: FetchResponse, s: Split): void {
  const keep = new Array<FetchTopic>();
  out.sessionId = req.sessionId;
  for (let i = 0; i < req.topics.length; i++) {
    const t = req.topics[i];
    if (!s.denies(nameOf(t.topic, t.topicId), OP_CONSUME)) {
      keep.push(t);
      continue;
    }
    const r = new FetchableTopicResponse();
    r.topic = t.topic;
    r.topicId = t.topicId;
    for (let p = 0; p < t.partitions.length; p++) {
      const pd = new PartitionData();
      pd.partitionIndex = t.partitions[p].partition;
      pd.errorCode = s.code;
      pd.highWatermark = -1;
      pd.records = new Uint8Array(0);
      r.partitions.push(pd);
    }
    out.responses.push(r);
  }
  req.topics = keep;
}

function splitListOffsets(req: ListOffsetsRequest, out: ListOffsetsResponse, s: Split): void {
  const keep = new Array<ListOffsetsTopic>();
  for (let i = 0; i < req.topics.length; i++) {
    const t = req.topics[i];
    if (!s.denies(t.name, OP_CONSUME)) {
      keep.push(t);
      continue;
    }
    const r = new ListOffsetsTopicResponse();
    r.name = t.name;
    for (let p = 0; p < t.partitions.length; p++) {
      const pr = new ListOffsetsPartitionResponse();
      pr.partitionIndex = t.partitions[p].partitionIndex;
      pr.errorCode = s.code;
      r.partitions.push(pr);
    }
    out.topics.push(r);
  }
  req.topics = keep;
}

function splitMetadata(v: i16, req: MetadataRequest, out: MetadataResponse, s: Split): void {
  s.filter = true;
  const topics = req.topics;
  if (topics == null) return;
  const keep = new Array<MetadataRequestTopic>();
  for (let i = 0; i < topics.length; i++) {
    const t = topics[i];
    if (!s.denies(nameOf(t.name, t.topicId), VISIBLE)) {
      keep.push(t);
      continue;
    }
    const r = new MetadataResponseTopic();
    r.errorCode = s.code;
    r.name = t.name;
    r.topicId = t.topicId;
    out.topics.push(r);
  }
  // An empty list asks v0 for every topic: leave such a request alone, the
  // response is filtered anyway.
  if (keep.length > 0 || v > 0) req.topics = keep;
}

function splitOffsetCommit(req: OffsetCommitRequest, out: OffsetCommitResponse, s: Split): void {
  const keep = new Array<OffsetCommitRequestTopic>();
  for (let i = 0; i < req.topics.length; i++) {
    const t = req.topics[i];
    if (!s.denies(nameOf(t.name, t.topicId), OP_CONSUME)) {
      keep.push(t);
      continue;
    }
    const r = new OffsetCommitResponseTopic();
    r.name = t.name;
    r.topicId = t.topicId;
    for (let p = 0; p < t.partitions.length; p++) {
      const pr = new OffsetCommitResponsePartition();
      pr.partitionIndex = t.partitions[p].partitionIndex;
      pr.errorCode = s.code;
      r.partitions.push(pr);
    }
    out.topics.push(r);
  }
  req.topics = keep;
}

function splitOffsetFetch(v: i16, req: OffsetFetchRequest, out: OffsetFetchResponse, s: Split): void {
  if (v < 8) {
    const topics = req.topics;
    if (topics == null) {
      s.filter = true;
      s.allowed++;
      return;
    }
    const keep = new Array<OffsetFetchRequestTopic>();
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i];
      if (!s.denies(t.name, OP_CONSUME)) {
        keep.push(t);
        continue;
      }
      const r = new OffsetFetchResponseTopic();
      r.name = t.name;
      for (let p = 0; p < t.partitionIndexes.length; p++) {
        const pr = new OffsetFetchResponsePartition();
        pr.partitionIndex = t.partitionIndexes[p];
        pr.committedOffset = -1;
        pr.errorCode = s.code;
        r.partitions.push(pr);
      }
      out.topics.push(r);
    }
    req.topics = keep;
    return;
  }
  s.filter = true;
  for (let g = 0; g < req.groups.length; g++) {
    const group = req.groups[g];
    const result = new OffsetFetchResponseGroup();
    result.groupId = group.groupId;
    out.groups.push(result);
    const topics = group.topics;
    if (topics == null) {
      s.allowed++;
      continue;
    }
    const keep = new Array<OffsetFetchRequestTopics>();
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i];
      if (!s.denies(nameOf(t.name, t.topicId), OP_CONSUME)) {
        keep.push(t);
        continue;
      }
      const r = new OffsetFetchResponseTopics();
      r.name = t.name;
      r.topicId = t.topicId;
      for (let p = 0; p < t.partitionIndexes.length; p++) {
        const pr = new OffsetFetchResponsePartitions();
        pr.partitionIndex = t.partitionIndexes[p];
        pr.committedOffset = -1;
        pr.errorCode = s.code;
        r.partitions.push(pr);
      }
      result.topics.push(r);
    }
    group.topics = keep;
  }
}

function splitCreateTopics(req: CreateTopicsRequest, out: CreateTopicsResponse, s: Split): void {
  const keep = new Array<CreatableTopic>();
  for (let i = 0; i < req.topics.length; i++) {
    const t = req.topics[i];
    if (!s.denies(t.name, OP_CREATE)) {
      keep.push(t);
      continue;
    }
    const r = new CreatableTopicResult();
    r.name = t.name;
    r.errorCode = s.code;
    r.errorMessage = DENIED_MESSAGE;
    out.topics.push(r);
  }
  req.topics = keep;
}

function splitDeleteTopics(v: i16, req: DeleteTopicsRequest, out: DeleteTopicsResponse, s: Split): void {
  if (v < 6) {
    const keep = new Array<string>();
    for (let i = 0; i < req.topicNames.length; i++) {
      const name = req.topicNames[i];
      if (!s.denies(name, OP_DELETE)) {
        keep.push(name);
        continue;
      }
      const r = new DeletableTopicResult();
      r.name = name;
      r.errorCode = s.code;
      out.responses.push(r);
    }
    req.topicNames = keep;
    return;
  }
  const keep = new Array<DeleteTopicState>();
  for (let i = 0; i < req.topics.length; i++) {
    const t = req.topics[i];
    if (!s.denies(nameOf(t.name, t.topicId), OP_DELETE)) {
      keep.push(t);
      continue;
    }
    const r = new DeletableTopicResult();
    r.name = t.name;
    r.topicId = t.topicId;
    r.errorCode = s.code;
    out.responses.push(r);
  }
  req.topics = keep;
}

function splitDescribeConfigs(req: DescribeConfigsRequest, out: DescribeConfigsResponse, s: Split): void {
  const keep = new Array<DescribeConfigsResource>();
  for (let i = 0; i < req.resources.length; i++) {
    const resource = req.resources[i];
    if (resource.resourceType != TOPIC_RESOURCE) {
      if (s.all) s.denied.push("");
      else {
        s.allowed++;
        keep.push(resource);
        continue;
      }
    } else if (!s.denies(resource.resourceName, OP_DESCRIBE)) {
      keep.push(resource);
      continue;
    }
    const r = new DescribeConfigsResult();
    r.errorCode = resource.resourceType == TOPIC_RESOURCE ? s.code : CLUSTER_AUTHORIZATION_FAILED;
    r.errorMessage = DENIED_MESSAGE;
    r.resourceType = resource.resourceType;
    r.resourceName = resource.resourceName;
    out.results.push(r);
  }
  req.resources = keep;
}
