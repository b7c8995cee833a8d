// Reading what Envoy's admin endpoint reports: Prometheus text (the Wasm
// filters' metrics as Prometheus scrapes them) and Envoy's own stats.

/**
 * Prometheus text -> sum of the series of `metric` that carry these labels
 * (series with more labels count too; a series without labels matches `{}`).
 */
export async function prometheusValue(adminUrl: string, metric: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl}/stats/prometheus`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const series = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

function escapeDots(name: string): string {
  return name.replace(/\./g, "\\.");
}

async function statsJson(adminUrl: string, filter: string): Promise<{ name?: string; value?: number }[]> {
  const res = await fetch(`${adminUrl}/stats?format=json&filter=${encodeURIComponent(filter)}`);
  return ((await res.json()) as { stats: { name?: string; value?: number }[] }).stats;
}

/** The value of one Envoy stat (counter or gauge), 0 when Envoy has none by that name. */
export async function envoyStat(adminUrl: string, name: string): Promise<number> {
  const value = (await statsJson(adminUrl, `^${escapeDots(name)}$`)).find((s) => s.name === name)?.value;
  return typeof value === "number" ? value : 0;
}

/** The Envoy stats under `prefix.`, keyed by the rest of their names. */
export async function envoyStats(adminUrl: string, prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await statsJson(adminUrl, `^${escapeDots(prefix)}\\.`)) {
    if (s.name && typeof s.value === "number") out[s.name.slice(prefix.length + 1)] = s.value;
  }
  return out;
}

/**
 * Envoy flushes Wasm stats to the admin endpoint asynchronously, and the kafka
 * filter hands its per-frame counters over once a second per worker: reads
 * until `expected` (10 s at most) and returns the last value.
 */
export async function eventually(read: () => Promise<number>, expected: number): Promise<number> {
  return eventuallyThat(read, (value) => value === expected);
}

/** As eventually, until the value is at least `min`. */
export async function eventuallyAtLeast(read: () => Promise<number>, min: number): Promise<number> {
  return eventuallyThat(read, (value) => value >= min);
}

async function eventuallyThat(read: () => Promise<number>, done: (value: number) => boolean): Promise<number> {
  let value = await read();
  for (let i = 0; i < 40 && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 250));
    value = await read();
  }
  return value;
}
