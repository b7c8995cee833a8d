// throttle_time_ms in Kafka responses (KIP-219): where it is, and raising
// it to the filter's throttle. A quota's answer to a client over its limit
// is the larger of the broker's throttle and its own, in the response the
// client reads it from.
//
// In almost every response that has the field, it is the first field of the
// body, right after the response header: it is patched there in place,
// without decoding the body (a fetch response may be megabytes). The few
// where it comes later (Produce, ApiVersions, the delegation token APIs,
// OffsetDelete) are small: they are decoded, changed and encoded again.
import { BytesReader } from "../../assembly/common/bytes_reader";
import { ApiKey, firstFlexibleVersion } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { ApiVersionsResponse } from "../../assembly/kafka/api/api_versions";
import { CreateDelegationTokenResponse } from "../../assembly/kafka/api/create_delegation_token";
import { DescribeDelegationTokenResponse } from "../../assembly/kafka/api/describe_delegation_token";
import { ExpireDelegationTokenResponse } from "../../assembly/kafka/api/expire_delegation_token";
import { OffsetDeleteResponse } from "../../assembly/kafka/api/offset_delete";
import { ProduceResponse } from "../../assembly/kafka/api/produce";
import { RenewDelegationTokenResponse } from "../../assembly/kafka/api/renew_delegation_token";
import { KafkaMessage } from "../../assembly/kafka/message";
import { KafkaResponse } from "./exchange";

// The first version whose response starts with throttle_time_ms, by API
// key (from the protocol's message definitions); absent: it is not first
// (or not there). Versions below the codec's (hasCodec) are never patched.
function throttleFirstSince(api: i32): i16 {
  switch (api) {
    case ApiKey.ListOffsets:
    case ApiKey.JoinGroup:
      return 2;
    case ApiKey.Metadata:
    case ApiKey.OffsetCommit:
    case ApiKey.OffsetFetch:
      return 3;
    case ApiKey.FindCoordinator:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
    case ApiKey.SyncGroup:
    case ApiKey.DescribeGroups:
    case ApiKey.ListGroups:
      return 1;
    case ApiKey.Produce:
    case ApiKey.ApiVersions:
    case ApiKey.CreateDelegationToken:
    case ApiKey.RenewDelegationToken:
    case ApiKey.ExpireDelegationToken:
    case ApiKey.DescribeDelegationToken:
    case ApiKey.OffsetDelete:
      return -1;
  }
  // Every other response the codec knows that has the field has it first
  // in all its versions.
  return hasFirstThrottle(api) ? 0 : -1;
}

// Responses of these APIs have no throttle_time_ms at all (of those the
// codec knows; hasCodec rules out the rest).
function hasFirstThrottle(api: i32): bool {
  switch (api) {
    case ApiKey.SaslHandshake:
    case ApiKey.SaslAuthenticate:
    case ApiKey.WriteTxnMarkers:
    case ApiKey.DescribeQuorum:
    case ApiKey.InitializeShareGroupState:
    case ApiKey.ReadShareGroupState:
    case ApiKey.WriteShareGroupState:
    case ApiKey.DeleteShareGroupState:
    case ApiKey.ReadShareGroupStateSummary:
      return false;
  }
  return true;
}

// Where throttle_time_ms is in a response frame (after the size prefix) of
// this API and version when it is the first field; -1 when it is not, or
// the header cannot be read.
function firstThrottleOffset(api: i32, v: i16, frame: Uint8Array): i32 {
  const since = throttleFirstSince(api);
  if (since < 0 || v < since || !hasCodec(api, v)) return -1;
  const r = new BytesReader(frame);
  r.skip(4); // correlation id
  // ApiVersions aside (not here), flexible versions have a header tag section.
  const flexible = firstFlexibleVersion(api) >= 0 && v >= firstFlexibleVersion(api);
  if (flexible) {
    const tags = r.uvarint();
    for (let i: u32 = 0; i < tags && r.ok; i++) {
      r.uvarint();
      r.skip(<i32>r.uvarint());
    }
  }
  if (!r.ok || r.remaining < 4) return -1;
  return frame.length - r.remaining;
}

/** Whether a response of this API and version carries throttle_time_ms the filter can raise. */
export function hasThrottleTime(api: i32, v: i16): bool {
  if (!hasCodec(api, v)) return false;
  const since = throttleFirstSince(api);
  if (since >= 0) return v >= since;
  switch (api) {
    case ApiKey.Produce:
    case ApiKey.CreateDelegationToken:
    case ApiKey.RenewDelegationToken:
    case ApiKey.ExpireDelegationToken:
    case ApiKey.DescribeDelegationToken:
    case ApiKey.OffsetDelete:
      return true;
    case ApiKey.ApiVersions:
      return v >= 1;
  }
  return false;
}

/**
 * Raises the response's throttle_time_ms to `ms` if the broker's is lower.
 * Returns the throttle the client is told (the larger of the two), or -1
 * when the response carries none the filter can read.
 */
export function raiseThrottleTime(response: KafkaResponse, ms: i32): i32 {
  const api = <i32>response.apiKey;
  const v = response.apiVersion;
  if (!hasThrottleTime(api, v)) return -1;
  const bytes = response.bytes;
  const at = firstThrottleOffset(api, v, bytes);
  if (at >= 0) {
    const broker = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at);
    if (broker >= ms) return broker;
    // The frame again, size prefix first, with the field raised.
    const frame = new Uint8Array(bytes.length + 4);
    frame.set(bytes, 4);
    const view = new DataView(frame.buffer);
    view.setInt32(0, bytes.length);
    view.setInt32(4 + at, ms);
    response.replace(frame);
    return ms;
  }
  const message = response.message;
  if (message == null) return -1;
  const broker = throttleOf(message!);
  if (broker >= ms) return broker;
  setThrottle(message!, ms);
  response.markChanged();
  return ms;
}

// The decoded responses whose throttle_time_ms is not their first field.
function throttleOf(m: KafkaMessage): i32 {
  switch (<i32>m.apiKey) {
    case ApiKey.Produce: return (m as ProduceResponse).throttleTimeMs;
    case ApiKey.ApiVersions: return (m as ApiVersionsResponse).throttleTimeMs;
    case ApiKey.CreateDelegationToken: return (m as CreateDelegationTokenResponse).throttleTimeMs;
    case ApiKey.RenewDelegationToken: return (m as RenewDelegationTokenResponse).throttleTimeMs;
    case ApiKey.ExpireDelegationToken: return (m as ExpireDelegationTokenResponse).throttleTimeMs;
    case ApiKey.DescribeDelegationToken: return (m as DescribeDelegationTokenResponse).throttleTimeMs;
    case ApiKey.OffsetDelete: return (m as OffsetDeleteResponse).throttleTimeMs;
  }
  return i32.MAX_VALUE;
}

function setThrottle(m: KafkaMessage, ms: i32): void {
  switch (<i32>m.apiKey) {
    case ApiKey.Produce: (m as ProduceResponse).throttleTimeMs = ms; break;
    case ApiKey.ApiVersions: (m as ApiVersionsResponse).throttleTimeMs = ms; break;
    case ApiKey.CreateDelegationToken: (m as CreateDelegationTokenResponse).throttleTimeMs = ms; break;
    case ApiKey.RenewDelegationToken: (m as RenewDelegationTokenResponse).throttleTimeMs = ms; break;
    case ApiKey.ExpireDelegationToken: (m as ExpireDelegationTokenResponse).throttleTimeMs = ms; break;
    case ApiKey.DescribeDelegationToken: (m as DescribeDelegationTokenResponse).throttleTimeMs = ms; break;
    case ApiKey.OffsetDelete: (m as OffsetDeleteResponse).throttleTimeMs = ms; break;
  }
}
