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
// limit_rules.ts reads what every filter's rules share; this file adds the
// Kafka rule's `topics` (names or globs).
import { ConfigReader } from "../../assembly/common/config";
import { LimitRule, readLimitRules } from "../../assembly/common/limit_rules";
import { MatcherList } from "../../assembly/common/matcher";
import { RateLimitServiceConfig } from "../../assembly/common/ratelimit_client";

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

export class QuotaConfig {
  rules: KafkaQuotaRule[] = [];
  // Token buckets (rule x rate x principal) in shared data; more share
  // their rule's overflow bucket (shared_buckets.ts).
  maxKeys: i32 = 10000;
  // Required when a rule is global.
  rateLimitService: RateLimitServiceConfig | null = null;

  get enabled(): bool {
    return this.rules.length > 0;
  }

  get anyGlobal(): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].rule.global) return true;
    return false;
  }

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
    out.rateLimitService = RateLimitServiceConfig.read(c);
    if (!c.has("quotas")) {
      c.allow("quotas");
      return out;
    }
    const section = c.obj("quotas");
    out.maxKeys = section.int("maxKeys", out.maxKeys, 1, 1 << 20);
    const readers = new Array<ConfigReader>();
    const rules = readLimitRules(section, RATE_FIELDS, readers);
    for (let i = 0; i < rules.length; i++) {
      const r = readers[i];
      const rule = new KafkaQuotaRule(rules[i]);
      if (r.has("topics")) {
        const names = r.strList("topics");
        if (names.length == 0) r.fail("topics", "must name at least one topic (omit the field for every topic)");
        const list = new MatcherList();
        for (let k = 0; k < names.length; k++) list.add(names[k], k);
        rule.topics = list;
      } else {
        r.allow("topics");
      }
      if (rule.rule.global && out.rateLimitService == null) r.fail("global", "needs a rateLimitService section to ask");
      out.rules.push(rule);
    }
    return out;
  }
}
