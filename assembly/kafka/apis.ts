// Which APIs this codec decodes, the versions of each (those a Kafka 4.x
// broker accepts, from "validVersions" of the message JSON), and whole-frame
// decode/encode: size prefix, header (version chosen per API/version) and body.
// A frame of another API or version is not an error of the stream: the
// filter passes it through untouched (body == null, error == null).
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { ApiKey } from "./api_keys";
import { RequestHeader, ResponseHeader, requestHeaderVersion, responseHeaderVersion } from "./header";
import { KafkaMessage } from "./message";
import { ApiVersionsRequest, ApiVersionsResponse } from "./api/api_versions";
import { MetadataRequest, MetadataResponse } from "./api/metadata";
import { ProduceRequest, ProduceResponse } from "./api/produce";
import { FetchRequest, FetchResponse } from "./api/fetch";
import { FindCoordinatorRequest, FindCoordinatorResponse } from "./api/find_coordinator";
import { DescribeClusterRequest, DescribeClusterResponse } from "./api/describe_cluster";
import { ListOffsetsRequest, ListOffsetsResponse } from "./api/list_offsets";
import { OffsetCommitRequest, OffsetCommitResponse } from "./api/offset_commit";
import { OffsetFetchRequest, OffsetFetchResponse } from "./api/offset_fetch";
import { JoinGroupRequest, JoinGroupResponse } from "./api/join_group";
import { HeartbeatRequest, HeartbeatResponse } from "./api/heartbeat";
import { LeaveGroupRequest, LeaveGroupResponse } from "./api/leave_group";
import { SyncGroupRequest, SyncGroupResponse } from "./api/sync_group";
import { DescribeGroupsRequest, DescribeGroupsResponse } from "./api/describe_groups";
import { CreateTopicsRequest, CreateTopicsResponse } from "./api/create_topics";
import { DeleteTopicsRequest, DeleteTopicsResponse } from "./api/delete_topics";
import { InitProducerIdRequest, InitProducerIdResponse } from "./api/init_producer_id";
import { DescribeConfigsRequest, DescribeConfigsResponse } from "./api/describe_configs";

// Lowest request/response version with a codec here, or -1 (API not covered).
// Produce 0-2 are listed by 4.x brokers in ApiVersions (KAFKA-18659) but
// rejected, so they are not decoded.
export function minCodecVersion(key: i32): i16 {
  switch (key) {
    case ApiKey.ApiVersions: return 0;
    case ApiKey.Metadata: return 0;
    case ApiKey.Produce: return 3;
    case ApiKey.Fetch: return 4;
    case ApiKey.FindCoordinator: return 0;
    case ApiKey.DescribeCluster: return 0;
    case ApiKey.ListOffsets: return 1;
    case ApiKey.OffsetCommit: return 2;
    case ApiKey.OffsetFetch: return 1;
    case ApiKey.JoinGroup: return 0;
    case ApiKey.Heartbeat: return 0;
    case ApiKey.LeaveGroup: return 0;
    case ApiKey.SyncGroup: return 0;
    case ApiKey.DescribeGroups: return 0;
    case ApiKey.CreateTopics: return 2;
    case ApiKey.DeleteTopics: return 1;
    case ApiKey.InitProducerId: return 0;
    case ApiKey.DescribeConfigs: return 1;
  }
  return -1;
}

// Highest version with a codec here, or -1.
export function maxCodecVersion(key: i32): i16 {
  switch (key) {
    case ApiKey.ApiVersions: return 4;
    case ApiKey.Metadata: return 13;
    case ApiKey.Produce: return 13;
    case ApiKey.Fetch: return 18;
    case ApiKey.FindCoordinator: return 6;
    case ApiKey.DescribeCluster: return 2;
    case ApiKey.ListOffsets: return 11;
    case ApiKey.OffsetCommit: return 10;
    case ApiKey.OffsetFetch: return 10;
    case ApiKey.JoinGroup: return 9;
    case ApiKey.Heartbeat: return 4;
    case ApiKey.LeaveGroup: return 5;
    case ApiKey.SyncGroup: return 5;
    case ApiKey.DescribeGroups: return 6;
    case ApiKey.CreateTopics: return 7;
    case ApiKey.DeleteTopics: return 6;
    case ApiKey.InitProducerId: return 6;
    case ApiKey.DescribeConfigs: return 4;
  }
  return -1;
}

export function hasCodec(key: i32, version: i16): bool {
  const lo = minCodecVersion(key);
  return lo >= 0 && version >= lo && version <= maxCodecVersion(key);
}

// A new empty request body of the API, or null when not covered.
export function newRequest(key: i32): KafkaMessage | null {
  switch (key) {
    case ApiKey.ApiVersions: return new ApiVersionsRequest();
    case ApiKey.Metadata: return new MetadataRequest();
    case ApiKey.Produce: return new ProduceRequest();
    case ApiKey.Fetch: return new FetchRequest();
    case ApiKey.FindCoordinator: return new FindCoordinatorRequest();
    case ApiKey.DescribeCluster: return new DescribeClusterRequest();
    case ApiKey.ListOffsets: return new ListOffsetsRequest();
    case ApiKey.OffsetCommit: return new OffsetCommitRequest();
    case ApiKey.OffsetFetch: return new OffsetFetchRequest();
    case ApiKey.JoinGroup: return new JoinGroupRequest();
    case ApiKey.Heartbeat: return new HeartbeatRequest();
    case ApiKey.LeaveGroup: return new LeaveGroupRequest();
    case ApiKey.SyncGroup: return new SyncGroupRequest();
    case ApiKey.DescribeGroups: return new DescribeGroupsRequest();
    case ApiKey.CreateTopics: return new CreateTopicsRequest();
    case ApiKey.DeleteTopics: return new DeleteTopicsRequest();
    case ApiKey.InitProducerId: return new InitProducerIdRequest();
    case ApiKey.DescribeConfigs: return new DescribeConfigsRequest();
  }
  return null;
}

export function newResponse(key: i32): KafkaMessage | null {
  switch (key) {
    case ApiKey.ApiVersions: return new ApiVersionsResponse();
    case ApiKey.Metadata: return new MetadataResponse();
    case ApiKey.Produce: return new ProduceResponse();
    case ApiKey.Fetch: return new FetchResponse();
    case ApiKey.FindCoordinator: return new FindCoordinatorResponse();
    case ApiKey.DescribeCluster: return new DescribeClusterResponse();
    case ApiKey.ListOffsets: return new ListOffsetsResponse();
    case ApiKey.OffsetCommit: return new OffsetCommitResponse();
    case ApiKey.OffsetFetch: return new OffsetFetchResponse();
    case ApiKey.JoinGroup: return new JoinGroupResponse();
    case ApiKey.Heartbeat: return new HeartbeatResponse();
    case ApiKey.LeaveGroup: return new LeaveGroupResponse();
    case ApiKey.SyncGroup: return new SyncGroupResponse();
    case ApiKey.DescribeGroups: return new DescribeGroupsResponse();
    case ApiKey.CreateTopics: return new CreateTopicsResponse();
    case ApiKey.DeleteTopics: return new DeleteTopicsResponse();
    case ApiKey.InitProducerId: return new InitProducerIdResponse();
    case ApiKey.DescribeConfigs: return new DescribeConfigsResponse();
  }
  return null;
}

export class DecodedRequest {
  header: RequestHeader = new RequestHeader();
  // null when the API/version has no codec or decoding failed
  body: KafkaMessage | null = null;
  // why the frame is invalid; null when it decoded (or was not attempted)
  error: string | null = null;
}

// Decodes one whole request frame (int32 size prefix included). The frame
// must be complete (see frameStatus) and its body consumed exactly.
export function decodeRequest(frame: Uint8Array): DecodedRequest {
  const r = new BytesReader(frame);
  const size = r.i32();
  if (!r.ok || size < 0 || size != r.remaining) {
    const out = new DecodedRequest();
    out.error = "bad frame size";
    return out;
  }
  return decodeRequestFrom(r);
}

// The same for a frame body without its size prefix, as a filter's frame
// stream hands it over: no copy just to put the prefix back.
export function decodeRequestBody(body: Uint8Array): DecodedRequest {
  return decodeRequestFrom(new BytesReader(body));
}

function decodeRequestFrom(r: BytesReader): DecodedRequest {
  const out = new DecodedRequest();
  out.header.decode(r);
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  const key = out.header.apiKey;
  const version = out.header.apiVersion;
  if (!hasCodec(key, version)) return out;
  const body = newRequest(key)!;
  body.decode(r, version);
  if (r.ok && r.remaining != 0) r.fail("trailing bytes");
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  out.body = body;
  return out;
}

// Encodes header + body with the size prefix.
export function encodeRequest(header: RequestHeader, body: KafkaMessage): Uint8Array {
  const w = new BytesWriter(256);
  w.i32(0);
  header.encode(w, requestHeaderVersion(header.apiKey, header.apiVersion));
  body.encode(w, header.apiVersion);
  w.setI32At(0, w.length - 4);
  return w.toBytes();
}

export class DecodedResponse {
  header: ResponseHeader = new ResponseHeader();
  body: KafkaMessage | null = null;
  error: string | null = null;
}

// Decodes a whole response frame; the API and version come from the request
// with the same correlation id (responses do not carry them).
export function decodeResponse(apiKey: i16, apiVersion: i16, frame: Uint8Array): DecodedResponse {
  const r = new BytesReader(frame);
  const size = r.i32();
  if (!r.ok || size < 0 || size != r.remaining) {
    const out = new DecodedResponse();
    out.error = "bad frame size";
    return out;
  }
  return decodeResponseFrom(apiKey, apiVersion, r);
}

// The same for a frame body without its size prefix.
export function decodeResponseBody(apiKey: i16, apiVersion: i16, body: Uint8Array): DecodedResponse {
  return decodeResponseFrom(apiKey, apiVersion, new BytesReader(body));
}

function decodeResponseFrom(apiKey: i16, apiVersion: i16, r: BytesReader): DecodedResponse {
  const out = new DecodedResponse();
  const hv = responseHeaderVersion(apiKey, apiVersion);
  out.header.decode(r, hv < 0 ? 0 : hv);
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  if (!hasCodec(apiKey, apiVersion)) return out;
  const body = newResponse(apiKey)!;
  body.decode(r, apiVersion);
  if (r.ok && r.remaining != 0) r.fail("trailing bytes");
  if (!r.ok) {
    out.error = r.error;
    return out;
  }
  out.body = body;
  return out;
}

export function encodeResponse(apiKey: i16, apiVersion: i16, header: ResponseHeader, body: KafkaMessage): Uint8Array {
  const w = new BytesWriter(256);
  w.i32(0);
  const hv = responseHeaderVersion(apiKey, apiVersion);
  header.encode(w, hv < 0 ? 0 : hv);
  body.encode(w, apiVersion);
  w.setI32At(0, w.length - 4);
  return w.toBytes();
}
