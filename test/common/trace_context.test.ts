import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface TraceFixture {
  parse(v: string): string;
  parseBytes(v: Uint8Array): string;
  reformat(v: string): string;
  child(v: string, seed: bigint): string;
  newRoot(seed: bigint, sampled: boolean): string;
  roots(seed: bigint, count: number): string;
  tracestate(v: string): string;
  tracestateSet(v: string, key: string, value: string): string;
  both(tp: string, ts: string): string;
}

let m: TraceFixture;
beforeAll(async () => {
  m = (await loadPureModule<TraceFixture>("common_trace")).exports;
});

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";
const VALID = `00-${TRACE}-${SPAN}-01`; // the spec's example

describe("traceparent", () => {
  it("parses the spec example and its flags", () => {
    expect(m.parse(VALID)).toBe(`${TRACE} ${SPAN} 1 sampled`);
    expect(m.parse(`00-${TRACE}-${SPAN}-00`)).toBe(`${TRACE} ${SPAN} 0 unsampled`);
    // unknown flag bits are kept; only bit 0 means sampled
    expect(m.parse(`00-${TRACE}-${SPAN}-ff`)).toBe(`${TRACE} ${SPAN} 255 sampled`);
    expect(m.reformat(VALID)).toBe(VALID);
  });

  it("rejects what the spec calls invalid", () => {
    const bad = [
      "",
      `ff-${TRACE}-${SPAN}-01`, // version ff is forbidden
      `0g-${TRACE}-${SPAN}-01`, // version not hex
      `0A-${TRACE}-${SPAN}-01`, // uppercase version
      `00-${TRACE.toUpperCase()}-${SPAN}-01`, // uppercase trace-id
      `00-${TRACE}-${SPAN.toUpperCase()}-01`, // uppercase parent-id
      `00-${TRACE}-${SPAN}-0A`, // uppercase flags
      `00-${"0".repeat(32)}-${SPAN}-01`, // all-zero trace-id
      `00-${TRACE}-${"0".repeat(16)}-01`, // all-zero parent-id
      `00-${TRACE}-${SPAN}-01-`, // version 00 must be exactly 55
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE}-${SPAN}-1`, // too short
      `00-${TRACE.slice(1)}-${SPAN}-01x`, // field boundaries shifted
      `00_${TRACE}_${SPAN}_01`, // wrong delimiters
      `00-${TRACE}-${SPAN}-0g`,
      `00-${TRACE}-${SPAN}-.1`,
      `cc-${TRACE}-${SPAN}-01.what-the-future-will-not-be-like`, // future data must follow a '-'
      `00-${TRACE}-${SPAN}-01`.replace("-", " "),
      `00-${TRACE}-${SPAN}-\u0661\u0661`, // non-ASCII digits
    ];
    for (const v of bad) expect(m.parse(v), v).toBe("invalid");
  });

  it("accepts higher versions by the forward-compatibility rule", () => {
    expect(m.parse(`01-${TRACE}-${SPAN}-09`)).toBe(`${TRACE} ${SPAN} 9 sampled`);
    expect(m.parse(`cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`)).toBe(`${TRACE} ${SPAN} 1 sampled`);
    // ... and we only ever emit version 00
    expect(m.reformat(`cc-${TRACE}-${SPAN}-01-future`)).toBe(VALID);
  });

  it("trims optional whitespace like an HTTP header value", () => {
    expect(m.parse(` \t${VALID}\t `)).toBe(`${TRACE} ${SPAN} 1 sampled`);
  });

  it("parses from header bytes", () => {
    expect(m.parseBytes(new TextEncoder().encode(VALID))).toBe(`${TRACE} ${SPAN} 1 sampled`);
    expect(m.parseBytes(new Uint8Array(60).fill(0xff))).toBe("invalid");
  });

  // The parsing rules restated independently, as the oracle for fuzzing.
  function refParse(v: string): string {
    const t = v.replace(/^[ \t]+|[ \t]+$/g, "");
    if (t.length < 55 || !/^[0-9a-f]{2}$/.test(t.slice(0, 2)) || t.startsWith("ff")) return "invalid";
    if (t.startsWith("00") ? t.length !== 55 : t.length > 55 && t[55] !== "-") return "invalid";
    const f = /^..-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(t.slice(0, 55));
    if (!f || /^0+$/.test(f[1]) || /^0+$/.test(f[2])) return "invalid";
    const flags = parseInt(f[3], 16);
    return `${f[1]} ${f[2]} ${flags} ${flags & 1 ? "sampled" : "unsampled"}`;
  }

  it("never traps on random input and agrees with a reference", () => {
    const hexish = fc.constantFrom(..."0123456789abcdef", "A", "x", "-", " ");
    const fields = fc.tuple(
      fc.constantFrom("00", "01", "cc", "ff", "0A", "0"),
      fc.oneof({ arbitrary: fc.constant(TRACE), weight: 6 }, fc.constant("0".repeat(32)), fc.array(hexish, { minLength: 31, maxLength: 33 }).map((a) => a.join(""))),
      fc.oneof({ arbitrary: fc.constant(SPAN), weight: 6 }, fc.constant("0".repeat(16)), fc.array(hexish, { minLength: 15, maxLength: 17 }).map((a) => a.join(""))),
      fc.constantFrom("00", "01", "ff", "0g", "1"),
      fc.constantFrom("", "-", "-x", "x", " ", "-future"),
    ).map(([a, b, c, d, e]) => `${a}-${b}-${c}-${d}${e}`);
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: fields, weight: 3 }, fc.string({ unit: "binary", maxLength: 70 })), (v) => {
        const want = refParse(v);
        if (want !== "invalid") valid++;
        expect(m.parse(v)).toBe(want);
      }),
      { numRuns: 3000 },
    );
    expect(valid).toBeGreaterThan(200); // the generator reaches the valid space
  });
});

describe("new ids", () => {
  it("child keeps trace id and flags with a new, valid span id", () => {
    const c = m.child(VALID, 42n);
    expect(c).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(c.slice(36, 52)).not.toBe(SPAN);
    expect(m.parse(c)).not.toBe("invalid");
    expect(m.child(VALID, 42n)).toBe(c); // deterministic for a seed
    expect(m.child(VALID, 43n)).not.toBe(c);
    expect(m.child(`00-${TRACE}-${SPAN}-00`, 1n).endsWith("-00")).toBe(true);
  });

  it("roots are valid, lowercase and distinct", () => {
    const all = m.roots(0n, 200).split("\n");
    expect(new Set(all.map((r) => r.slice(3, 35))).size).toBe(200);
    expect(new Set(all.map((r) => r.slice(36, 52))).size).toBe(200);
    for (const r of all) expect(m.parse(r)).toMatch(/^[0-9a-f]{32} [0-9a-f]{16} 1 sampled$/);
    expect(m.newRoot(7n, false)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});

describe("tracestate", () => {
  it("parses and normalizes list members", () => {
    expect(m.tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    expect(m.tracestate(" rojo=1 ,\t, congo=2 ,")).toBe("rojo=1,congo=2");
    expect(m.tracestate("")).toBe("");
    expect(m.tracestate("fw529a3039@dt=abc,1tenant@sys-x=1,a_b-c*d/e=v")).toBe("fw529a3039@dt=abc,1tenant@sys-x=1,a_b-c*d/e=v");
    expect(m.tracestate("k=a b")).toBe("k=a b"); // inner space is allowed
  });

  it("drops the whole header on invalid members, duplicates or > 32 members", () => {
    const bad = [
      "Rojo=1", "1rojo=1", "rojo", "rojo=", "=1", "rojo=a=b", "rojo=a,rojo=b", "foo@1sys=1", "@sys=1", "foo@=1",
      `foo@${"a".repeat(15)}=1`, `${"a".repeat(242)}@s=1`, `${"a".repeat(257)}=1`, `k=${"v".repeat(257)}`,
      "k=\u00e9", "k=a\u0001b", "k=a;b,K=c",
      Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(","),
    ];
    for (const b of bad) expect(m.tracestate(b), b).toBe("invalid");
    expect(m.tracestate(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(","))).toContain("k31=v");
    expect(m.tracestate(`${"a".repeat(256)}=1`)).not.toBe("invalid");
  });

  it("set moves our entry to the front and validates it", () => {
    expect(m.tracestateSet("a=1,b=2,c=3", "b", "9")).toBe("b=9,a=1,c=3");
    expect(m.tracestateSet("a=1", "mq", "x")).toBe("mq=x,a=1");
    expect(m.tracestateSet("a=1", "MQ", "x")).toBe("rejected:a=1");
    expect(m.tracestateSet("a=1", "mq", "x,y")).toBe("rejected:a=1");
    const full = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(",");
    const out = m.tracestateSet(full, "mq", "x").split(",");
    expect(out.length).toBe(32);
    expect(out[0]).toBe("mq=x");
    expect(out).not.toContain("k31=v");
  });

  it("truncates to 512 chars, long members first", () => {
    const long = `big=${"x".repeat(200)}`;
    const small = Array.from({ length: 40 }, (_, i) => `s${i}=${"y".repeat(8)}`).slice(0, 30); // 30 x ~11 chars
    const out = m.tracestate([small[0], long, ...small.slice(1), `big2=${"z".repeat(200)}`].join(","));
    expect(out.length).toBeLessThanOrEqual(512);
    expect(out).not.toContain("big2=");
    expect(out).not.toContain("big=");
    expect(out).toContain("s29=");
  });

  it("travels with a traceparent and is dropped alone when invalid", () => {
    expect(m.both(VALID, "a=1")).toBe(`${VALID} | a=1`);
    expect(m.both(VALID, "A=1")).toBe(`${VALID} | `);
    expect(m.both("junk", "a=1")).toBe("invalid");
  });

  it("never traps on random headers", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 600 }), fc.string(), fc.string(), (h, k, v) => {
        const out = m.tracestate(h);
        expect(out === "invalid" || out.length <= 512).toBe(true);
        m.tracestateSet(h, k, v);
      }),
      { numRuns: 1000 },
    );
  });
});
