// Sends ended spans to an OpenTelemetry collector over OTLP/HTTP (protobuf),
// with proxy_http_call from the root context, batched on the root's tick.
//
// It never holds up traffic: spans wait in a bounded queue of encoded
// bytes; a full queue drops the newest span (as the OTel SDK's batch
// processor does), counted. At most one export is in flight per worker, so
// a collector that is down or slow costs one pending call; Envoy ends that
// call after collector.timeoutMs, and the batch it carried is dropped,
// counted. Metrics (prefix = the filter's, e.g. mqmesh_kafka):
//   <prefix>_trace_spans_exported_total
//   <prefix>_trace_spans_dropped_total;reason=queue_full|export_failed|rejected
//   <prefix>_trace_exports_total;result=ok|http_error|unavailable|refused
import { CounterFamily } from "../labelled_metrics";
import { Counter, HeaderPair, WasmResult, httpCall, httpCallResponseBody, httpCallResponseHeaders, log } from "../../proxy";
import { CollectorConfig, TracingConfig } from "./config";
import { encodeExportRequest, encodeResource, encodeScope, rejectedSpans } from "./otlp";

// Encoded spans waiting for export, oldest first, at most `capacity`.
export class SpanQueue {
  private items: Uint8Array[] = [];

  constructor(readonly capacity: i32) {}

  get length(): i32 {
    return this.items.length;
  }

  // False (the span is not kept) when full.
  push(span: Uint8Array): bool {
    if (this.items.length >= this.capacity) return false;
    this.items.push(span);
    return true;
  }

  // Removes and returns up to `max` of the oldest spans.
  take(max: i32): Uint8Array[] {
    const n = min(max, this.items.length);
    return this.items.splice(0, n);
  }
}

export class OtlpExporter {
  readonly queue: SpanQueue;
  private readonly collector: CollectorConfig;
  private readonly resource: Uint8Array;
  private readonly scope: Uint8Array;
  private readonly maxBatch: i32;
  private readonly intervalMs: i64;
  private readonly exported: Counter;
  private readonly dropped: CounterFamily;
  private readonly exports: CounterFamily;
  // Queue drops happen per span on the traffic path: summed here, handed
  // to Envoy on the tick.
  private droppedFull: u64 = 0;
  private calling: bool = false;
  private inFlightToken: u32 = 0;
  private inFlightSpans: i32 = 0;
  private lastExportMs: i64 = 0;
  // The last export's result: failures are logged when it changes, not on
  // every tick of a collector that stays down.
  private lastResult: string = "ok";

  constructor(config: TracingConfig, collector: CollectorConfig, metricPrefix: string, scopeName: string, scopeVersion: string) {
    this.collector = collector;
    this.queue = new SpanQueue(config.maxQueueSpans);
    this.maxBatch = config.maxBatchSpans;
    this.intervalMs = config.exportIntervalMs;
    this.resource = encodeResource(config.serviceName, config.resourceKeys, config.resourceValues);
    this.scope = encodeScope(scopeName, scopeVersion);
    this.exported = new Counter(metricPrefix + "_trace_spans_exported_total");
    this.dropped = new CounterFamily(metricPrefix + "_trace_spans_dropped_total", ["reason"]);
    this.exports = new CounterFamily(metricPrefix + "_trace_exports_total", ["result"]);
  }

  get inFlight(): bool {
    return this.calling;
  }

  enqueue(span: Uint8Array): void {
    if (!this.queue.push(span)) this.droppedFull++;
  }

  // Called on the root's tick: exports a batch when one is full or the
  // interval has passed, unless an export is still in flight.
  onTick(nowMs: i64): void {
    if (this.droppedFull > 0) {
      this.dropped.with1("queue_full").increment(this.droppedFull);
      this.droppedFull = 0;
    }
    // Envoy answers every call, at the latest when its timeout fires.
    if (this.inFlight || this.queue.length == 0) return;
    if (this.queue.length >= this.maxBatch || nowMs - this.lastExportMs >= this.intervalMs) this.exportBatch(nowMs);
  }

  // The root context's onHttpCallResponse; false when the call is not ours.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, nowMs: i64): bool {
    if (!this.calling || token != this.inFlightToken) return false;
    if (numHeaders == 0) {
      this.fail("unavailable", "no answer (reset, timeout or no healthy host)");
      return true;
    }
    const status = httpCallResponseHeaders.get(":status");
    if (status === null || status.length != 3 || status.charCodeAt(0) != 0x32) {
      this.fail("http_error", "answered " + (status === null ? "without a status" : status));
      return true;
    }
    const sent = this.inFlightSpans;
    const body = bodySize > 0 ? httpCallResponseBody.get(0, bodySize) : null;
    let rejected: i64 = body === null ? 0 : rejectedSpans(Uint8Array.wrap(body));
    if (rejected < 0 || rejected > <i64>sent) rejected = 0; // unreadable: count all as exported
    this.settle();
    this.count("ok", "");
    this.exported.increment(<u64>(<i64>sent - rejected));
    if (rejected > 0) this.dropped.with1("rejected").increment(<u64>rejected);
    // Spans kept coming while the call was out: send the next full batch now.
    if (this.queue.length >= this.maxBatch) this.exportBatch(nowMs);
    return true;
  }

  private exportBatch(nowMs: i64): void {
    const spans = this.queue.take(this.maxBatch);
    const body = encodeExportRequest(this.resource, this.scope, spans);
    const headers = [
      new HeaderPair(":method", "POST"),
      new HeaderPair(":path", this.collector.path),
      new HeaderPair(":authority", this.collector.authority),
      new HeaderPair("content-type", "application/x-protobuf"),
    ];
    this.lastExportMs = nowMs;
    const call = httpCall(this.collector.cluster, headers, body.buffer, [], <u32>this.collector.timeoutMs);
    if (call.status != WasmResult.Ok) {
      // An unknown cluster: a configuration mistake that every tick repeats.
      this.count("refused", "cluster " + this.collector.cluster + " refused the call");
      this.dropped.with1("export_failed").increment(<u64>spans.length);
      return;
    }
    this.calling = true;
    this.inFlightToken = call.token;
    this.inFlightSpans = spans.length;
  }

  private fail(result: string, why: string): void {
    this.count(result, why);
    this.dropped.with1("export_failed").increment(<u64>this.inFlightSpans);
    this.settle();
  }

  private count(result: string, why: string): void {
    this.exports.with1(result).increment();
    if (result != this.lastResult && why.length > 0) log.warn("tracing: span export failed: collector " + why);
    this.lastResult = result;
  }

  private settle(): void {
    this.calling = false;
    this.inFlightSpans = 0;
  }
}
