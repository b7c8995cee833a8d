// Every error code a decoded response carries, wherever its API puts them
// (top level, per topic, per partition, per group or member), so metrics can
// count errors for any API with one call. Codes are reported as found; NONE
// (0) is skipped.
import { KafkaMessage } from "./message";
import { ApiKey } from "./api_keys";
import { ApiVersionsResponse } from "./api/api_versions";
import { CreateTopicsResponse } from "./api/create_topics";
import { DeleteTopicsResponse } from "./api/delete_topics";
import { DescribeClusterResponse } from "./api/describe_cluster";
import { DescribeConfigsResponse } from "./api/describe_configs";
import { DescribeGroupsResponse } from "./api/describe_groups";
import { FetchResponse } from "./api/fetch";
import { FindCoordinatorResponse } from "./api/find_coordinator";
import { HeartbeatResponse } from "./api/heartbeat";
import { InitProducerIdResponse } from "./api/init_producer_id";
import { JoinGroupResponse } from "./api/join_group";
import { LeaveGroupResponse } from "./api/leave_group";
import { ListOffsetsResponse } from "./api/list_offsets";
import { MetadataResponse } from "./api/metadata";
import { OffsetCommitResponse } from "./api/offset_commit";
import { OffsetFetchResponse } from "./api/offset_fetch";
import { ProduceResponse } from "./api/produce";
import { SyncGroupResponse } from "./api/sync_group";

function add(out: Array<i16>, code: i16): void {
  if (code != 0) out.push(code);
}

export function collectResponseErrors(apiKey: i32, body: KafkaMessage, out: Array<i16>): void {
  switch (apiKey) {
    case ApiKey.Produce: {
      const topics = (body as ProduceResponse).responses;
      for (let t = 0; t < topics.length; t++) {
        const parts = topics[t].partitionResponses;
        for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
      }
      break;
    }
    case ApiKey.Fetch: {
      const response = body as FetchResponse;
      add(out, response.errorCode);
      for (let t = 0; t < response.responses.length; t++) {
        const parts = response.responses[t].partitions;
        for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
      }
      break;
    }
    case ApiKey.ListOffsets: {
      const topics = (body as ListOffsetsResponse).topics;
      for (let t = 0; t < topics.length; t++) {
        const parts = topics[t].partitions;
        for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
      }
      break;
    }
    case ApiKey.Metadata: {
      const response = body as MetadataResponse;
      add(out, response.errorCode);
      for (let t = 0; t < response.topics.length; t++) {
        const topic = response.topics[t];
        add(out, topic.errorCode);
        for (let p = 0; p < topic.partitions.length; p++) add(out, topic.partitions[p].errorCode);
      }
      break;
    }
    case ApiKey.OffsetCommit: {
      const topics = (body as OffsetCommitResponse).topics;
      for (let t = 0; t < topics.length; t++) {
        const parts = topics[t].partitions;
        for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
      }
      break;
    }
    case ApiKey.OffsetFetch: {
      const response = body as OffsetFetchResponse;
      add(out, response.errorCode);
      for (let t = 0; t < response.topics.length; t++) {
        const parts = response.topics[t].partitions;
        for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
      }
      for (let g = 0; g < response.groups.length; g++) {
        const group = response.groups[g];
        add(out, group.errorCode);
        for (let t = 0; t < group.topics.length; t++) {
          const parts = group.topics[t].partitions;
          for (let p = 0; p < parts.length; p++) add(out, parts[p].errorCode);
        }
      }
      break;
    }
    case ApiKey.FindCoordinator: {
      const response = body as FindCoordinatorResponse;
      add(out, response.errorCode);
      for (let c = 0; c < response.coordinators.length; c++) add(out, response.coordinators[c].errorCode);
      break;
    }
    case ApiKey.JoinGroup: add(out, (body as JoinGroupResponse).errorCode); break;
    case ApiKey.Heartbeat: add(out, (body as HeartbeatResponse).errorCode); break;
    case ApiKey.LeaveGroup: {
      const response = body as LeaveGroupResponse;
      add(out, response.errorCode);
      for (let m = 0; m < response.members.length; m++) add(out, response.members[m].errorCode);
      break;
    }
    case ApiKey.SyncGroup: add(out, (body as SyncGroupResponse).errorCode); break;
    case ApiKey.DescribeGroups: {
      const groups = (body as DescribeGroupsResponse).groups;
      for (let g = 0; g < groups.length; g++) add(out, groups[g].errorCode);
      break;
    }
    case ApiKey.ApiVersions: add(out, (body as ApiVersionsResponse).errorCode); break;
    case ApiKey.CreateTopics: {
      const topics = (body as CreateTopicsResponse).topics;
      for (let t = 0; t < topics.length; t++) add(out, topics[t].errorCode);
      break;
    }
    case ApiKey.DeleteTopics: {
      const topics = (body as DeleteTopicsResponse).responses;
      for (let t = 0; t < topics.length; t++) add(out, topics[t].errorCode);
      break;
    }
    case ApiKey.InitProducerId: add(out, (body as InitProducerIdResponse).errorCode); break;
    case ApiKey.DescribeConfigs: {
      const results = (body as DescribeConfigsResponse).results;
      for (let r = 0; r < results.length; r++) add(out, results[r].errorCode);
      break;
    }
    case ApiKey.DescribeCluster: add(out, (body as DescribeClusterResponse).errorCode); break;
  }
}
