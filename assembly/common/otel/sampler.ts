// Which traces the proxy records: OpenTelemetry's ParentBased sampler around
// a ratio sampler on the trace id.
//
// With a parent context (a traceparent from the client or a record), the
// parent's sampled flag decides, so the proxy's spans join exactly the
// traces the application records. Without one the proxy starts the trace
// and decides by ratio the way the OTel specification's ProbabilitySampler
// does (the successor of TraceIdRatioBased): the randomness R is the trace
// id's trailing 56 bits, the rejection threshold T = (1 - ratio) * 2^56, and
// the trace is sampled when R >= T. The decision is a pure function of the
// trace id, and a trace sampled at one ratio is sampled at every higher one.
// A trace sampled here carries the threshold on in tracestate (ot=th:...),
// as the specification asks, so consistent samplers downstream know it.
import { TraceContext } from "../trace_context";

const TWO_POW_56: u64 = 1 << 56;

function hexValue(c: i32): u64 {
  if (c >= 0x30 && c <= 0x39) return <u64>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <u64>(c - 0x57);
  if (c >= 0x41 && c <= 0x46) return <u64>(c - 0x37);
  return 0;
}

// The trailing 56 bits (14 hex digits) of a 32-digit trace id.
export function traceRandomness(traceId: string): u64 {
  let r: u64 = 0;
  const n = traceId.length;
  for (let i = n < 14 ? 0 : n - 14; i < n; i++) r = (r << 4) | hexValue(traceId.charCodeAt(i));
  return r;
}

// The rejection threshold of a ratio in [0, 1]: 2^56 (never) for 0, 0
// (always) for 1, rounded to the nearest integer in between.
export function rejectionThreshold(ratio: f64): u64 {
  if (!(ratio > 0)) return TWO_POW_56;
  if (ratio >= 1) return 0;
  const t = Math.round((1 - ratio) * <f64>TWO_POW_56);
  return t >= <f64>TWO_POW_56 ? TWO_POW_56 : <u64>t;
}

const HEX = "0123456789abcdef";

// The OpenTelemetry tracestate `th` value of a threshold: 14 hex digits
// with trailing zeros removed, "0" for sampling everything; "" for 2^56,
// which samples nothing and so is never written.
export function thresholdValue(t: u64): string {
  if (t == 0) return "0";
  if (t >= TWO_POW_56) return "";
  let s = "";
  for (let shift = 52; shift >= 0; shift -= 4) s += HEX.charAt(<i32>((t >> <u64>shift) & 15));
  let end = s.length;
  while (end > 1 && s.charCodeAt(end - 1) == 0x30) end--;
  return s.substring(0, end);
}

export class RatioSampler {
  readonly threshold: u64;

  // "th:<threshold>", for the `ot` tracestate entry of traces sampled here.
  readonly tracestateValue: string;

  constructor(readonly ratio: f64) {
    const threshold = rejectionThreshold(ratio);
    this.threshold = threshold;
    this.tracestateValue = "th:" + thresholdValue(threshold);
  }

  // The decision for a trace that starts here.
  samplesTraceId(traceId: string): bool {
    return traceRandomness(traceId) >= this.threshold;
  }

  // ParentBased: a parent's flag wins; a new trace is decided by its id.
  shouldSample(parent: TraceContext | null, traceId: string): bool {
    if (parent !== null) return parent.sampled;
    return this.samplesTraceId(traceId);
  }
}
