// The rate limit service `mqmesh up` runs for the policy's global rules:
// envoyproxy/ratelimit (with its Redis) configured with one limit per global
// rule and rate, and the sidecars' mqmesh_ratelimit cluster pointed at it
// (the policy's rateLimitService address names a service of the deployment;
// `up` runs everything on this machine, so it runs that service too).
//
// A filter asks about descriptor (rule, unit[, principal]) with hits in its
// rate's unit (filters/kafka/README.md, "Quotas"); the service's limit for
// it is the rule's rate per second. With `per: principal` every principal
// value is counted on its own.
import type { Policy } from "../../policy/policy.ts";
import { progress } from "../stack/index.ts";
import { startRateLimitService, type RateLimitRule, type RateLimitService } from "../stack/ratelimit.ts";

// Rate field → the unit the filter names in its descriptor.
const UNITS: Record<string, Record<string, string>> = {
  kafka: { produceBytesPerSecond: "produce_bytes", fetchBytesPerSecond: "fetch_bytes", requestsPerSecond: "requests", partitionMutationsPerSecond: "partition_mutations" },
  bridge: { requestsPerSecond: "requests", messagesPerSecond: "messages", bytesPerSecond: "bytes" },
};

type Rule = { name: string; global?: boolean; per?: string } & Record<string, unknown>;

/** The service's limits for the policy's global rules (kafka quotas, bridge limits). */
export function globalRateLimitRules(policy: Policy): RateLimitRule[] {
  const lists: [string, Rule[] | undefined][] = [
    ["kafka", policy.kafka?.quotas?.rules as Rule[] | undefined],
    ["bridge", policy.bridge?.limits?.rules as Rule[] | undefined],
  ];
  const out: RateLimitRule[] = [];
  const seen = new Set<string>();
  for (const [filter, rules] of lists) {
    for (const rule of rules ?? []) {
      if (!rule.global) continue;
      for (const [field, unit] of Object.entries(UNITS[filter])) {
        const rate = rule[field];
        if (typeof rate !== "number") continue;
        const key = `${rule.name}/${unit}`;
        // Two filters' rules of one name and unit share the service's counter.
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          name: `${rule.name}.${field}`,
          match: [{ key: "rule", value: rule.name }, { key: "unit", value: unit }, ...(rule.per === "rule" ? [] : [{ key: "principal" }])],
          requestsPerUnit: Math.round(rate),
          unit: "second",
        });
      }
    }
  }
  return out;
}

/**
 * Starts the service when the policy has global rules; the policy returned
 * names it as the rate limit service (so the sidecars' cluster points at it).
 */
export async function startPolicyRateLimitService(policy: Policy): Promise<{ policy: Policy; service?: RateLimitService }> {
  const rules = globalRateLimitRules(policy);
  if (rules.length === 0 || !policy.rateLimitService) return { policy };
  const service = await startRateLimitService({ name: "ratelimit-up", rules, domain: policy.rateLimitService.domain });
  progress("up", `envoyproxy/ratelimit for ${rules.length} global limit(s) at ${service.grpcAddress}`);
  return { policy: { ...policy, rateLimitService: { ...policy.rateLimitService, address: service.grpcAddress } }, service };
}
