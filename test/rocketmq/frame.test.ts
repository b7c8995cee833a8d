// Frames and headers: byte-exact round trips of JSON and binary headers built
// by the independent TS model, conversion between the two, faithful edits,
// synthesized responses and the cheap peek.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  binaryFrame, command, decodeWire, described, frame, jsonFrame, loadCodec, wire, JSON_TYPE, ROCKETMQ_TYPE,
  type Codec, type Command,
} from "./remoting.ts";

let m: Codec;
beforeAll(async () => { m = await loadCodec(); });

const text = fc.string({ unit: "grapheme-composite", maxLength: 12 });
// Keys and values with the separators and controls that really occur
// (message properties travel inside ext values).
const value = fc.oneof(text, fc.stringMatching(/^[\x01\x02"\\\n\t a-z0-9]{0,16}$/));
const extArb = fc.uniqueArray(fc.tuple(fc.oneof(text, fc.constantFrom("a", "b", "topic", "i")), value), { selector: ([k]) => k, maxLength: 8 });

function commandArb(binary: boolean): fc.Arbitrary<Command> {
  const code = binary ? fc.integer({ min: -32768, max: 32767 }) : fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  return fc.record({
    code,
    language: fc.integer({ min: 0, max: 13 }),
    version: binary ? fc.integer({ min: -32768, max: 32767 }) : fc.integer({ min: 0, max: 1000 }),
    opaque: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    flag: fc.integer({ min: 0, max: 3 }),
    // Java writes an empty remark as length 0, which reads back as null.
    remark: fc.option(binary ? text.filter((s) => s.length > 0) : text),
    ext: extArb,
    body: fc.uint8Array({ maxLength: 24 }),
  }).map((c) => command(c));
}

describe("round trips", () => {
  it("JSON headers re-encode byte for byte and decode to what was written", () => {
    fc.assert(fc.property(commandArb(false), (c) => {
      const f = jsonFrame(c);
      expect(JSON.parse(m.describeFrame(f))).toEqual(described(c, JSON_TYPE));
      expect(m.reencode(f)).toEqual(wire(f));
    }), { numRuns: 400 });
  });

  it("binary ROCKETMQ headers re-encode byte for byte and decode to what was written", () => {
    fc.assert(fc.property(commandArb(true), (c) => {
      const f = binaryFrame(c);
      expect(JSON.parse(m.describeFrame(f))).toEqual(described(c, ROCKETMQ_TYPE));
      expect(m.reencode(f)).toEqual(wire(f));
    }), { numRuns: 400 });
  });

  it("converts JSON to binary as Java would encode it, and back", () => {
    fc.assert(fc.property(commandArb(true), (c) => {
      expect(m.convert(jsonFrame(c), ROCKETMQ_TYPE)).toEqual(wire(binaryFrame(c)));
      const back = decodeWire(m.convert(binaryFrame(c), JSON_TYPE));
      // decodeWire reads JSON with JSON.parse, whose objects list integer-like
      // keys ("0") first: the wire order of ext is checked by the line above.
      const byKey = (ext: [string, string][]) => [...ext].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      expect({ ...back, ext: byKey(back.ext), type: undefined, json: undefined })
        .toEqual({ ...c, ext: byKey(c.ext), type: undefined, json: undefined });
    }), { numRuns: 300 });
  });

  it("a command built from scratch is exactly fastjson's bean output", () => {
    const ext: [string, string][] = [["b", "TopicTest"], ["a", "please_rename_unique_group_name"], ["e", "3"]];
    const body = new TextEncoder().encode("Hello RocketMQ");
    const built = m.buildRequest(310, 42, JSON_TYPE, JSON.stringify(ext), body);
    expect(built).toEqual(wire(jsonFrame(command({ code: 310, opaque: 42, ext, body }))));
    const bin = m.buildRequest(310, 42, ROCKETMQ_TYPE, JSON.stringify(ext), body);
    expect(bin).toEqual(wire(binaryFrame(command({ code: 310, opaque: 42, ext, body }))));
  });
});

describe("faithful edits of JSON headers", () => {
  // Not what our encoder would write: member order, an unknown member,
  // spaces, and \u escapes in upper case.
  const header = '{"opaque":7, "code":10,"extFields":{"topic":"T\\u0001X","producerGroup":"pg","queueId":"1"},' +
    '"future":{"x":[1,2.50,{"y":null}]},"flag":0,"language":"RUST","serializeTypeCurrentRPC":"JSON","version":401}';
  const f = frame(JSON_TYPE, new TextEncoder().encode(header), new TextEncoder().encode("body"));
  const headerOf = (w: Uint8Array) => new TextDecoder().decode(w.subarray(8, 8 + (new DataView(w.buffer, w.byteOffset).getUint32(4) & 0xffffff)));

  it("an untouched header comes back as it was", () => {
    expect(m.reencode(f)).toEqual(wire(f));
  });

  it("changing one ext field rewrites only that entry", () => {
    const out = headerOf(m.edit(f, "producerGroup", "other", null, -1));
    expect(out).toBe(header.replace('"producerGroup":"pg"', '"producerGroup":"other"').replace(", ", ","));
  });

  it("adding and removing ext fields, setting a remark and a code keep the rest", () => {
    const added = headerOf(m.edit(f, "traceparent", "00-x", "denied", 16));
    expect(added).toBe('{"opaque":7,"code":16,"extFields":{"topic":"T\\u0001X","producerGroup":"pg","queueId":"1","traceparent":"00-x"},' +
      '"future":{"x":[1,2.50,{"y":null}]},"flag":0,"language":"RUST","serializeTypeCurrentRPC":"JSON","version":401,"remark":"denied"}');
    const removed = headerOf(m.edit(f, "topic", null, null, -1));
    expect(removed).toContain('"extFields":{"producerGroup":"pg","queueId":"1"}');
    const json = JSON.parse(removed);
    expect(json.future).toEqual({ x: [1, 2.5, { y: null }] });
  });

  it("edited headers still decode to the edited command", () => {
    fc.assert(fc.property(commandArb(false), text.filter((k) => k.length > 0), value, (c, k, v) => {
      const out = decodeWire(m.edit(jsonFrame(c), k, v, null, -1));
      const expected = new Map(c.ext);
      expected.set(k, v);
      expect(new Map(out.ext)).toEqual(expected);
      expect(out.opaque).toBe(c.opaque);
      expect(out.body).toEqual(c.body);
    }), { numRuns: 200 });
  });
});

describe("responses and flags", () => {
  it("a synthesized response matches the request's opaque and serialization", () => {
    for (const build of [jsonFrame, binaryFrame]) {
      const req = build(command({ code: 10, opaque: 77, version: 453, ext: [["topic", "denied"]] }));
      const resp = decodeWire(m.respond(req, 16, "topic denied by mesh policy"));
      expect(resp).toMatchObject({ code: 16, opaque: 77, flag: 1, version: 453, language: 0, remark: "topic denied by mesh policy", ext: [] });
      expect(resp.type).toBe(build === jsonFrame ? JSON_TYPE : ROCKETMQ_TYPE);
      const d = JSON.parse(m.describeFrame(m.respond(req, 16, null).subarray(4)));
      expect(d).toMatchObject({ response: true, oneway: false, remark: null });
    }
    const json = decodeWire(m.respond(jsonFrame(command({ code: 10, opaque: 5 })), 1, null)).json!;
    expect(Object.keys(json)).toEqual(["code", "flag", "language", "opaque", "serializeTypeCurrentRPC", "version"]);
  });

  it("oneway and response bits are reported", () => {
    expect(JSON.parse(m.describeFrame(jsonFrame(command({ flag: 2 }))))).toMatchObject({ response: false, oneway: true });
    expect(JSON.parse(m.describeFrame(binaryFrame(command({ flag: 3 }))))).toMatchObject({ response: true, oneway: true });
  });

  it("names request and response codes for metrics", () => {
    expect(m.codeNames(310, 16)).toBe("SEND_MESSAGE_V2,NO_PERMISSION");
    expect(m.codeNames(105, 0)).toBe("GET_ROUTEINFO_BY_TOPIC,SUCCESS");
    expect(m.codeNames(200050, 17)).toBe("POP_MESSAGE,TOPIC_NOT_EXIST");
    expect(m.codeNames(99999, 99999)).toBe(",");
  });
});

describe("peek", () => {
  it("reads code, opaque and flag from the first bytes, asking for more until then", () => {
    fc.assert(fc.property(commandArb(true), fc.boolean(), (c, json) => {
      const f = json ? jsonFrame(c) : binaryFrame(c);
      const need = json ? 4 + (new DataView(f.buffer).getUint32(0) & 0xffffff) : 17;
      for (let n = 0; n <= f.length; n++) {
        const p = m.peek(f.subarray(0, n), f.length);
        expect(p, `${n}`).toBe(n < need ? "MORE" : `${json ? 0 : 1},${c.code},${c.opaque},${c.flag}`);
      }
    }), { numRuns: 100 });
  });

  it("reads extFields values in place as the full decode reads them, absent ones as absent", () => {
    fc.assert(fc.property(commandArb(true), fc.boolean(), fc.boolean(), text, (c, json, indexOnRead, missing) => {
      const f = json ? jsonFrame(c) : binaryFrame(c);
      for (const [key, v] of c.ext) expect(m.peekExt(f, f.length, key, indexOnRead), key).toBe("=" + v);
      if (!c.ext.some(([k]) => k === missing)) expect(m.peekExt(f, f.length, missing, indexOnRead)).toBe("NONE");
    }), { numRuns: 200 });
  });

  it("reads the last of duplicate extFields keys, as Java's map does", () => {
    const f = wire(jsonFrame(command({ code: 310, ext: [["b", "first"], ["x", "y"]] })));
    const text = Buffer.from(f).toString("latin1").replace('"x":"y"', '"b":"second"');
    const edited = Buffer.from(text, "latin1");
    edited.writeInt32BE(edited.length - 4, 0);
    edited.writeInt32BE(edited.readInt32BE(4) + ('"b":"second"'.length - '"x":"y"'.length), 4);
    expect(m.peekExt(edited.subarray(4), edited.length - 4, "b")).toBe("=second");
    expect(m.peekExt(edited.subarray(4), edited.length - 4, "b", false)).toBe("=second");
    expect(JSON.parse(m.describeFrame(edited.subarray(4))).ext).toContainEqual(["b", "second"]);
  });

  it("reads no value from extFields that are not an object, indexed early or late", () => {
    const f = wire(jsonFrame(command({ code: 310, opaque: 7, ext: [["b", "v"]] })));
    const text = Buffer.from(f).toString("latin1");
    expect(text).toContain('{"b":"v"}');
    const edited = Buffer.from(text.replace('{"b":"v"}', '["b","v"]'), "latin1");
    expect(m.peek(edited.subarray(4), edited.length - 4)).toBe("0,310,7,0");
    expect(m.peekExt(edited.subarray(4), edited.length - 4, "b")).toBe("NONE");
    expect(m.peekExt(edited.subarray(4), edited.length - 4, "b", false)).toBe("NONE");
  });

  it("rejects impossible header lengths and serialize types", () => {
    expect(m.peek(Uint8Array.of(0, 0, 0, 50), 20)).toMatch(/^ERR:/);
    expect(m.peek(Uint8Array.of(2, 0, 0, 1), 20)).toMatch(/^ERR:/);
    expect(m.peek(Uint8Array.of(1, 0, 0, 3), 20)).toMatch(/^ERR:/);
  });
});
