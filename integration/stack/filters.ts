// Which .wasm a sidecar runs. A filter is never silently left out: without an
// explicit "off" the module is build/<name>.wasm, compiled when missing or
// older than its sources; with rebuild false (`mqmesh up --no-build`) a
// missing module is an error. Plain tcp_proxy is what a caller asks for
// (`wasm: null`, or <ENV>=off), never what it gets by accident.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FilterName } from "../../policy/filter-config.ts";
import { freshModule, projectRoot } from "../../scripts/compile.ts";

export type { FilterName };

/** The variable that overrides each filter's module: a path, or "off" for none. */
export const FILTER_ENV: Record<FilterName, string> = {
  kafka: "MQMESH_KAFKA_WASM",
  rocketmq: "MQMESH_ROCKETMQ_WASM",
  "rocketmq-grpc": "MQMESH_ROCKETMQ_GRPC_WASM",
  "http-mq-bridge": "MQMESH_BRIDGE_WASM",
};

/**
 * The module for `name`: <ENV>=<path> (which must exist), undefined when
 * <ENV>=off, else build/<name>.wasm (rebuilt when stale unless `rebuild` is
 * false, then it must exist).
 */
export async function filterWasm(name: FilterName, rebuild = true): Promise<string | undefined> {
  const variable = FILTER_ENV[name];
  const env = process.env[variable];
  if (env === "off" || env === "none") return undefined;
  if (env) {
    if (!existsSync(env)) throw new Error(`${variable}=${env}: no such file`);
    return resolve(env);
  }
  const out = `build/${name}.wasm`;
  if (rebuild) return freshModule({ entry: `filters/${name}/index.ts`, out });
  const file = join(projectRoot, out);
  if (!existsSync(file)) throw new Error(`${out} is missing: build it (npm run build, or mqmesh up without --no-build), or set ${variable}=off for plain tcp_proxy`);
  return file;
}
