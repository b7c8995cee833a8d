import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface MatcherFixture {
  matches(pattern: string, name: string): boolean;
  kindOf(pattern: string): number;
  matchesRepeated(pattern: string, name: string, repeat: number): number;
  listFind(rules: string, name: string): number;
}

let m: MatcherFixture;
beforeAll(async () => {
  m = (await loadPureModule<MatcherFixture>("common_matcher")).exports;
});

// Reference semantics: the glob as an anchored regular expression.
function globRef(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^]*").replace(/\?/g, "[^]");
  return new RegExp(`^${re}$`).test(name);
}

describe("Matcher", () => {
  it("compiles simple shapes to cheap kinds", () => {
    expect(m.kindOf("orders")).toBe(0); // exact
    expect(m.kindOf("orders.*")).toBe(1); // prefix
    expect(m.kindOf("*.dlq")).toBe(2); // suffix
    expect(m.kindOf("*")).toBe(3); // any
    expect(m.kindOf("***")).toBe(3);
    expect(m.kindOf("a*b")).toBe(4); // glob
    expect(m.kindOf("orders-?")).toBe(4);
  });

  it("has the documented semantics", () => {
    const cases: [string, string, boolean][] = [
      ["orders", "orders", true],
      ["orders", "orders2", false],
      ["orders", "Orders", false],
      ["orders.*", "orders.eu", true],
      ["orders.*", "orders.", true],
      ["orders.*", "orders", false],
      ["*.dlq", "payments.dlq", true],
      ["*.dlq", "dlq", false],
      ["*", "", true],
      ["", "", true],
      ["", "a", false],
      ["?", "", false],
      ["?", "a", true],
      ["orders-?", "orders-1", true],
      ["orders-?", "orders-12", false],
      ["a*b*c", "abc", true],
      ["a*b*c", "aXbYc", true],
      ["a*b*c", "acb", false],
      ["a*b", "ab", true],
      ["ab*ba", "aba", false], // pieces must not overlap
      ["*ab*ab*", "abab", true],
      ["*ab*ab*", "aab", false],
      ["%RETRY%*", "%RETRY%group1", true],
      ["?*?", "a", false],
      ["?*?", "ab", true],
      ["a**b", "ab", true],
    ];
    for (const [p, n, want] of cases) {
      expect(m.matches(p, n), `${p} ~ ${n}`).toBe(want);
      expect(globRef(p, n)).toBe(want); // the cases also pin the reference
    }
  });

  it("agrees with an anchored-regex reference on random patterns", () => {
    const ch = fc.constantFrom("a", "b", ".");
    const pat = fc.array(fc.constantFrom("a", "b", ".", "*", "?"), { maxLength: 8 }).map((a) => a.join(""));
    const name = fc.array(ch, { maxLength: 12 }).map((a) => a.join(""));
    fc.assert(
      fc.property(pat, name, (p, n) => {
        expect(m.matches(p, n)).toBe(globRef(p, n));
      }),
      { numRuns: 5000 },
    );
  });

  it("stays fast on pathological patterns", () => {
    const name = "a".repeat(249); // Kafka's longest topic name
    const patterns = ["*a".repeat(30) + "*b", "a*".repeat(40) + "b", "*?".repeat(60) + "b*", "*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab*"];
    const t0 = performance.now();
    for (const p of patterns) expect(m.matchesRepeated(p, name, 200)).toBe(0);
    expect(m.matchesRepeated("*a".repeat(30) + "*", name, 200)).toBe(200);
    // 1000 evaluations over 249-char names; exponential backtracking would take ages
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("MatcherList", () => {
  const rules = (...r: [string, number][]) => r.map(([p, v]) => `${p}=${v}`).join("\n");

  it("first matching rule wins, in list order", () => {
    const r = rules(["orders.internal", 2], ["orders.*", 1], ["*", 0]);
    expect(m.listFind(r, "orders.internal")).toBe(2);
    expect(m.listFind(r, "orders.eu")).toBe(1);
    expect(m.listFind(r, "payments")).toBe(0);
    // a broad rule listed first shadows a narrower one, by design
    const shadow = rules(["orders.*", 1], ["orders.internal", 2]);
    expect(m.listFind(shadow, "orders.internal")).toBe(1);
    expect(m.listFind(rules(["a", 5], ["a", 6]), "a")).toBe(5);
  });

  it("returns the default when nothing matches", () => {
    expect(m.listFind(rules(["orders.*", 1], ["x?", 3]), "payments")).toBe(-1);
  });

  it("agrees with a linear first-match reference", () => {
    const pat = fc.array(fc.constantFrom("a", "b", "*", "?"), { minLength: 0, maxLength: 4 }).map((a) => a.join(""));
    fc.assert(
      fc.property(fc.array(pat, { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom("a", "b"), { maxLength: 5 }).map((a) => a.join("")), (ps, n) => {
        const want = ps.findIndex((p) => globRef(p, n));
        expect(m.listFind(ps.map((p, i) => `${p}=${i}`).join("\n"), n)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});
