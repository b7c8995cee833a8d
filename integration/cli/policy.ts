// `mqmesh policy check [FILE]`: the policy file against its schema (every
// problem with its path), then each filter's JSON produced from it against
// the filter itself: the filter's .wasm (compiled when stale) is loaded in the
// host emulator (test/host) and must accept its configuration, as Envoy's
// proxy_on_configure would. The second step is what says which sections
// today's filters do not enforce yet: a filter refuses a field it does not know.
import { filterConfigs, FILTERS, type FilterName } from "../../policy/filter-config.ts";
import { loadPolicy, PolicyError, type Policy } from "../../policy/policy.ts";
import { ProxyHost } from "../../test/host/index.ts";
import { filterWasm } from "../stack/filters.ts";

export interface FilterVerdict {
  filter: FilterName;
  section: string;
  accepted: boolean;
  /** The filter's own error lines when it refused. */
  errors: string[];
}

/** Which filters the policy configures: a section present, or (bridge) needed by it. */
export function configuredFilters(policy: Policy): FilterName[] {
  const out: FilterName[] = [];
  if (policy.kafka) out.push("kafka");
  if (policy.rocketmq) out.push("rocketmq", "rocketmq-grpc");
  if (policy.bridge) out.push("http-mq-bridge");
  return out;
}

/** Loads each configured filter with its produced configuration in the host emulator. */
export async function filtersAccept(policy: Policy, filters = configuredFilters(policy)): Promise<FilterVerdict[]> {
  const configs = filterConfigs(policy, { kafkaBrokers: policy.kafka?.brokers?.map((b) => ({ nodeId: b.nodeId, address: b.listen ?? b.address })), rocketmqRemoting: "127.0.0.1:1", rocketmqGrpc: "127.0.0.1:1" });
  const out: FilterVerdict[] = [];
  for (const filter of filters) {
    const wasm = await filterWasm(filter);
    if (!wasm) continue; // MQMESH_<FILTER>_WASM=off
    const host = await ProxyHost.load(wasm, { rootId: FILTERS[filter].rootId, pluginConfig: JSON.stringify(configs[filter]) });
    const accepted = host.startVm() && host.configure();
    out.push({ filter, section: FILTERS[filter].section, accepted, errors: accepted ? [] : host.logsAt("error") });
  }
  return out;
}

export async function policyCheck(file: string, opts: { schemaOnly: boolean }): Promise<number> {
  let policy: Policy;
  try {
    policy = loadPolicy(file);
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  process.stdout.write(`${file}: valid policy\n`);
  if (opts.schemaOnly) return 0;
  let refused = 0;
  for (const v of await filtersAccept(policy)) {
    if (v.accepted) process.stdout.write(`  ${v.section}: the ${v.filter} filter accepts its configuration\n`);
    else {
      refused++;
      process.stdout.write(`  ${v.section}: the ${v.filter} filter refuses its configuration:\n${v.errors.map((l) => `    ${l}`).join("\n")}\n`);
    }
  }
  return refused ? 1 : 0;
}
