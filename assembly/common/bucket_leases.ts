// Per-worker credit drawn from a shared bucket in chunks, for takes in
// Kafka's deficit model (token_bucket.ts, Admit.Deficit).
//
// Why: a take on SharedBuckets is a shared-data read and a compare-and-swap
// write (two host calls, each taking the store's lock) plus an encoded value;
// a quota set far above the traffic (the common case: a ceiling for a noisy
// neighbour) would pay that on every produce request. So a worker that finds
// the shared bucket holding plenty takes a chunk of tokens ahead (what the
// rate refills in LEASE_NS, at most a quarter of the burst) and charges its
// requests against that chunk without touching shared data, until the chunk
// is spent or LEASE_NS have passed.
//
// The semantics stay the shared bucket's, stricter never looser:
// - a chunk is taken only if the bucket holds it (Admit.IfAvailable), so a
//   chunk never puts the bucket in debt, and a request admitted from a chunk
//   had its tokens in the bucket (taken ahead), which is exactly when the
//   shared bucket would have admitted it without a wait;
// - a chunk is taken only when it covers at least MIN_REQUESTS_PER_CHUNK
//   requests of the size asked for, and not again within LEASE_NS of a
//   bucket that did not hold one: traffic near its limit goes to the shared
//   bucket take by take, as without leases, so its throttles are the shared
//   bucket's own;
// - what is left of a chunk when the worker replaces it is given back, so a
//   worker with little traffic does not drain the bucket chunk by chunk; a
//   worker that goes idle holds at most one chunk (LEASE_NS of the rate) out
//   of the bucket until its next take of that key.
// Keys come from clients, so at most MAX_LEASES keys get a lease; takes of
// the others go to the shared bucket.
import { getMonotonicTimeNanoseconds } from "../proxy";
import { SharedBuckets } from "./shared_buckets";
import { Admit, NANOS_PER_SECOND, Rate, TakeResult } from "./token_bucket";

export const LEASE_NS: i64 = 20_000_000;
const MIN_REQUESTS_PER_CHUNK: i64 = 16;
const MAX_LEASES = 256;

// A chunk in GCRA terms (token_bucket.ts): the shared bucket's TAT moved
// from `used` to `end` when the chunk was taken, and the worker spends it by
// moving `used` on as the bucket itself would: from max(used, now), so that
// time in which a full bucket would have refilled nothing more is not
// banked in the chunk (a chunk never lets a worker exceed the burst).
class Lease {
  used: i64 = 0;
  end: i64 = 0;
  // The chunk's slot in shared data (SharedBuckets.giveBack), "" when none.
  slot: string = "";
  // When the chunk stops being spent from; when no chunk is held, the
  // earliest time to ask for one again.
  untilNs: i64 = 0;

  // Whole tokens of the chunk not spent by `now`.
  left(now: i64, rate: Rate): i64 {
    const from = max(this.used, now);
    if (from >= this.end) return 0;
    return <i64>Math.floor(<f64>(this.end - from) * <f64>rate.perSecond / <f64>NANOS_PER_SECOND);
  }
}

export class BucketLeases {
  // Takes served from a chunk, and chunks taken from the shared bucket.
  leasedTakes: u64 = 0;
  chunks: u64 = 0;

  private readonly leases: Map<string, Lease> = new Map();
  private readonly local: TakeResult = new TakeResult();

  constructor(readonly buckets: SharedBuckets) {}

  /** A deficit-model take of n tokens of `key` under `rate` (SharedBuckets.take
   *  with Admit.Deficit): always admitted, with the wait the debt costs. */
  take(key: string, n: i64, rate: Rate, nowNs: i64 = -1): TakeResult {
    const now = nowNs >= 0 ? nowNs : <i64>getMonotonicTimeNanoseconds();
    const chunk = chunkOf(rate);
    if (chunk < n * MIN_REQUESTS_PER_CHUNK) return this.buckets.take(key, n, rate, Admit.Deficit, now);
    let lease: Lease | null = this.leases.has(key) ? this.leases.get(key) : null;
    if (lease != null && now < lease.untilNs && lease.slot.length > 0) {
      const next = max(lease.used, now) + rate.costNs(n);
      if (next <= lease.end) {
        lease.used = next;
        this.leasedTakes++;
        const out = this.local;
        out.admitted = true;
        out.waitNs = 0;
        out.tokens = <f64>lease.left(now, rate);
        out.slot = "";
        return out;
      }
    }
    if (lease == null) {
      if (this.leases.size >= MAX_LEASES) return this.buckets.take(key, n, rate, Admit.Deficit, now);
      lease = new Lease();
      this.leases.set(key, lease);
    } else if (lease.slot.length > 0) {
      // The old chunk is replaced (spent or stale): its rest goes back.
      const left = lease.left(now, rate);
      if (left > 0) this.buckets.giveBack(lease.slot, key, left, rate);
      lease.slot = "";
      lease.untilNs = 0;
    } else if (now < lease.untilNs) {
      // The bucket held no chunk a moment ago: near the limit, take by take.
      return this.buckets.take(key, n, rate, Admit.Deficit, now);
    }
    const r = this.buckets.take(key, n + chunk, rate, Admit.IfAvailable, now);
    if (r.admitted && r.slot.length > 0) {
      // This take's n is spent at once; the chunk is the last part of it.
      lease.end = r.tat;
      lease.used = r.tat - rate.costNs(chunk);
      lease.slot = r.slot;
      lease.untilNs = now + LEASE_NS;
      this.chunks++;
      return r;
    }
    lease.untilNs = now + LEASE_NS;
    return this.buckets.take(key, n, rate, Admit.Deficit, now);
  }
}

// What a chunk holds under `rate`: LEASE_NS of refill, at most a quarter of
// the burst (so a chunk never takes the whole bucket from other workers).
function chunkOf(rate: Rate): i64 {
  const perLease = <i64>(<f64>rate.perSecond * <f64>LEASE_NS / <f64>NANOS_PER_SECOND);
  const quarterBurst = <i64>(<f64>rate.perSecond * <f64>rate.burstNs / <f64>NANOS_PER_SECOND / 4);
  return min(perLease, quarterBurst);
}
