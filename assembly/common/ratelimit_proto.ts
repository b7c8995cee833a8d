// The messages of Envoy's rate limit service protocol
// (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit, the protocol
// envoyproxy/ratelimit serves), written and read with protobuf.ts. Only the
// fields a filter uses; field numbers from Envoy's rls.proto and
// ratelimit.proto:
//
//   RateLimitRequest        1 domain, 2 descriptors (repeated), 3 hits_addend (uint32)
//   RateLimitDescriptor     1 entries (repeated Entry: 1 key, 2 value)
//   RateLimitResponse       1 overall_code (UNKNOWN 0, OK 1, OVER_LIMIT 2),
//                           2 statuses (repeated DescriptorStatus),
//                           3 response_headers_to_add (repeated HeaderValue:
//                             1 key, 2 value, 3 raw_value)
//   DescriptorStatus        1 code, 2 current_limit (RateLimit: 1 requests_per_unit,
//                           2 unit, 3 name), 3 limit_remaining,
//                           4 duration_until_reset (Duration: 1 seconds, 2 nanos)
import { HeaderPair } from "../proxy";
import { ProtoReader, ProtoWriter, WireType } from "./protobuf";

export const RLS_SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
export const RLS_METHOD = "ShouldRateLimit";

export const enum RlsCode {
  Unknown = 0,
  Ok = 1,
  OverLimit = 2,
}

// RateLimitResponse.RateLimit.Unit
export const enum RlsUnit {
  Unknown = 0,
  Second = 1,
  Minute = 2,
  Hour = 3,
  Day = 4,
  Month = 5,
  Year = 6,
}

/** One descriptor: hierarchical key/value entries, e.g.
 *  [("rule", "orders"), ("principal", "spiffe://..."), ("topic", "orders.eu")]. */
export class Descriptor {
  keys: string[] = [];
  values: string[] = [];

  /** Envoy's schema requires non-empty keys and values: an entry with an
   *  empty one is left out. */
  add(key: string, value: string): Descriptor {
    if (key.length > 0 && value.length > 0) {
      this.keys.push(key);
      this.values.push(value);
    }
    return this;
  }
}

/** A RateLimitRequest. hits: how much the request adds (bytes, messages),
 *  at least 1 (0 would be left out, which the service reads as 1). */
export function encodeRateLimitRequest(domain: string, descriptors: Descriptor[], hits: u32): Uint8Array {
  const w = new ProtoWriter(64);
  w.string(1, domain, true);
  for (let i = 0; i < descriptors.length; i++) {
    const d = descriptors[i];
    const dw = new ProtoWriter(32);
    for (let k = 0; k < d.keys.length; k++) {
      const ew = new ProtoWriter(32);
      ew.string(1, d.keys[k], true);
      ew.string(2, d.values[k], true);
      dw.message(1, ew);
    }
    w.message(2, dw);
  }
  w.varint(3, <u64>hits);
  return w.toBytes();
}

export class DescriptorStatus {
  code: RlsCode = RlsCode.Unknown;
  // current_limit; requestsPerUnit 0 when the service sent none.
  requestsPerUnit: u32 = 0;
  unit: RlsUnit = RlsUnit.Unknown;
  limitName: string = "";
  limitRemaining: u32 = 0;
  // duration_until_reset in milliseconds (rounded up), -1 when absent.
  resetMs: i64 = -1;
}

export class RateLimitAnswer {
  overallCode: RlsCode = RlsCode.Unknown;
  statuses: DescriptorStatus[] = [];
  responseHeaders: HeaderPair[] = [];
}

/** A RateLimitResponse, or null when the bytes are not one. */
export function decodeRateLimitResponse(bytes: Uint8Array): RateLimitAnswer | null {
  const out = new RateLimitAnswer();
  const r = ProtoReader.of(bytes);
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Varint) out.overallCode = <RlsCode>r.int32();
    else if (r.field == 2 && r.wireType == WireType.Len) {
      const s = readStatus(r.message());
      if (s == null) return null;
      out.statuses.push(s);
    } else if (r.field == 3 && r.wireType == WireType.Len) {
      const h = readHeader(r.message());
      if (h == null) return null;
      out.responseHeaders.push(h);
    } else r.skip();
  }
  return r.ok ? out : null;
}

function readStatus(r: ProtoReader): DescriptorStatus | null {
  const s = new DescriptorStatus();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Varint) s.code = <RlsCode>r.int32();
    else if (r.field == 2 && r.wireType == WireType.Len) {
      const l = r.message();
      while (l.next()) {
        if (l.field == 1 && l.wireType == WireType.Varint) s.requestsPerUnit = <u32>l.uint64();
        else if (l.field == 2 && l.wireType == WireType.Varint) s.unit = <RlsUnit>l.int32();
        else if (l.field == 3 && l.wireType == WireType.Len) s.limitName = l.string();
        else l.skip();
      }
      if (!l.ok) return null;
    } else if (r.field == 3 && r.wireType == WireType.Varint) s.limitRemaining = <u32>r.uint64();
    else if (r.field == 4 && r.wireType == WireType.Len) {
      const d = r.message();
      let seconds: i64 = 0;
      let nanos: i64 = 0;
      while (d.next()) {
        if (d.field == 1 && d.wireType == WireType.Varint) seconds = d.int64();
        else if (d.field == 2 && d.wireType == WireType.Varint) nanos = <i64>d.int32();
        else d.skip();
      }
      if (!d.ok) return null;
      // A Duration is at most 315,576,000,000 s; beyond that it is not one.
      if (seconds < 0 || seconds > 315_576_000_000 || nanos < 0 || nanos > 999_999_999) return null;
      s.resetMs = seconds * 1000 + (nanos + 999_999) / 1_000_000;
    } else r.skip();
  }
  return r.ok ? s : null;
}

function readHeader(r: ProtoReader): HeaderPair | null {
  let key = "";
  let value = "";
  let raw: string | null = null;
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) key = r.string();
    else if (r.field == 2 && r.wireType == WireType.Len) value = r.string();
    else if (r.field == 3 && r.wireType == WireType.Len) raw = r.string();
    else r.skip();
  }
  if (!r.ok) return null;
  return new HeaderPair(key, raw != null && value.length == 0 ? raw : value);
}
