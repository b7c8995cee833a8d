// Envoy configuration pieces as plain objects (the v3 API's field names),
// written out with the `yaml` library: no text templates. Everything a
// mqmesh bootstrap holds is built here: the admin listener, stats tags, TCP
// and HTTP listeners, clusters, and the Wasm filters, either inline or
// delivered by extension config discovery (ECDS) from a file, which is how a
// running Envoy takes a new filter configuration without a restart.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { CLUSTERS, FILTERS, type FilterName } from "../filter-config.ts";

export const ENVOY_CONFIGS = fileURLToPath(new URL("../../envoy-configs/", import.meta.url));

export type Obj = Record<string, unknown>;

const TYPE = {
  tcpProxy: "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  httpOptions: "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
  extensionConfig: "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
  wasm: (kind: "network" | "http") => `type.googleapis.com/envoy.extensions.filters.${kind}.wasm.v3.Wasm`,
};
export const TYPE_URLS = TYPE;

/** "host:port" → [host, port]. */
export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i).replace(/^\[|\]$/g, ""), Number(address.slice(i + 1))];
}

export function socketAddress(address: string): Obj {
  const [host, port] = splitAddress(address);
  return { socket_address: { address: host, port_value: port } };
}

/** envoy-configs/stats-tags.yaml: the rules that turn mqmesh's `;label=value` names into Prometheus labels. */
export function statsConfig(): Obj {
  return parse(readFileSync(join(ENVOY_CONFIGS, "stats-tags.yaml"), "utf8")).stats_config;
}

export interface BootstrapParts {
  adminPort: number;
  /** Where admin listens; default 127.0.0.1. */
  adminHost?: string;
  listeners: Obj[];
  clusters: Obj[];
  /** e.g. the internal listener extension the bridge needs. */
  bootstrapExtensions?: Obj[];
}

export function bootstrap(parts: BootstrapParts): Obj {
  return {
    // Envoy wants a node identity as soon as any resource comes by discovery (ECDS files included).
    node: { id: "mqmesh", cluster: "mqmesh" },
    admin: { address: { socket_address: { address: parts.adminHost ?? "127.0.0.1", port_value: parts.adminPort } } },
    stats_config: statsConfig(),
    ...(parts.bootstrapExtensions?.length ? { bootstrap_extensions: parts.bootstrapExtensions } : {}),
    static_resources: { listeners: parts.listeners, clusters: parts.clusters },
  };
}

/** A STATIC cluster with one endpoint; `http2` for gRPC upstreams. */
export function cluster(name: string, address: string, opts: { http2?: boolean; connectTimeout?: string } = {}): Obj {
  return {
    name,
    type: "STATIC",
    connect_timeout: opts.connectTimeout ?? "2s",
    ...(opts.http2
      ? {
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": TYPE.httpOptions,
              explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 1000 } },
            },
          },
        }
      : {}),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address) } }] }] },
  };
}

/** A cluster whose endpoint is an internal listener of the same Envoy. */
export function internalCluster(name: string, listenerName: string): Obj {
  return {
    name,
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: listenerName } } } }] }],
    },
  };
}

/**
 * A cluster whose endpoints are resolved by DNS when the address is a name
 * (the policy's shared collector and rate limit service), STATIC for an IP.
 */
export function serviceCluster(name: string, address: string, http2: boolean): Obj {
  const [host] = splitAddress(address);
  const byName = !/^[\d.]+$/.test(host) && !host.includes(":");
  return { ...cluster(name, address, { http2 }), ...(byName ? { type: "STRICT_DNS" } : {}) };
}

/** Where the shared services are, "host:port" each. */
export interface SharedServices {
  /** The OTLP/HTTP collector spans go to (e.g. Jaeger's port 4318): cluster mqmesh_otlp. */
  collector?: string;
  /** The rate limit service global rules ask over gRPC (envoyproxy/ratelimit): cluster mqmesh_ratelimit. */
  rateLimitService?: string;
}

/** The clusters the filters reach the shared services by (HTTP/1.1 and HTTP/2); none for a service without an address. */
export function serviceClusters(services: SharedServices): Obj[] {
  return [
    ...(services.collector ? [serviceCluster(CLUSTERS.otlp, services.collector, false)] : []),
    ...(services.rateLimitService ? [serviceCluster(CLUSTERS.ratelimit, services.rateLimitService, true)] : []),
  ];
}

export function tcpProxy(statPrefix: string, clusterName: string): Obj {
  return { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": TYPE.tcpProxy, stat_prefix: statPrefix, cluster: clusterName } };
}

/** A listener on a socket, or (no address) an internal listener. */
export function listener(name: string, address: string | undefined, filters: Obj[], extra: Obj = {}, tls?: DownstreamTls): Obj {
  const chain = tls ? { filters, transport_socket: downstreamTls(tls) } : { filters };
  return { name, ...(address ? { address: socketAddress(address) } : { internal_listener: {} }), ...extra, filter_chains: [chain] };
}

/** TLS on a listener, with client certificates required (mTLS): PEM file paths. */
export interface DownstreamTls {
  certChain: string;
  privateKey: string;
  /** The CA client certificates must chain to. */
  clientCa: string;
}

/** The listener's transport socket: the peer's certificate is what filters see as its identity (URI SAN, subject). */
function downstreamTls(tls: DownstreamTls): Obj {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      require_client_certificate: true,
      common_tls_context: {
        tls_certificates: [{ certificate_chain: { filename: tls.certChain }, private_key: { filename: tls.privateKey } }],
        validation_context: { trusted_ca: { filename: tls.clientCa } },
      },
    },
  };
}

/** HTTP connection manager with the given HTTP filters before the router. */
export function httpConnectionManager(statPrefix: string, routeConfig: Obj, httpFilters: Obj[], extra: Obj = {}): Obj {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": TYPE.hcm,
      stat_prefix: statPrefix,
      ...extra,
      route_config: routeConfig,
      http_filters: [...httpFilters, { name: "envoy.filters.http.router", typed_config: { "@type": TYPE.router } }],
    },
  };
}

/** One Wasm filter of the chain. */
export interface WasmFilter {
  filter: FilterName;
  /** Absolute path of the .wasm. */
  wasm: string;
  /** The filter's JSON configuration. */
  config: unknown;
  /** Plugin name, also the ECDS resource name; default the filter's root id. */
  name?: string;
  rootId?: string;
  vmId?: string;
  /** Default the filter's kind; the bridge's module also runs as a network filter (its tunnel). */
  kind?: "network" | "http";
}

/**
 * Where filter configurations come from: inline in the bootstrap, or by
 * ECDS from `<dir>/<name>.yaml` files, which Envoy watches (a new file moved
 * into place is a new configuration for the connections that follow).
 */
export type Delivery = { ecdsDir?: string };

/** The plugin name: also the ECDS resource's, and so Envoy's stat prefix for its updates. */
export function filterName(f: WasmFilter): string {
  return f.name ?? FILTERS[f.filter].rootId;
}

/** The Wasm filter's typed config: V8, fail closed, the JSON configuration as a StringValue. */
export function wasmTypedConfig(f: WasmFilter): Obj {
  const meta = FILTERS[f.filter];
  return {
    "@type": TYPE.wasm(f.kind ?? meta.kind),
    config: {
      name: filterName(f),
      root_id: f.rootId ?? meta.rootId,
      // A filter that fails to load or configure closes connections: traffic never bypasses a policy.
      fail_open: false,
      vm_config: { vm_id: f.vmId ?? meta.vmId, runtime: "envoy.wasm.runtime.v8", code: { local: { filename: f.wasm } } },
      configuration: { "@type": TYPE.stringValue, value: JSON.stringify(f.config ?? {}) },
    },
  };
}

/** The ECDS file for one filter: a discovery response holding its TypedExtensionConfig. */
export function ecdsResource(f: WasmFilter, version: string): Obj {
  return {
    version_info: version,
    resources: [{ "@type": TYPE.extensionConfig, name: filterName(f), typed_config: wasmTypedConfig(f) }],
  };
}

export function ecdsPath(dir: string, f: WasmFilter): string {
  return join(dir, `${filterName(f)}.yaml`);
}

/** The filter's entry in a filter chain (network) or in http_filters (HTTP). */
export function wasmFilter(f: WasmFilter, delivery: Delivery = {}): Obj {
  const meta = FILTERS[f.filter];
  const kind = f.kind ?? meta.kind;
  const name = filterName(f);
  if (!delivery.ecdsDir) return { name: `envoy.filters.${kind}.wasm`, typed_config: wasmTypedConfig(f) };
  return {
    name,
    config_discovery: {
      config_source: { path_config_source: { path: ecdsPath(delivery.ecdsDir, f) }, resource_api_version: "V3" },
      type_urls: [TYPE.wasm(kind)],
    },
  };
}
