// Token bucket arithmetic (assembly/common/token_bucket.ts) through the
// .wasm, as properties against a reference model written here: a classic
// token bucket (level, capacity, refill on read) in exact BigInt
// arithmetic, with time as the running maximum of the clocks given.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { loadPureModule } from "../support/pure-module.ts";
import { G, Mode, RefBucket } from "./ref_bucket.ts";

interface BucketFixture {
  runTakes(perSecond: string, burstSeconds: number, ops: string): string;
  costNs(perSecond: string, n: string): string;
  waitMsOf(waitNs: string): number;
}

let m: BucketFixture;
beforeAll(async () => {
  await freshModule({ entry: "test/fixtures/common_token_bucket.ts", out: "build/fixtures/common_token_bucket.wasm", bindings: true });
  m = (await loadPureModule<BucketFixture>("common_token_bucket")).exports;
}, 120_000);

interface Op { now: bigint; n: bigint; mode: Mode }
interface Outcome { admitted: boolean; waitNs: bigint; tat: bigint }

function run(rate: bigint, burstSeconds: number, ops: Op[]): Outcome[] {
  const text = m.runTakes(String(rate), burstSeconds, ops.map((o) => `${o.now} ${o.n} ${o.mode}`).join(";"));
  return text.split(";").map((r) => {
    const [a, w, t] = r.split(" ");
    return { admitted: a === "1", waitNs: BigInt(w), tat: BigInt(t) };
  });
}

// 1e9 = 2^9 x 5^9: rates dividing it make every cost an exact nanosecond count.
const exactRates = Array.from({ length: 10 }, (_, i) => 2n ** BigInt(i)).flatMap((p) => Array.from({ length: 10 }, (_, j) => p * 5n ** BigInt(j)));
const burstMs = fc.integer({ min: 1, max: 5000 });

// Clock readings: mostly forward (small and large steps), sometimes back.
function opsArb(maxN: number) {
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 2_000_000_000n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 17n }) },
    { weight: 2, arbitrary: fc.bigInt({ min: -3_000_000_000n, max: -1n }) },
  );
  return fc.array(fc.tuple(step, fc.integer({ min: 0, max: maxN }), fc.constantFrom(Mode.Deficit, Mode.WhileNotNegative, Mode.IfAvailable)), { minLength: 1, maxLength: 20 })
    .map((steps) => {
      let now = 10n ** 12n;
      return steps.map(([d, n, mode]) => {
        now = now + d < 0n ? 0n : now + d;
        return { now, n: BigInt(n), mode };
      });
    });
}

describe("token bucket arithmetic", () => {
  it("matches the reference exactly when costs are whole nanoseconds (refill, burst, debt, clock steps)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...exactRates), burstMs, opsArb(100_000_000), (rate, burst, ops) => {
        const ref = new RefBucket(rate, BigInt(burst) * 1_000_000n);
        const got = run(rate, burst / 1000, ops);
        let seen = 0n;
        ops.forEach((op, i) => {
          const want = ref.take(op.now, op.n, op.mode);
          seen = op.now > seen ? op.now : seen;
          expect({ i, admitted: got[i].admitted, waitNs: got[i].waitNs }).toEqual({ i, admitted: want.admitted, waitNs: want.waitNs });
          // tokens left, from the stored TAT: (t + burst - max(TAT, t)) x rate
          const tat = got[i].tat > seen ? got[i].tat : seen;
          expect((seen + BigInt(burst) * 1_000_000n - tat) * rate).toBe(want.level);
        });
      }),
      { numRuns: 3000 },
    );
  });

  it("stays within a nanosecond per take of the exact debt for any rate (Deficit)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), burstMs, opsArb(1_000_000_000).map((ops) => ops.map((o) => ({ ...o, mode: Mode.Deficit }))), (rate, burst, ops) => {
        const ref = new RefBucket(rate, BigInt(burst) * 1_000_000n);
        const got = run(rate, burst / 1000, ops);
        for (const [i, op] of ops.entries()) {
          const want = ref.take(op.now, op.n, op.mode);
          // beyond 2^62 ns the bucket saturates (checked below), the reference does not
          if (op.now + want.waitNs + BigInt(burst) * 1_000_000n >= 2n ** 62n) break;
          expect(got[i].admitted).toBe(true);
          const diff = got[i].waitNs - want.waitNs;
          // costs round up: never more permissive, and off by under 1 ns per take so far
          expect(diff >= 0n && diff <= BigInt(i + 1), `take ${i}: ${got[i].waitNs} vs ${want.waitNs}`).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("charges ceil(n x 1e9 / rate) nanoseconds, saturating instead of overflowing", () => {
    expect(m.costNs("1048576", "1048576")).toBe("1000000000");
    expect(m.costNs("3", "1")).toBe("333333334");
    expect(m.costNs("1", "0")).toBe("0");
    const MAX = 2n ** 62n;
    expect(m.costNs("1", "17999999999")).toBe(String(17_999_999_999n * G > MAX ? MAX : 17_999_999_999n * G));
    expect(m.costNs("1", "9223372036854775807")).toBe(String(MAX));
    expect(m.costNs("1000000000000000", "9223372036854775807")).toBe("9223372036855"); // ceil(9223372036854.775807)
    expect(m.costNs("1000000000000000", "17999999999")).toBe("18000"); // ceil(17999.999999), the integer path
    expect(m.costNs("1000000000000000", "18000000001")).toBe("18001"); // ceil(18000.000001), the floating-point path
  });

  it("keeps huge values and clock extremes in range", () => {
    const MAX = 2n ** 62n;
    const r = run(1n, 1, [
      { now: 0n, n: 2n ** 62n, mode: Mode.Deficit },
      { now: 2n ** 63n - 1n, n: 2n ** 63n - 1n, mode: Mode.Deficit },
      { now: 5n, n: 1n, mode: Mode.IfAvailable },
    ]);
    expect(r[0]).toEqual({ admitted: true, waitNs: MAX - G, tat: MAX });
    expect(r[1].tat).toBe(MAX);
    expect(r[1].waitNs).toBe(0n); // the clock reached the cap too: no debt is left to measure
    expect(r[2].admitted).toBe(true); // a later reading behind the cap does not move time back
    expect(m.waitMsOf(String(MAX))).toBe(2 ** 31 - 1); // throttle_time_ms is an int32
    expect(m.waitMsOf("1")).toBe(1);
    expect(m.waitMsOf("1000000")).toBe(1);
    expect(m.waitMsOf("1000001")).toBe(2);
    expect(m.waitMsOf("0")).toBe(0);
  });

  it("models a Kafka produce quota: the throttle is the time the bytes took beyond the rate", () => {
    // 1 MiB/s, 1 s burst: the first MiB passes free, each further MiB costs a second
    const MiB = 1_048_576n;
    const r = run(MiB, 1, [
      { now: 0n, n: MiB, mode: Mode.Deficit },
      { now: 0n, n: MiB, mode: Mode.Deficit },
      { now: 0n, n: 2n * MiB, mode: Mode.Deficit },
      { now: 3n * G, n: MiB, mode: Mode.Deficit },
      { now: 10n * G, n: MiB / 2n, mode: Mode.Deficit },
    ]);
    expect(r.map((x) => x.waitNs)).toEqual([0n, G, 3n * G, G, 0n]);
  });
});
