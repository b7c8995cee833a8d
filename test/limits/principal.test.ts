// Principal patterns (assembly/common/principal.ts) through the .wasm:
// every form, CIDR edges, globs, anonymous, errors that name the field, and
// a property check against a reference matcher written here from the
// pattern table (globs as anchored regular expressions, CIDRs through
// Node's net.BlockList).
import { BlockList, isIPv4, isIPv6 } from "node:net";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../../scripts/compile.ts";
import { loadPureModule } from "../support/pure-module.ts";

interface PrincipalFixture {
  readPrincipals(config: string): string;
  matchPrincipals(patterns: string, uriSan: string, subject: string, source: string, clientId: string, user: string, group: string): number;
}

let m: PrincipalFixture;
beforeAll(async () => {
  await freshModule({ entry: "test/fixtures/common_principal.ts", out: "build/fixtures/common_principal.wasm", bindings: true });
  m = (await loadPureModule<PrincipalFixture>("common_principal")).exports;
}, 120_000);

interface Who { uriSan?: string; subject?: string; source?: string; clientId?: string; user?: string; group?: string }
const match = (patterns: string[], who: Who) =>
  m.matchPrincipals(JSON.stringify(patterns), who.uriSan ?? "", who.subject ?? "", who.source ?? "", who.clientId ?? "", who.user ?? "", who.group ?? "");

// ---- the reference: the pattern table of the policy documentation, read literally

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^]*").replace(/\?/g, "[^]")}$`);
}

// The host part of "ip:port" / "[v6]:port" / a bare address; IPv4-mapped IPv6 as IPv4.
function sourceIp(source: string): { ip: string; v: "ipv4" | "ipv6" } | null {
  let host = source;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(source);
  if (bracket) host = bracket[1];
  else if (/^[^:]+:\d+$/.test(source)) host = source.slice(0, source.lastIndexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped && isIPv4(mapped[1])) return { ip: mapped[1], v: "ipv4" };
  if (isIPv4(host)) return { ip: host, v: "ipv4" };
  if (isIPv6(host)) return { ip: host, v: "ipv6" };
  return null;
}

function refMatches(patterns: string[], who: Who): boolean {
  return patterns.some((p) => {
    if (p === "*") return true;
    if (p === "anonymous") return !who.uriSan && !who.subject && !who.user;
    const glob = (prefix: string, value: string | undefined) => p.startsWith(prefix) && globRe(p.slice(prefix.length)).test(value ?? "");
    if (p.startsWith("cidr:")) {
      let [net, bits] = p.slice(5).split("/") as [string, string | undefined];
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(net);
      if (mapped) [net, bits] = [mapped[1], String(Number(bits ?? 128) - 96)]; // an IPv4 network, as the source is
      const src = sourceIp(who.source ?? "");
      const v = isIPv4(net) ? "ipv4" : "ipv6";
      if (!src || src.v !== v) return false;
      const list = new BlockList();
      list.addSubnet(net, bits === undefined ? (v === "ipv4" ? 32 : 128) : Number(bits), v);
      return list.check(src.ip, v);
    }
    return glob("san:", who.uriSan) || glob("subject:", who.subject) || glob("client:", who.clientId) ||
      glob("user:", who.user) || glob("group:", who.group) || (p.includes("://") && globRe(p).test(who.uriSan ?? ""));
  });
}

const ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";

describe("principal patterns", () => {
  it("match every form of the table", () => {
    const cases: [string, Who, boolean][] = [
      ["*", {}, true],
      ["*", { uriSan: ORDERS }, true],
      ["anonymous", {}, true],
      ["anonymous", { clientId: "c1", source: "10.0.0.1:4000" }, true], // a client id is no identity
      ["anonymous", { uriSan: ORDERS }, false],
      ["anonymous", { subject: "CN=orders" }, false],
      ["anonymous", { user: "alice" }, false],
      [ORDERS, { uriSan: ORDERS }, true],
      [ORDERS, { uriSan: ORDERS + "2" }, false],
      [ORDERS, { subject: ORDERS }, false],
      ["spiffe://cluster.local/ns/shop/sa/*", { uriSan: ORDERS }, true],
      ["spiffe://cluster.local/ns/shop/sa/*", { uriSan: "spiffe://cluster.local/ns/bank/sa/x" }, false],
      ["san:spiffe://*/ns/shop/*", { uriSan: ORDERS }, true],
      ["san:*", {}, true], // "*" matches the empty SAN too
      ["subject:CN=orders,*", { subject: "CN=orders,O=shop" }, true],
      ["subject:CN=orders,*", { subject: "CN=payments,O=shop" }, false],
      ["client:orders-*", { clientId: "orders-7" }, true],
      ["client:orders-?", { clientId: "orders-77" }, false],
      ["user:alice", { user: "alice" }, true],
      ["user:alice", { user: "alice2" }, false],
      ["user:alice", { clientId: "alice" }, false],
      ["group:g-*", { group: "g-orders" }, true],
      ["group:g-*", { group: "orders" }, false],
      ["cidr:10.0.0.0/8", { source: "10.1.2.3:4000" }, true],
      ["cidr:10.0.0.0/8", { source: "11.0.0.0:4000" }, false],
      ["cidr:10.1.2.3", { source: "10.1.2.3:1" }, true],
      ["cidr:10.1.2.3", { source: "10.1.2.4:1" }, false],
      ["cidr:0.0.0.0/0", { source: "203.0.113.9:5" }, true],
      ["cidr:0.0.0.0/0", { source: "[::1]:5" }, false], // an IPv4 network never holds an IPv6 address
      ["cidr:192.168.1.128/25", { source: "192.168.1.127:1" }, false],
      ["cidr:192.168.1.128/25", { source: "192.168.1.128:1" }, true],
      ["cidr:192.168.1.128/25", { source: "192.168.1.255:1" }, true],
      ["cidr:10.0.0.1/31", { source: "10.0.0.0:1" }, true],
      ["cidr:10.0.0.1/31", { source: "10.0.0.2:1" }, false],
      ["cidr:2001:db8::/32", { source: "[2001:db8:1::5]:9092" }, true],
      ["cidr:2001:db8::/32", { source: "[2001:db9::5]:9092" }, false],
      ["cidr:::1", { source: "[::1]:9092" }, true],
      ["cidr:::/0", { source: "[fe80::1]:1" }, true],
      ["cidr:::/0", { source: "10.0.0.1:1" }, false],
      ["cidr:2001:db8::1/127", { source: "[2001:db8::]:1" }, true],
      ["cidr:2001:db8::1/127", { source: "[2001:db8::2]:1" }, false],
      // a dual-stack listener reports IPv4 clients as IPv4-mapped IPv6
      ["cidr:10.0.0.0/8", { source: "[::ffff:10.9.8.7]:4000" }, true],
      ["cidr:::ffff:10.0.0.0/104", { source: "10.9.8.7:4000" }, true],
      ["cidr:::ffff:10.0.0.0/104", { source: "11.9.8.7:4000" }, false],
      ["cidr:10.0.0.0/8", { source: "/var/run/kafka.sock" }, false],
      ["cidr:10.0.0.0/8", {}, false],
    ];
    for (const [pattern, who, want] of cases) {
      expect(match([pattern], who), `${pattern} ~ ${JSON.stringify(who)}`).toBe(want ? 1 : 0);
      expect(refMatches([pattern], who), `reference: ${pattern}`).toBe(want);
    }
  });

  it("a list matches when any pattern does", () => {
    const list = ["client:orders-*", "cidr:10.0.0.0/8", ORDERS];
    expect(match(list, { clientId: "orders-1" })).toBe(1);
    expect(match(list, { source: "10.0.0.9:1" })).toBe(1);
    expect(match(list, { uriSan: ORDERS })).toBe(1);
    expect(match(list, { clientId: "payments", source: "192.0.2.1:1" })).toBe(0);
  });

  it("reports bad patterns with the field's path", () => {
    const config = (principals: unknown[][]) => JSON.stringify({ acl: { rules: principals.map((p) => ({ principals: p })) } });
    expect(m.readPrincipals(config([[ORDERS], ["*"], ["bogus"]]))).toBe(
      'ERR acl.rules[2].principals[0]: expected spiffe://..., san:, subject:, cidr:, client:, user:, group:, anonymous or *, got "bogus"',
    );
    expect(m.readPrincipals(config([["*", "cidr:10.0.0.0/33"]]))).toBe('ERR acl.rules[0].principals[1]: the prefix length must be 0..32, got "cidr:10.0.0.0/33"');
    expect(m.readPrincipals(config([["cidr:10.0.0.256/8"]]))).toMatch(/^ERR acl\.rules\[0\]\.principals\[0\]: expected cidr:<ip>\/<prefix length>/);
    expect(m.readPrincipals(config([["cidr:10.0.0.0/"]]))).toMatch(/^ERR acl\.rules\[0\]\.principals\[0\]: the prefix length/);
    expect(m.readPrincipals(config([["cidr:2001:db8::/129"]]))).toMatch(/must be 0\.\.128/);
    expect(m.readPrincipals(config([["cidr:::ffff:10.0.0.0/95"]]))).toMatch(/IPv4-mapped network needs a prefix length of 96\.\.128/);
    expect(m.readPrincipals(config([["user:"]]))).toBe('ERR acl.rules[0].principals[0]: "user:" needs a name or glob after it, e.g. "user:orders-*"');
    expect(m.readPrincipals(config([[7, "nobody"]]))).toBe(
      'ERR acl.rules[0].principals[0]: expected string, got number; acl.rules[0].principals[1]: expected spiffe://..., san:, subject:, cidr:, client:, user:, group:, anonymous or *, got "nobody"',
    );
    expect(m.readPrincipals(config([[]]))).toMatch(/^ERR acl\.rules\[0\]\.principals: must not be empty/);
    expect(m.readPrincipals(JSON.stringify({ acl: { rules: [{ principals: "client:x" }] } }))).toBe("ERR acl.rules[0].principals: expected array, got string");
    // absent: the rule applies to everyone
    expect(m.readPrincipals(JSON.stringify({ acl: { rules: [{}, { principals: ["anonymous", "group:g"] }] } }))).toBe("OK absent,2");
  });

  it("agrees with the reference matcher on random patterns and callers", () => {
    const word = fc.array(fc.constantFrom("a", "b", "-", "/", ":"), { maxLength: 5 }).map((a) => a.join(""));
    const glob = fc.array(fc.constantFrom("a", "b", "-", "*", "?"), { minLength: 1, maxLength: 5 }).map((a) => a.join(""));
    const v4 = fc.tuple(fc.constantFrom(10, 192, 0, 255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
    const v6 = fc.tuple(fc.constantFrom("2001:db8", "fe80", "::ffff"), fc.nat(0xffff), fc.nat(0xffff)).map(([p, a, b]) =>
      p === "::ffff" ? `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}` : `${p}::${a.toString(16)}:${b.toString(16)}`);
    const cidr = fc.oneof(
      fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, b]) => `cidr:${a}/${b}`),
      fc.tuple(v6.filter((a) => !a.startsWith("::ffff")), fc.integer({ min: 0, max: 128 })).map(([a, b]) => `cidr:${a}/${b}`),
      v4.map((a) => `cidr:${a}`),
    );
    const pattern = fc.oneof(
      fc.constantFrom("*", "anonymous"),
      cidr,
      fc.tuple(fc.constantFrom("san:", "subject:", "client:", "user:", "group:"), glob).map(([p, g]) => p + g),
      glob.map((g) => `spiffe://${g}`),
    );
    const who = fc.record({
      uriSan: fc.oneof(fc.constant(""), word.map((w) => `spiffe://${w}`), word),
      subject: word, clientId: word, user: word, group: word,
      source: fc.oneof(fc.constant(""), v4.map((a) => `${a}:4000`), v6.map((a) => `[${a}]:4000`)),
    });
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), who, (patterns, w) => {
        expect(match(patterns, w)).toBe(refMatches(patterns, w) ? 1 : 0);
      }),
      { numRuns: 4000 },
    );
  });

  it("reads any string without trapping: a pattern, or an error naming its element", () => {
    const text = fc.oneof(fc.string({ maxLength: 24 }), fc.tuple(fc.constantFrom("cidr:", "san:", "user:", "spiffe://", ""), fc.string({ maxLength: 20 })).map(([a, b]) => a + b));
    fc.assert(
      fc.property(text, (t) => {
        const r = m.readPrincipals(JSON.stringify({ acl: { rules: [{ principals: [t] }] } }));
        expect(r === "OK 1" || r.startsWith("ERR acl.rules[0].principals[0]: ")).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

