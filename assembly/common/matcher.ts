// Topic / group / name matchers compiled once from configuration.
//
// Pattern syntax (Matcher.parse): `*` matches any run of characters (dots
// included, none at all too), `?` exactly one; everything else is literal.
// Kafka topic names ([a-zA-Z0-9._-]) and RocketMQ names ([%|a-zA-Z0-9_-])
// cannot contain `*` or `?`, so no escape syntax is needed. Characters are
// UTF-16 code units (names are ASCII in both protocols).
//
// Globs are matched by splitting at `*`: the first piece is anchored at the
// start, the last at the end, and the pieces between are found leftmost in
// order. Leftmost placement never needs to be undone (any later placement
// leaves less room), so there is no backtracking: the cost is
// O(|name| x |pattern|) at worst, whatever the pattern, and patterns like
// "*a*a*a*a*b" cannot blow up. Shapes that need no scan compile to cheaper
// kinds: "orders" exact, "orders.*" prefix, "*.dlq" suffix, "*" any.

export const enum MatchKind {
  Exact = 0,
  Prefix = 1,
  Suffix = 2,
  Any = 3,
  Glob = 4,
}

export class Matcher {
  private pieces: string[] = []; // Glob: the literal pieces between stars

  private constructor(readonly pattern: string, readonly kind: MatchKind, private lit: string) {}

  static exact(name: string): Matcher {
    return new Matcher(name, MatchKind.Exact, name);
  }

  static prefix(prefix: string): Matcher {
    return new Matcher(prefix + "*", MatchKind.Prefix, prefix);
  }

  /** Compiles a pattern in the syntax above. */
  static parse(pattern: string): Matcher {
    const star = pattern.indexOf("*");
    const hasQ = pattern.indexOf("?") >= 0;
    if (star < 0 && !hasQ) return Matcher.exact(pattern);
    if (!hasQ) {
      const last = pattern.lastIndexOf("*");
      if (star == last) {
        if (pattern.length == 1) return new Matcher(pattern, MatchKind.Any, "");
        if (star == pattern.length - 1) return new Matcher(pattern, MatchKind.Prefix, pattern.substring(0, star));
        if (star == 0) return new Matcher(pattern, MatchKind.Suffix, pattern.substring(1));
      } else if (isAllStars(pattern)) {
        return new Matcher(pattern, MatchKind.Any, "");
      }
    }
    const m = new Matcher(pattern, MatchKind.Glob, "");
    m.pieces = pattern.split("*");
    return m;
  }

  matches(name: string): bool {
    switch (this.kind) {
      case MatchKind.Exact: return name == this.lit;
      case MatchKind.Prefix: return name.startsWith(this.lit);
      case MatchKind.Suffix: return name.endsWith(this.lit);
      case MatchKind.Any: return true;
      default: return this.glob(name);
    }
  }

  private glob(name: string): bool {
    const pieces = this.pieces;
    const n = name.length;
    const last = pieces.length - 1;
    if (last == 0) {
      // no star: only `?` wildcards, so the lengths must agree
      const p = unchecked(pieces[0]);
      return p.length == n && pieceAt(p, name, 0);
    }
    const first = unchecked(pieces[0]);
    const tail = unchecked(pieces[last]);
    if (first.length + tail.length > n) return false;
    if (!pieceAt(first, name, 0)) return false;
    const limit = n - tail.length; // middle pieces must end by here
    if (!pieceAt(tail, name, limit)) return false;
    let pos = first.length;
    for (let i = 1; i < last; i++) {
      const p = unchecked(pieces[i]);
      if (p.length == 0) continue; // "**"
      const at = findPiece(p, name, pos, limit);
      if (at < 0) return false;
      pos = at + p.length;
    }
    return true;
  }
}

function isAllStars(p: string): bool {
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) != 0x2a) return false;
  return true;
}

// Does piece (with `?` wildcards) match name at offset `at`? Caller ensures room.
function pieceAt(piece: string, name: string, at: i32): bool {
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c != 0x3f && c != name.charCodeAt(at + i)) return false;
  }
  return true;
}

// Leftmost offset in [from, limit - |piece|] where piece matches, or -1.
function findPiece(piece: string, name: string, from: i32, limit: i32): i32 {
  const lastStart = limit - piece.length;
  for (let at = from; at <= lastStart; at++) if (pieceAt(piece, name, at)) return at;
  return -1;
}

/**
 * An ordered rule list (allow/deny lists, per-topic settings): each rule is a
 * matcher and an i32 value (an action, or an index into the filter's own
 * rule objects).
 *
 * Precedence: the FIRST rule in list order that matches wins; there is no
 * "most specific wins". Operators put narrow rules before broad ones, as in
 * Envoy RBAC policies or firewall chains, and a reader of the config can
 * tell the outcome from the order alone. Exact names are looked up in a map,
 * but still only win over patterns listed after them.
 */
export class MatcherList {
  private matchers: Matcher[] = [];
  private values: i32[] = [];
  private patternRules: i32[] = []; // indices of non-exact rules, ascending
  private exactFirst: Map<string, i32> = new Map(); // name -> lowest exact rule index

  get length(): i32 {
    return this.matchers.length;
  }

  add(pattern: string, value: i32): MatcherList {
    return this.addMatcher(Matcher.parse(pattern), value);
  }

  addMatcher(m: Matcher, value: i32): MatcherList {
    const index = this.matchers.length;
    this.matchers.push(m);
    this.values.push(value);
    if (m.kind == MatchKind.Exact) {
      if (!this.exactFirst.has(m.pattern)) this.exactFirst.set(m.pattern, index);
    } else {
      this.patternRules.push(index);
    }
    return this;
  }

  /** Index of the first matching rule, or -1. */
  indexOf(name: string): i32 {
    const exact = this.exactFirst.has(name) ? this.exactFirst.get(name) : i32.MAX_VALUE;
    const rules = this.patternRules;
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      if (r > exact) break;
      if (unchecked(this.matchers[r]).matches(name)) return r;
    }
    return exact == i32.MAX_VALUE ? -1 : exact;
  }

  /** Value of the first matching rule, or def when none matches. */
  find(name: string, def: i32): i32 {
    const i = this.indexOf(name);
    return i < 0 ? def : unchecked(this.values[i]);
  }

  matchesAny(name: string): bool {
    return this.indexOf(name) >= 0;
  }

  matcherAt(i: i32): Matcher {
    return this.matchers[i];
  }
}
