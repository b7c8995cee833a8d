// Token bucket arithmetic for quotas and rate limits, kept apart from where
// buckets are stored (shared_buckets.ts) so it can be checked on its own.
//
// A bucket is kept as a theoretical arrival time (TAT, the GCRA view of a
// token bucket): the instant at which the bucket would be full again. With a
// rate of R tokens per second and a burst of tau nanoseconds (burstSeconds x
// 1e9; the bucket holds R x burstSeconds tokens), the tokens at time t are
// (t + tau - TAT) x R / 1e9, capped at the burst. Taking n tokens moves TAT by
// n x 1e9 / R nanoseconds. Why this form: one integer per bucket, refilled on
// read with no floating point, so every worker computes the same bits from
// the same stored bytes, and a compare-and-swap on shared data covers the
// whole state.
//
// Three ways to admit a request (Admit):
// - Deficit, Kafka's quota model: every request goes through and the bucket
//   may go into debt; the answer is how long the client must then wait for
//   the debt to be repaid (KIP-219's throttle_time_ms: the time its bytes took
//   beyond the rate).
// - WhileNotNegative, KIP-599's partition-mutation model: a request goes
//   through while the bucket is not in debt (it may then go into debt);
//   otherwise it is refused with the time until the debt is repaid.
// - IfAvailable, the strict model of HTTP 429 / TOO_MANY_REQUESTS: a request
//   goes through only if the bucket holds its n tokens; otherwise it is
//   refused, takes nothing, and learns how long until n tokens are there.
//
// Time is the bucket's own running maximum of the clocks it was given
// (`seen`): a clock that steps back (another worker's reading a little
// behind) neither refills nor drains the bucket; one that jumps forward just
// fills it. Every sum saturates at MAX_TIME, so huge costs or clocks cannot
// wrap around.
//
// Rates are whole tokens per second (at least 1); the cost of n tokens is
// ceil(n x 1e9 / R) ns, exact in 64-bit integers for any n a request can
// carry (n x 1e9 < 2^64) and computed in floating point, then saturated,
// beyond.

export const NANOS_PER_SECOND: i64 = 1_000_000_000;
// Far beyond any monotonic clock reading (2^62 ns is 146 years).
export const MAX_TIME: i64 = 1 << 62;
export const MAX_RATE: i64 = 1_000_000_000_000_000; // 1e15 tokens/s
export const MAX_BURST_SECONDS: f64 = 86400;

export const enum Admit {
  Deficit = 0,
  WhileNotNegative = 1,
  IfAvailable = 2,
}

/** A limit: `perSecond` tokens per second and a burst of `burstSeconds`. */
export class Rate {
  readonly burstNs: i64;

  /** name: the rule the rate belongs to (names its overflow bucket). */
  constructor(readonly name: string, readonly perSecond: i64, burstSeconds: f64) {
    this.burstNs = <i64>Math.round(Math.min(Math.max(burstSeconds, 0), MAX_BURST_SECONDS) * <f64>NANOS_PER_SECOND);
  }

  /** ceil(n x 1e9 / perSecond) nanoseconds, saturated at MAX_TIME. */
  costNs(n: i64): i64 {
    if (n <= 0) return 0;
    const r = <u64>this.perSecond;
    if (r == 0) return MAX_TIME;
    if (<u64>n < 18_000_000_000) {
      const q = <u64>n * 1_000_000_000;
      const c = (q + r - 1) / r;
      return c >= <u64>MAX_TIME ? MAX_TIME : <i64>c;
    }
    const f = Math.ceil(<f64>n * 1e9 / <f64>r);
    return f >= <f64>MAX_TIME ? MAX_TIME : <i64>f;
  }
}

/** One bucket's stored state. A fresh bucket (tat 0) is full. */
export class BucketState {
  tat: i64 = 0;
  seen: i64 = 0;

  set(tat: i64, seen: i64): BucketState {
    this.tat = tat;
    this.seen = seen;
    return this;
  }

  /** Full at `now` (no debt, nothing taken within the burst): such a bucket
   *  is indistinguishable from a fresh one, so its slot may be reused. */
  isFull(now: i64): bool {
    return this.tat <= max(now, this.seen);
  }
}

/** What a take decided. */
export class TakeResult {
  admitted: bool = true;
  // How long the caller waits: the throttle after an admitted request, the
  // time until it would be admitted after a refused one; 0 for none.
  waitNs: i64 = 0;
  // Tokens left after the take (negative in debt), for headers such as
  // RateLimit's remaining=.
  tokens: f64 = 0;
  // The bucket's TAT after the take (bucket_leases.ts places a chunk by it).
  tat: i64 = 0;
  // SharedBuckets: where an admitted take was recorded ("" when refused or lost), for giveBack.
  slot: string = "";

  /** waitNs in whole milliseconds, rounded up, at most i32.MAX_VALUE
   *  (Kafka's throttle_time_ms is an int32). */
  get waitMs(): i32 {
    if (this.waitNs <= 0) return 0;
    const ms = (this.waitNs + 999_999) / 1_000_000;
    return ms > <i64>i32.MAX_VALUE ? i32.MAX_VALUE : <i32>ms;
  }
}

// a + b for a, b in [0, MAX_TIME]: at most 2^63 - 2, so it cannot wrap.
function addSat(a: i64, b: i64): i64 {
  return a > MAX_TIME - b ? MAX_TIME : a + b;
}

/**
 * Takes n tokens from `state` at time `now` (ns) under `rate` and `mode`,
 * updating state (unless the take was refused) and filling `out`.
 */
export function takeTokens(state: BucketState, now: i64, n: i64, rate: Rate, mode: Admit, out: TakeResult): TakeResult {
  const t = min(max(now, state.seen), MAX_TIME);
  state.seen = t;
  const tau = rate.burstNs;
  const base = max(min(state.tat, MAX_TIME), t);
  const next = addSat(base, rate.costNs(n));
  let admitted = true;
  if (mode == Admit.WhileNotNegative) admitted = base - t <= tau;
  else if (mode == Admit.IfAvailable) admitted = next - t <= tau;
  out.admitted = admitted;
  if (admitted) {
    state.tat = next;
    out.waitNs = max<i64>(next - t - tau, 0);
  } else {
    // Refused: until the debt is repaid (WhileNotNegative) or n tokens are there (IfAvailable).
    out.waitNs = mode == Admit.WhileNotNegative ? base - t - tau : next - t - tau;
  }
  out.tokens = <f64>(t + tau - max(state.tat, t)) * <f64>rate.perSecond / 1e9;
  out.tat = state.tat;
  return out;
}

/**
 * Undoes an admitted take of n tokens under `rate`, as if it had not
 * happened: for a request one limit admitted and another refused, so the
 * first does not count traffic that never went. A bucket that refilled
 * meanwhile stays full (a TAT in the past is a full bucket).
 */
export function returnTokens(state: BucketState, n: i64, rate: Rate): void {
  state.tat = max<i64>(state.tat - rate.costNs(n), 0);
}
