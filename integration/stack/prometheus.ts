// Prometheus scraping Envoy sidecars: Debian's `prometheus` (PROMETHEUS_BIN
// overrides) on a loopback port, its configuration generated from a typed list
// of Envoy admin addresses (`/stats/prometheus`), its data under the run
// folder. setTargets() rewrites the configuration and reloads it
// (/-/reload, --web.enable-lifecycle) without a restart.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { progress, runPath } from "./cache.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";
import { debianBinary } from "./tools.ts";

/** The prometheus binary: PROMETHEUS_BIN, else `prometheus` on PATH; fails naming the Debian package. */
export const prometheusBin = () => debianBinary("prometheus", "PROMETHEUS_BIN");

export interface EnvoyScrapeTarget {
  /** The Envoy's admin address: "127.0.0.1:9901" or its admin URL "http://127.0.0.1:9901". */
  admin: string;
  /** Labels added to every series of this target, e.g. {sidecar: "kafka"}. */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  envoys: EnvoyScrapeTarget[];
  /** Scrape (and rule evaluation) interval, seconds (default 2: tests should not wait long). */
  scrapeIntervalSeconds?: number;
  name?: string;
}

const hostPort = (admin: string) => admin.replace(/^https?:\/\//, "").replace(/\/+$/, "");

/** Prometheus's configuration: one job `envoy` scraping each admin's /stats/prometheus. */
export function prometheusConfigYaml(envoys: EnvoyScrapeTarget[], scrapeIntervalSeconds = 2): string {
  return stringify({
    global: { scrape_interval: `${scrapeIntervalSeconds}s`, evaluation_interval: `${scrapeIntervalSeconds}s` },
    scrape_configs: [
      {
        job_name: "envoy",
        metrics_path: "/stats/prometheus",
        static_configs: envoys.map((e) => ({ targets: [hostPort(e.admin)], ...(e.labels ? { labels: e.labels } : {}) })),
      },
    ],
  });
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PromTarget {
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
  labels: Record<string, string>;
}

export interface PromQuery {
  /** An instant query (/api/v1/query); vector and scalar results as samples. */
  query(expr: string): Promise<PromSample[]>;
  /** The active scrape targets (/api/v1/targets). */
  targets(): Promise<PromTarget[]>;
}

/** A typed client of Prometheus's HTTP API at `url` ("http://host:port"). */
export function prometheusQuery(url: string): PromQuery {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (!res.ok || body.status !== "success") throw new Error(`GET ${path}: ${res.status} ${body.errorType ?? ""} ${body.error ?? ""}`.trim());
    return body.data;
  };
  return {
    async query(expr) {
      type Value = [number, string];
      const data = await get<{ resultType: string; result: { metric: Record<string, string>; value: Value }[] | Value }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType === "scalar") return [{ metric: {}, value: Number((data.result as Value)[1]) }];
      if (data.resultType !== "vector") throw new Error(`query ${expr}: a ${data.resultType} result; only instant vectors and scalars are read`);
      return (data.result as { metric: Record<string, string>; value: Value }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await get<{ activeTargets: PromTarget[] }>("/api/v1/targets?state=active");
      return data.activeTargets.map((t) => ({ scrapeUrl: t.scrapeUrl, health: t.health, lastError: t.lastError, labels: t.labels }));
    },
  };
}

export interface PrometheusServer extends PromQuery {
  /** "http://127.0.0.1:<port>" (UI, /api/v1/…). */
  url: string;
  version: string;
  proc: ManagedProcess;
  /** Replaces the scrape targets and reloads the configuration; resolves once Prometheus lists them. */
  setTargets(envoys: EnvoyScrapeTarget[]): Promise<void>;
  stop(): Promise<void>;
}

function prometheusVersion(bin: string): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? "unknown";
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  const started = Date.now();
  const name = opts.name ?? "prometheus";
  const bin = prometheusBin();
  const port = await freePort();
  const dir = runPath(name);
  const configFile = join(dir, "prometheus.yml");
  const interval = opts.scrapeIntervalSeconds ?? 2;
  writeFileSync(configFile, prometheusConfigYaml(opts.envoys, interval));
  const proc = spawnManaged({
    name,
    command: bin,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--storage.tsdb.retention.time=1d",
      `--web.listen-address=${LOOPBACK}:${port}`,
      "--web.enable-lifecycle",
    ],
  });
  const url = `http://${LOOPBACK}:${port}`;
  const client = prometheusQuery(url);
  const waitForTargets = (envoys: EnvoyScrapeTarget[]) => {
    const want = envoys.map((e) => `http://${hostPort(e.admin)}/stats/prometheus`).sort().join(",");
    return waitUntil(async () => (await client.targets()).map((t) => t.scrapeUrl).sort().join(",") === want, {
      what: `${name} to list its scrape targets`,
      timeoutMs: 30_000,
      intervalMs: 200,
      proc,
    });
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, { what: `${name} /-/ready`, timeoutMs: 60_000, intervalMs: 200, proc });
    await waitForTargets(opts.envoys);
  } catch (e) {
    await proc.stop();
    releasePort(port);
    throw e;
  }
  const version = prometheusVersion(bin);
  progress(name, `Prometheus ${version} ready at ${url}, scraping ${opts.envoys.length} Envoy(s) every ${interval} s, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    ...client,
    url,
    version,
    proc,
    async setTargets(envoys) {
      writeFileSync(configFile, prometheusConfigYaml(envoys, interval));
      const res = await fetch(`${url}/-/reload`, { method: "POST", signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${name} /-/reload: ${res.status} ${await res.text()}`);
      await waitForTargets(envoys);
    },
    async stop() {
      await proc.stop();
      releasePort(port);
    },
  };
}
