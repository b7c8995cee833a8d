// Debian's Prometheus as the kit starts it, scraping real Envoys started by
// the kit (tcp_proxy in front of a TCP echo server). The expected values are
// what the test itself sent through Envoy.
import { createServer, Socket, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafkaSidecar, type Sidecar } from "./stack/envoy.ts";
import { freePort, LOOPBACK } from "./stack/ports.ts";
import { startPrometheus, type PrometheusServer } from "./stack/prometheus.ts";

const CONNECTIONS = 3;
const BYTES_PER_CONNECTION = 1000;

/** Sends `bytes` through a new connection to `port` and waits for all of them to come back. */
function echoThrough(port: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let back = 0;
    s.on("error", reject);
    s.on("data", (d) => {
      back += d.length;
      if (back >= bytes) s.end();
    });
    s.on("close", () => (back === bytes ? resolve() : reject(new Error(`echoed ${back} of ${bytes} bytes`))));
    s.connect(port, LOOPBACK, () => s.write(Buffer.alloc(bytes, 7)));
  });
}

describe("Prometheus from the kit", () => {
  let echo: Server;
  let first: Sidecar;
  let second: Sidecar;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    const echoPort = await freePort();
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(echoPort, LOOPBACK, r));
    const upstream = { host: LOOPBACK, port: echoPort };
    [first, second] = await Promise.all([
      startKafkaSidecar({ name: "envoy-prometheus-first", upstream, concurrency: 1 }),
      startKafkaSidecar({ name: "envoy-prometheus-second", upstream, concurrency: 1 }),
    ]);
    prometheus = await startPrometheus({ envoys: [{ admin: first.envoy.adminUrl, labels: { sidecar: "first" } }], scrapeIntervalSeconds: 1 });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([first?.stop(), second?.stop()]);
    echo?.close();
  });

  it("scrapes an Envoy's /stats/prometheus: connections and bytes the test sent", async () => {
    for (let i = 0; i < CONNECTIONS; i++) await echoThrough(first.port, BYTES_PER_CONNECTION);
    const value = async (expr: string) => (await prometheus.query(expr))[0]?.value;
    await expect.poll(() => value('envoy_tcp_downstream_cx_total{envoy_tcp_prefix="kafka_sidecar", sidecar="first"}'), { timeout: 30_000, interval: 500 }).toBe(CONNECTIONS);
    await expect.poll(() => value('envoy_tcp_downstream_cx_rx_bytes_total{envoy_tcp_prefix="kafka_sidecar", sidecar="first"}'), { timeout: 30_000, interval: 500 }).toBe(CONNECTIONS * BYTES_PER_CONNECTION);
    const [target] = await prometheus.targets();
    expect(target).toMatchObject({ scrapeUrl: `${first.envoy.adminUrl}/stats/prometheus`, health: "up", lastError: "" });
    expect(target.labels).toMatchObject({ job: "envoy", sidecar: "first" });
  });

  it("takes new targets with a reload, without a restart", async () => {
    const pid = prometheus.proc.pid;
    await prometheus.setTargets([
      { admin: first.envoy.adminUrl, labels: { sidecar: "first" } },
      { admin: second.envoy.adminUrl, labels: { sidecar: "second" } },
    ]);
    await echoThrough(second.port, BYTES_PER_CONNECTION);
    await expect
      .poll(async () => (await prometheus.query('sum by (sidecar) (envoy_tcp_downstream_cx_total{envoy_tcp_prefix="kafka_sidecar"})')).map((s) => `${s.metric.sidecar}=${s.value}`).sort(), {
        timeout: 30_000,
        interval: 500,
      })
      .toEqual([`first=${CONNECTIONS}`, "second=1"]);
    expect(prometheus.proc.pid).toBe(pid);
    await expect(prometheus.query("sum(rate(")).rejects.toThrow(/bad_data/);
  });
});
