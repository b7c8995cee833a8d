// Metric families with labels, in the naming convention of
// envoy-configs/stats-tags.yaml: the labels travel in the metric name as
// `name;label=value;label=value`, and Envoy's stats_tags cut them out into
// Prometheus labels. Objects are cached per label set, so the hot path is one
// map lookup, and the host defines each metric once.
import { Counter, Histogram } from "../proxy";

export const OTHER_LABEL_VALUE = "__other__";

// Caps the distinct values of one label (a topic, a client id): a client
// that invents names must not grow Envoy's stats without bound. The first
// `max` values are kept, later ones are reported as __other__. The cap holds
// per Wasm VM, that is per Envoy worker.
export class LabelCap {
  private admitted: Set<string> = new Set<string>();

  constructor(readonly max: i32) {}

  resolve(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.max) return OTHER_LABEL_VALUE;
    this.admitted.add(value);
    return value;
  }
}

// A label value may not contain the separators of the convention.
export function labelValue(value: string): string {
  if (value.indexOf(";") < 0 && value.indexOf("=") < 0) return value.length == 0 ? "_" : value;
  return value.replaceAll(";", "_").replaceAll("=", "_");
}

function metricName(base: string, labels: string[], values: string[]): string {
  let name = base;
  for (let i = 0; i < labels.length; i++) name += ";" + labels[i] + "=" + labelValue(values[i]);
  return name;
}

function cacheKey(values: string[]): string {
  return values.length == 1 ? values[0] : values.join("\u0000");
}

export class CounterFamily {
  private byValues: Map<string, Counter> = new Map<string, Counter>();

  constructor(readonly name: string, readonly labels: string[]) {}

  with(values: string[]): Counter {
    const key = cacheKey(values);
    if (this.byValues.has(key)) return this.byValues.get(key);
    const counter = new Counter(metricName(this.name, this.labels, values));
    this.byValues.set(key, counter);
    return counter;
  }

  add(values: string[], delta: u64 = 1): void {
    if (delta > 0) this.with(values).increment(delta);
  }
}

export class HistogramFamily {
  private byValues: Map<string, Histogram> = new Map<string, Histogram>();

  constructor(readonly name: string, readonly labels: string[]) {}

  with(values: string[]): Histogram {
    const key = cacheKey(values);
    if (this.byValues.has(key)) return this.byValues.get(key);
    const histogram = new Histogram(metricName(this.name, this.labels, values));
    this.byValues.set(key, histogram);
    return histogram;
  }

  record(values: string[], value: u64): void {
    this.with(values).record(value);
  }
}
