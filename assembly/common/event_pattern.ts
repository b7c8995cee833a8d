// Event patterns in the style of EventBridge (and RocketMQ EventBridge) rules,
// compiled once from configuration and matched against a JSON event.
//
//   {"type": ["order.created", {"prefix": "order."}],
//    "data": {"amount": [{"numeric": [">", 0, "<=", 100]}], "ip": [{"cidr": "10.0.0.0/8"}]}}
//
// Every key must match (AND); the conditions in a key's array are
// alternatives (OR). An object instead of an array matches into the event's
// object at that key. A condition is a literal (equals) or one of
//   {"prefix": s}  {"suffix": s}  {"exists": bool}  {"cidr": "a.b.c.d/n" | "v6::/n"}
//   {"numeric": [op, n (, op, n)]}   op: = < <= > >=
//   {"anything-but": literal | [literals] | {"prefix": s} | {"suffix": s}}
// An event value that is an array matches when one of its elements does.
// Scalars compare across text, since CloudEvents attributes are text in the
// HTTP and Kafka binary modes: 5 matches 5 and "5", true matches "true".
// Numbers compare as doubles (json.ts parses with strtod.ts). Absent keys
// match only {"exists": false}; null is a value (matches the literal null).
// Pure functions, no host calls; matching never traps and its depth is
// bounded by the pattern's.
import { inNetwork, parseIp, parsePrefixLength } from "./ip_address";
import { JsonKind, JsonValue, parseJson, stringify } from "./json";

const enum Kind {
  Equals = 0,
  Prefix = 1,
  Suffix = 2,
  AnythingBut = 3,
  AnythingButPrefix = 4,
  AnythingButSuffix = 5,
  Numeric = 6,
  Exists = 7,
  Cidr = 8,
}

// Numeric comparison operators; None = no bound on that side.
const enum Op {
  None = 0,
  Eq = 1,
  Lt = 2,
  Le = 3,
  Gt = 4,
  Ge = 5,
}

const MAX_PATTERN_DEPTH = 16;

class Condition {
  kind: Kind = Kind.Equals;
  literals: JsonValue[] = [];
  text: string = "";
  exists: bool = true;
  // Numeric: up to two comparisons, both must hold.
  op1: Op = Op.None;
  n1: f64 = 0;
  op2: Op = Op.None;
  n2: f64 = 0;
  // Cidr: the network's address bytes (4 or 16) and prefix length.
  net: Uint8Array = new Uint8Array(0);
  bits: i32 = 0;
}

class Field {
  name: string = "";
  nested: EventPattern | null = null;
  conditions: Condition[] = [];
}

export class EventPattern {
  fields: Field[] = [];

  matches(event: JsonValue): bool {
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i];
      const v = event.isObject ? event.get(f.name) : null;
      if (!fieldMatches(f, v)) return false;
    }
    return true;
  }
}

function fieldMatches(f: Field, v: JsonValue | null): bool {
  const nested = f.nested;
  if (nested != null) {
    if (v == null) return false;
    if (v.isArray) {
      for (let i = 0; i < v.length; i++) if (nested.matches(v.at(i)!)) return true;
      return false;
    }
    return nested.matches(v);
  }
  for (let i = 0; i < f.conditions.length; i++) if (conditionMatches(f.conditions[i], v)) return true;
  return false;
}

function conditionMatches(c: Condition, v: JsonValue | null): bool {
  if (c.kind == Kind.Exists) return (v != null) == c.exists;
  if (v == null) return false;
  if (v.isArray) {
    for (let i = 0; i < v.length; i++) if (scalarMatches(c, v.at(i)!)) return true;
    return false;
  }
  return scalarMatches(c, v);
}

function scalarMatches(c: Condition, v: JsonValue): bool {
  switch (c.kind) {
    case Kind.Equals: return equalsLiteral(c.literals[0], v);
    case Kind.Prefix: return v.isString && v.asString().startsWith(c.text);
    case Kind.Suffix: return v.isString && v.asString().endsWith(c.text);
    case Kind.AnythingBut: {
      if (v.isArray || v.isObject) return false;
      for (let i = 0; i < c.literals.length; i++) if (equalsLiteral(c.literals[i], v)) return false;
      return true;
    }
    case Kind.AnythingButPrefix: return v.isString && !v.asString().startsWith(c.text);
    case Kind.AnythingButSuffix: return v.isString && !v.asString().endsWith(c.text);
    case Kind.Numeric: {
      const n = numberOf(v);
      if (n == null) return false;
      const x = n.asNumber();
      return compare(c.op1, x, c.n1) && compare(c.op2, x, c.n2);
    }
    case Kind.Cidr: {
      if (!v.isString) return false;
      const addr = parseIp(v.asString());
      return addr != null && inNetwork(addr, c.net, c.bits);
    }
  }
  return false;
}

function compare(op: Op, x: f64, bound: f64): bool {
  switch (op) {
    case Op.None: return true;
    case Op.Eq: return x == bound;
    case Op.Lt: return x < bound;
    case Op.Le: return x <= bound;
    case Op.Gt: return x > bound;
    case Op.Ge: return x >= bound;
  }
  return false;
}

// A number, or a string that is exactly a JSON number ("5", "-1.5e3").
function numberOf(v: JsonValue): JsonValue | null {
  if (v.isNumber) return v;
  if (!v.isString) return null;
  const s = v.asString();
  if (s.length == 0 || s.length > 400) return null;
  const first = s.charCodeAt(0);
  if (first != 0x2d && (first < 0x30 || first > 0x39)) return null;
  const last = s.charCodeAt(s.length - 1);
  if (last < 0x30 || last > 0x39) return null;
  const r = parseJson(s);
  return r.ok && r.value.isNumber ? r.value : null;
}

function equalsLiteral(lit: JsonValue, v: JsonValue): bool {
  switch (lit.kind) {
    case JsonKind.Null: return v.isNull;
    case JsonKind.Bool: {
      if (v.isBool) return v.asBool() == lit.asBool();
      return v.isString && v.asString() == (lit.asBool() ? "true" : "false");
    }
    case JsonKind.Number: {
      const n = numberOf(v);
      return n != null && n.asNumber() == lit.asNumber();
    }
    case JsonKind.String: {
      if (v.isString) return v.asString() == lit.asString();
      return (v.isNumber || v.isBool) && stringify(v) == lit.asString();
    }
  }
  return false;
}

// ---- compiling

/** A pattern, or the problems found, each as [path relative to the pattern, message]. */
export class PatternResult {
  pattern: EventPattern = new EventPattern();
  paths: string[] = [];
  messages: string[] = [];
  get ok(): bool {
    return this.paths.length == 0;
  }
}

/** Compiles a pattern object; problems name their place, e.g.
 *  "type[0].numeric": "expected ...". An empty pattern matches every event. */
export function compilePattern(v: JsonValue): PatternResult {
  const out = new PatternResult();
  if (!v.isObject) {
    problem(out, "", "expected an object of attribute name -> [conditions] or nested object");
    return out;
  }
  out.pattern = compileObject(v, "", 1, out);
  return out;
}

function problem(out: PatternResult, path: string, message: string): void {
  out.paths.push(path);
  out.messages.push(message);
}

function join(path: string, key: string): string {
  return path.length == 0 ? key : path + "." + key;
}

function compileObject(v: JsonValue, path: string, depth: i32, out: PatternResult): EventPattern {
  const p = new EventPattern();
  if (depth > MAX_PATTERN_DEPTH) {
    problem(out, path, "nested deeper than " + MAX_PATTERN_DEPTH.toString() + " levels");
    return p;
  }
  for (let i = 0; i < v.length; i++) {
    const name = v.keyAt(i);
    const value = v.at(i)!;
    const here = join(path, name);
    const f = new Field();
    f.name = name;
    if (value.isObject) {
      if (value.length == 0) problem(out, here, "an empty object matches nothing useful; give conditions");
      f.nested = compileObject(value, here, depth + 1, out);
    } else if (value.isArray) {
      if (value.length == 0) problem(out, here, "expected at least one condition");
      for (let k = 0; k < value.length; k++) {
        const c = compileCondition(value.at(k)!, here + "[" + k.toString() + "]", out);
        if (c != null) f.conditions.push(c);
      }
    } else {
      problem(out, here, "expected an array of conditions or a nested object, e.g. [\"value\"]");
    }
    p.fields.push(f);
  }
  return p;
}

function compileCondition(v: JsonValue, path: string, out: PatternResult): Condition | null {
  const c = new Condition();
  if (!v.isObject) {
    if (v.isArray) {
      problem(out, path, "expected a literal or an object like {\"prefix\": \"x\"}, got an array");
      return null;
    }
    c.literals.push(v);
    return c;
  }
  if (v.length != 1) {
    problem(out, path, "expected exactly one operator: prefix, suffix, anything-but, numeric, exists, cidr");
    return null;
  }
  const op = v.keyAt(0);
  const arg = v.at(0)!;
  const here = path + "." + op;
  if (op == "prefix" || op == "suffix") {
    if (!arg.isString) {
      problem(out, here, "expected a string");
      return null;
    }
    c.kind = op == "prefix" ? Kind.Prefix : Kind.Suffix;
    c.text = arg.asString();
    return c;
  }
  if (op == "exists") {
    if (!arg.isBool) {
      problem(out, here, "expected true or false");
      return null;
    }
    c.kind = Kind.Exists;
    c.exists = arg.asBool();
    return c;
  }
  if (op == "anything-but") return anythingBut(c, arg, here, out);
  if (op == "numeric") return numeric(c, arg, here, out);
  if (op == "cidr") return cidr(c, arg, here, out);
  problem(out, path, "unknown operator \"" + op + "\" (prefix, suffix, anything-but, numeric, exists, cidr)");
  return null;
}

function isLiteral(v: JsonValue): bool {
  return v.isString || v.isNumber || v.isBool;
}

function anythingBut(c: Condition, arg: JsonValue, path: string, out: PatternResult): Condition | null {
  if (isLiteral(arg)) {
    c.kind = Kind.AnythingBut;
    c.literals.push(arg);
    return c;
  }
  if (arg.isArray) {
    if (arg.length == 0) {
      problem(out, path, "expected at least one value");
      return null;
    }
    for (let i = 0; i < arg.length; i++) {
      const e = arg.at(i)!;
      if (!isLiteral(e)) {
        problem(out, path + "[" + i.toString() + "]", "expected a string, number or boolean");
        return null;
      }
      c.literals.push(e);
    }
    c.kind = Kind.AnythingBut;
    return c;
  }
  if (arg.isObject && arg.length == 1 && (arg.keyAt(0) == "prefix" || arg.keyAt(0) == "suffix")) {
    const text = arg.at(0)!;
    if (!text.isString) {
      problem(out, path + "." + arg.keyAt(0), "expected a string");
      return null;
    }
    c.kind = arg.keyAt(0) == "prefix" ? Kind.AnythingButPrefix : Kind.AnythingButSuffix;
    c.text = text.asString();
    return c;
  }
  problem(out, path, "expected a value, an array of values, {\"prefix\": s} or {\"suffix\": s}");
  return null;
}

function opOf(s: string): Op {
  if (s == "=") return Op.Eq;
  if (s == "<") return Op.Lt;
  if (s == "<=") return Op.Le;
  if (s == ">") return Op.Gt;
  if (s == ">=") return Op.Ge;
  return Op.None;
}

function numeric(c: Condition, arg: JsonValue, path: string, out: PatternResult): Condition | null {
  const usage = "expected [op, number] or [lower op, number, upper op, number]; op is =, <, <=, >, >=";
  if (!arg.isArray || (arg.length != 2 && arg.length != 4)) {
    problem(out, path, usage);
    return null;
  }
  const ops = new Array<Op>(0);
  const nums = new Array<f64>(0);
  for (let i = 0; i < arg.length; i += 2) {
    const o = arg.at(i)!;
    const n = arg.at(i + 1)!;
    const op = o.isString ? opOf(o.asString()) : Op.None;
    if (op == Op.None) {
      problem(out, path + "[" + i.toString() + "]", usage);
      return null;
    }
    if (!n.isNumber) {
      problem(out, path + "[" + (i + 1).toString() + "]", "expected a number");
      return null;
    }
    ops.push(op);
    nums.push(n.asNumber());
  }
  if (ops.length == 2) {
    const lower = ops[0] == Op.Gt || ops[0] == Op.Ge;
    const upper = ops[1] == Op.Lt || ops[1] == Op.Le;
    if (!lower || !upper) {
      problem(out, path, "with two comparisons, the first is > or >= and the second < or <=");
      return null;
    }
    if (nums[0] > nums[1]) {
      problem(out, path, "the lower bound " + stringify(JsonValue.ofNumber(nums[0])) + " is above the upper bound " + stringify(JsonValue.ofNumber(nums[1])));
      return null;
    }
    c.op2 = ops[1];
    c.n2 = nums[1];
  }
  c.kind = Kind.Numeric;
  c.op1 = ops[0];
  c.n1 = nums[0];
  return c;
}

function cidr(c: Condition, arg: JsonValue, path: string, out: PatternResult): Condition | null {
  const usage = "expected \"address/prefix-length\", e.g. \"10.0.0.0/8\" or \"2001:db8::/32\"";
  if (!arg.isString) {
    problem(out, path, usage);
    return null;
  }
  const s = arg.asString();
  const slash = s.indexOf("/");
  const addr = slash > 0 ? parseIp(s.substring(0, slash)) : null;
  if (addr == null) {
    problem(out, path, usage + ", got \"" + s + "\"");
    return null;
  }
  const len = s.substring(slash + 1);
  const bits = parsePrefixLength(len, addr.length * 8);
  if (bits < 0) {
    problem(out, path, "the prefix length must be 0.." + (addr.length * 8).toString() + ", got \"" + len + "\"");
    return null;
  }
  c.kind = Kind.Cidr;
  c.net = addr;
  c.bits = bits;
  return c;
}
