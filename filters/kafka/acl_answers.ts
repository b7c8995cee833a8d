// The kafka filter's topic ACL, part two: the answers. The whole response
// to a request whose API is denied, in that API's own terms, and the merge
// of a split request's denied part into the broker's response (which also
// drops the topics the client may not see).
import { ApiKey } from "../../assembly/kafka/api_keys";
import { newResponse } from "../../assembly/kafka/apis";
import { KafkaMessage } from "../../assembly/kafka/message";
import { CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED } from "../../assembly/kafka/errors";
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
import { AclConfig, OP_CONSUME, apiOperation } from "./acl_config";
import { DENIED_MESSAGE, Split, nameOf, split } from "./acl_split";

// Adds the denied topics' errors (`part`) to the broker's response, and
// drops from it topics the client may not see.
export function merge(acl: AclConfig, apiKey: i32, response: KafkaMessage, part: KafkaMessage | null): void {
  switch (apiKey) {
    case ApiKey.Produce: {
      const to = (response as ProduceResponse).responses;
      const from = (part as ProduceResponse).responses;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.Fetch: {
      const to = (response as FetchResponse).responses;
      const from = (part as FetchResponse).responses;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.ListOffsets: {
      const to = (response as ListOffsetsResponse).topics;
      const from = (part as ListOffsetsResponse).topics;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.Metadata: {
      const res = response as MetadataResponse;
      const keep = new Array<MetadataResponseTopic>();
      for (let i = 0; i < res.topics.length; i++) {
        const t = res.topics[i];
        if (acl.topicVisible(nameOf(t.name, t.topicId))) keep.push(t);
      }
      if (part != null) {
        const from = (part as MetadataResponse).topics;
        for (let i = 0; i < from.length; i++) keep.push(from[i]);
      }
      res.topics = keep;
      break;
    }
    case ApiKey.OffsetCommit: {
      const to = (response as OffsetCommitResponse).topics;
      const from = (part as OffsetCommitResponse).topics;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.OffsetFetch: mergeOffsetFetch(acl, response as OffsetFetchResponse, part as OffsetFetchResponse); break;
    case ApiKey.CreateTopics: {
      const to = (response as CreateTopicsResponse).topics;
      const from = (part as CreateTopicsResponse).topics;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.DeleteTopics: {
      const to = (response as DeleteTopicsResponse).responses;
      const from = (part as DeleteTopicsResponse).responses;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
    case ApiKey.DescribeConfigs: {
      const to = (response as DescribeConfigsResponse).results;
      const from = (part as DescribeConfigsResponse).results;
      for (let i = 0; i < from.length; i++) to.push(from[i]);
      break;
    }
  }
}

function mergeOffsetFetch(acl: AclConfig, res: OffsetFetchResponse, part: OffsetFetchResponse): void {
  // v0-7: one group, topics at the top.
  const topics = new Array<OffsetFetchResponseTopic>();
  for (let i = 0; i < res.topics.length; i++) {
    if (acl.allowed(res.topics[i].name, OP_CONSUME)) topics.push(res.topics[i]);
  }
  for (let i = 0; i < part.topics.length; i++) topics.push(part.topics[i]);
  res.topics = topics;
  // v8+: per group.
  for (let g = 0; g < res.groups.length; g++) {
    const group = res.groups[g];
    const kept = new Array<OffsetFetchResponseTopics>();
    for (let i = 0; i < group.topics.length; i++) {
      const t = group.topics[i];
      if (acl.allowed(nameOf(t.name, t.topicId), OP_CONSUME)) kept.push(t);
    }
    group.topics = kept;
  }
  for (let g = 0; g < part.groups.length; g++) {
    const denied = part.groups[g];
    if (denied.topics.length == 0) continue;
    let target: OffsetFetchResponseGroup | null = null;
    for (let i = 0; i < res.groups.length && target == null; i++) {
      if (res.groups[i].groupId == denied.groupId) target = res.groups[i];
    }
    if (target == null) res.groups.push(denied);
    else for (let i = 0; i < denied.topics.length; i++) target.topics.push(denied.topics[i]);
  }
}
