// The frame stream under any split of the byte stream: what goes on the wire
// is exactly what the per-frame fates say, and nothing is withheld once the
// last frame is complete.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface FrameStreamFixture {
  reset(maxFrame: number, closeOnDesync: boolean): void;
  push(chunk: Uint8Array, endOfStream: boolean): number;
  output(): Uint8Array;
  observed(): string;
  withheld(): number;
  desyncs(): number;
  pushLazy(chunk: Uint8Array, endOfStream: boolean): number;
  fetched(): number;
  resetFetched(): void;
}

const FORWARD = 0, REPLACE = 1, CLOSE = 2;
let fx: FrameStreamFixture;

beforeAll(async () => {
  fx = (await loadPureModule<FrameStreamFixture>("frame_stream")).exports;
});

function frame(body: string): Buffer {
  const b = Buffer.from(body, "latin1");
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(b.length);
  return Buffer.concat([prefix, b]);
}

// What the wire must carry for these frames, by the fixture's spelling.
function expectedWire(bodies: string[], maxFrame: number): { wire: Buffer; observed: string[] } {
  const parts: Buffer[] = [];
  const observed: string[] = [];
  for (const body of bodies) {
    const c = body[0];
    if (body.length > maxFrame || body.length === 0) parts.push(frame(body));
    else if (c === "u") parts.push(frame(body.toUpperCase()));
    else if (c === "x") parts.push(frame(body), frame(body));
    else if (c === "d") continue;
    else {
      if (c === "o" || (c === "n" && body.length >= 3)) observed.push(body);
      if (c === "s") observed.push("s:" + [...body].filter((_, i) => i % 3 === 0).join(""));
      parts.push(frame(body));
    }
  }
  return { wire: Buffer.concat(parts), observed };
}

function splitAt(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (const size of sizes) {
    if (pos >= bytes.length) break;
    chunks.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  if (pos < bytes.length) chunks.push(bytes.subarray(pos));
  return chunks;
}

function run(chunks: Buffer[], endOfStreamOnLast = false, lazy = false): { wire: Buffer; actions: number[] } {
  const out: Buffer[] = [];
  const actions: number[] = [];
  chunks.forEach((chunk, i) => {
    const eos = endOfStreamOnLast && i === chunks.length - 1;
    const action = lazy ? fx.pushLazy(chunk, eos) : fx.push(chunk, eos);
    actions.push(action);
    if (action === FORWARD) out.push(chunk);
    else if (action === REPLACE) out.push(Buffer.from(fx.output()));
  });
  return { wire: Buffer.concat(out), actions };
}

const body = fc
  .tuple(fc.constantFrom("p", "o", "h", "u", "x", "d", "n", "s", "z"), fc.string({ unit: fc.constantFrom("a", "b", "c", "q"), maxLength: 40 }))
  .map(([first, rest]) => first + rest);
const bodies = fc.array(fc.oneof(body, fc.constant("")), { maxLength: 12 });
const splits = fc.array(fc.integer({ min: 1, max: 23 }), { maxLength: 60 });

describe("frame stream", () => {
  it("puts the same bytes on the wire however the stream is split", () => {
    fc.assert(
      fc.property(bodies, splits, fc.integer({ min: 8, max: 64 }), (frames, sizes, maxFrame) => {
        fx.reset(maxFrame, false);
        const input = Buffer.concat(frames.map(frame));
        const expected = expectedWire(frames, maxFrame);
        const { wire, actions } = run(splitAt(input, sizes));
        expect(wire.toString("latin1")).toBe(expected.wire.toString("latin1"));
        expect(fx.observed()).toBe(expected.observed.join("|"));
        expect(fx.withheld()).toBe(0);
        expect(actions).not.toContain(CLOSE);
      }),
      { numRuns: 400 },
    );
  });

  it("puts the same bytes on the wire through a source read only where needed", () => {
    fc.assert(
      fc.property(bodies, splits, fc.integer({ min: 8, max: 64 }), fc.boolean(), (frames, sizes, maxFrame, eos) => {
        fx.reset(maxFrame, false);
        const input = Buffer.concat(frames.map(frame));
        const expected = expectedWire(frames, maxFrame);
        const { wire, actions } = run(splitAt(input, sizes), eos, true);
        expect(wire.toString("latin1")).toBe(expected.wire.toString("latin1"));
        expect(fx.observed()).toBe(expected.observed.join("|"));
        expect(fx.withheld()).toBe(0);
        expect(actions).not.toContain(CLOSE);
      }),
      { numRuns: 400 },
    );
  });

  it("never reads the bytes of passed frames, and only what a scanner asks for", () => {
    fx.reset(1 << 20, false);
    fx.resetFetched();
    const big = (c: string) => frame(c + "a".repeat(30_000));
    const input = Buffer.concat([big("p"), big("s"), big("p")]);
    const { wire, actions } = run(splitAt(input, Array(100).fill(16384)), false, true);
    expect(wire).toEqual(input);
    expect(actions.every((a) => a === FORWARD)).toBe(true);
    // size prefixes, first looks at each frame, and the scanned 10 001 bytes
    expect(fx.fetched()).toBeLessThan(3 * (4 + 256) + 10_001 + 64);
    expect(fx.observed()).toBe("s:s" + "a".repeat(10_000));
  });

  it("leaves the buffer alone when whole frames are only observed", () => {
    fx.reset(1024, false);
    const input = Buffer.concat([frame("ohello"), frame("pass"), frame("oworld")]);
    expect(fx.push(input, false)).toBe(FORWARD);
    expect(fx.observed()).toBe("ohello|oworld");
  });

  it("withholds a frame that may be rewritten until it is complete", () => {
    fx.reset(1024, false);
    const input = Buffer.concat([frame("pfirst"), frame("uabc")]);
    const cut = input.length - 2;
    expect(fx.push(input.subarray(0, cut), false)).toBe(REPLACE);
    expect(Buffer.from(fx.output())).toEqual(frame("pfirst"));
    expect(fx.withheld()).toBe(cut - frame("pfirst").length);
    expect(fx.push(input.subarray(cut), false)).toBe(REPLACE);
    expect(Buffer.from(fx.output())).toEqual(frame("UABC"));
  });

  it("releases withheld bytes unchanged at end of stream", () => {
    fx.reset(1024, false);
    const partial = frame("hheld-but-cut").subarray(0, 9);
    const input = Buffer.concat([frame("ook"), partial]);
    const { wire } = run([input], true);
    expect(wire).toEqual(input);
    expect(fx.withheld()).toBe(0);
  });

  it("passes oversized frames without keeping them", () => {
    fx.reset(8, false);
    const big = "u" + "a".repeat(100);
    const { wire } = run(splitAt(frame(big), [3, 5, 50]));
    expect(wire).toEqual(frame(big));
  });

  it("passes everything after a negative size, or closes when asked", () => {
    fx.reset(1024, false);
    const garbage = Buffer.concat([frame("ofine"), Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]), frame("unever-parsed")]);
    const { wire } = run(splitAt(garbage, [2, 9, 4, 1]));
    expect(wire).toEqual(garbage);
    expect(fx.desyncs()).toBe(1);
    expect(fx.observed()).toBe("ofine");

    fx.reset(1024, true);
    expect(fx.push(garbage, false)).toBe(CLOSE);
  });

  it("closes when the handler says so", () => {
    fx.reset(1024, false);
    expect(fx.push(frame("close-me"), false)).toBe(CLOSE);
  });

  it("never traps on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), splits, (bytes, sizes) => {
        fx.reset(64, false);
        run(splitAt(Buffer.from(bytes), sizes), true);
      }),
      { numRuns: 300 },
    );
  });
});
