// The reference model the token bucket tests check the .wasm against: a
// classic token bucket (level, capacity, refill on read) in exact BigInt
// arithmetic, written from the definition rather than from token_bucket.ts.
// Time is the running maximum of the clocks given, as the bucket promises.

// Admission modes, numbered as token_bucket.ts's Admit.
export enum Mode { Deficit = 0, WhileNotNegative = 1, IfAvailable = 2 }

export const G = 1_000_000_000n;
const ceilDiv = (a: bigint, b: bigint) => (a <= 0n ? 0n : (a + b - 1n) / b);

// The reference: level in token-nanoseconds (tokens x 1e9), exact.
export class RefBucket {
  private level: bigint;
  private last = 0n;
  readonly capacity: bigint;
  constructor(readonly rate: bigint, burstNs: bigint) {
    this.capacity = rate * burstNs;
    this.level = this.capacity; // a new bucket is full
  }
  take(now: bigint, n: bigint, mode: Mode): { admitted: boolean; waitNs: bigint; level: bigint } {
    const t = now > this.last ? now : this.last;
    const refill = this.level + (t - this.last) * this.rate;
    this.level = refill < this.capacity ? refill : this.capacity;
    this.last = t;
    const need = n * G;
    let admitted = true;
    if (mode === Mode.WhileNotNegative) admitted = this.level >= 0n;
    if (mode === Mode.IfAvailable) admitted = this.level >= need;
    if (!admitted) {
      const short = mode === Mode.WhileNotNegative ? -this.level : need - this.level;
      return { admitted, waitNs: ceilDiv(short, this.rate), level: this.level };
    }
    this.level -= need;
    return { admitted, waitNs: ceilDiv(-this.level, this.rate), level: this.level };
  }

  /** Undoes n tokens of an admitted take: refilled to now, then n back, at most full. */
  giveBack(now: bigint, n: bigint): void {
    const t = now > this.last ? now : this.last;
    const level = this.level + (t - this.last) * this.rate + n * G;
    this.level = level < this.capacity ? level : this.capacity;
    this.last = t;
  }
}
