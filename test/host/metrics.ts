// Envoy's store for metrics a Wasm module defines (proxy_define_metric).
// Mirrors Envoy's rules: the metric id carries its type in the low two bits
// (counter 0, gauge 1, histogram 2, ids advance by 4); defining the same
// name and type again returns the same id; counters only grow (an
// increment <= 0 is BAD_ARGUMENT); gauges accumulate; histograms only
// record; proxy_get_metric on a histogram is BAD_ARGUMENT; an id never
// handed out is NOT_FOUND.

import { MetricType, Status, metricTypeNames, type MetricKind } from "./abi.ts";
import { Fail } from "./errors.ts";

interface Metric {
  id: number;
  kind: MetricKind;
  name: string;
  value: bigint; // counters and gauges
  recorded: bigint[]; // histograms
}

export class MetricStore {
  private readonly byId = new Map<number, Metric>();
  private readonly byName = new Map<string, Metric>();
  private readonly next = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram] as number[];

  define(type: number, name: string): number {
    if (type > MetricType.Histogram) throw new Fail(Status.BadArgument, `metric type ${type} is not counter(0), gauge(1) or histogram(2)`);
    const kind = metricTypeNames[type];
    const existing = this.byName.get(`${kind}:${name}`);
    if (existing) return existing.id;
    const id = (this.next[type] += 4);
    const metric: Metric = { id, kind, name, value: 0n, recorded: [] };
    this.byId.set(id, metric);
    this.byName.set(`${kind}:${name}`, metric);
    return id;
  }

  private find(id: number): Metric {
    const metric = this.byId.get(id >>> 0);
    if (!metric) {
      const known = [...this.byId.values()].map((m) => `${m.id}=${m.name}`).join(", ") || "none";
      throw new Fail(Status.NotFound, `unknown metric id ${id >>> 0} (defined: ${known})`);
    }
    return metric;
  }

  increment(id: number, delta: bigint): void {
    const m = this.find(id);
    if (m.kind === "histogram") throw new Fail(Status.BadArgument, `histogram ${m.name} cannot be incremented, only recorded`);
    if (m.kind === "counter") {
      if (delta <= 0n) throw new Fail(Status.BadArgument, `counter ${m.name} incremented by ${delta}: Envoy counters only grow`);
      m.value += delta;
      return;
    }
    if (m.value + delta < 0n) throw new Fail(Status.Ok, `gauge ${m.name} would go below zero (${m.value} + ${delta}); Envoy's gauges are unsigned`);
    m.value += delta;
  }

  record(id: number, value: bigint): void {
    const m = this.find(id);
    if (m.kind === "counter") m.value += value; // Envoy adds the value to a counter
    else if (m.kind === "gauge") m.value = value;
    else m.recorded.push(value);
  }

  get(id: number): bigint {
    const m = this.find(id);
    if (m.kind === "histogram") throw new Fail(Status.BadArgument, `histogram ${m.name} has no single value to get`);
    return m.value;
  }

  // Test-side lookups by name. An unknown name throws: a typo must not read as 0.
  lookup(kind: MetricKind, name: string): Metric {
    const m = this.byName.get(`${kind}:${name}`);
    if (!m) {
      const known = [...this.byName.values()].filter((x) => x.kind === kind).map((x) => x.name);
      throw new Error(`no ${kind} named "${name}" was defined by the module (${kind}s: ${known.join(", ") || "none"})`);
    }
    return m;
  }

  has(kind: MetricKind, name: string): boolean {
    return this.byName.has(`${kind}:${name}`);
  }
}
