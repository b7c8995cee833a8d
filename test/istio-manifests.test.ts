// What `mqmesh render istio --policy examples/mqmesh-istio.yaml` prints:
// every manifest parses, has the kinds Istio serves, every WasmPlugin names
// its filter's image, type (NETWORK for the TCP protocols, HTTP for the HTTP
// filters), ports and fail strategy, and its pluginConfig is accepted by the
// filter itself: the built .wasm is loaded in the host emulator with that
// configuration, as JSON the way Istio hands a pluginConfig Struct to Envoy,
// and proxy_on_configure must return true.
// Offline checks only: no API server validates these here.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { freshModule } from "../scripts/compile.ts";
import { ProxyHost } from "./host/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const policyFile = "examples/mqmesh-istio.yaml";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
}

let manifests: Manifest[] = [];
let wasmPlugins: Manifest[] = [];

/** build/<filter>.wasm by filter, compiled first when missing or older than its sources. */
const modules: Record<string, string> = {};
beforeAll(async () => {
  const rendered = await execa(process.execPath, ["bin/mqmesh.mjs", "render", "istio", "--policy", policyFile], { cwd: root });
  manifests = parseAllDocuments(rendered.stdout).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Manifest;
  });
  wasmPlugins = manifests.filter((m) => m.kind === "WasmPlugin");
  for (const filter of Object.keys(FILTERS)) modules[filter] = await freshModule({ entry: `filters/${filter}/index.ts`, out: `build/${filter}.wasm` });
});

/** What each filter is, and the root_id its README gives it. */
const FILTERS: Record<string, { type: "NETWORK" | "HTTP"; rootId: string; ports: number[] }> = {
  kafka: { type: "NETWORK", rootId: "mqmesh_kafka", ports: [9092] },
  rocketmq: { type: "NETWORK", rootId: "mqmesh_rocketmq", ports: [8080, 9876] },
  "rocketmq-grpc": { type: "HTTP", rootId: "mqmesh_rocketmq_grpc", ports: [8081] },
  "http-mq-bridge": { type: "HTTP", rootId: "http_mq_bridge", ports: [3500] },
};

const KINDS: Record<string, string[]> = {
  WasmPlugin: ["extensions.istio.io/v1alpha1"],
  EnvoyFilter: ["networking.istio.io/v1alpha3"],
  ConfigMap: ["v1"],
};

function filterOf(plugin: Manifest): string {
  const m = /^oci:\/\/[^/]+\/(?:[^/]+\/)*([a-z-]+):[\w.-]+$/.exec(plugin.spec.url);
  expect(m, `${plugin.metadata.name}: url ${plugin.spec.url}`).not.toBeNull();
  return m![1];
}

describe(`Istio manifests rendered from ${policyFile}`, () => {
  it("are Istio or core kinds with the right apiVersion and a name", () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of manifests) {
      expect(Object.keys(KINDS), `${m.metadata.name}: kind`).toContain(m.kind);
      expect(KINDS[m.kind], `${m.metadata.name}: apiVersion of ${m.kind}`).toContain(m.apiVersion);
      expect(m.metadata?.name, m.kind).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it("have one WasmPlugin per filter", () => {
    expect(wasmPlugins.map(filterOf).sort()).toEqual(Object.keys(FILTERS).sort());
  });

  describe.each(Object.keys(FILTERS))("WasmPlugin for %s", (filter) => {
    const plugin = () => wasmPlugins.find((p) => filterOf(p) === filter)!;
    const expected = FILTERS[filter];

    it("has the filter's type, root id, fail strategy, phase, selector and ports", () => {
      const spec = plugin().spec;
      expect(spec.type).toBe(expected.type);
      expect(spec.pluginName).toBe(expected.rootId);
      expect(spec.failStrategy).toBe("FAIL_CLOSE");
      expect(["AUTHN", "AUTHZ", "STATS"]).toContain(spec.phase);
      expect(Object.keys(spec.selector?.matchLabels ?? {}).length).toBeGreaterThan(0);
      expect(["IfNotPresent", "Always"]).toContain(spec.imagePullPolicy);
      const ports = spec.match.flatMap((m: any) => {
        expect(["CLIENT", "SERVER", "CLIENT_AND_SERVER"]).toContain(m.mode);
        return m.ports.map((p: any) => p.number);
      });
      expect(ports.sort()).toEqual([...expected.ports].sort());
    });

    it("has a pluginConfig the filter accepts", async () => {
      const spec = plugin().spec;
      expect(typeof spec.pluginConfig).toBe("object");
      const host = await ProxyHost.load(modules[filter], {
        rootId: spec.pluginName,
        pluginConfig: JSON.stringify(spec.pluginConfig),
      });
      expect(host.startVm()).toBe(true);
      expect(host.configure(), host.logText()).toBe(true);
      expect(host.logsAt("error")).toEqual([]);
    });
  });

  it("carry the policy's sections as each filter's pluginConfig, and route answers name the proxy's Services", () => {
    const policy = parse(readFileSync(new URL(`../${policyFile}`, import.meta.url), "utf8"));
    const config = (filter: string) => wasmPlugins.find((p) => filterOf(p) === filter)!.spec.pluginConfig;
    expect(config("kafka").acl).toEqual(policy.kafka.acl);
    expect(config("kafka").metrics).toEqual(policy.kafka.metrics);
    expect(config("rocketmq").acl).toEqual(policy.rocketmq.remoting.acl);
    expect(config("rocketmq").routeRewrite).toEqual({ address: policy.rocketmq.proxy.remoting.address });
    expect(config("rocketmq-grpc").acl).toEqual(policy.rocketmq.grpc.acl);
    const [host, port] = policy.rocketmq.proxy.grpc.address.split(":");
    expect(config("rocketmq-grpc").endpoints).toEqual({ host, port: Number(port) });
    expect(Object.keys(config("http-mq-bridge").pubsubs)).toEqual(Object.keys(policy.bridge.pubsubs));
  });

  it("the bridge's pubsubs name the cluster the EnvoyFilter adds, whose endpoint is the tunnel listener", () => {
    const bridge = wasmPlugins.find((p) => filterOf(p) === "http-mq-bridge")!;
    const envoyFilter = manifests.find((m) => m.kind === "EnvoyFilter" && m.metadata.name === "mqmesh-http-mq-bridge-tunnel")!;
    expect(envoyFilter.spec.workloadSelector.labels).toEqual(bridge.spec.selector.matchLabels);
    const patches: any[] = envoyFilter.spec.configPatches;
    const byApply = (a: string) => patches.filter((p) => p.applyTo === a);

    const clusters = byApply("CLUSTER").map((p) => p.patch.value);
    for (const pubsub of Object.values<any>(bridge.spec.pluginConfig.pubsubs)) {
      const cluster = clusters.find((c) => c.name === pubsub.cluster);
      expect(cluster, pubsub.cluster).toBeDefined();
      const address = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address;
      const listener = byApply("LISTENER").map((p) => p.patch.value).find((l) => l.name === address.envoy_internal_address.server_listener_name);
      expect(listener?.internal_listener).toEqual({});
      const [tunnel, tcpProxy] = listener.filter_chains[0].filters;
      expect(tcpProxy.name).toBe("envoy.filters.network.tcp_proxy");
      expect(tcpProxy.typed_config.cluster).toMatch(/^outbound\|9092\|\|/);

      // The tunnel filter comes by ECDS: the EXTENSION_CONFIG of the same name.
      const ext = byApply("EXTENSION_CONFIG").map((p) => p.patch.value).find((e) => e.name === tunnel.name);
      expect(tunnel.config_discovery.type_urls).toEqual([ext.typed_config["@type"]]);
      expect(ext.typed_config["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm");
      expect(ext.typed_config.config.root_id).toBe("kafka_tunnel");
      expect(ext.typed_config.config.fail_open).toBe(false);
      expect(ext.typed_config.config.vm_config.vm_id).not.toBe(bridge.spec.pluginName);
      expect(ext.typed_config.config.vm_config.code.remote.http_uri.uri).toBe(bridge.spec.url);
    }
    const buffer = byApply("HTTP_FILTER").find((p) => p.patch.value.name === "envoy.filters.http.buffer");
    expect(buffer.match.listener.portNumber).toBe(3500);
    expect(buffer.patch.operation).toBe("INSERT_BEFORE");
  });

  it("the tunnel plugin's configuration is accepted by the module under root id kafka_tunnel", async () => {
    const ext = manifests
      .filter((m) => m.kind === "EnvoyFilter")
      .flatMap((m) => m.spec.configPatches)
      .find((p: any) => p.applyTo === "EXTENSION_CONFIG").patch.value.typed_config.config;
    const host = await ProxyHost.load(modules["http-mq-bridge"], { rootId: ext.root_id, pluginConfig: ext.configuration.value });
    expect(host.startVm()).toBe(true);
    expect(host.configure(), host.logText()).toBe(true);
  });

  it("the stats bootstrap override carries exactly the tag rules of envoy-configs/stats-tags.yaml", () => {
    const cm = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === "mqmesh-stats-bootstrap")!;
    const override = JSON.parse(cm.data!["custom_bootstrap.json"]);
    const reference = parse(readFileSync(new URL("../envoy-configs/stats-tags.yaml", import.meta.url), "utf8"));
    expect(override.stats_config.stats_tags).toEqual(reference.stats_config.stats_tags);
    // Only the tags: Istio's own stats_config fields (use_all_default_tags,
    // stats_matcher) stay as Istio generates them.
    expect(Object.keys(override)).toEqual(["stats_config"]);
    expect(Object.keys(override.stats_config)).toEqual(["stats_tags"]);
    for (const t of override.stats_config.stats_tags) expect(() => new RegExp(t.regex)).not.toThrow();
  });
});
