// Hostile input never traps: a trap would surface here as a thrown
// WebAssembly.RuntimeError. Truncated headers are errors; random and mutated
// frames decode or fail cleanly, and what decodes re-encodes stably.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { binaryFrame, command, fastjson, frame, jsonFrame, loadCodec, JSON_TYPE, ROCKETMQ_TYPE, type Codec } from "./remoting.ts";

let m: Codec;
beforeAll(async () => { m = await loadCodec(); });

const enc = (s: string) => new TextEncoder().encode(s);
const samples = [
  command({ code: 310, opaque: 1, version: 453, ext: [["a", "pg"], ["b", "T"], ["i", "KEYS\u0001k\u0002"]], body: enc("hello") }),
  command({ code: 16, flag: 1, opaque: -5, remark: "no permission, topic=\"T\"\n", ext: [["MSG_REGION", "DefaultRegion"]] }),
  command({ code: 34, language: 13, body: enc(fastjson({ clientID: "c", producerDataSet: [{ groupName: "p" }] })) }),
  command({ code: 0, flag: 1, body: enc(fastjson({ brokerDatas: [{ brokerAddrs: new Map([[0, "1.2.3.4:5"]]), brokerName: "b" }] })) }),
  command({ code: 200151, body: enc(fastjson({ acks: [{ c: "g", t: "t" }] })) }),
];
const frames = samples.flatMap((c) => [jsonFrame(c), binaryFrame(c)]);

// Every reader the filter might point at a frame.
function exercise(f: Uint8Array): void {
  const d = m.describeFrame(f);
  const re = m.reencode(f);
  if (d.startsWith("ERR:")) {
    expect(re.length).toBe(0);
    expect(m.lastError()).not.toBe("");
  } else {
    // What decodes re-encodes, and the re-encoding decodes to the same command.
    expect(re.length).toBeGreaterThan(4);
    expect(m.describeFrame(re.subarray(4))).toBe(d);
  }
  m.peek(f, f.length);
  m.sendInfo(f);
  m.consumeInfo(f);
  m.heartbeatInfo(f);
  m.addSendProperty(f, "traceparent", "00-x");
  m.convert(f, JSON_TYPE);
  m.convert(f, ROCKETMQ_TYPE);
  m.respond(f, 16, "x");
  m.edit(f, "k", "v", "r", 1);
  m.routeAddresses(f);
  m.routeRewrite(f, "a:1");
  m.batchDescribe(f);
  m.batchWith(f, "k", "v");
}

describe("truncated frames", () => {
  it("every prefix of a header, given as the whole header, is an error", () => {
    for (const f of frames) {
      const hlen = new DataView(f.buffer).getUint32(0) & 0xffffff;
      const type = f[0];
      for (let n = 0; n < hlen; n++) {
        const cut = frame(type, f.subarray(4, 4 + n));
        expect(m.describeFrame(cut), `${type} ${n}`).toMatch(/^ERR:/);
        exercise(cut);
      }
    }
  });

  it("a frame cut anywhere inside its header is an error; inside its body it is a shorter body", () => {
    for (const f of frames) {
      const hlen = new DataView(f.buffer).getUint32(0) & 0xffffff;
      for (let n = 0; n < f.length; n++) {
        const d = m.describeFrame(f.subarray(0, n));
        if (n < 4 + hlen) expect(d, `${n}`).toMatch(/^ERR:/);
        else expect(JSON.parse(d).bodyLength).toBe(n - 4 - hlen);
        exercise(f.subarray(0, n));
      }
    }
  });
});

describe("fuzzing", () => {
  it("random bytes never trap", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 1, 2), (b, type) => {
      exercise(b);
      exercise(frame(type, b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)));
    }), { numRuns: 1500 });
  });

  it("random text headers never trap", () => {
    const jsonish = fc.array(fc.constantFrom("{", "}", "[", "]", ":", ",", '"', "\\", "0", "-1", "code", "extFields", "null", " ", "\"a\"", "1e5", "\u0001"), { maxLength: 60 }).map((a) => a.join(""));
    fc.assert(fc.property(jsonish, (s) => {
      exercise(frame(JSON_TYPE, enc(s)));
      exercise(enc(s));
    }), { numRuns: 1500 });
  });

  it("mutated valid frames never trap", () => {
    fc.assert(fc.property(
      fc.constantFrom(...frames),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      (f, edits) => {
        const g = Uint8Array.from(f);
        for (const [at, v] of edits) g[at % g.length] = v;
        exercise(g);
      }), { numRuns: 2000 });
  });

  it("deep nesting is an error, not a stack overflow", () => {
    const deep = "[".repeat(100000) + "]".repeat(100000);
    exercise(frame(JSON_TYPE, enc(`{"code":1,"x":${deep}}`)));
    expect(m.describeFrame(frame(JSON_TYPE, enc(`{"code":1,"x":${deep}}`)))).toMatch(/^ERR:/);
    expect(m.routeAddresses(enc(`{"brokerDatas":${deep}}`))).toMatch(/^ERR:/);
    expect(m.standardJson(deep)).toMatch(/^ERR:/);
  });
});
