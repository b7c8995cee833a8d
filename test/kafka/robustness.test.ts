// Hostile input never traps: every truncation of every API/version reports an
// error; random bytes and mutated valid frames of every API decode or fail
// cleanly, and so do the resource scan and the error response built from
// whatever decodes. A trap would surface here as a thrown
// WebAssembly.RuntimeError.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { SCHEMAS, requestFrame, responseFrame, randomStruct, rngFrom, versionsOf, isFlexible } from "./wire.ts";
import { loadCodec, type KafkaCodec } from "./module.ts";

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

// A frame whose size prefix says n body bytes, holding the first n of body.
function truncated(frame: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(4 + n);
  out.set(frame.subarray(4, 4 + n), 4);
  new DataView(out.buffer).setInt32(0, n);
  return out;
}

const samples: { api: string; key: number; v: number; req: Uint8Array; resp: Uint8Array }[] = [];
for (const api of Object.keys(SCHEMAS)) {
  const m = SCHEMAS[api][api + "Request"];
  const r = SCHEMAS[api][api + "Response"];
  for (const v of versionsOf(api, "Request")) {
    const rng = rngFrom(v * 31 + m.apiKey);
    samples.push({
      api, key: m.apiKey, v,
      req: requestFrame(api, v, randomStruct(m.fields, v, isFlexible(m, v), rng), 9, "c"),
      resp: responseFrame(api, v, randomStruct(r.fields, v, isFlexible(r, v), rng), 9),
    });
  }
}

describe("truncated frames", () => {
  it("every shorter body of every API/version is an error, never a trap", () => {
    for (const s of samples) {
      for (let n = 0; n < s.req.length - 4; n++) {
        expect(codec.roundTripRequest(truncated(s.req, n)).length, `${s.api} v${s.v} req ${n}`).toBe(0);
        expect(codec.lastDecodeError()).not.toBe("");
      }
      for (let n = 0; n < s.resp.length - 4; n++) {
        expect(codec.roundTripResponse(s.key, s.v, truncated(s.resp, n)).length, `${s.api} v${s.v} resp ${n}`).toBe(0);
        expect(codec.lastDecodeError()).not.toBe("");
      }
    }
  });

  it("a frame cut short without fixing its size prefix is an error", () => {
    for (const s of samples) {
      for (let n = 0; n < s.req.length; n += 7) {
        expect(codec.roundTripRequest(s.req.subarray(0, n)).length).toBe(0);
        expect(JSON.parse(codec.describeRequest(s.req.subarray(0, n))).error).toBeTypeOf("string");
      }
    }
  });
});

describe("fuzzing", () => {
  it("random bytes never trap", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -1, max: 100 }), fc.integer({ min: -1, max: 20 }), (b, key, v) => {
        codec.roundTripRequest(b);
        codec.describeRequest(b);
        codec.roundTripResponse(key, v, b);
        codec.describeResponse(key, v, b);
        codec.batchSummary(b);
        codec.batchAddHeader(b, "k", "v");
      }),
      { numRuns: 3000 },
    );
  });

  it("random bodies behind a valid header never trap", () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.uint8Array({ maxLength: 200 }), (s, body) => {
        const head = s.req.subarray(4, 4 + 8);
        const f = new Uint8Array(4 + 8 + 2 + body.length);
        new DataView(f.buffer).setInt32(0, f.length - 4);
        f.set(head, 4); // key, version, correlation id; client id length 0
        f.set(body, 14);
        codec.roundTripRequest(f);
        codec.describeRequest(f);
        codec.scanResources(f, ">");
        codec.errorResponseFor(f, 29);
        const g = new Uint8Array(4 + body.length);
        new DataView(g.buffer).setInt32(0, body.length);
        g.set(body, 4);
        codec.roundTripResponse(s.key, s.v, g);
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated valid frames never trap, and when they decode they re-encode to a decodable frame", () => {
    const mutation = fc.record({
      at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom("set", "insert", "delete"),
    });
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (s, muts, isReq) => {
        const bytes = Array.from((isReq ? s.req : s.resp).subarray(4));
        for (const m of muts) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === "set" && at < bytes.length) bytes[at] = m.byte;
          else if (m.kind === "insert") bytes.splice(at, 0, m.byte);
          else bytes.splice(at, 1);
        }
        const f = new Uint8Array(4 + bytes.length);
        new DataView(f.buffer).setInt32(0, bytes.length);
        f.set(bytes, 4);
        if (isReq) policyNeverTraps(f);
        else {
          const out = codec.roundTripResponse(s.key, s.v, f);
          codec.describeResponse(s.key, s.v, f);
          if (out.length) expect(codec.roundTripResponse(s.key, s.v, out).length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("every API and version: mutated requests never trap, through the policy functions too", () => {
    const rng = rngFrom(4242);
    const pick = (n: number) => Math.floor(rng() * n);
    for (const s of samples) {
      for (let round = 0; round < 40; round++) {
        const bytes = Array.from(s.req.subarray(4));
        for (let m = 1 + pick(3); m > 0; m--) {
          const at = pick(bytes.length + 1);
          const kind = pick(3);
          if (kind === 0 && at < bytes.length) bytes[at] = pick(256);
          else if (kind === 1) bytes.splice(at, 0, pick(256));
          else bytes.splice(at, 1);
        }
        const f = new Uint8Array(4 + bytes.length);
        new DataView(f.buffer).setInt32(0, bytes.length);
        f.set(bytes, 4);
        policyNeverTraps(f);
      }
    }
  });
});

// A request that decodes re-encodes to one that decodes; its scan (denying
// every other name) yields frames that decode, and its error response is a
// frame of its API.
function policyNeverTraps(f: Uint8Array): void {
  const out = codec.roundTripRequest(f);
  codec.describeRequest(f);
  if (!out.length) {
    expect(codec.errorResponseFor(f, 29).length).toBe(0);
    return;
  }
  expect(codec.roundTripRequest(out).length).toBeGreaterThan(0);
  const refs = (JSON.parse(codec.scanResources(f, "")).refs as { name: string }[]).map((r) => r.name);
  const scan = JSON.parse(codec.scanResources(f, refs.filter((_, i) => i % 2 === 0).map((n) => ">" + n).join("\n")));
  for (const frame of [scan.allowed, scan.denied]) {
    if (frame !== null) expect(codec.roundTripRequest(Uint8Array.from(Buffer.from(frame, "hex"))).length).toBeGreaterThan(0);
  }
  const key = new DataView(f.buffer, f.byteOffset).getInt16(4);
  const version = new DataView(f.buffer, f.byteOffset).getInt16(6);
  const answer = codec.errorResponseFor(f, 29);
  expect(codec.roundTripResponse(key, version, answer).length).toBeGreaterThan(0);
}
