// `mqmesh render envoy` and `mqmesh policy check` as a user runs them: the
// bootstraps rendered from the example policy pass real Envoy's
// `--mode validate`, which also loads each filter's .wasm and configures it;
// those rendered from a policy using every section pass it with a module that
// accepts any configuration (some sections are not enforced by today's
// filters: `policy check` says which, below); the shared tracing
// section becomes an HTTP/1.1 cluster to the collector and rateLimitService
// an HTTP/2 (gRPC) cluster, which the filters' configurations name (the
// bridge has both clusters whatever the policy says); a broken
// policy is refused with the path of each problem.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freshModule } from "../scripts/compile.ts";
import { envoyBinary } from "./stack/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const mqmesh = (args: string[]) => execa(process.execPath, ["bin/mqmesh.mjs", ...args], { cwd: root, reject: false });
const dir = mkdtempSync(join(tmpdir(), "mqmesh-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FULL_POLICY = `
tracing: {collector: "127.0.0.1:4318", sampling: 0.5}
rateLimitService: {address: "127.0.0.1:8081", domain: mqmesh}
kafka:
  brokers:
    - {nodeId: 1, address: "127.0.0.1:9092", listen: "127.0.0.1:19092"}
    - {nodeId: 2, address: "127.0.0.1:9093", listen: "127.0.0.1:19093"}
  quotas: {rules: [{name: all, requestsPerSecond: 100, global: true}]}
rocketmq:
  namesrv: {address: "127.0.0.1:9876"}
  proxy: {remoting: {address: "127.0.0.1:8080"}, grpc: {address: "127.0.0.1:8081"}}
  remoting: {routeRewrite: {}}
  grpc: {}
bridge:
  pubsubs: {orders: {type: kafka}, events: {type: rocketmq}}
`;

const FILTER_NAMES = ["kafka", "rocketmq", "rocketmq-grpc", "http-mq-bridge"];

/** A folder where every filter's .wasm is the accept-anything fixture. */
async function anyConfigModules(): Promise<string> {
  const module = await freshModule({ entry: "test/fixtures/any_config.ts", out: "build/fixtures/any_config.wasm", bindings: true });
  const folder = join(dir, "any-config");
  mkdirSync(folder, { recursive: true });
  for (const f of FILTER_NAMES) copyFileSync(module, join(folder, `${f}.wasm`));
  return folder;
}

async function validate(file: string): Promise<{ ok: boolean; output: string }> {
  const envoy = await envoyBinary();
  const r = await execa(envoy.path, ["--mode", "validate", "-c", file, "--log-level", "warn"], { reject: false });
  return { ok: r.exitCode === 0, output: `${r.stdout}\n${r.stderr}` };
}

type Cluster = { name: string; typed_extension_protocol_options?: Record<string, { explicit_http_config: Record<string, unknown> }>; load_assignment: any };

describe("mqmesh render envoy", () => {
  it.each([
    ["the example policy", "examples/mqmesh.yaml", ["bridge.yaml", "kafka-sidecar.yaml", "rocketmq-sidecar.yaml"]],
    ["a policy with tracing, a rate limit service and two brokers", "full", ["bridge.yaml", "kafka-sidecar.yaml", "rocketmq-sidecar.yaml"]],
  ])("writes bootstraps for %s that real Envoy validates", async (_what, policy, files) => {
    const policyFile = policy === "full" ? join(dir, "full.yaml") : policy;
    if (policy === "full") writeFileSync(policyFile, FULL_POLICY);
    const out = join(dir, policy === "full" ? "full" : "example");
    const wasmDir = policy === "full" ? await anyConfigModules() : join(root, "build");
    if (policy !== "full") for (const f of FILTER_NAMES) await freshModule({ entry: `filters/${f}/index.ts`, out: `build/${f}.wasm` });
    const r = await mqmesh(["render", "envoy", "--policy", policyFile, "--out", out, "--wasm-dir", wasmDir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(files);
    for (const f of files) {
      const v = await validate(join(out, f));
      expect(v.ok, `${f}: ${v.output}`).toBe(true);
    }
  });

  /** The endpoints of mqmesh_otlp (HTTP/1.1) and mqmesh_ratelimit (HTTP/2) in a rendered bootstrap. */
  function serviceEndpoints(file: string): { otlp: unknown; ratelimit: unknown } {
    const clusters: Cluster[] = parse(readFileSync(file, "utf8")).static_resources.clusters;
    const byName = (n: string) => clusters.find((c) => c.name === n)!;
    const endpoint = (c: Cluster) => c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    expect(byName("mqmesh_otlp").typed_extension_protocol_options).toBeUndefined();
    const http2 = byName("mqmesh_ratelimit").typed_extension_protocol_options!["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    expect(http2.explicit_http_config).toHaveProperty("http2_protocol_options");
    return { otlp: endpoint(byName("mqmesh_otlp")), ratelimit: endpoint(byName("mqmesh_ratelimit")) };
  }

  it("turns tracing into an HTTP/1.1 collector cluster and rateLimitService into an HTTP/2 cluster the filters name", () => {
    const kafka = parse(readFileSync(join(dir, "full", "kafka-sidecar.yaml"), "utf8"));
    expect(serviceEndpoints(join(dir, "full", "kafka-sidecar.yaml"))).toEqual({
      otlp: { address: "127.0.0.1", port_value: 4318 },
      ratelimit: { address: "127.0.0.1", port_value: 8081 },
    });

    // One listener per broker, and the kafka filter's configuration names those clusters and listeners.
    const listeners = kafka.static_resources.listeners;
    expect(listeners.map((l: any) => l.address.socket_address.port_value)).toEqual([19092, 19093]);
    const wasm = listeners[0].filter_chains[0].filters[0].typed_config.config;
    expect(wasm.fail_open).toBe(false);
    const config = JSON.parse(wasm.configuration.value);
    expect(config.tracing.collector.cluster).toBe("mqmesh_otlp");
    expect(config.rateLimitService.cluster).toBe("mqmesh_ratelimit");
    expect(config.brokerAddresses).toEqual({ "1": "127.0.0.1:19092", "2": "127.0.0.1:19093" });
  });

  it("gives the bridge both clusters always: at the policy's services, or where nothing listens", () => {
    expect(serviceEndpoints(join(dir, "full", "bridge.yaml"))).toEqual({
      otlp: { address: "127.0.0.1", port_value: 4318 },
      ratelimit: { address: "127.0.0.1", port_value: 8081 },
    });
    // The example policy has neither section: loopback's discard port, which nothing serves.
    expect(serviceEndpoints(join(dir, "example", "bridge.yaml"))).toEqual({
      otlp: { address: "127.0.0.1", port_value: 9 },
      ratelimit: { address: "127.0.0.1", port_value: 9 },
    });
  });
});

describe("mqmesh policy check", () => {
  it("says, per section, whether today's filter accepts it, and fails when one refuses", async () => {
    const r = await mqmesh(["policy", "check", join(dir, "full.yaml")]);
    expect(r.stdout).toContain("valid policy");
    const verdicts = [...r.stdout.matchAll(/^ {2}(\S+): the (\S+) filter (accepts|refuses)/gm)];
    expect(verdicts.map((v) => v[1]).sort()).toEqual(["bridge", "kafka", "rocketmq.grpc", "rocketmq.remoting"]);
    expect(r.exitCode).toBe(verdicts.some((v) => v[3] === "refuses") ? 1 : 0);
  });

  it("accepts the example, each filter accepting its configuration", async () => {
    const r = await mqmesh(["policy", "check", "examples/mqmesh.yaml"]);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const section of ["kafka", "rocketmq.remoting", "rocketmq.grpc", "bridge"]) expect(r.stdout).toContain(`${section}: the `);
  });

  it("rejects a broken file naming the path of each problem", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "kafka:\n  acl:\n    rules:\n      - {action: deny, topics: [a]}\n      - {action: deny, topics: [b]}\n      - {action: deny, topics: 7}\n");
    const r = await mqmesh(["policy", "check", file]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/kafka\.acl\.rules\[2\]\.topics: .*expected array/);
  });
});
