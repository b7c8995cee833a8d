// The spike that proved the bridge mechanism in real Envoy (filters/http-mq-bridge/README.md,
// "Mechanism"): raw Kafka ApiVersions frames POSTed through a plain route to cluster
// kafka_tunnel -> internal listener -> tunnel network filter -> tcp_proxy -> broker.
// Shows connection reuse, chunked requests, a garbage body closing the connection, and
// (with "down") the 503 Envoy gives when the broker is unreachable. Needs build/http-mq-bridge.wasm.
//   npx tsx integration/stack/bridge-spike.ts [up|down]
import { startKafka } from "./kafka.ts";
import { REPO_ROOT, startEnvoy } from "./envoy.ts";
import { renderBridgeConfig } from "./bridge.ts";
import { resolve } from "node:path";
import { freePort } from "./ports.ts";
import { stopAll } from "./process.ts";
import http from "node:http";

function apiVersionsV0(corr: number): Buffer {
  const client = Buffer.from("spike");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length);
  body.writeInt16BE(18, 0); body.writeInt16BE(0, 2); body.writeInt32BE(corr, 4);
  body.writeInt16BE(client.length, 8); client.copy(body, 10);
  const size = Buffer.alloc(4); size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(port: number, body: Buffer, chunked = false): Promise<{ status: number; headers: any; body: Buffer; socket: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/tunnel", agent,
      headers: chunked ? { "transfer-encoding": "chunked" } : { "content-length": body.length } }, (res) => {
      const parts: Buffer[] = []; const lp = (res.socket as any)?.localPort;
      res.on("data", (d) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts), socket: lp }));
    });
    req.on("error", reject);
    if (chunked) { req.write(body.subarray(0, 5)); req.write(body.subarray(5)); } else req.write(body);
    req.end();
  });
}
const up = process.argv[2] !== "down";
let upstreamPort = await freePort();
let kafka: any;
if (up) { kafka = await startKafka({ name: "spike-kafka" }); upstreamPort = Number(kafka.bootstrap.split(":")[1]); }
const listen = await freePort(); const spikePort = await freePort(); const adminPort = await freePort();
// Nothing listens behind the collector and rate limit clusters: the spike uses neither.
const unused = await freePort();
let yaml = renderBridgeConfig({ LISTEN_PORT: listen, UPSTREAM_HOST: "127.0.0.1", UPSTREAM_PORT: upstreamPort,
  OTLP_HOST: "127.0.0.1", OTLP_PORT: unused, RATELIMIT_HOST: "127.0.0.1", RATELIMIT_PORT: unused,
  WASM_PATH: resolve(REPO_ROOT, "build/http-mq-bridge.wasm"), FILTER_CONFIG_JSON: JSON.stringify({ pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" } } }), ADMIN_PORT: adminPort });
yaml = yaml.replace("  listeners:\n", `  listeners:
  - name: spike
    address: { socket_address: { address: 127.0.0.1, port_value: ${spikePort} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: spike
          route_config: { virtual_hosts: [ { name: all, domains: ["*"], routes: [ { match: { prefix: "/" }, route: { cluster: kafka_tunnel, timeout: 3s } } ] } ] }
          http_filters: [ { name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } } ]
`);
const envoy = await startEnvoy({ name: "spike-envoy", config: yaml, vars: { ADMIN_PORT: adminPort }, concurrency: 1, componentLogLevel: "wasm:debug" });
try {
  for (let i = 1; i <= 4; i++) {
    const t = Date.now();
    const r = await post(spikePort, apiVersionsV0(1000 + i), i === 3);
    console.log(`#${i} status=${r.status} tunnel=${r.headers["x-mqmesh-tunnel"]} ct=${r.headers["content-type"]} len=${r.body.length} frameSize=${r.body.length >= 4 ? r.body.readInt32BE(0) : -1} corr=${r.body.length >= 8 ? r.body.readInt32BE(4) : -1} errorCode=${r.body.length >= 10 ? r.body.readInt16BE(8) : -1} localPort=${r.socket} ${Date.now() - t}ms ${r.status !== 200 ? r.body.toString() : ""}`);
  }
  const bad = await post(spikePort, Buffer.from("not kafka at all"));
  console.log(`garbage: status=${bad.status} body=${bad.body.toString()}`);
  const after = await post(spikePort, apiVersionsV0(2000));
  console.log(`after garbage: status=${after.status} corr=${after.body.length >= 8 ? after.body.readInt32BE(4) : -1}`);
  console.log((await envoy.admin("/stats?filter=kafka_tunnel|cluster.kafka_tunnel.upstream_cx_total|upstream_rq_total")).split("\n").filter((l) => /cx_total|rq_total|downstream_cx|tunnel/.test(l)).slice(0, 20).join("\n"));
} finally {
  console.log(envoy.proc.tail(15));
  await envoy.stop(); if (kafka) await kafka.stop(); await stopAll();
}
