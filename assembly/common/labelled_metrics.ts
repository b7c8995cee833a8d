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

// The hot path of a filter updates metrics per frame: with1 and at1 reach a
// one-label family's metric without building an array or a joined key, and
// at1 caches by a small number standing for the value (an API key), so the
// lookup is an array index.
abstract class Family<M> {
  private byValues: Map<string, M> = new Map<string, M>();
  private byIndex: Array<M | null> = new Array<M | null>();

  constructor(readonly name: string, readonly labels: string[]) {}

  protected abstract make(name: string): M;

  with(values: string[]): M {
    return this.keyed(cacheKey(values), values);
  }

  with1(value: string): M {
    return this.byValues.has(value) ? this.byValues.get(value) : this.keyed(value, [value]);
  }

  // `value` is only read the first time `index` is seen.
  at1(index: i32, value: string): M {
    const slots = this.byIndex;
    if (index >= 0 && index < slots.length) {
      const cached = unchecked(slots[index]);
      if (cached != null) return cached;
    }
    const metric = this.with1(value);
    if (index >= 0 && index < 4096) {
      while (slots.length <= index) slots.push(null);
      slots[index] = metric;
    }
    return metric;
  }

  // The metric at1 cached for `index`, or null: lets a caller build the
  // label value only on a miss.
  cachedAt(index: i32): M | null {
    const slots = this.byIndex;
    return index >= 0 && index < slots.length ? unchecked(slots[index]) : null;
  }

  private keyed(key: string, values: string[]): M {
    if (this.byValues.has(key)) return this.byValues.get(key);
    const metric = this.make(metricName(this.name, this.labels, values));
    this.byValues.set(key, metric);
    return metric;
  }
}

export class CounterFamily extends Family<Counter> {
  protected make(name: string): Counter {
    return new Counter(name);
  }

  add(values: string[], delta: u64 = 1): void {
    if (delta > 0) this.with(values).increment(delta);
  }
}

export class HistogramFamily extends Family<Histogram> {
  protected make(name: string): Histogram {
    return new Histogram(name);
  }

  record(values: string[], value: u64): void {
    this.with(values).record(value);
  }
}
