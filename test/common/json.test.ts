import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface JsonFixture {
  roundTrip(text: string, maxDepth: number): string;
  describe(text: string): string;
  lookup(text: string, key: string): string;
  quote(s: string): string;
  build(): string;
  numberOf(text: string): number;
  roundTripBytes(data: Uint8Array): string;
}

let m: JsonFixture;
beforeAll(async () => {
  m = (await loadPureModule<JsonFixture>("common_json")).exports;
});

const rt = (text: string, depth = 64) => m.roundTrip(text, depth);

// Parse then serialize must give back what JSON.parse reads from the text.
function expectSameAsJs(text: string) {
  const out = rt(text);
  expect(out.startsWith("OK:"), `${JSON.stringify(text)} -> ${out}`).toBe(true);
  expect(JSON.parse(out.slice(3))).toStrictEqual(JSON.parse(text));
}

describe("json parse/serialize", () => {
  it("agrees with JSON.parse on generated values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (v, pretty) => {
        expectSameAsJs(JSON.stringify(v, null, pretty ? 2 : undefined));
      }),
      { numRuns: 600 },
    );
  });

  it("agrees with JSON.parse on arbitrary unicode strings, incl. lone surrogates", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (a, b) => {
        expectSameAsJs(JSON.stringify([a, b, { [a]: b }]));
      }),
      { numRuns: 400 },
    );
  });

  it("reads numbers correctly rounded (random doubles, long and tie cases)", () => {
    const bits = new DataView(new ArrayBuffer(8));
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0x7fefffffffffffffn }), (b) => {
        bits.setBigUint64(0, b);
        const d = bits.getFloat64(0);
        for (const t of [String(d), String(-d), d.toExponential(25), d.toPrecision(18)]) {
          expect(m.numberOf(t), t).toBe(Number(t));
        }
      }),
      { numRuns: 3000 },
    );
    const hard = [
      "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
      "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
      "9007199254740993", "9007199254740993.0000000000000000000000000000001", "0.1e-400000", "1e400000",
      "123456789012345678901234567890e-40", "0." + "0".repeat(330) + "1", "1" + "0".repeat(400) + "e-400",
      "7.2057594037927933e16", "8.98846567431158e307", "2.2250738585072014e-308",
      "1" + "0".repeat(1000) + "1e-1000",
    ];
    for (const h of hard) expect(m.numberOf(h), h).toBe(Number(h));
    expect(m.numberOf("-1e400")).toBe(-Infinity);
    expect(Object.is(m.numberOf("-0.0e7"), -0)).toBe(true);
  });

  it("serializer output is compact and escapes like JSON.stringify", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (s) => {
        expect(m.quote(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 500 },
    );
    expect(rt(' { "a" : [ 1 , 2 ] ,\n"b":{ } }')).toBe('OK:{"a":[1,2],"b":{}}');
  });

  it("decodes every escape incl. surrogate pairs", () => {
    const text = String.raw`"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\uD83D\uDE00x"`;
    expect(JSON.parse(rt(text).slice(3))).toBe(JSON.parse(text));
    expect(JSON.parse(text)).toBe('"\\/\b\f\n\r\tAé😀😀x');
  });

  it("keeps key order, last duplicate wins in first position (as JSON.parse)", () => {
    expect(m.describe('{"z":1,"a":2,"z":3}')).toBe("{z=i3,a=i2}");
    const many = "{" + Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(",") + ',"k5":"dup"}';
    expect(m.lookup(many, "k5")).toBe('s"dup"');
    expect(m.lookup(many, "k39")).toBe("i39");
    expect(m.lookup(many, "k40")).toBe("absent");
    expect(m.lookup('{"a":null}', "a")).toBe("null");
    expect(m.lookup("[1]", "a")).toBe("absent");
  });

  it("gives exact integers beyond 2^53 and f64 views otherwise", () => {
    expect(m.describe("[9223372036854775807,-9223372036854775808,9007199254740993]")).toBe(
      "[i9223372036854775807,i-9223372036854775808,i9007199254740993]",
    );
    expect(m.describe("[9223372036854775808,1.5,1e2,-0,0.0]")).toBe("[f9223372036854776000.0,f1.5,i100,i0,i0]");
    // a non-exact integer literal still reads as JSON.parse reads it
    for (const t of ["9223372036854775808", "123456789012345678901234567890", "5e-324", "-1e-400"]) {
      expect(m.numberOf(t)).toBe(Number(t));
    }
    expect(rt("[1e400,-1e400]")).toBe("OK:[null,null]"); // no JSON form, like JSON.stringify
    expect(rt("[-0,-0.0,0,-0e5]")).toBe("OK:[-0,-0,0,-0]"); // sign of zero survives a round trip
  });

  it("builds bodies with the DOM and the writer", () => {
    expect(JSON.parse(m.build())).toStrictEqual({
      dom: { b: 'x"y', a: [true, null, 1.5] },
      n: null,
      e: [],
      o: {},
      i: -9223372036854775808,
    });
    expect(m.build()).toContain('"i":-9223372036854775808}');
  });
});

describe("json errors", () => {
  const cases: [string, number, RegExp][] = [
    ["", 0, /unexpected end of input/],
    ["  ", 2, /end of input/],
    ["{", 1, /string key/],
    ['{"a"}', 4, /expected ':'/],
    ['{"a":1,}', 7, /string key/],
    ["[1,]", 3, /unexpected character '\]'/],
    ["[1 2]", 3, /expected ',' or '\]'/],
    ['"abc', 4, /unterminated string/],
    ['"a\nb"', 2, /control character/],
    ['"\\x"', 2, /invalid escape/],
    ['"\\u12G4"', 5, /invalid \\u escape/],
    ["01", 1, /after the value/],
    ["-", 1, /expected a digit/],
    ["1.", 2, /after '.'/],
    ["1e+", 3, /exponent/],
    [".5", 0, /unexpected/],
    ["+1", 0, /unexpected/],
    ["tru", 0, /unexpected/],
    ["nulll", 4, /after the value/],
    ["NaN", 0, /unexpected/],
    ["\ufeff1", 0, /U\+FEFF/],
    ["1 \u00a0", 2, /U\+00A0/],
    ["{'a':1}", 1, /string key/],
  ];
  it.each(cases)("%j fails at %i", (text, pos, msg) => {
    const out = rt(text);
    expect(out).toMatch(new RegExp(`^ERR:${pos}:`));
    expect(out).toMatch(msg);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("bounds nesting depth instead of overflowing the stack", () => {
    expect(rt("[[[1]]]", 3)).toBe("OK:[[[1]]]");
    expect(rt("[[[[1]]]]", 3)).toMatch(/^ERR:3:nesting deeper than 3/);
    expect(rt('{"a":{"b":{}}}', 2)).toMatch(/^ERR:\d+:nesting deeper than 2/);
    expect(rt("[".repeat(100000))).toMatch(/^ERR:64:nesting deeper than 64/);
    expect(rt('{"a":'.repeat(50000))).toMatch(/^ERR:\d+:nesting/);
    // the caller's limit is capped where the Wasm stack is still safe
    expect(rt("[".repeat(512) + "]".repeat(512), 1e9)).toMatch(/^OK:\[{512}\]{512}$/);
    expect(rt("[".repeat(100000), 1e9)).toMatch(/^ERR:512:nesting deeper than 512/);
    expect(rt("[]", 0)).toMatch(/^ERR:0:nesting deeper than 0/);
    expect(rt("1", 0)).toBe("OK:1");
  });

  it("never traps and accepts exactly what JSON.parse accepts (fuzz)", () => {
    const piece = fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "u", "0", "1", "-", "+", ".", "e", "E", " ", "\n", "true", "null", "fals", "a", "\u0001", "\ud800", "é", '"k"', "12", "\\u00");
    const text = fc.oneof(fc.array(piece, { maxLength: 30 }).map((a) => a.join("")), fc.string({ unit: "binary", maxLength: 40 }));
    fc.assert(
      fc.property(text, (t) => {
        const out = rt(t);
        let jsOk = true;
        try {
          JSON.parse(t);
        } catch {
          jsOk = false;
        }
        expect(out.startsWith("OK:"), `${JSON.stringify(t)} -> ${out}`).toBe(jsOk);
        if (jsOk) expect(JSON.parse(out.slice(3))).toStrictEqual(JSON.parse(t));
      }),
      { numRuns: 3000 },
    );
  });

  it("reads UTF-8 bytes; invalid sequences never trap", () => {
    const doc = { "ключ": "値😀", n: [1, 2.5] };
    expect(JSON.parse(m.roundTripBytes(new TextEncoder().encode(JSON.stringify(doc))).slice(3))).toStrictEqual(doc);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const wrapped = Uint8Array.from([0x22, ...bytes.filter((b) => b !== 0x22 && b !== 0x5c && b >= 0x20), 0x22]);
        const out = m.roundTripBytes(wrapped);
        // same decoding as TextDecoder (U+FFFD for bad sequences)
        expect(out).toBe("OK:" + JSON.stringify(JSON.parse(new TextDecoder().decode(wrapped))));
        expect(m.roundTripBytes(bytes)).toMatch(/^(OK|ERR):/);
      }),
      { numRuns: 1000 },
    );
  });

  it("survives truncations and corruptions of valid documents", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.nat(), (v, cut, flip) => {
        const t = JSON.stringify(v);
        const truncated = t.slice(0, cut % (t.length + 1));
        const i = flip % Math.max(t.length, 1);
        const corrupted = t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 0x20) + t.slice(i + 1);
        for (const s of [truncated, corrupted]) {
          let jsOk = true;
          try { JSON.parse(s); } catch { jsOk = false; }
          expect(rt(s).startsWith("OK:")).toBe(jsOk);
        }
      }),
      { numRuns: 800 },
    );
  });
});
