// The protocol-independent part of a limits section, shared by the filters:
//
//   {"rules": [{"name": "orders", "principals": ["client:orders-*"],
//               "produceBytesPerSecond": 1048576, "requestsPerSecond": 200,
//               "burstSeconds": 1, "per": "principal", "global": false, ...}]}
//
// Each filter names its own rate fields (Kafka's produceBytesPerSecond...,
// RocketMQ's sendMessagesPerSecond..., the bridge's requestsPerSecond...)
// and reads its own selectors (topics, groups, pubsubs) from the same rule
// reader; this file reads the rest so names, defaults and errors agree
// everywhere. A rule's name keys its buckets, metrics and rate limit
// descriptors, so names must be unique.
//
// `per: "principal"` gives each caller its own bucket, keyed by the
// strongest identity it has (URI SAN, subject, SASL user: Identity.label()).
// A caller without one is keyed by its source address, never by its client
// id: a client chooses its client id and could take a fresh bucket with
// each new one. `per: "rule"` is one bucket for everyone the rule matches.
import { ConfigReader } from "./config";
import { ANONYMOUS, Identity } from "./identity";
import { MatcherList } from "./matcher";
import { PrincipalPatterns } from "./principal";
import { RateLimitServiceConfig } from "./ratelimit_client";
import { MAX_BURST_SECONDS, MAX_RATE, Rate } from "./token_bucket";

export class LimitRule {
  name: string = "";
  principals: PrincipalPatterns | null = null;
  perPrincipal: bool = true;
  global: bool = false;
  burstSeconds: f64 = 1;
  // One entry per rate field the filter named, null where the rule sets none.
  rates: Array<Rate | null> = [];

  /** Whether the rule applies to this caller (no `principals`: everyone). */
  appliesTo(id: Identity): bool {
    const p = this.principals;
    return p == null || p.matches(id);
  }

  // The keys last built, per rate field ("" until built), and the caller
  // they were built for: asked per request, they are built once per caller
  // in a row rather than concatenated each time.
  private keys: Array<string> = [];
  private keysLabel: string = "";
  private keysAddress: string = "";

  /** The bucket key for rate field `field` and this caller. */
  bucketKey(field: i32, id: Identity): string {
    if (this.keys.length != this.rates.length) this.keys = new Array<string>(this.rates.length).fill("");
    if (this.perPrincipal) {
      const label = id.label();
      if (label != this.keysLabel || id.sourceAddress != this.keysAddress) {
        this.keysLabel = label;
        this.keysAddress = id.sourceAddress;
        this.keys.fill("");
      }
    }
    let key = unchecked(this.keys[field]);
    if (key.length == 0) {
      key = this.name + "\u0000" + field.toString();
      if (this.perPrincipal) key += "\u0000" + principalKey(id);
      unchecked((this.keys[field] = key));
    }
    return key;
  }
}

/** Who a per-principal bucket belongs to (see the top of the file). */
export function principalKey(id: Identity): string {
  const label = id.label();
  if (label != ANONYMOUS || id.sourceAddress.length == 0) return label;
  return "ip:" + id.sourceAddress;
}

/**
 * Reads section's `rules`, each with at least one of `rateFields` (whole
 * tokens per second). Errors are recorded on the reader with their paths;
 * the filter reads its own fields from `readers[i]` (same order as the
 * result) before calling finish().
 */
export function readLimitRules(section: ConfigReader, rateFields: string[], readers: ConfigReader[]): LimitRule[] {
  const out = new Array<LimitRule>();
  const rules = section.array("rules");
  const names = new Set<string>();
  for (let i = 0; i < rules.length; i++) {
    const c = rules[i];
    readers.push(c);
    const rule = new LimitRule();
    rule.name = c.requireStr("name");
    if (c.has("name") && rule.name.length == 0) c.fail("name", "must not be empty");
    else if (names.has(rule.name)) c.fail("name", "\"" + rule.name + "\" names an earlier rule too; names key buckets and metrics");
    names.add(rule.name);
    rule.principals = PrincipalPatterns.read(c, "principals");
    rule.perPrincipal = c.choice("per", ["principal", "rule"], 0) == 0;
    rule.global = c.bool("global", false);
    rule.burstSeconds = c.num("burstSeconds", 1, 0.001, MAX_BURST_SECONDS);
    let any = false;
    for (let k = 0; k < rateFields.length; k++) {
      const field = rateFields[k];
      if (!c.has(field)) {
        c.allow(field);
        rule.rates.push(null);
        continue;
      }
      any = true;
      rule.rates.push(new Rate(rule.name + "." + field, c.int64(field, 1, 1, MAX_RATE), rule.burstSeconds));
    }
    if (!any) c.fail("", "needs at least one of " + rateFields.join(", "));
    out.push(rule);
  }
  return out;
}

/**
 * A filter's limits section (the kafka filter's `quotas`, the bridge's
 * `limits`) and the top-level `rateLimitService` its global rules ask. The
 * filter's class extends it with its own rules, which wrap `base`.
 */
export class LimitSection {
  // Every rule's shared part, in order.
  base: LimitRule[] = [];
  // Token buckets (rule x rate x principal) kept in shared data; more
  // share their rule's overflow bucket (shared_buckets.ts).
  maxKeys: i32 = 10000;
  // Required when a rule is global.
  rateLimitService: RateLimitServiceConfig | null = null;

  get enabled(): bool {
    return this.base.length > 0;
  }

  get anyGlobal(): bool {
    for (let i = 0; i < this.base.length; i++) if (this.base[i].global) return true;
    return false;
  }

  /**
   * Reads root's `field` section and `rateLimitService`; false when the
   * section is absent. readers[i] is rule i's reader, for the filter's own
   * selectors (read them before the root's finish()).
   */
  protected readSection(root: ConfigReader, field: string, rateFields: string[], readers: ConfigReader[]): bool {
    this.rateLimitService = RateLimitServiceConfig.read(root);
    if (!root.has(field)) {
      root.allow(field);
      return false;
    }
    const section = root.obj(field);
    this.maxKeys = section.int("maxKeys", this.maxKeys, 1, 1 << 20);
    this.base = readLimitRules(section, rateFields, readers);
    for (let i = 0; i < this.base.length; i++) {
      if (this.base[i].global && this.rateLimitService == null) readers[i].fail("global", "needs the top-level rateLimitService that global rules ask");
    }
    return true;
  }
}

/** A rule's list of names or globs (`topics`, `pubsubs`...); null when absent (everything). */
export function readNamePatterns(r: ConfigReader, field: string): MatcherList | null {
  if (!r.has(field)) {
    r.allow(field);
    return null;
  }
  const texts = r.strList(field);
  const v = r.value(field);
  if (v != null && v.isArray && v.length == 0) r.fail(field, "must not be empty: omit it to apply to all");
  const list = new MatcherList();
  for (let i = 0; i < texts.length; i++) list.add(texts[i], i);
  return list;
}
