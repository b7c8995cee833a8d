// The `quotas` section of the kafka filter's configuration (README.md,
// "Quotas"), and the rate limit service its global rules ask:
//
//   "quotas": {"maxKeys": 10000,
//     "rules": [{"name": "orders", "principals": ["client:orders-*"], "topics": ["orders.*"],
//                "produceBytesPerSecond": 1048576, "fetchBytesPerSecond": 2097152,
//                "requestsPerSecond": 200, "partitionMutationsPerSecond": 5,
//                "burstSeconds": 1, "per": "principal", "global": false}]},
//   "rateLimitService": {"cluster": "mqmesh_ratelimit", "domain": "mqmesh",
//                        "timeoutMs": 200, "failureMode": "open"}
//
// limit_rules.ts reads what every filter's limits share; this file adds the
// Kafka rule's `topics` (names or globs).
import { ConfigReader } from "../../assembly/common/config";
import { LimitRule, LimitSection, readNamePatterns } from "../../assembly/common/limit_rules";
import { MatcherList } from "../../assembly/common/matcher";

// The rate fields, in the order of LimitRule.rates.
export const RATE_PRODUCE_BYTES = 0;
export const RATE_FETCH_BYTES = 1;
export const RATE_REQUESTS = 2;
export const RATE_PARTITION_MUTATIONS = 3;
export const RATE_FIELDS: string[] = ["produceBytesPerSecond", "fetchBytesPerSecond", "requestsPerSecond", "partitionMutationsPerSecond"];
// What each rate counts, as the rate limit service's descriptors name it.
export const RATE_UNITS: string[] = ["produce_bytes", "fetch_bytes", "requests", "partition_mutations"];

export class KafkaQuotaRule {
  // null: every topic.
  topics: MatcherList | null = null;

  constructor(readonly rule: LimitRule) {}

  countsTopic(topic: string | null): bool {
    const t = this.topics;
    return t == null || (topic != null && t.matchesAny(topic!));
  }

  has(field: i32): bool {
    return this.rule.rates[field] != null;
  }
}

export class QuotaConfig extends LimitSection {
  rules: KafkaQuotaRule[] = [];

  // Some rule sets this rate.
  anyRate(field: i32): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].has(field)) return true;
    return false;
  }

  // Some rule setting this rate is limited to topics.
  anyTopicRate(field: i32): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].has(field) && this.rules[i].topics != null) return true;
    return false;
  }

  /** Reads `quotas` and `rateLimitService` from the filter's configuration. */
  static parse(c: ConfigReader): QuotaConfig {
    const out = new QuotaConfig();
    const readers = new Array<ConfigReader>();
    if (!out.readSection(c, "quotas", RATE_FIELDS, readers)) return out;
    for (let i = 0; i < out.base.length; i++) {
      const rule = new KafkaQuotaRule(out.base[i]);
      rule.topics = readNamePatterns(readers[i], "topics");
      out.rules.push(rule);
    }
    return out;
  }
}
