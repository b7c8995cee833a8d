// The `limits` section of both RocketMQ filters (remoting and gRPC), and the
// rate limit service its global rules ask:
//
//   "limits": {"rules": [{"name": "orders", "principals": ["group:orders-*"],
//       "topics": ["orders"], "groups": ["orders-*"],
//       "sendMessagesPerSecond": 200, "sendBytesPerSecond": 1048576,
//       "pullMessagesPerSecond": 500, "burstSeconds": 1, "per": "principal", "global": false}]},
//   "rateLimitService": {"cluster": "mqmesh_ratelimit", "domain": "mqmesh", "timeoutMs": 200, "failureMode": "open"}
//
// limit_rules.ts reads what every filter's rules share; this file adds the
// RocketMQ selectors: `topics` and `groups` (names or globs; absent = all).
// Send rates count the messages and body bytes of send requests, the pull
// rate the messages delivered by pull, pop and receive answers.
import { ConfigReader } from "../common/config";
import { LimitRule, readLimitRules, readNamePatterns } from "../common/limit_rules";
import { MatcherList } from "../common/matcher";
import { RateLimitServiceConfig } from "../common/ratelimit_client";

// The rate fields, in the order of LimitRule.rates.
export const RATE_SEND_MESSAGES = 0;
export const RATE_SEND_BYTES = 1;
export const RATE_PULL_MESSAGES = 2;
export const RATE_FIELDS: string[] = ["sendMessagesPerSecond", "sendBytesPerSecond", "pullMessagesPerSecond"];
// What each rate counts, as rate limit service descriptors name it.
export const RATE_UNITS: string[] = ["send_messages", "send_bytes", "pull_messages"];

// Buckets (rule x rate x principal) kept in shared data; more share their
// rule's overflow bucket (shared_buckets.ts).
export const LIMIT_BUCKET_KEYS: i32 = 10000;

export class RocketMQLimitRule {
  // null: every topic / every group.
  topics: MatcherList | null = null;
  groups: MatcherList | null = null;

  constructor(readonly rule: LimitRule) {}

  // Whether the rule counts a request on this topic by this group ("" when
  // the request names none: only a rule without that selector counts it).
  selects(topic: string, group: string): bool {
    const t = this.topics;
    if (t != null && (topic.length == 0 || !t.matchesAny(topic))) return false;
    const g = this.groups;
    return g == null || (group.length > 0 && g.matchesAny(group));
  }

  // Whether the rule limits sends (any send rate), or pulls.
  get limitsSends(): bool {
    return this.rule.rates[RATE_SEND_MESSAGES] != null || this.rule.rates[RATE_SEND_BYTES] != null;
  }

  get limitsPulls(): bool {
    return this.rule.rates[RATE_PULL_MESSAGES] != null;
  }
}

export class RocketMQLimits {
  rules: RocketMQLimitRule[] = [];
  // Required when a rule is global.
  rateLimitService: RateLimitServiceConfig | null = null;

  get enabled(): bool {
    return this.rules.length > 0;
  }

  get anyGlobal(): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].rule.global) return true;
    return false;
  }

  get limitsSends(): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].limitsSends) return true;
    return false;
  }

  get limitsPulls(): bool {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].limitsPulls) return true;
    return false;
  }

  /** Reads `limits` and `rateLimitService` from a filter's configuration. */
  static read(c: ConfigReader): RocketMQLimits {
    const out = new RocketMQLimits();
    out.rateLimitService = RateLimitServiceConfig.read(c);
    if (!c.has("limits")) {
      c.allow("limits");
      return out;
    }
    const readers = new Array<ConfigReader>();
    const rules = readLimitRules(c.obj("limits"), RATE_FIELDS, readers);
    for (let i = 0; i < rules.length; i++) {
      const r = readers[i];
      const rule = new RocketMQLimitRule(rules[i]);
      rule.topics = readNamePatterns(r, "topics");
      rule.groups = readNamePatterns(r, "groups");
      if (rules[i].global && out.rateLimitService == null) r.fail("global", "needs the top-level rateLimitService that global rules ask");
      out.rules.push(rule);
    }
    return out;
  }
}
