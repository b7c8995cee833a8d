// The Grafana dashboard (envoy-configs/grafana/mqmesh.json) offline: it is a
// dashboard Grafana imports (panels with Prometheus targets on a datasource
// variable), it covers every filter (throttling included), and every metric
// its PromQL names is one a filter's README documents. Whether each expression returns data from a
// real Prometheus scraping real sidecars is the integration test's part.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dashboard = JSON.parse(readFileSync(new URL("../../envoy-configs/grafana/mqmesh.json", import.meta.url), "utf8"));
const panels: any[] = dashboard.panels.filter((p: any) => p.type !== "row");
const exprs: string[] = panels.flatMap((p) => p.targets.map((t: any) => t.expr));

/** Metric names in the filters' README metrics tables. */
function documentedMetrics(): Set<string> {
  const names = new Set<string>();
  const filters = new URL("../../filters/", import.meta.url);
  for (const f of readdirSync(filters)) {
    let text = "";
    try {
      text = readFileSync(new URL(`${f}/README.md`, filters), "utf8");
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\| `(mqmesh_[a-z_]+)` \|/gm)) names.add(m[1]);
  }
  return names;
}

describe("Grafana dashboard", () => {
  it("is a dashboard of Prometheus panels on a datasource variable, with unique ids", () => {
    expect(dashboard.uid).toBe("mqmesh");
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    expect(new Set(dashboard.panels.map((p: any) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
    }
  });

  it("has traffic per topic, errors, latency and ACL denials for each filter, and the bridge's publishes", () => {
    for (const prefix of ["mqmesh_kafka_", "mqmesh_rocketmq_", "mqmesh_rocketmq_grpc_", "mqmesh_bridge_"]) {
      const own = exprs.filter((e) => new RegExp(`${prefix}(?!grpc_)`).test(e));
      expect(own.some((e) => /by \([^)]*topic/.test(e)), `${prefix}: per topic`).toBe(true);
      expect(own.some((e) => /histogram_quantile/.test(e)), `${prefix}: latency`).toBe(true);
      if (prefix !== "mqmesh_bridge_") expect(own.some((e) => /denied/.test(e)), `${prefix}: denials`).toBe(true);
    }
  });

  it("has the requests each filter's quotas or limits throttled, by rule and principal, and the throttle time by rule", () => {
    for (const prefix of ["mqmesh_kafka_", "mqmesh_rocketmq_", "mqmesh_rocketmq_grpc_", "mqmesh_bridge_"]) {
      const own = exprs.filter((e) => new RegExp(`${prefix}(?!grpc_)`).test(e));
      const throttled = own.filter((e) => e.includes(`${prefix}throttled_requests_total`));
      expect(throttled.some((e) => /by \((?=[^)]*\brule\b)(?=[^)]*\bprincipal\b)[^)]*\)/.test(e)), `${prefix}: throttled by rule and principal`).toBe(true);
      const time = own.filter((e) => e.includes(`${prefix}throttle_time_milliseconds_total`));
      expect(time.some((e) => /by \([^)]*\brule\b/.test(e)), `${prefix}: throttle time by rule`).toBe(true);
    }
  });

  it("names only metrics the filters' READMEs document", () => {
    const documented = documentedMetrics();
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/mqmesh_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ""))));
    expect([...used].filter((m) => !documented.has(m))).toEqual([]);
  });
});
