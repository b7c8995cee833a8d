// Principal patterns: who a policy rule (ACL, quota, limit) applies to.
//
//   "principals": ["spiffe://cluster.local/ns/shop/sa/orders", "client:orders-*", "cidr:10.0.0.0/8"]
//
//   *                         anyone
//   anonymous                 a caller with no URI SAN, no subject and no user
//   spiffe://... (any "://")  the peer certificate's URI SAN, as a glob
//   san:<glob>                the peer certificate's URI SAN
//   subject:<glob>            the peer certificate's subject ("CN=orders,O=shop")
//   cidr:<ip>/<bits>, cidr:<ip>   the source address, IPv4 or IPv6
//   client:<glob>             Kafka client.id / RocketMQ clientId
//   user:<glob>               SASL user (Kafka) / AccessKey (RocketMQ)
//   group:<glob>              RocketMQ producer/consumer group of the request
//
// A list matches when any of its patterns does. Globs are matcher.ts's (`*`,
// `?`). Patterns are compiled once, when the configuration is read, so a
// match per request is a few string compares and, for CIDRs, a byte compare
// against the address Identity parsed once per connection.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack listener
// reports for IPv4 clients) are compared as the IPv4 address they carry, on
// both sides, so "cidr:10.0.0.0/8" holds whichever way the listener binds.
import { ConfigReader } from "./config";
import { Identity, normalizeIp } from "./identity";
import { inNetwork, parseIp, parsePrefixLength } from "./ip_address";
import { Matcher } from "./matcher";

export const enum PrincipalKind {
  Any = 0,
  Anonymous = 1,
  UriSan = 2,
  Subject = 3,
  Cidr = 4,
  Client = 5,
  User = 6,
  Group = 7,
}

export const PRINCIPAL_FORMS = "expected spiffe://..., san:, subject:, cidr:, client:, user:, group:, anonymous or *";

export class PrincipalPattern {
  kind: PrincipalKind = PrincipalKind.Any;
  glob: Matcher | null = null;
  // Cidr: the network (4 or 16 bytes) and its prefix length.
  net: Uint8Array = new Uint8Array(0);
  bits: i32 = 0;

  constructor(readonly text: string) {}

  matches(id: Identity): bool {
    switch (this.kind) {
      case PrincipalKind.Any: return true;
      case PrincipalKind.Anonymous: return id.uriSan.length == 0 && id.subject.length == 0 && id.user.length == 0;
      case PrincipalKind.UriSan: return this.glob!.matches(id.uriSan);
      case PrincipalKind.Subject: return this.glob!.matches(id.subject);
      case PrincipalKind.Client: return this.glob!.matches(id.clientId);
      case PrincipalKind.User: return this.glob!.matches(id.user);
      case PrincipalKind.Group: return this.glob!.matches(id.group);
      case PrincipalKind.Cidr: {
        const ip = id.sourceIp;
        return ip != null && inNetwork(ip, this.net, this.bits);
      }
    }
    return false;
  }
}

/** A compiled pattern, or the reason the text is not one. */
export class ParsedPrincipal {
  pattern: PrincipalPattern | null = null;
  error: string = "";
}

const GLOB_PREFIXES: string[] = ["san:", "subject:", "client:", "user:", "group:"];
const GLOB_KINDS: PrincipalKind[] = [PrincipalKind.UriSan, PrincipalKind.Subject, PrincipalKind.Client, PrincipalKind.User, PrincipalKind.Group];

/** Compiles one pattern in the syntax above. */
export function parsePrincipal(text: string): ParsedPrincipal {
  const out = new ParsedPrincipal();
  const p = new PrincipalPattern(text);
  if (text == "*") {
    out.pattern = p;
    return out;
  }
  if (text == "anonymous") {
    p.kind = PrincipalKind.Anonymous;
    out.pattern = p;
    return out;
  }
  if (text.startsWith("cidr:")) return parseCidr(text, p, out);
  for (let i = 0; i < GLOB_PREFIXES.length; i++) {
    const prefix = GLOB_PREFIXES[i];
    if (!text.startsWith(prefix)) continue;
    const glob = text.substring(prefix.length);
    if (glob.length == 0) {
      out.error = "\"" + prefix + "\" needs a name or glob after it, e.g. \"" + prefix + "orders-*\"";
      return out;
    }
    p.kind = GLOB_KINDS[i];
    p.glob = Matcher.parse(glob);
    out.pattern = p;
    return out;
  }
  // A SPIFFE id or any other URI names the certificate's URI SAN directly.
  if (text.indexOf("://") > 0) {
    p.kind = PrincipalKind.UriSan;
    p.glob = Matcher.parse(text);
    out.pattern = p;
    return out;
  }
  out.error = PRINCIPAL_FORMS + ", got \"" + text + "\"";
  return out;
}

function parseCidr(text: string, p: PrincipalPattern, out: ParsedPrincipal): ParsedPrincipal {
  const usage = "expected cidr:<ip>/<prefix length> or cidr:<ip>, e.g. cidr:10.0.0.0/8 or cidr:2001:db8::/32, got \"" + text + "\"";
  const spec = text.substring(5);
  const slash = spec.indexOf("/");
  const raw = parseIp(slash >= 0 ? spec.substring(0, slash) : spec);
  if (raw == null) {
    out.error = usage;
    return out;
  }
  let bits = raw.length * 8;
  if (slash >= 0) {
    bits = parsePrefixLength(spec.substring(slash + 1), raw.length * 8);
    if (bits < 0) {
      out.error = "the prefix length must be 0.." + (raw.length * 8).toString() + ", got \"" + text + "\"";
      return out;
    }
  }
  const net = normalizeIp(raw);
  // ::ffff:a.b.c.d/n with n >= 96 is an IPv4 network once normalized.
  if (net.length == 4 && raw.length == 16) {
    if (bits < 96) {
      out.error = "an IPv4-mapped network needs a prefix length of 96..128, got \"" + text + "\"";
      return out;
    }
    bits -= 96;
  }
  p.kind = PrincipalKind.Cidr;
  p.net = net;
  p.bits = bits;
  out.pattern = p;
  return out;
}

/** A rule's `principals`: it applies to a caller any pattern matches. */
export class PrincipalPatterns {
  patterns: PrincipalPattern[] = [];
  // True when some pattern is "*": the list matches everyone.
  anyone: bool = false;

  /** Reads reader's `field` (an array of pattern strings); null when the
   *  field is absent (the rule applies to everyone). Bad patterns are
   *  reported on the reader with their path, e.g.
   *  "acl.rules[2].principals[0]: expected spiffe://..., ...". */
  static read(reader: ConfigReader, field: string): PrincipalPatterns | null {
    if (!reader.has(field)) {
      reader.allow(field);
      return null;
    }
    const texts = reader.strList(field);
    const out = new PrincipalPatterns();
    const v = reader.value(field);
    if (v != null && v.isArray && v.length == 0) {
      reader.fail(field, "must not be empty: list who the rule applies to, or omit it to apply to everyone");
    }
    // strList skips non-strings (and reports them); find each string's index
    // in the JSON array again so the error names the right element.
    let texti = 0;
    for (let i = 0; v != null && v.isArray && i < v.length && texti < texts.length; i++) {
      if (!v.at(i)!.isString) continue;
      const parsed = parsePrincipal(texts[texti++]);
      const pattern = parsed.pattern;
      if (pattern == null) reader.fail(field + "[" + i.toString() + "]", parsed.error);
      else out.add(pattern);
    }
    return out;
  }

  add(p: PrincipalPattern): void {
    this.patterns.push(p);
    if (p.kind == PrincipalKind.Any) this.anyone = true;
  }

  matches(id: Identity): bool {
    if (this.anyone) return true;
    const ps = this.patterns;
    for (let i = 0; i < ps.length; i++) if (unchecked(ps[i]).matches(id)) return true;
    return false;
  }
}
