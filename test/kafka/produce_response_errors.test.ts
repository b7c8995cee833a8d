// The in-place reading of produce responses' error codes
// (assembly/kafka/produce_response_errors.ts), which the kafka filter uses on
// its hot path, against the full decode + collectResponseErrors: on random
// responses of every version from the independent encoder (wire.ts), whole,
// truncated or with a byte changed, both report the same codes or both call
// the response undecodable (except inside known tagged fields, see below).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPureModule } from "../support/pure-module.ts";
import { SCHEMAS, randomStruct, responseFrame, rngFrom, versionsOf } from "./wire.ts";

interface ErrorsFixture {
  errorsViaDecode(version: number, frame: Uint8Array): string;
  errorsViaScan(version: number, frame: Uint8Array): string;
  topLevelTagsViaScan(version: number, frame: Uint8Array): number;
  leaderHintsViaDecode(version: number, frame: Uint8Array): boolean;
}

let fx: ErrorsFixture;
beforeAll(async () => {
  fx = (await loadPureModule<ErrorsFixture>("produce_scanner")).exports;
});

function response(version: number, seed: number): Buffer {
  const rng = rngFrom(seed);
  const m = SCHEMAS.Produce.ProduceResponse;
  // The frame after its size prefix, as the filter sees it.
  return Buffer.from(responseFrame("Produce", version, randomStruct(m.fields, version, version >= 9, rng), seed & 0xffff)).subarray(4);
}

describe("produce response error codes read in place", () => {
  for (const version of versionsOf("Produce", "Response").filter((v) => v >= 3)) {
    it(`v${version}: the same codes as the full decode, whole, truncated or corrupted`, () => {
      const seen = { undecodable: 0, withErrors: 0, withHints: 0 };
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 0, max: 2 }), fc.nat(), (seed, mode, at) => {
          let frame = response(version, seed);
          if (mode === 1) frame = frame.subarray(0, at % (frame.length + 1));
          else if (mode === 2 && frame.length > 0) {
            frame = Buffer.from(frame);
            frame[at % frame.length] ^= 1 + (seed % 255);
          }
          const expected = fx.errorsViaDecode(version, frame);
          if (expected === "undecodable") seen.undecodable++;
          else if (expected.length > 0) seen.withErrors++;
          const scanned = fx.errorsViaScan(version, frame);
          // A changed byte inside a tagged field the decoder knows (v10+:
          // CurrentLeader, NodeEndpoints) fails only the decoder, which also
          // checks their insides; the scan checks their sizes.
          if (mode === 2 && expected === "undecodable" && version >= 10) return;
          expect(scanned).toBe(expected);
          // Leader hints are never missed: the broker address rewrite skips
          // the decode of a response whose scan reports no top-level tags.
          if (fx.leaderHintsViaDecode(version, frame)) {
            seen.withHints++;
            expect(fx.topLevelTagsViaScan(version, frame)).toBeGreaterThan(0);
          }
        }),
        { numRuns: 300 },
      );
      // The property saw both outcomes, and real error codes.
      expect(seen.undecodable).toBeGreaterThan(0);
      expect(seen.withErrors).toBeGreaterThan(0);
      if (version >= 10) expect(seen.withHints).toBeGreaterThan(0);
    });
  }
});
