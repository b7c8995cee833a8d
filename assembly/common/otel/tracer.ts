// One per root context (per filter configuration per worker): starts spans
// under a sampling decision, takes ended ones for export, and drives the
// exporter from the root's tick and call responses.
//
//   // onConfigure
//   this.tracing = TracingConfig.read(reader, "mqmesh-kafka");
//   this.tracer = new Tracer(this.tracing, "mqmesh_kafka", "mqmesh.kafka");
//   this.setTickPeriod(min(metricsFlushMs, this.tracer.tickPeriodMs));
//   // per request
//   const span = tracer.startSpan("send orders", SpanKind.Producer, parentOrNull);
//   span.setString(MESSAGING_SYSTEM, "kafka");
//   if (tracing.injects(span.context)) ...inject span.context.toTraceparent()...
//   tracer.end(span);                       // on the response
//   // root: onTick -> tracer.onTick(); onHttpCallResponse -> tracer.onHttpCallResponse(...)
import { getCurrentTimeNanoseconds, getRandomBytes } from "../../proxy";
import { RandomSource, SplitMix64, TraceContext } from "../trace_context";
import { TracingConfig } from "./config";
import { OtlpExporter } from "./exporter";
import { encodeSpan } from "./otlp";
import { RatioSampler } from "./sampler";
import { Span, SpanKind } from "./span";

export const SCOPE_VERSION = "0.1.0";

// OpenTelemetry's own tracestate entry (sampling threshold, randomness).
export const OTEL_TRACESTATE_KEY = "ot";

// W3C Trace Context level 2 flag: the trace id's rightmost 7 bytes are
// random (ours are), so samplers downstream may rely on them.
export const FLAG_RANDOM_TRACE_ID: u8 = 2;
// A trace id's randomness as the ratio sampler reads it: its last 56 bits.
const RANDOMNESS_MASK: u64 = (1 << 56) - 1;

function nowNanos(): u64 {
  return getCurrentTimeNanoseconds();
}

// Seeds ids from the host's random source (WASI random_get), mixed with the
// clock so a failed read still gives distinct ids per worker.
function hostRandom(): SplitMix64 {
  const seed = Uint8Array.wrap(getRandomBytes(8));
  let s: u64 = 0;
  for (let i = 0; i < seed.length; i++) s = (s << 8) | <u64>seed[i];
  const rnd = new SplitMix64(s);
  rnd.mix(nowNanos());
  return rnd;
}

export class Tracer {
  readonly config: TracingConfig;
  readonly sampler: RatioSampler;
  // Null when no collector is configured: spans then never record.
  readonly exporter: OtlpExporter | null;
  private readonly random: RandomSource;

  constructor(config: TracingConfig, metricPrefix: string, scopeName: string, random: RandomSource | null = null) {
    this.config = config;
    this.sampler = new RatioSampler(config.sampling);
    const collector = config.collector;
    this.exporter = config.exporting && collector !== null
      ? new OtlpExporter(config, collector, metricPrefix, scopeName, SCOPE_VERSION)
      : null;
    this.random = random !== null ? random : hostRandom();
  }

  // The tick period the root should run at (at most) for timely exports; 0
  // when nothing is exported.
  get tickPeriodMs(): u32 {
    return this.exporter === null ? 0 : <u32>this.config.exportIntervalMs;
  }

  // A new span. With a parent (a context from the wire) it joins the
  // parent's trace and follows its sampled flag; without one it starts a
  // trace sampled by ratio. It records only when sampled and a collector
  // is configured; its context carries the decision either way.
  startSpan(name: string, kind: SpanKind, parent: TraceContext | null, startNanos: u64 = 0, parentRemote: bool = true): Span {
    let ctx: TraceContext;
    if (parent !== null) {
      ctx = parent.child(this.random);
    } else {
      ctx = TraceContext.newRoot(this.random, false);
      ctx.flags |= FLAG_RANDOM_TRACE_ID;
    }
    ctx.sampled = this.sampler.shouldSample(parent, ctx.traceId);
    if (parent === null && ctx.sampled) ctx.tracestate.set(OTEL_TRACESTATE_KEY, this.sampler.tracestateValue);
    return this.spanOf(name, kind, ctx, parent, parentRemote, startNanos);
  }

  // startSpan without a parent, but only when the ratio samples the new
  // trace; null otherwise. The trace id's randomness (its last 56 bits) is
  // drawn first, so a trace that is not sampled costs one random number
  // rather than ids, a context and a span: for callers that do nothing with
  // a span that is not sampled, on every request.
  startSampledRoot(name: string, kind: SpanKind, startNanos: u64 = 0): Span | null {
    const last = this.random.next();
    // 0 would make no valid id with an unlucky first word: not sampled (1 in 2^64).
    if (last == 0 || (last & RANDOMNESS_MASK) < this.sampler.threshold) return null;
    const ctx = TraceContext.newRootEndingWith(this.random, last, true);
    ctx.flags |= FLAG_RANDOM_TRACE_ID;
    ctx.tracestate.set(OTEL_TRACESTATE_KEY, this.sampler.tracestateValue);
    return this.spanOf(name, kind, ctx, null, true, startNanos);
  }

  private spanOf(name: string, kind: SpanKind, ctx: TraceContext, parent: TraceContext | null, parentRemote: bool, startNanos: u64): Span {
    const span = new Span(name, kind, ctx, parent !== null ? parent.spanId : "", parentRemote, startNanos != 0 ? startNanos : nowNanos());
    span.recording = ctx.sampled && this.exporter !== null;
    return span;
  }

  // Ends a span (now, unless given) and queues it for export if it records.
  end(span: Span, endNanos: u64 = 0): void {
    if (span.ended) return;
    span.endNanos = endNanos != 0 ? endNanos : nowNanos();
    if (span.endNanos < span.startNanos) span.endNanos = span.startNanos;
    const exporter = this.exporter;
    if (exporter !== null && span.recording) exporter.enqueue(encodeSpan(span));
  }

  // Whether a message under this span gets its context (inject mode).
  injects(span: Span): bool {
    return this.config.injects(span.context);
  }

  onTick(): void {
    const exporter = this.exporter;
    if (exporter !== null) exporter.onTick(<i64>(nowNanos() / 1000000));
  }

  // Forward the root's onHttpCallResponse here; false when not an export.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): bool {
    const exporter = this.exporter;
    return exporter !== null && exporter.onHttpCallResponse(token, numHeaders, bodySize, <i64>(nowNanos() / 1000000));
  }
}
