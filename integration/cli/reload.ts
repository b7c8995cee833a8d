// Hot reload of the policy while `mqmesh up` runs: the file is watched (its
// folder, since editors replace files by renaming), and on a change each
// running filter whose configuration changed gets its new ECDS file. Envoy
// builds the new filter configuration without a restart: connections opened
// from then on get it, open ones keep the one they started with. A file that
// does not validate changes nothing; a configuration the filter refuses is
// rejected by Envoy, which keeps the previous one. Either way it is reported.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { loadPolicy, PolicyError, type Policy } from "../../policy/policy.ts";
import { progress } from "../stack/cache.ts";
import { filterName } from "../../policy/envoy/resources.ts";
import { writeEcdsFile } from "../stack/ecds.ts";
import type { RunningFilter } from "./stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Envoy's ECDS counters for one filter name: [updates applied, updates rejected]. */
async function ecdsCounters(f: RunningFilter): Promise<[number, number]> {
  const stats = await f.envoy.stats("extension_config_discovery");
  let applied = 0;
  let rejected = 0;
  for (const [name, value] of stats) {
    if (name.endsWith(`.${filterName(f.filter)}.update_success`)) applied += value;
    if (name.endsWith(`.${filterName(f.filter)}.update_rejected`)) rejected += value;
  }
  return [applied, rejected];
}

export interface ReloadOutcome {
  /** "kafka (kafka sidecar)" → applied | rejected | unchanged | timeout */
  filters: Record<string, "applied" | "rejected" | "unchanged" | "timeout">;
  /** The policy's problems when it did not validate (nothing was changed). */
  problems?: string[];
}

/** Applies the policy in `file` to the running filters; resolves once Envoy took or refused each change. */
export async function applyPolicy(file: string, filters: RunningFilter[], ecdsDir: string, last: Map<RunningFilter, string>): Promise<ReloadOutcome> {
  let policy;
  try {
    policy = loadPolicy(file);
  } catch (e) {
    if (e instanceof PolicyError) return { filters: {}, problems: e.problems };
    throw e;
  }
  const outcome: ReloadOutcome = { filters: {} };
  const pending: { f: RunningFilter; before: [number, number] }[] = [];
  for (const f of filters) {
    const label = `${filterName(f.filter)} (${f.sidecar})`;
    const config = JSON.stringify(f.produce(policy));
    if (last.get(f) === config) {
      outcome.filters[label] = "unchanged";
      continue;
    }
    pending.push({ f, before: await ecdsCounters(f) });
    writeEcdsFile(ecdsDir, { ...f.filter, config: JSON.parse(config) });
    last.set(f, config);
  }
  const deadline = Date.now() + 10_000;
  for (const { f, before } of pending) {
    const label = `${filterName(f.filter)} (${f.sidecar})`;
    outcome.filters[label] = "timeout";
    while (Date.now() < deadline) {
      const [applied, rejected] = await ecdsCounters(f);
      if (applied > before[0]) outcome.filters[label] = "applied";
      else if (rejected > before[1]) outcome.filters[label] = "rejected";
      if (outcome.filters[label] !== "timeout") break;
      await sleep(100);
    }
  }
  return outcome;
}

/** Watches the policy file and applies each saved version; returns the watcher (close() to stop). */
export function watchPolicy(file: string, filters: RunningFilter[], ecdsDir: string, started: Policy): FSWatcher {
  const path = resolve(file);
  // What each filter runs now, so that a save changing one section touches only that filter.
  const last = new Map(filters.map((f) => [f, JSON.stringify(f.produce(started))]));
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      const t = Date.now();
      const outcome = await applyPolicy(path, filters, ecdsDir, last);
      if (outcome.problems) {
        progress("reload", `${file} does not validate; the sidecars keep their configuration:\n${outcome.problems.map((p) => `  ${p}`).join("\n")}`);
        return;
      }
      const changed = Object.entries(outcome.filters).filter(([, v]) => v !== "unchanged");
      if (!changed.length) return progress("reload", `${file} saved: no filter configuration changed`);
      for (const [label, v] of changed) {
        const what = { applied: "new configuration applied (new connections)", rejected: "refused by the filter; the previous configuration stays (see the Envoy log)", timeout: "no answer from Envoy within 10 s" }[v as "applied"];
        progress("reload", `${label}: ${what}`);
      }
      progress("reload", `done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }).catch((e) => progress("reload", `failed: ${(e as Error).message}`));
  };
  const watcher = watch(dirname(path), (_event, name) => {
    if (name !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 200); // editors write in several steps
  });
  watcher.unref();
  return watcher;
}
