// Charges RocketMQ traffic to the limits rules (limit_config.ts) of either
// filter: each rule that applies to the caller (principals) and selects the
// request's topic and group takes its tokens from its bucket for the rate
// (shared by the Envoy's workers, shared_buckets.ts), or, for a global rule,
// reports them to the rate limit service and reads its last answer
// (ratelimit_client.ts).
//
// Two ways to admit, as the filters need them:
// - Deficit (remoting): everything goes on; the answer is how long the
//   caller must wait for its debt beyond the burst to be repaid, which the
//   filter turns into a delay of the connection.
// - IfAvailable / WhileNotNegative (gRPC): a request the buckets cannot
//   take now is refused, and the takes other rates admitted are given back
//   (it never went, so it must not count against anyone).
//
// Metrics: one throttled request per rule that delayed or refused it, with
// its wait, and the bytes beyond a byte rate (limit_metrics.ts).
import { Identity } from "../common/identity";
import { LimitMetrics } from "../common/limit_metrics";
import { principalKey } from "../common/limit_rules";
import { GlobalLimiter } from "../common/ratelimit_client";
import { Descriptor } from "../common/ratelimit_proto";
import { SharedBuckets } from "../common/shared_buckets";
import { Admit, Rate } from "../common/token_bucket";
import { LIMIT_BUCKET_KEYS, RATE_SEND_BYTES, RATE_UNITS, RocketMQLimits } from "./limit_config";

// An admitted take, to give back if another rate refuses the request.
class Taken {
  constructor(readonly slot: string, readonly key: string, readonly n: i64, readonly rate: Rate) {}
}

// What charging one request decided.
export class Charge {
  // Refused (IfAvailable, WhileNotNegative): nothing was taken.
  refused: bool = false;
  // The longest wait any rule asked for: the delay after an admitted
  // request (Deficit), the time until a refused one would fit.
  waitMs: i64 = 0;
  // The first rule that delayed or refused it, for messages.
  rule: string = "";
}

export class RocketMQLimiter {
  private readonly buckets: SharedBuckets;
  readonly global: GlobalLimiter | null;
  readonly metrics: LimitMetrics;
  private readonly charge: Charge = new Charge();
  private readonly taken: Taken[] = [];

  /** filter: the name in bucket keys and metrics ("rocketmq", "rocketmq_grpc"). */
  constructor(readonly limits: RocketMQLimits, filter: string, rootContextId: u32) {
    this.buckets = new SharedBuckets("mqmesh." + filter + ".limits", LIMIT_BUCKET_KEYS);
    this.metrics = new LimitMetrics(filter);
    const rls = limits.rateLimitService;
    this.global = rls != null && limits.anyGlobal ? new GlobalLimiter(rls, rootContextId) : null;
  }

  /**
   * Charges counts[f] tokens of each rate field f (0 = nothing) to every rule
   * selecting (topic, group) for the caller; `fields` (bits by rate field)
   * limits which rates are looked at, for a WhileNotNegative check of
   * nothing. The result is reused by the next call.
   */
  take(id: Identity, topic: string, group: string, counts: StaticArray<i64>, mode: Admit, fields: u32 = 0xffffffff): Charge {
    const out = this.charge;
    out.refused = false;
    out.waitMs = 0;
    out.rule = "";
    this.taken.length = 0;
    const rules = this.limits.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      const rule = r.rule;
      if (!r.selects(topic, group) || !rule.appliesTo(id)) continue;
      let refused = false;
      let waitMs: i64 = 0;
      let overBytes: i64 = 0;
      for (let f = 0; f < counts.length; f++) {
        const rate = rule.rates[f];
        const n = counts[f];
        if (rate == null || (fields & (1 << f)) == 0 || (n == 0 && mode != Admit.WhileNotNegative)) continue;
        if (rule.global) {
          const v = this.askService(id, r.rule.name, rule.perPrincipal, rule.bucketKey(f, id), f, n);
          if (v > 0) {
            if (mode != Admit.Deficit) refused = true;
            if (v > waitMs) waitMs = v;
          }
          continue;
        }
        const key = rule.bucketKey(f, id);
        const t = this.buckets.take(key, n, rate!, mode);
        if (!t.admitted) refused = true;
        else if (mode != Admit.Deficit && t.slot.length > 0) this.taken.push(new Taken(t.slot, key, n, rate!));
        const ms = <i64>t.waitMs;
        if (ms > waitMs) waitMs = ms;
        // The part of a byte take beyond the burst.
        if (f == RATE_SEND_BYTES && t.waitNs > 0) overBytes = min(n, <i64>Math.ceil(<f64>t.waitNs * <f64>rate!.perSecond / 1e9));
      }
      if (!refused && waitMs == 0) continue;
      this.metrics.throttled(rule.name, id, waitMs, overBytes);
      if (out.rule.length == 0) out.rule = rule.name;
      if (refused) out.refused = true;
      if (waitMs > out.waitMs) out.waitMs = waitMs;
    }
    if (out.refused) {
      for (let i = 0; i < this.taken.length; i++) {
        const t = unchecked(this.taken[i]);
        this.buckets.giveBack(t.slot, t.key, t.n, t.rate);
      }
    }
    this.taken.length = 0;
    return out;
  }

  // A global rule: reports n hits and returns the wait its last answer asks
  // for (0: go on).
  private askService(id: Identity, rule: string, perPrincipal: bool, key: string, field: i32, n: i64): i64 {
    const limiter = this.global;
    if (limiter == null) return 0;
    const d = new Descriptor().add("rule", rule).add("unit", RATE_UNITS[field]);
    if (perPrincipal) d.add("principal", principalKey(id));
    const v = limiter.check(key, [d], <u64>max<i64>(n, 0));
    return v.over ? max<i64>(v.waitMs, 1) : 0;
  }
}
