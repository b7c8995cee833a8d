// The ratio sampler against the OpenTelemetry specification's
// ProbabilitySampler rule (randomness R = the trace id's trailing 56 bits,
// threshold T = (1 - ratio) * 2^56, sampled when R >= T) and ParentBased,
// as properties over random trace ids.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadTraceCodecs, type TraceCodecs } from "./codecs.ts";

let m: TraceCodecs;
beforeAll(async () => { m = await loadTraceCodecs(); }, 180_000);

const TWO_56 = 1n << 56n;
const hexId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("hex"));
const ratio = fc.double({ min: 0, max: 1, noNaN: true });
const randomness = (id: string) => BigInt("0x" + id.slice(18));

describe("ratio sampler", () => {
  it("samples nothing at 0 and everything at 1", () => {
    expect(m.threshold(0)).toBe(TWO_56);
    expect(m.threshold(1)).toBe(0n);
    expect(m.sample(0, "f".repeat(32), "")).toBe(0);
    expect(m.sample(1, "0".repeat(31) + "1", "")).toBe(1);
  });

  it("sets the threshold at (1 - ratio) * 2^56", () => {
    fc.assert(fc.property(ratio, (p) => {
      const t = m.threshold(p);
      // Within the precision of a double: the spec computes it in floating point.
      const exact = (1 - p) * 2 ** 56;
      expect(Math.abs(Number(t) - exact)).toBeLessThanOrEqual(Math.max(1, exact * 2 ** -52));
    }));
  });

  it("writes the threshold as the specification's tracestate th value", () => {
    // The specification's examples: 100% is "0", 25% "c"; trailing zeros go.
    expect([1, 0.5, 0.25, 0.75].map((p) => m.thresholdText(p))).toEqual(["0", "8", "c", "4"]);
    expect(m.thresholdText(0)).toBe(""); // samples nothing: never written
    fc.assert(fc.property(ratio, (p) => {
      const th = m.thresholdText(p);
      if (m.threshold(p) === TWO_56) return;
      expect(th).toMatch(/^(0|[0-9a-f]{0,13}[1-9a-f])$/);
      expect(BigInt("0x" + th.padEnd(14, "0"))).toBe(m.threshold(p));
    }));
  });

  it("decides new traces by the trailing 56 bits of the trace id", () => {
    fc.assert(fc.property(ratio, hexId, (p, id) => {
      expect(m.sample(p, id, "")).toBe(randomness(id) >= m.threshold(p) ? 1 : 0);
    }), { numRuns: 500 });
  });

  it("samples at a higher ratio every trace a lower ratio samples", () => {
    fc.assert(fc.property(ratio, ratio, hexId, (a, b, id) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      if (m.sample(lo, id, "")) expect(m.sample(hi, id, "")).toBe(1);
    }), { numRuns: 500 });
  });

  it("samples about `ratio` of random traces", () => {
    const n = 20000;
    const ids = Array.from({ length: n }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")).join("");
    for (const p of [0.01, 0.1, 0.5, 0.9]) {
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(m.sampledCount(p, ids, n) - n * p), `ratio ${p}`).toBeLessThan(6 * sigma);
    }
  });

  it("follows a parent's sampled flag whatever the ratio", () => {
    fc.assert(fc.property(ratio, hexId, hexId, fc.boolean(), (p, traceId, parentTrace, sampled) => {
      const parent = `00-${parentTrace === "0".repeat(32) ? "1".repeat(32) : parentTrace}-00f067aa0ba902b7-0${sampled ? 1 : 0}`;
      expect(m.sample(p, traceId, parent)).toBe(sampled ? 1 : 0);
    }), { numRuns: 300 });
  });
});
