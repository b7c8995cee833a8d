// Trace context injected into produce records, checked against kafkajs:
// batches built by kafkajs's encoder go through the .wasm, and kafkajs's
// decoder (and its CRC32C) read the result back.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { OURS, THEIRS, loadTraceCodecs, type TraceCodecs } from "../otel/codecs.ts";
import { crcsValid, decodeBatches as decodeAll, encodeBatch as encode, headersObject, type Header, type Rec } from "./kafkajs_batches.ts";

let m: TraceCodecs;
beforeAll(async () => { m = await loadTraceCodecs(); }, 180_000);

const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const traceparentValue = fc.oneof(
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean())
    .map(([t, s, on]) => `00-${Buffer.from(t).toString("hex")}-${Buffer.from(s).toString("hex")}-0${on ? 1 : 0}`),
  fc.constant(THEIRS), fc.string({ maxLength: 60 }),
);
const header: fc.Arbitrary<Header> = fc.oneof(
  // Header values are never null here: kafkajs's encoder cannot write a null one.
  fc.tuple(fc.constantFrom("a", "b", "content-type", "x-😀"), bytes),
  { arbitrary: traceparentValue.map((v): Header => ["traceparent", Buffer.from(v)]), weight: 1 },
  { arbitrary: fc.constantFrom("vendor=1", "x=y,z=w").map((v): Header => ["tracestate", Buffer.from(v)]), weight: 1 },
);
const record: fc.Arbitrary<Rec> = fc.record({
  key: fc.option(bytes, { nil: null }), value: fc.option(bytes, { nil: null }), headers: fc.array(header, { maxLength: 4 }),
});
const batchOf = fc.array(record, { minLength: 1, maxLength: 5 });

const hasTraceparent = (r: Rec) => r.headers.some(([k]) => k === "traceparent");

// What kafkajs decodes for a record we expect: the headers the client sent,
// plus ours when it had no traceparent.
function expectedHeaders(r: Rec, tracestate: string): Record<string, unknown> {
  const hs: Header[] = [...r.headers];
  if (!hasTraceparent(r)) {
    hs.push(["traceparent", Buffer.from(OURS)]);
    if (tracestate && !r.headers.some(([k]) => k === "tracestate")) hs.push(["tracestate", Buffer.from(tracestate)]);
  }
  return headersObject(hs);
}

describe("traceparent injection into record batches v2", () => {
  it("adds the header to records without one; kafkajs reads the same records back with valid CRCs", async () => {
    await fc.assert(fc.asyncProperty(fc.array(batchOf, { minLength: 1, maxLength: 3 }), fc.constantFrom("", "mqmesh=1"), async (batches, tracestate) => {
      const input = Buffer.concat(await Promise.all(batches.map((b, i) => encode(b, { firstOffset: i * 10 }))));
      const out = m.kafkaInject(input, OURS, tracestate);
      const s = JSON.parse(m.lastSummary());
      const all = batches.flat();
      expect(s.error).toBe(null);
      expect(s.injected).toBe(all.filter((r) => !hasTraceparent(r)).length);
      expect(s.carrying).toBe(all.filter(hasTraceparent).length);
      if (s.injected === 0) {
        expect(out.length).toBe(0); // forward the original
        return;
      }
      expect(crcsValid(out)).toEqual(batches.map(() => true));
      const decoded = await decodeAll(out);
      const original = await decodeAll(input);
      expect(decoded.length).toBe(batches.length);
      decoded.forEach((b, i) => {
        expect(b.records.map((r: any) => [r.offset, r.timestamp, r.key, r.value]))
          .toEqual(original[i].records.map((r: any) => [r.offset, r.timestamp, r.key, r.value]));
        b.records.forEach((r: any, j: number) => expect(r.headers).toEqual(expectedHeaders(batches[i][j], tracestate)));
      });
    }), { numRuns: 150 });
  });

  it("reports the distinct valid contexts records carry, with their tracestate", async () => {
    const recs: Rec[] = [
      { key: null, value: Buffer.from("1"), headers: [["traceparent", Buffer.from(THEIRS)], ["tracestate", Buffer.from("vendor=1")]] },
      { key: null, value: Buffer.from("2"), headers: [] },
      { key: null, value: Buffer.from("3"), headers: [["traceparent", Buffer.from(THEIRS)]] },
      { key: null, value: Buffer.from("4"), headers: [["traceparent", Buffer.from("garbage")]] },
    ];
    const out = m.kafkaInject(await encode(recs), OURS, "");
    expect(JSON.parse(m.lastSummary())).toEqual({
      injected: 1, carrying: 3, carried: [`${THEIRS} vendor=1`], compressed: 0, skipped: 0, error: null,
    });
    const [b] = await decodeAll(out);
    expect(b.records.map((r: any) => r.headers.traceparent.toString())).toEqual([THEIRS, OURS, THEIRS, "garbage"]);
  });

  it("leaves compressed batches as they are and rewrites the plain ones beside them", async () => {
    const gz = await encode([{ key: null, value: Buffer.from("zipped"), headers: [] }], { compression: 1 });
    const plain = await encode([{ key: Buffer.from("k"), value: Buffer.from("v"), headers: [] }], { firstOffset: 1 });
    const out = Buffer.from(m.kafkaInject(Buffer.concat([gz, plain]), OURS, ""));
    expect(JSON.parse(m.lastSummary())).toMatchObject({ injected: 1, compressed: 1, error: null });
    expect(out.subarray(0, gz.length).equals(gz)).toBe(true);
    const [zipped, rewritten] = await decodeAll(out);
    expect(zipped.records[0].headers).toEqual({});
    expect(rewritten.records[0].headers.traceparent.toString()).toBe(OURS);

    expect(m.kafkaInject(gz, OURS, "").length).toBe(0);
    expect(JSON.parse(m.lastSummary())).toMatchObject({ injected: 0, compressed: 1 });
  });

  it("never rewrites a batch whose CRC is already wrong", async () => {
    const b = await encode([{ key: null, value: Buffer.from("payload"), headers: [] }]);
    b[b.length - 1] ^= 0xff; // inside the CRC-covered part
    expect(m.kafkaInject(b, OURS, "").length).toBe(0);
    expect(JSON.parse(m.lastSummary())).toMatchObject({ injected: 0, skipped: 1 });
  });

  it("reads the contexts fetched records carry, skipping compressed batches and a partial tail", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(batchOf, fc.boolean()), { minLength: 1, maxLength: 3 }), fc.nat(), async (batches, cut) => {
      const encoded = await Promise.all(batches.map(([b, gzip], i) => encode(b, { compression: gzip ? 1 : 0, firstOffset: i * 10 })));
      const tail = encoded[0].subarray(0, cut % encoded[0].length); // a fetch may end inside a batch
      const s = JSON.parse(m.kafkaContexts(Buffer.concat([...encoded, tail])));
      const readable = batches.filter(([, gzip]) => !gzip).flatMap(([b]) => b);
      const carriers = readable.filter(hasTraceparent);
      // The last traceparent header counts, as Java's Headers.lastHeader reads it.
      const valid = carriers.map((r) => r.headers.filter(([k]) => k === "traceparent").at(-1)![1]!.toString())
        .filter((v) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(v) && !/^00-0{32}-|-0{16}-/.test(v));
      expect(s).toMatchObject({ injected: 0, carrying: carriers.length, compressed: batches.filter(([, gzip]) => gzip).length, skipped: 0, error: null });
      expect(s.carried.map((c: string) => c.split(" ")[0])).toEqual([...new Set(valid.map((v) => v.slice(0, 52)))].map((id) => valid.find((v) => v.startsWith(id))));
    }), { numRuns: 100 });
  });

  // Flipping the top byte of the record count makes it negative; the buffer
  // sized from the claimed record count must not overflow.
  const tp = (v: string): Header => ["traceparent", Buffer.from(v)];
  const zeros = "00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-00";
  const negativeRecordCount: [Rec[], number, number, number, boolean] = [[
    { key: Buffer.alloc(7), value: Buffer.alloc(9), headers: [tp(zeros), tp(zeros)] },
    { key: Buffer.alloc(8), value: Buffer.alloc(7), headers: [["tracestate", Buffer.from("vendor=1")]] },
  ], 0, 57, 0xf4, false];

  it("never traps on truncated or corrupted input and leaves what it cannot read alone", async () => {
    await fc.assert(fc.asyncProperty(batchOf, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (recs, cut, at, flip, truncate) => {
      const good = await encode(recs);
      const bad = Buffer.from(good);
      let input: Buffer;
      if (truncate) input = bad.subarray(0, cut % good.length);
      else {
        bad[at % bad.length] ^= flip;
        input = bad;
      }
      const out = m.kafkaInject(input, OURS, "");
      if (out.length === 0) return;
      // Whatever it did rewrite is a batch Kafka accepts: the CRC holds and
      // kafkajs reads it.
      expect(crcsValid(out).every(Boolean)).toBe(true);
      const [decoded] = await decodeAll(out);
      expect(decoded.records.length).toBe(recs.length);
    }), { numRuns: 300, examples: [negativeRecordCount] });
  });
});
