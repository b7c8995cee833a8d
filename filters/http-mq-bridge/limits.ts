// The bridge's rate limits (README.md, "Rate limits"), a PublishHook.
//
// admit, for each rule that applies to the caller (principals), the pubsub
// (pubsubs) and at least one record (topics): one request, the records it
// counts, and their bytes (key + value, as stored) are taken from the
// rule's token buckets, one per rate, shared by the Envoy's workers
// (shared_buckets.ts). HTTP 429 semantics: a publish passes only if each
// bucket holds its tokens now; nothing is borrowed. A publish larger than a
// whole bucket (more than rate x burstSeconds) could never pass that way: it
// passes when its bucket is not in debt, and leaves it in debt.
//
// Refused by any rate: every take the publish was admitted by is given back
// (it never went, so it must not count against anyone), nothing is sent,
// and the answer is 429 with Retry-After, the longest wait of the refusing
// rates, and the RateLimit-Policy / RateLimit fields naming them. Rules
// marked global ask the rate limit service (ratelimit_client.ts), after the
// local rules admitted: its last answer for the key decides.
//
// The fields follow draft-ietf-httpapi-ratelimit-headers (-11): each rate
// is a policy named "<rule>.<field>" (e.g. "orders.requestsPerSecond") with
// q units per w seconds, w the burst rounded up to whole seconds and q the
// rate times w; bytes are qu="content-bytes", messages carry
// mqmesh-unit="messages" (the draft registers no unit for them). RateLimit
// gives r, the whole units the bucket holds now, and on a refusal t, the
// seconds until the refused publish would fit: the same as Retry-After,
// which the draft asks not to be earlier than t. Successful answers carry
// both fields too, for every local rate the publish was counted against.
import { HeaderPair } from "../../assembly/proxy";
import { Identity } from "../../assembly/common/identity";
import { LimitMetrics } from "../../assembly/common/limit_metrics";
import { Descriptor } from "../../assembly/common/ratelimit_proto";
import { GlobalLimiter } from "../../assembly/common/ratelimit_client";
import { SharedBuckets } from "../../assembly/common/shared_buckets";
import { Admit, NANOS_PER_SECOND, Rate } from "../../assembly/common/token_bucket";
import { principalKey } from "../../assembly/common/limit_rules";
import { PublishHook } from "./hooks";
import { BridgeLimitRule, BridgeLimits, RATE_BYTES, RATE_MESSAGES, RATE_REQUESTS, RATE_UNITS } from "./limit_config";
import { Publish } from "./publish";
import { Answer, Cause, Failure } from "./record";

// Structured Field integers have at most 15 digits.
const SF_INTEGER_MAX: i64 = 999_999_999_999_999;

// An admitted take, to give back if another rate refuses the publish.
class Taken {
  constructor(readonly slot: string, readonly key: string, readonly n: i64, readonly rate: Rate) {}
}

// A rate that refused the publish.
class Refusal {
  constructor(readonly rule: BridgeLimitRule, readonly field: i32, readonly waitNs: i64, readonly available: i64, readonly n: i64) {}
}

export class BridgeLimitsHook extends PublishHook {
  private readonly buckets: SharedBuckets;
  readonly global: GlobalLimiter | null;
  private readonly metrics: LimitMetrics = new LimitMetrics("bridge");

  constructor(readonly limits: BridgeLimits, rootContextId: u32) {
    super();
    this.buckets = new SharedBuckets("mqmesh.bridge.limits", limits.maxKeys);
    const rls = limits.rateLimitService;
    this.global = rls != null && limits.anyGlobal ? new GlobalLimiter(rls, rootContextId) : null;
  }

  admit(p: Publish): Failure | null {
    const id = p.caller();
    const rules = this.limits.rules;
    const taken = new Array<Taken>();
    const refusals = new Array<Refusal>();
    const policies = new Array<string>();
    const states = new Array<string>();
    const counts = new StaticArray<i64>(3);
    // Local rules first: a publish they refuse is never reported to the service.
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.rule.global || !this.count(p, rule, id, counts)) continue;
      for (let f = 0; f < 3; f++) {
        const rate = rule.rule.rates[f];
        const n = counts[f];
        if (rate == null || n == 0) continue;
        const key = rule.rule.bucketKey(f, id);
        const mode = rate.costNs(n) > rate.burstNs ? Admit.WhileNotNegative : Admit.IfAvailable;
        const r = this.buckets.take(key, n, rate, mode);
        const available = r.tokens > 0 ? <i64>Math.floor(r.tokens) : 0;
        if (r.admitted) {
          taken.push(new Taken(r.slot, key, n, rate));
          policies.push(policyItem(rate, f));
          states.push(limitItem(rate.name, available, -1));
        } else {
          refusals.push(new Refusal(rule, f, r.waitNs, available, n));
        }
      }
    }
    if (refusals.length == 0) this.askService(p, id, counts, refusals, policies, states);
    if (refusals.length == 0) {
      p.rateLimitPolicy = policies.join(", ");
      p.rateLimit = states.join(", ");
      return null;
    }
    for (let i = 0; i < taken.length; i++) {
      const t = taken[i];
      this.buckets.giveBack(t.slot, t.key, t.n, t.rate);
    }
    return this.refuse(p, id, refusals);
  }

  // The RateLimit fields on every answer the publish was counted for.
  answered(p: Publish, a: Answer): void {
    if (p.rateLimitPolicy.length == 0) return;
    a.headers.push(new HeaderPair("ratelimit-policy", p.rateLimitPolicy));
    a.headers.push(new HeaderPair("ratelimit", p.rateLimit));
  }

  // What `rule` counts of this publish into counts[requests, messages,
  // bytes]; false when the rule does not apply to it.
  private count(p: Publish, rule: BridgeLimitRule, id: Identity, counts: StaticArray<i64>): bool {
    if (!rule.rule.appliesTo(id) || !rule.appliesToPubsub(p.pubsubName)) return false;
    let messages: i64 = 0;
    let bytes: i64 = 0;
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      if (!rule.countsTopic(r.topic)) continue;
      messages++;
      bytes += <i64>((r.key == null ? 0 : r.key!.length) + (r.value == null ? 0 : r.value!.length));
    }
    counts[RATE_REQUESTS] = messages > 0 ? 1 : 0;
    counts[RATE_MESSAGES] = messages;
    counts[RATE_BYTES] = bytes;
    return messages > 0;
  }

  // Global rules: the service's last answer per rule, rate and principal.
  private askService(p: Publish, id: Identity, counts: StaticArray<i64>, refusals: Refusal[], policies: string[], states: string[]): void {
    const limiter = this.global;
    if (limiter == null) return;
    const rules = this.limits.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule.rule.global || !this.count(p, rule, id, counts)) continue;
      for (let f = 0; f < 3; f++) {
        const rate = rule.rule.rates[f];
        if (rate == null || counts[f] == 0) continue;
        const d = new Descriptor().add("rule", rule.rule.name).add("unit", RATE_UNITS[f]);
        if (rule.rule.perPrincipal) d.add("principal", principalKey(id));
        const v = limiter.check(rule.rule.bucketKey(f, id), [d], <u64>counts[f]);
        if (v.over) {
          refusals.push(new Refusal(rule, f, v.waitMs * 1_000_000, 0, counts[f]));
        } else if (v.remaining >= 0) {
          policies.push(policyItem(rate, f));
          states.push(limitItem(rate.name, v.remaining, -1));
        }
      }
    }
  }

  // 429: the metrics per refusing rule, the headers per refusing rate.
  private refuse(p: Publish, id: Identity, refusals: Refusal[]): Failure {
    const policies = new Array<string>();
    const states = new Array<string>();
    let retryAfter: i64 = 1;
    for (let i = 0; i < refusals.length; i++) {
      const r = refusals[i];
      const rate = r.rule.rule.rates[r.field]!;
      const seconds = wholeSeconds(r.waitNs);
      if (seconds > retryAfter) retryAfter = seconds;
      policies.push(policyItem(rate, r.field));
      states.push(limitItem(rate.name, r.available, seconds));
    }
    // One throttled publish per refusing rule, with its longest wait.
    const rules = this.limits.rules;
    for (let i = 0; i < rules.length; i++) {
      let refused = false;
      let waitNs: i64 = 0;
      let overBytes: i64 = 0;
      for (let k = 0; k < refusals.length; k++) {
        const r = refusals[k];
        if (r.rule !== rules[i]) continue;
        refused = true;
        if (r.waitNs > waitNs) waitNs = r.waitNs;
        if (r.field == RATE_BYTES) overBytes = r.n - r.available;
      }
      if (refused) this.metrics.throttled(rules[i].rule.name, id, (waitNs + 999_999) / 1_000_000, overBytes);
    }
    p.rateLimitPolicy = policies.join(", ");
    p.rateLimit = states.join(", ");
    const first = refusals[0].rule.rule.rates[refusals[0].field]!;
    const f = new Failure(429, "rate limit " + first.name + " exceeded: retry after " + retryAfter.toString() + " s", Cause.RateLimited);
    f.headers.push(new HeaderPair("retry-after", retryAfter.toString()));
    return f;
  }
}

// Whole seconds to wait, rounded up, at least 1 (Retry-After has no fractions).
function wholeSeconds(ns: i64): i64 {
  const s = (ns + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
  return s < 1 ? 1 : s > SF_INTEGER_MAX ? SF_INTEGER_MAX : s;
}

function sfInt(n: i64): string {
  return (n < 0 ? 0 : n > SF_INTEGER_MAX ? SF_INTEGER_MAX : n).toString();
}

// A Structured Field string: names are printable ASCII (limit_config.ts).
function sfString(s: string): string {
  return "\"" + s.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}

// RateLimit-Policy: "<rule>.<field>";q=<rate x w>;w=<burst in whole seconds>
export function policyItem(rate: Rate, field: i32): string {
  const w = wholeSeconds(rate.burstNs);
  const q = rate.perSecond > SF_INTEGER_MAX / w ? SF_INTEGER_MAX : rate.perSecond * w;
  let item = sfString(rate.name) + ";q=" + sfInt(q) + ";w=" + w.toString();
  if (field == RATE_BYTES) item += ";qu=\"content-bytes\"";
  else if (field == RATE_MESSAGES) item += ";mqmesh-unit=\"messages\"";
  return item;
}

// RateLimit: "<rule>.<field>";r=<available>[;t=<seconds>]
export function limitItem(name: string, available: i64, seconds: i64): string {
  const item = sfString(name) + ";r=" + sfInt(available);
  return seconds < 0 ? item : item + ";t=" + sfInt(seconds);
}
