// The streaming ProduceScanner (assembly/kafka/produce_scanner.ts) against
// the full decode (ProduceRequest.decode + readBatches): on random produce
// requests of every version from the independent encoder (wire.ts), with
// record sets of well-formed, legacy, tiny, truncated and malformed batches,
// whole or corrupted, fed through a FrameStream in any split, both give the
// same acks, correlation id and per-topic record and byte counts, or both
// call the frame undecodable; except that the scanner does not read the three
// zero tag counts that end a flexible request. The same holds when the
// scanner first reads the request's head (growing, as the kafka filter's
// interceptors judge it) and the stream scans the rest, and when it reads a
// held request whole. And the record bodies are never fetched.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPureModule } from "../support/pure-module.ts";
import { SCHEMAS, randomStruct, requestFrame, rngFrom, versionsOf, type Value } from "./wire.ts";

interface ScannerFixture {
  viaDecode(body: Uint8Array): string;
  viaScanner(frame: Uint8Array, cuts: Int32Array): string;
  viaPrefedScanner(frame: Uint8Array, cuts: Int32Array, heads: Int32Array): string;
  viaWholeFrame(body: Uint8Array): string;
  fetched(): number;
}

let fx: ScannerFixture;
beforeAll(async () => {
  fx = (await loadPureModule<ScannerFixture>("produce_scanner")).exports;
});

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

function batch(rng: Rng): Buffer {
  const kind = int(rng, 0, 9);
  const body = Buffer.from(Array.from({ length: int(rng, 0, 40) }, () => int(rng, 0, 255)));
  const head = Buffer.alloc(61);
  head.writeBigInt64BE(BigInt(int(rng, 0, 1000)), 0);
  head.writeInt32BE(int(rng, -1, 5), 12);
  if (kind <= 4) {
    // v2 batch: batchLength counts from partitionLeaderEpoch on
    head.writeInt32BE(49 + body.length, 8);
    head[16] = 2;
    head.writeInt32BE([0, 1, 3, 500, -1, 0x7fffffff][int(rng, 0, 5)], 57);
    return Buffer.concat([head, body]);
  }
  if (kind === 5) {
    // legacy message (magic 0/1): count 1
    const b = Buffer.concat([head.subarray(0, 17), body]);
    b.writeInt32BE(5 + body.length, 8);
    b[16] = int(rng, 0, 1);
    return b;
  }
  if (kind === 6) {
    // tiny: shorter than its magic byte
    const len = int(rng, 0, 4);
    const b = Buffer.alloc(12 + len);
    b.writeInt32BE(len, 8);
    return b;
  }
  if (kind === 7) {
    // v2 but shorter than its 61-byte header, or an unknown magic
    const b = Buffer.concat([head.subarray(0, 17), body]);
    b.writeInt32BE(5 + body.length, 8);
    b[16] = rng() < 0.5 ? 2 : int(rng, 3, 255);
    return b;
  }
  if (kind === 8) {
    // a length beyond the set (truncated tail) or negative
    const b = Buffer.from(head);
    b.writeInt32BE(rng() < 0.5 ? -int(rng, 1, 100) : 10_000, 8);
    return b;
  }
  return Buffer.from(Array.from({ length: int(rng, 0, 20) }, () => int(rng, 0, 255)));
}

function recordSet(rng: Rng): Buffer {
  return Buffer.concat(Array.from({ length: int(rng, 0, 4) }, () => batch(rng)));
}

function withRecordSets(v: Value, rng: Rng): Value {
  for (const topic of (v.TopicData as Value[] | null) ?? []) {
    for (const p of (topic.PartitionData as Value[] | null) ?? []) {
      if (p.Records !== null) p.Records = recordSet(rng);
    }
  }
  return v;
}

function produceFrame(version: number, seed: number): Buffer {
  const rng = rngFrom(seed);
  const m = SCHEMAS.Produce.ProduceRequest;
  const body = withRecordSets(randomStruct(m.fields, version, version >= 9, rng), rng);
  const clientId = rng() < 0.2 ? null : "client-" + int(rng, 0, 9);
  return Buffer.from(requestFrame("Produce", version, body, int(rng, -5, 1e6), clientId));
}

// Truncate the frame or change one byte (the size prefix is kept right).
function corrupt(frame: Buffer, rng: Rng): Buffer {
  const body = Buffer.from(frame.subarray(4));
  if (rng() < 0.5) {
    const cut = body.subarray(0, int(rng, 8, Math.max(8, body.length)));
    const out = Buffer.alloc(4 + cut.length);
    out.writeInt32BE(cut.length);
    cut.copy(out, 4);
    return out;
  }
  if (body.length > 8) body[int(rng, 8, body.length - 1)] = rng() < 0.2 ? 1 + int(rng, 0, 254) : int(rng, 0, 255);
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length);
  body.copy(out, 4);
  return out;
}

// The frame with its last three bytes set to zero: what the scanner takes
// them for when it passes them unread (three empty tag sections).
function zeroTail(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  out.fill(0, Math.max(4, out.length - 3));
  return out;
}

function cutsOf(length: number, sizes: number[]): Int32Array {
  const cuts: number[] = [];
  let at = 0;
  for (const s of sizes) {
    at += s;
    if (at >= length) break;
    cuts.push(at);
  }
  return Int32Array.from(cuts);
}

describe("produce scanner", () => {
  for (const version of versionsOf("Produce", "Request")) {
    it(`v${version}: the same counts as the full decode, under any split`, () => {
      // The property must see both outcomes, and batches really counted.
      const seen = { undecodable: 0, counted: 0, tailCorrupted: 0 };
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 0x7fffffff }),
          fc.integer({ min: 0, max: 2 }),
          fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 40 }),
          (seed, mode, sizes) => {
            const original = produceFrame(version, seed);
            const frame = mode === 2 ? corrupt(original, rngFrom(seed ^ 0x5bd1e995)) : original;
            const expected = fx.viaDecode(frame.subarray(4));
            expect(expected).not.toBe("no codec");
            if (expected === "undecodable") seen.undecodable++;
            else if (/=[1-9]\d*\//.test(expected)) seen.counted++;
            const whole = fx.viaScanner(frame, new Int32Array(0));
            if (whole !== expected && version >= 9) {
              // The three zero tag counts that end a flexible request are not
              // read: the scanner reports what the decoder reads when they are
              // what they must be (a frame changed or cut there).
              expect(whole).toBe(fx.viaDecode(zeroTail(frame).subarray(4)));
              seen.tailCorrupted++;
            } else {
              expect(whole).toBe(expected);
            }
            expect(fx.viaScanner(frame, cutsOf(frame.length, sizes))).toBe(whole);
            expect(fx.viaWholeFrame(frame.subarray(4))).toBe(whole);
            const heads = Int32Array.from(sizes.slice(0, 4).map((s, i) => s * (i + 1) * 3));
            expect(fx.viaPrefedScanner(frame, cutsOf(frame.length, sizes.slice(4)), heads.sort())).toBe(whole);
            // One byte at a time, now and then.
            if (mode === 1 && frame.length < 400) {
              expect(fx.viaScanner(frame, Int32Array.from({ length: frame.length - 1 }, (_, i) => i + 1))).toBe(whole);
            }
          },
        ),
        { numRuns: 150 },
      );
      expect(seen.undecodable).toBeGreaterThan(5);
      expect(seen.counted).toBeGreaterThan(20);
    });
  }

  it("does not fetch record bodies", () => {
    for (const version of [3, 9, 13]) {
      const big = (n: number) => {
        const head = Buffer.alloc(61);
        head.writeInt32BE(49 + n, 8);
        head[16] = 2;
        head.writeInt32BE(1000, 57);
        return Buffer.concat([head, Buffer.alloc(n, 7)]);
      };
      const records = Buffer.concat([big(65536), big(100_000), big(3)]);
      const topic = version >= 13 ? { TopicId: new Uint8Array(16).fill(9) } : { Name: "orders" };
      const body: Value = {
        TransactionalId: null, Acks: 1, TimeoutMs: 30000,
        TopicData: [{ ...topic, PartitionData: [{ Index: 0, Records: records }, { Index: 1, Records: records }] }],
      };
      const frame = Buffer.from(requestFrame("Produce", version, body, 7, "bench"));
      const expected = fx.viaDecode(frame.subarray(4));
      expect(expected).toContain("=6000/" + 2 * records.length);
      for (const sizes of [[16384], [1000, 16384, 16384, 16384], [frame.length]]) {
        const cuts = cutsOf(frame.length, Array.from({ length: 200 }, (_, i) => sizes[i % sizes.length]));
        expect(fx.viaScanner(frame, cuts)).toBe(expected);
        expect(fx.fetched()).toBeLessThan(2000);
      }
    }
  });
});
