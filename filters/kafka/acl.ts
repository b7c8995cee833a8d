// Topic ACLs and API allow/deny lists, enforced by request substitution
// (docs/architecture.md): a request with nothing allowed left in it goes to the broker
// as an ApiVersions v0 request with the same correlation id, and the client
// gets, in its place, the original API/version's response carrying the
// authorization error. A request that mixes allowed and denied topics goes
// on with only the allowed ones; the denied topics' errors are merged into
// the broker's response, as a broker with ACLs would answer. Metadata
// responses never show a topic the client may not describe.
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { DecodedRequest, encodeRequest, encodeResponse, hasCodec, newResponse } from "../../assembly/kafka/apis";
import { RequestHeader, ResponseHeader } from "../../assembly/kafka/header";
import { KafkaMessage } from "../../assembly/kafka/message";
import { HeadStatus, readProduceHead } from "../../assembly/kafka/produce_head";
import { FrameFate } from "../../assembly/common/frame_stream";
import { CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED } from "../../assembly/kafka/errors";
import { LastTopic, topicNameForId, UNKNOWN_TOPIC } from "../../assembly/kafka/topic_ids";
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
import { AclConfig, OP_CONSUME, OP_CREATE, OP_DELETE, OP_DESCRIBE, OP_PRODUCE, apiOperation } from "./acl_config";
import { KafkaFilterConfig } from "./config";
import { InflightRequest } from "./inflight";
import { RequestInterceptor, ResponseInterceptor } from "./interceptors";
import { KafkaMetrics } from "./metrics";

const TOPIC_RESOURCE: i8 = 2;
const DENIED_MESSAGE = "Denied by the mqmesh topic ACL";
// Requests waiting for a merge of their denied part; entries of connections
// that closed before the answer are dropped wholesale past this many.
const MAX_PENDING = 8192;
// "visible" instead of one operation: Metadata.
const VISIBLE: i32 = -1;

// A topic's name from a name (older versions) or an id (newer ones); null
// when only an id the filter never saw named is given.
function nameOf(name: string | null, id: Uint8Array): string | null {
  if (name != null && name.length > 0) return name;
  return topicNameForId(id);
}

// What one request splits into.
class Split {
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
function split(apiKey: i32, v: i16, body: KafkaMessage, out: KafkaMessage, s: Split): void {
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

// The response to a request whose API is denied outright, or null when the
// API has no codec here.
function apiDeniedResponse(acl: AclConfig, apiKey: i32, v: i16, body: KafkaMessage, s: Split): KafkaMessage | null {
  const out = newResponse(apiKey);
  if (out == null) return null;
  if (apiOperation(apiKey) != 0) {
    split(apiKey, v, body, out, s);
    return out;
  }
  switch (apiKey) {
    case ApiKey.ApiVersions: (out as ApiVersionsResponse).errorCode = CLUSTER_AUTHORIZATION_FAILED; break;
    case ApiKey.FindCoordinator: {
      const req = body as FindCoordinatorRequest;
      const res = out as FindCoordinatorResponse;
      const code = req.keyType == 1 ? TRANSACTIONAL_ID_AUTHORIZATION_FAILED : GROUP_AUTHORIZATION_FAILED;
      res.errorCode = code;
      res.errorMessage = DENIED_MESSAGE;
      res.nodeId = -1;
      res.port = -1;
      for (let i = 0; i < req.coordinatorKeys.length; i++) {
        const c = new Coordinator();
        c.key = req.coordinatorKeys[i];
        c.nodeId = -1;
        c.port = -1;
        c.errorCode = code;
        c.errorMessage = DENIED_MESSAGE;
        res.coordinators.push(c);
      }
      break;
    }
    case ApiKey.JoinGroup: {
      const res = out as JoinGroupResponse;
      res.errorCode = GROUP_AUTHORIZATION_FAILED;
      res.memberId = (body as JoinGroupRequest).memberId;
      if (v >= 7) res.protocolName = null;
      break;
    }
    case ApiKey.Heartbeat: (out as HeartbeatResponse).errorCode = GROUP_AUTHORIZATION_FAILED; break;
    case ApiKey.LeaveGroup: (out as LeaveGroupResponse).errorCode = GROUP_AUTHORIZATION_FAILED; break;
    case ApiKey.SyncGroup: (out as SyncGroupResponse).errorCode = GROUP_AUTHORIZATION_FAILED; break;
    case ApiKey.DescribeGroups: {
      const req = body as DescribeGroupsRequest;
      for (let i = 0; i < req.groups.length; i++) {
        const g = new DescribedGroup();
        g.errorCode = GROUP_AUTHORIZATION_FAILED;
        g.groupId = req.groups[i];
        (out as DescribeGroupsResponse).groups.push(g);
      }
      break;
    }
    case ApiKey.InitProducerId: {
      const transactional = (body as InitProducerIdRequest).transactionalId;
      (out as InitProducerIdResponse).errorCode = transactional != null && transactional.length > 0 ? TRANSACTIONAL_ID_AUTHORIZATION_FAILED : CLUSTER_AUTHORIZATION_FAILED;
      break;
    }
    case ApiKey.DescribeCluster: (out as DescribeClusterResponse).errorCode = CLUSTER_AUTHORIZATION_FAILED; break;
  }
  return out;
}

// Adds the denied topics' errors (`part`) to the broker's response, and
// drops from it topics the client may not see.
function merge(acl: AclConfig, apiKey: i32, response: KafkaMessage, part: KafkaMessage | null): void {
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

// The part of a request the broker will not see, kept until its response.
class Pending {
  constructor(readonly part: KafkaMessage) {}
}

class AclState {
  readonly pending: Map<InflightRequest, Pending> = new Map<InflightRequest, Pending>();
  readonly denied: CounterFamily = new CounterFamily("mqmesh_kafka_denied_requests_total", ["api", "topic"]);

  constructor(readonly acl: AclConfig, readonly metrics: KafkaMetrics) {}

  count(api: string, topic: string): void {
    this.denied.add([api, topic.length == 0 ? "" : this.metrics.topic(topic)]);
  }

  remember(request: InflightRequest, part: KafkaMessage): void {
    if (this.pending.size >= MAX_PENDING) this.pending.clear();
    this.pending.set(request, new Pending(part));
  }
}

// ApiVersions v0 with the request's correlation id: the cheapest request
// every broker answers, and its answer is swapped for ours.
function standIn(header: RequestHeader): Uint8Array {
  const h = new RequestHeader();
  h.apiKey = <i16>ApiKey.ApiVersions;
  h.apiVersion = 0;
  h.correlationId = header.correlationId;
  h.clientId = header.clientId;
  return encodeRequest(h, new ApiVersionsRequest());
}

function synthesize(header: RequestHeader, body: KafkaMessage): Uint8Array {
  const h = new ResponseHeader();
  h.correlationId = header.correlationId;
  return encodeResponse(header.apiKey, header.apiVersion, h, body);
}

class AclRequests extends RequestInterceptor {
  // The verdict on producing to the topic judged last (judgeHead).
  private readonly lastTopic: LastTopic = new LastTopic();
  private lastVerdict: bool = false;

  constructor(private state: AclState) {
    super();
  }

  wantsRequest(apiKey: i16, apiVersion: i16): bool {
    const acl = this.state.acl;
    if (!acl.apiAllowed(apiKey)) return true;
    return apiOperation(apiKey) != 0 && acl.checksTopics && hasCodec(apiKey, apiVersion);
  }

  // A produce request to one topic the ACL allows goes on as it streams by;
  // the rest (a denied topic, several topics, an unreadable head) is held.
  judgeHead(apiKey: i16, apiVersion: i16, head: Uint8Array, frameSize: i32): FrameFate {
    if (apiKey != ApiKey.Produce || !this.state.acl.apiAllowed(apiKey)) return FrameFate.Hold;
    const first = readProduceHead(head, frameSize);
    if (first.status == HeadStatus.Short) return FrameFate.NeedMore;
    if (first.status != HeadStatus.Read || first.topicCount != 1) return FrameFate.Hold;
    return this.producible(first.topicName, first.topicId) ? FrameFate.Pass : FrameFate.Hold;
  }

  private producible(name: string, id: Uint8Array): bool {
    if (this.lastTopic.is(name, id)) return this.lastVerdict;
    const resolved = nameOf(name, id);
    this.lastVerdict = this.state.acl.allowed(resolved, OP_PRODUCE);
    this.lastTopic.remember(name, id, resolved == null ? UNKNOWN_TOPIC : resolved!);
    return this.lastVerdict;
  }

  onRequest(request: DecodedRequest, inflight: InflightRequest): Uint8Array | null {
    const state = this.state;
    const acl = state.acl;
    const header = request.header;
    const apiKey = header.apiKey;
    const v = header.apiVersion;
    const api = apiKeyName(apiKey);
    const body = request.body;
    const acks0 = apiKey == ApiKey.Produce && body != null && (body as ProduceRequest).acks == 0;

    if (!acl.apiAllowed(apiKey)) {
      const s = new Split(acl, true, TOPIC_AUTHORIZATION_FAILED);
      state.count(api, "");
      // A request this filter cannot decode cannot be answered in its
      // API's terms: the client gets no answer to it (documented).
      const answer: KafkaMessage | null = body == null ? null : apiDeniedResponse(acl, apiKey, v, body!, s);
      if (acks0) return new Uint8Array(0);
      inflight.syntheticResponse = answer == null ? new Uint8Array(0) : synthesize(header, answer!);
      return standIn(header);
    }
    if (body == null) return null;
    const part = newResponse(apiKey)!;
    const s = new Split(acl, false, TOPIC_AUTHORIZATION_FAILED);
    split(apiKey, v, body, part, s);
    for (let i = 0; i < s.denied.length; i++) state.count(api, s.denied[i]);
    if (s.denied.length == 0) {
      if (s.filter) state.remember(inflight, part);
      return null;
    }
    if (s.allowed == 0 && apiKey != ApiKey.Metadata) {
      // Nothing left for the broker: a produce with acks=0 expects no
      // answer, so nothing goes at all.
      if (acks0) return new Uint8Array(0);
      inflight.syntheticResponse = synthesize(header, part);
      return standIn(header);
    }
    if (!acks0) state.remember(inflight, part);
    return encodeRequest(header, body);
  }
}

class AclResponses extends ResponseInterceptor {
  constructor(private state: AclState) {
    super();
  }

  wantsResponse(inflight: InflightRequest): bool {
    if (this.state.pending.has(inflight)) return true;
    return inflight.apiKey == ApiKey.Metadata && this.state.acl.checksTopics && hasCodec(inflight.apiKey, inflight.apiVersion);
  }

  onResponse(response: KafkaMessage, inflight: InflightRequest): bool {
    const pending = this.state.pending;
    let part: KafkaMessage | null = null;
    if (pending.has(inflight)) {
      part = pending.get(inflight).part;
      pending.delete(inflight);
    }
    if (part == null && inflight.apiKey != ApiKey.Metadata) return false;
    merge(this.state.acl, inflight.apiKey, response, part);
    return true;
  }
}

// Adds the ACL interceptors when the configuration has an `acl` section.
export function installAcl(config: KafkaFilterConfig, metrics: KafkaMetrics, requests: RequestInterceptor[], responses: ResponseInterceptor[]): void {
  if (!config.acl.enabled) return;
  const state = new AclState(config.acl, metrics);
  requests.push(new AclRequests(state));
  responses.push(new AclResponses(state));
}
