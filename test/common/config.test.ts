import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface ConfigFixture {
  readSample(text: string): string;
  readRequired(text: string): string;
}

let m: ConfigFixture;
beforeAll(async () => {
  m = (await loadPureModule<ConfigFixture>("common_config")).exports;
});

const sample = (v: unknown) => m.readSample(typeof v === "string" ? v : JSON.stringify(v));
const DEFAULTS = "OK max=1048576 onUnknown=0 prefix=mqmesh start=-1 tracing=on@1.0";

describe("ConfigReader", () => {
  it("applies defaults for empty config, blank text and nulls", () => {
    expect(sample("")).toBe(DEFAULTS);
    expect(sample(" \n")).toBe(DEFAULTS);
    expect(sample({})).toBe(DEFAULTS);
    expect(sample({ maxFrameBytes: null, tracing: null })).toBe(DEFAULTS);
  });

  it("reads typed values", () => {
    expect(
      sample({
        maxFrameBytes: 4096,
        onUnknown: "close",
        statPrefix: "kafka",
        startOffset: 9007199254740993,
        tracing: { enabled: false, sampleRate: 0.25 },
        rules: [{ topic: "orders", action: "deny", clients: ["a", "b"], comment: "x" }, { topic: "t2" }],
      }).replace("9007199254740992", "?"),
    ).toBe("OK max=4096 onUnknown=1 prefix=kafka start=? tracing=off@0.25 rule(orders,1,[a|b]) rule(t2,0,[])");
    // i64 fields are exact beyond 2^53 (JSON.stringify above already rounded; send the literal)
    expect(m.readSample('{"startOffset": 9007199254740993}')).toContain("start=9007199254740993");
    expect(sample({ maxFrameBytes: 1e3 })).toContain("max=1000");
  });

  it("names the field path in type errors", () => {
    expect(sample({ rules: [{ topic: "a" }, { topic: "b" }, { topic: 7 }] })).toBe("ERR rules[2].topic: expected string, got number");
    expect(sample({ tracing: { sampleRate: "high" } })).toBe("ERR tracing.sampleRate: expected number, got string");
    expect(sample({ tracing: { sampleRate: 2 } })).toBe("ERR tracing.sampleRate: must be at most 1.0");
    expect(sample({ tracing: [] })).toBe("ERR tracing: expected object, got array");
    expect(sample({ rules: {} })).toBe("ERR rules: expected array, got object");
    expect(sample({ rules: [1] })).toBe("ERR rules[0]: expected object, got number");
    expect(sample({ rules: [{ topic: "a", clients: ["x", false] }] })).toBe("ERR rules[0].clients[1]: expected string, got boolean");
    expect(sample({ statPrefix: true })).toBe("ERR statPrefix: expected string, got boolean");
  });

  it("checks integer ranges", () => {
    for (const bad of [0, -5, 1.5, "10", true]) {
      expect(sample({ maxFrameBytes: bad })).toBe("ERR maxFrameBytes: must be a positive integer");
    }
    expect(sample({ maxFrameBytes: 2 ** 30 + 1 })).toBe("ERR maxFrameBytes: must be at most 1073741824");
    expect(sample({ maxFrameBytes: 1e300 })).toBe("ERR maxFrameBytes: must be at most 1073741824");
    expect(sample({ maxFrameBytes: 2 ** 30 })).toContain("max=1073741824");
    expect(m.readSample('{"startOffset": 9223372036854775808}')).toBe("ERR startOffset: must be at most 9223372036854775807");
  });

  it("checks enum strings", () => {
    expect(sample({ onUnknown: "drop" })).toBe("ERR onUnknown: expected one of pass, close");
    expect(sample({ rules: [{ topic: "a", action: 1 }] })).toBe("ERR rules[0].action: expected one of allow, deny");
  });

  it("rejects unknown fields with their path and a suggestion", () => {
    expect(sample({ onUnknwn: "close" })).toBe('ERR unknown field "onUnknwn" (did you mean "onUnknown"?)');
    expect(sample({ rules: [{ topic: "a" }, { topc: "b" }] })).toBe(
      'ERR rules[1].topic: missing required field; rules[1]: unknown field "topc" (did you mean "topic"?)',
    );
    expect(sample({ tracing: { enabled: true, zzz: 1 } })).toBe('ERR tracing: unknown field "zzz"');
    expect(sample({ rules: [{ topic: "a", comment: "allowed" }] })).toMatch(/^OK/);
  });

  it("reports every error, not just the first", () => {
    expect(sample({ maxFrameBytes: -1, onUnknown: "x", extra: 1 })).toBe(
      'ERR maxFrameBytes: must be a positive integer; onUnknown: expected one of pass, close; unknown field "extra"',
    );
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`bogus${i}`, i]));
    expect(sample(many)).toMatch(/unknown field "bogus19"; and 10 more$/);
  });

  it("rejects invalid JSON and non-object roots", () => {
    expect(sample('{"maxFrameBytes": }')).toBe("ERR invalid JSON: unexpected character '}' at position 18");
    expect(sample("[]")).toBe("ERR configuration: expected object, got array");
    expect(sample("null")).toBe("ERR configuration: expected object, got null");
  });

  it("handles required fields and custom checks", () => {
    expect(m.readRequired(JSON.stringify({ cluster: "c", port: 9092, upstream: {}, rules: [{}] }))).toBe("OK c:9092");
    expect(m.readRequired("{}")).toBe(
      "ERR cluster: missing required field; port: missing required field; upstream: missing required field; rules: missing required field",
    );
    expect(m.readRequired(JSON.stringify({ cluster: "c", port: 70000, upstream: { host: 1 }, rules: [] }))).toBe(
      "ERR port: must be at most 65535; upstream.host: expected string, got number; rules: must not be empty",
    );
  });

  it("never traps on arbitrary JSON or text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string()), (text) => {
        const out = m.readSample(text);
        expect(out).toMatch(/^(OK|ERR) /);
      }),
      { numRuns: 1000 },
    );
    const shaped = fc.record(
      { maxFrameBytes: fc.jsonValue(), onUnknown: fc.jsonValue(), tracing: fc.jsonValue(), rules: fc.array(fc.dictionary(fc.constantFrom("topic", "action", "clients", "x"), fc.jsonValue())) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shaped, (v) => {
        expect(sample(v)).toMatch(/^(OK|ERR) /);
      }),
      { numRuns: 500 },
    );
  });
});
