// envoyproxy/ratelimit, the rate limit service Envoy's own rate limit filters
// talk to, backed by Redis: the mesh-wide limiter for rules marked `global`.
// Built from the Go module proxy into the cache on first use (go.ts), started
// with Debian's redis-server (redis.ts) on loopback ports.
//
// Its configuration is written from a typed list of rules: each rule matches
// one descriptor (entries in the order the caller sends them, e.g. principal,
// then topic, then api) and gives its limit. The service's file loader watches
// the folder, so updateRules() rewrites the file and waits until the service
// has loaded it.
//
//   MQMESH_RATELIMIT_VERSION  module version to build (default RATELIMIT_VERSION)
//   RATELIMIT_BIN             use this service binary instead of building one
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { progress, runPath } from "./cache.ts";
import { goBinary } from "./go.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";
import { startRedis, type RedisServer } from "./redis.ts";

/**
 * The newest version of github.com/envoyproxy/ratelimit the module proxy
 * serves (the project tags no releases; its images are named by commit).
 */
export const RATELIMIT_VERSION = process.env.MQMESH_RATELIMIT_VERSION || "v1.4.1-0.20260122083618-3fb702589d36";
const RATELIMIT_PACKAGE = "github.com/envoyproxy/ratelimit/src/service_cmd";

export type RateLimitUnit = "second" | "minute" | "hour" | "day";

/** One descriptor entry a rule matches. Without `value` any value matches, and each value is counted on its own. */
export interface DescriptorMatch {
  /** mqmesh's filters send "principal", "topic" and "api". */
  key: "principal" | "topic" | "api" | (string & {});
  value?: string;
}

export interface RateLimitRule {
  /** Shown in the service's answers (current_limit.name) and metrics. */
  name?: string;
  /** The descriptor's entries, outermost first, as the caller sends them. */
  match: DescriptorMatch[];
  requestsPerUnit: number;
  unit: RateLimitUnit;
  /** Counted but never refused. */
  shadowMode?: boolean;
}

/** The domain mqmesh's filters send (rateLimitService.domain). */
export const MQMESH_RATELIMIT_DOMAIN = "mqmesh";

interface DescriptorNode {
  key: string;
  value?: string;
  rate_limit?: { name?: string; unit: RateLimitUnit; requests_per_unit: number };
  shadow_mode?: boolean;
  descriptors?: DescriptorNode[];
}

const UNITS: RateLimitUnit[] = ["second", "minute", "hour", "day"];

function checkRule(rule: RateLimitRule, at: string): void {
  if (!rule.match?.length) throw new Error(`${at}.match: needs at least one descriptor entry`);
  rule.match.forEach((m, j) => {
    if (!m.key) throw new Error(`${at}.match[${j}].key: empty`);
  });
  if (!Number.isInteger(rule.requestsPerUnit) || rule.requestsPerUnit < 0) throw new Error(`${at}.requestsPerUnit: expected an integer >= 0, got ${rule.requestsPerUnit}`);
  if (!UNITS.includes(rule.unit)) throw new Error(`${at}.unit: expected one of ${UNITS.join(", ")}, got ${rule.unit}`);
}

/**
 * The service's configuration file for `rules` (YAML): rules sharing leading
 * entries share the descriptor nodes above their own, as the service's
 * descriptor tree requires. Two rules on the same entries are an error.
 */
export function rateLimitConfigYaml(rules: RateLimitRule[], domain = MQMESH_RATELIMIT_DOMAIN): string {
  const root: DescriptorNode[] = [];
  const owner = new Map<DescriptorNode, number>();
  rules.forEach((rule, i) => {
    checkRule(rule, `rules[${i}]`);
    let level = root;
    let node: DescriptorNode | undefined;
    for (const m of rule.match) {
      node = level.find((n) => n.key === m.key && n.value === m.value);
      if (!node) {
        node = m.value === undefined ? { key: m.key } : { key: m.key, value: m.value };
        level.push(node);
      }
      level = node.descriptors ??= [];
    }
    const leaf = node!;
    if (owner.has(leaf)) throw new Error(`rules[${i}].match: the same descriptor as rules[${owner.get(leaf)}]`);
    owner.set(leaf, i);
    leaf.rate_limit = { ...(rule.name ? { name: rule.name } : {}), unit: rule.unit, requests_per_unit: rule.requestsPerUnit };
    if (rule.shadowMode) leaf.shadow_mode = true;
  });
  // Nodes that only lead to others keep no empty lists.
  const prune = (nodes: DescriptorNode[]) => nodes.forEach((n) => (n.descriptors?.length ? prune(n.descriptors) : delete n.descriptors));
  prune(root);
  return stringify({ domain, descriptors: root });
}

/**
 * The lines the service's debug endpoint /rlconfig prints once it has loaded
 * `rules` ("<domain>.<key>_<value>.<key>: unit=SECOND requests_per_unit=5, shadow_mode: false"),
 * sorted: how start and updateRules know the file was taken.
 */
export function expectedLoadedLimits(rules: RateLimitRule[], domain = MQMESH_RATELIMIT_DOMAIN): string[] {
  return rules
    .map((r) => `${domain}.${r.match.map((m) => (m.value ? `${m.key}_${m.value}` : m.key)).join(".")}: unit=${r.unit.toUpperCase()} requests_per_unit=${r.requestsPerUnit}, shadow_mode: ${Boolean(r.shadowMode)}`)
    .sort();
}

function loadedLimits(dump: string): string[] {
  return dump
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/, quota_mode:.*$/, ""))
    .sort();
}

/** The service binary: RATELIMIT_BIN, else built on first use into the cache (`go install`, minutes). */
export async function rateLimitBinary(): Promise<string> {
  if (process.env.RATELIMIT_BIN) return process.env.RATELIMIT_BIN;
  const build = await goBinary({ name: "ratelimit", pkg: RATELIMIT_PACKAGE, version: RATELIMIT_VERSION, via: "install" });
  return build.path;
}

export interface RateLimitServiceOptions {
  rules: RateLimitRule[];
  domain?: string;
  /** Name for logs and the run folder, default "ratelimit". */
  name?: string;
  /** The service's LOG_LEVEL (default info; debug logs every decision). */
  logLevel?: "debug" | "info" | "warn" | "error";
}

export interface RateLimitService {
  domain: string;
  /** "127.0.0.1:<port>": envoy.service.ratelimit.v3.RateLimitService over gRPC (HTTP/2, plaintext). */
  grpcAddress: string;
  /** "127.0.0.1:<port>": /healthcheck and /json (the same check as JSON over HTTP). */
  httpAddress: string;
  /** "127.0.0.1:<port>": /rlconfig (loaded limits) and /stats. */
  debugAddress: string;
  /** "http://127.0.0.1:<port>/metrics": the service's counters in Prometheus format. */
  metricsUrl: string;
  redis: RedisServer;
  proc: ManagedProcess;
  /** Replaces the rules; resolves once the service answers with them. Counters of unchanged descriptors keep counting. */
  updateRules(rules: RateLimitRule[]): Promise<void>;
  stop(): Promise<void>;
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** envoyproxy/ratelimit with a Redis of its own, the rules loaded. */
export async function startRateLimitService(opts: RateLimitServiceOptions): Promise<RateLimitService> {
  const started = Date.now();
  const name = opts.name ?? "ratelimit";
  const domain = opts.domain ?? MQMESH_RATELIMIT_DOMAIN;
  const yaml = rateLimitConfigYaml(opts.rules, domain); // a bad rule fails before anything starts
  const [bin, redis] = await Promise.all([rateLimitBinary(), startRedis({ name: `${name}-redis` })]);
  const [httpPort, grpcPort, debugPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // The file loader reads <RUNTIME_ROOT>/<RUNTIME_SUBDIRECTORY>/config/*.yaml and, with
  // RUNTIME_WATCH_ROOT=false, reloads when a file in that folder is written or renamed into it.
  const root = runPath(name);
  const configFile = join(runPath(name, "runtime", "config"), `${domain}.yaml`);
  const writeConfig = (text: string) => {
    const tmp = join(root, "runtime", "config", `.${domain}.yaml.tmp`); // dot files are ignored
    writeFileSync(tmp, text);
    renameSync(tmp, configFile);
  };
  writeConfig(yaml);
  const proc = spawnManaged({
    name,
    command: bin,
    args: [],
    env: {
      ...process.env,
      HOST: LOOPBACK,
      PORT: String(httpPort),
      GRPC_HOST: LOOPBACK,
      GRPC_PORT: String(grpcPort),
      DEBUG_HOST: LOOPBACK,
      DEBUG_PORT: String(debugPort),
      // Its counters for Prometheus (without a sink it logs every stat every few seconds).
      USE_STATSD: "false",
      USE_PROMETHEUS: "true",
      PROMETHEUS_ADDR: `${LOOPBACK}:${metricsPort}`,
      LOG_LEVEL: opts.logLevel ?? "info",
      BACKEND_TYPE: "redis",
      REDIS_SOCKET_TYPE: "tcp",
      REDIS_URL: redis.address,
      RUNTIME_ROOT: root,
      RUNTIME_SUBDIRECTORY: "runtime",
      RUNTIME_APPDIRECTORY: "config",
      RUNTIME_WATCH_ROOT: "false",
      RUNTIME_IGNOREDOTFILES: "true",
    },
  });
  const debugUrl = `http://${LOOPBACK}:${debugPort}`;
  const waitLoaded = async (rules: RateLimitRule[], what: string) => {
    const want = expectedLoadedLimits(rules, domain).join("\n");
    await waitUntil(async () => loadedLimits(await getText(`${debugUrl}/rlconfig`)).join("\n") === want, {
      what: `${name} to load ${what} (${rules.length} rules, file ${configFile})`,
      timeoutMs: 30_000,
      intervalMs: 100,
      proc,
    });
  };
  try {
    await waitUntil(async () => (await getText(`http://${LOOPBACK}:${httpPort}/healthcheck`)).trim() === "OK", {
      what: `${name} /healthcheck`,
      timeoutMs: 60_000,
      intervalMs: 200,
      proc,
    });
    await waitLoaded(opts.rules, "its rules");
  } catch (e) {
    await proc.stop();
    await redis.stop();
    throw e;
  }
  progress(name, `envoyproxy/ratelimit ${RATELIMIT_VERSION} ready, gRPC ${LOOPBACK}:${grpcPort}, Redis ${redis.version} ${redis.address}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    domain,
    grpcAddress: `${LOOPBACK}:${grpcPort}`,
    httpAddress: `${LOOPBACK}:${httpPort}`,
    debugAddress: `${LOOPBACK}:${debugPort}`,
    metricsUrl: `http://${LOOPBACK}:${metricsPort}/metrics`,
    redis,
    proc,
    async updateRules(rules) {
      const text = rateLimitConfigYaml(rules, domain);
      if (text === readFileSync(configFile, "utf8")) return;
      writeConfig(text);
      await waitLoaded(rules, "new rules");
    },
    async stop() {
      await proc.stop();
      await redis.stop();
      [httpPort, grpcPort, debugPort, metricsPort].forEach(releasePort);
    },
  };
}
