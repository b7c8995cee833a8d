// The bridge's `limits` section and the rate limit service its global rules
// ask (README.md, "Rate limits"):
//
//   "limits": {"maxKeys": 10000,
//     "rules": [{"name": "orders", "pubsubs": ["kafka"], "topics": ["orders.*"],
//                "principals": ["spiffe://cluster.local/ns/shop/sa/checkout"],
//                "requestsPerSecond": 20, "messagesPerSecond": 200, "bytesPerSecond": 1048576,
//                "burstSeconds": 1, "per": "principal", "global": false}]},
//   "rateLimitService": {"cluster": "mqmesh_ratelimit", "domain": "mqmesh",
//                        "timeoutMs": 200, "failureMode": "open"}
//
// limit_rules.ts reads what every filter's rules share (name, principals,
// per, global, burstSeconds, the rates); this file adds the bridge's
// selectors: `pubsubs` (names or globs of configured pubsubs) and `topics`
// (globs of the topics records go to, after routing). Rule names become
// policy names in the RateLimit header fields (Structured Field strings),
// so they are printable ASCII.
import { ConfigReader } from "../../assembly/common/config";
import { LimitRule, LimitSection, readNamePatterns } from "../../assembly/common/limit_rules";
import { Matcher, MatcherList } from "../../assembly/common/matcher";
import { PubsubConfig } from "./config";

// The rate fields, in the order of LimitRule.rates.
export const RATE_REQUESTS = 0;
export const RATE_MESSAGES = 1;
export const RATE_BYTES = 2;
export const RATE_FIELDS: string[] = ["requestsPerSecond", "messagesPerSecond", "bytesPerSecond"];
// What each rate counts, as descriptors and metrics name it.
export const RATE_UNITS: string[] = ["requests", "messages", "bytes"];

export class BridgeLimitRule {
  // null: every pubsub, every topic.
  pubsubs: MatcherList | null = null;
  topics: MatcherList | null = null;

  constructor(readonly rule: LimitRule) {}

  appliesToPubsub(name: string): bool {
    const p = this.pubsubs;
    return p == null || p.matchesAny(name);
  }

  countsTopic(topic: string): bool {
    const t = this.topics;
    return t == null || t.matchesAny(topic);
  }
}

export class BridgeLimits extends LimitSection {
  rules: BridgeLimitRule[] = [];

  read(c: ConfigReader, readers: ConfigReader[]): bool {
    return this.readSection(c, "limits", RATE_FIELDS, readers);
  }
}

/** Reads `limits` and `rateLimitService` from the bridge's configuration. */
export function readBridgeLimits(c: ConfigReader, pubsubs: PubsubConfig[]): BridgeLimits {
  const out = new BridgeLimits();
  const readers = new Array<ConfigReader>();
  if (!out.read(c, readers)) return out;
  const rules = out.base;
  for (let i = 0; i < rules.length; i++) {
    const r = readers[i];
    const rule = new BridgeLimitRule(rules[i]);
    if (!isPolicyName(rules[i].name)) r.fail("name", "must be printable ASCII: it names the policy in the RateLimit header fields");
    rule.pubsubs = readNamePatterns(r, "pubsubs");
    if (rule.pubsubs != null) checkPubsubNames(r, rule.pubsubs!, pubsubs);
    rule.topics = readNamePatterns(r, "topics");
    out.rules.push(rule);
  }
  return out;
}

// A name without wildcards that no pubsub has is a mistake, not a rule that never applies.
function checkPubsubNames(r: ConfigReader, list: MatcherList, pubsubs: PubsubConfig[]): void {
  for (let i = 0; i < list.length; i++) {
    const m: Matcher = list.matcherAt(i);
    const text = m.pattern;
    if (text.indexOf("*") >= 0 || text.indexOf("?") >= 0) continue;
    let known = false;
    for (let k = 0; k < pubsubs.length && !known; k++) known = pubsubs[k].name == text;
    if (!known) r.fail("pubsubs[" + i.toString() + "]", "names no configured pubsub: \"" + text + "\"");
  }
}

// Printable ASCII (0x20-0x7e): what a Structured Field string may hold.
function isPolicyName(name: string): bool {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
