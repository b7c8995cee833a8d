// Metrics. Each object defines its metric with the host on first use (not at
// module start, when no context is current) and keeps the id. Envoy files
// them under "wasmcustom." and strips that prefix in its outputs.
import { MetricType, WasmResult } from "./types";
import * as host from "./hostcalls";

// Envoy hands out a new id on every define, even for a known name, so ids are
// kept per VM: objects made per stream (e.g. per-topic) reuse them.
const definedIds = new Map<string, u32>();

function defineOnce(type: MetricType, name: string): i64 {
  const key = (<i32>type).toString() + ":" + name;
  if (definedIds.has(key)) return definedIds.get(key);
  const id = host.defineMetric(type, name);
  if (host.lastStatus() != WasmResult.Ok) return -1;
  definedIds.set(key, id);
  return id;
}

class Metric {
  readonly name: string;
  readonly type: MetricType;
  private id: u32 = 0;
  private defined: bool = false;

  constructor(type: MetricType, name: string) {
    this.type = type;
    this.name = name;
  }

  // The host id, defining the metric if needed; false if the host refused.
  protected resolve(): bool {
    if (!this.defined) {
      const id = defineOnce(this.type, this.name);
      if (id < 0) return false;
      this.id = <u32>id;
      this.defined = true;
    }
    return true;
  }

  protected metricId(): u32 {
    return this.id;
  }

  // Current value (0 if undefined or unknown to the host).
  value(): u64 {
    return this.resolve() ? host.getMetric(this.id) : 0;
  }
}

// Counters with increments not yet handed to Envoy (incrementLater).
const pendingCounters = new Array<Counter>();

// Hands every pending increment to Envoy, one host call per counter. A
// filter that uses incrementLater calls this on its root's tick.
export function flushCounters(): void {
  for (let i = 0; i < pendingCounters.length; i++) pendingCounters[i].flush();
  pendingCounters.length = 0;
}

export class Counter extends Metric {
  private pending: u64 = 0;

  constructor(name: string) {
    super(MetricType.Counter, name);
  }

  // Sums the delta in the module until flushCounters(): for counters bumped
  // per frame, where the host call (about a microsecond in Envoy's V8) costs
  // more than the frame's own work.
  incrementLater(delta: u64 = 1): void {
    if (delta == 0) return;
    if (this.pending == 0) pendingCounters.push(this);
    this.pending += delta;
  }

  flush(): void {
    const delta = this.pending;
    this.pending = 0;
    this.increment(delta);
  }

  // Envoy rejects non-positive deltas on counters; 0 is a no-op here.
  increment(delta: u64 = 1): WasmResult {
    if (delta == 0) return WasmResult.Ok;
    if (!this.resolve()) return host.lastStatus();
    const d = delta > <u64>i64.MAX_VALUE ? i64.MAX_VALUE : <i64>delta;
    return host.incrementMetric(this.metricId(), d);
  }
}

export class Gauge extends Metric {
  constructor(name: string) {
    super(MetricType.Gauge, name);
  }

  add(delta: i64): WasmResult {
    if (delta == 0) return WasmResult.Ok;
    if (!this.resolve()) return host.lastStatus();
    return host.incrementMetric(this.metricId(), delta);
  }

  set(value: u64): WasmResult {
    if (!this.resolve()) return host.lastStatus();
    return host.recordMetric(this.metricId(), value);
  }
}

export class Histogram extends Metric {
  constructor(name: string) {
    super(MetricType.Histogram, name);
  }

  record(value: u64): WasmResult {
    if (!this.resolve()) return host.lastStatus();
    return host.recordMetric(this.metricId(), value);
  }
}
