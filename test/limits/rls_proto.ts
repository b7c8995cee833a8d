// Envoy's rate limit service messages for tests, decoded and encoded by
// protobufjs from a schema written here with the field numbers of Envoy's
// rls.proto and ratelimit.proto, independently of the module's hand-written
// codec (assembly/common/ratelimit_proto.ts).
import protobuf from "protobufjs";

const SCHEMA = `
syntax = "proto3";
package rls;
message Entry { string key = 1; string value = 2; }
message RateLimitDescriptor { repeated Entry entries = 1; }
message RateLimitRequest { string domain = 1; repeated RateLimitDescriptor descriptors = 2; uint32 hits_addend = 3; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message RateLimit { uint32 requests_per_unit = 1; int32 unit = 2; string name = 3; }
message DescriptorStatus { int32 code = 1; RateLimit current_limit = 2; uint32 limit_remaining = 3; Duration duration_until_reset = 4; }
message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
message RateLimitResponse {
  int32 overall_code = 1; repeated DescriptorStatus statuses = 2;
  repeated HeaderValue response_headers_to_add = 3; repeated HeaderValue request_headers_to_add = 4; bytes raw_body = 5;
}`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
export const RateLimitRequest = root.lookupType("rls.RateLimitRequest");
export const RateLimitResponse = root.lookupType("rls.RateLimitResponse");

// RateLimitResponse.Code and RateLimit.Unit values.
export const RlsCode = { UNKNOWN: 0, OK: 1, OVER_LIMIT: 2 };
export const RLS_SECOND = 1;

/** A RateLimitRequest as a plain object (defaults filled in, longs as numbers). */
export const decodeRlsRequest = (m: Uint8Array) => RateLimitRequest.toObject(RateLimitRequest.decode(m), { defaults: true, longs: Number }) as any;
/** A RateLimitResponse from a plain object. */
export const encodeRlsResponse = (o: object) => RateLimitResponse.encode(RateLimitResponse.fromObject(o)).finish();
