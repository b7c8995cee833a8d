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
 * Options for vitest's expect.poll on a metric: Envoy flushes Wasm stats to
 * the admin endpoint asynchronously, and the filters hand their per-frame
 * counters over once a second per worker, so a value may take a few seconds.
 */
export const METRIC_POLL = { timeout: 10_000, interval: 250 };
