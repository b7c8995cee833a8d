// Typed reading of a filter's JSON configuration, with errors that name the
// field path ("rules[2].topic: expected string, got number"), defaults, range
// and enum checks, and rejection of unknown field names (a typo such as
// "onUnknwn" must not silently fall back to a default).
//
//   const c = ConfigReader.parse(text);
//   const max = c.int("maxFrameBytes", 1048576, 1, 1 << 30);
//   const mode = c.choice("onUnknown", ["pass", "close"], 0);
//   const rules = c.array("rules");
//   for (let i = 0; i < rules.length; i++) {
//     const topic = rules[i].requireStr("topic");
//   }
//   if (!c.finish()) log(c.error);   // finish() also rejects unknown fields
//
// Reading never stops at the first problem: a wrong field yields its default
// and an error is recorded, so one log line can list every mistake. A JSON
// null counts as absent. Empty (or all-whitespace) text is the empty object,
// since Envoy passes an empty configuration when none is given.

import { JsonKind, JsonValue, parseJson } from "./json";
import { decodeUtf8Buffer } from "./utf8";

const MAX_ERRORS = 20;

// Shared by a root reader and every reader derived from it.
class Session {
  errors: string[] = [];
  readers: ConfigReader[] = [];
  dropped: i32 = 0;
}

function kindName(v: JsonValue): string {
  switch (v.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

export class ConfigReader {
  private used: StaticArray<bool>;
  private asked: string[] = [];

  private constructor(private node: JsonValue, readonly path: string, private session: Session) {
    this.used = new StaticArray<bool>(node.length);
    session.readers.push(this);
  }

  static parse(text: string): ConfigReader {
    const s = new Session();
    let blank = true;
    for (let i = 0; i < text.length && blank; i++) {
      const c = text.charCodeAt(i);
      blank = c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
    }
    if (blank) return new ConfigReader(JsonValue.newObject(), "", s);
    const r = parseJson(text);
    if (!r.ok) {
      s.errors.push("invalid JSON: " + r.describe());
      return new ConfigReader(JsonValue.newObject(), "", s);
    }
    return ConfigReader.root(r.value, s);
  }

  static parseBytes(data: ArrayBuffer): ConfigReader {
    return ConfigReader.parse(decodeUtf8Buffer(data));
  }

  static fromValue(v: JsonValue): ConfigReader {
    return ConfigReader.root(v, new Session());
  }

  private static root(v: JsonValue, s: Session): ConfigReader {
    if (v.isObject) return new ConfigReader(v, "", s);
    s.errors.push("configuration: expected object, got " + kindName(v));
    return new ConfigReader(JsonValue.newObject(), "", s);
  }

  // ---- outcome

  get failed(): bool { return this.session.errors.length > 0; }
  /** First error, "" if none. */
  get error(): string { return this.failed ? this.session.errors[0] : ""; }
  get errors(): string[] { return this.session.errors; }
  /** All errors joined by "; ", with a count of any beyond the cap. */
  get summary(): string {
    let s = this.session.errors.join("; ");
    if (this.session.dropped > 0) s += "; and " + this.session.dropped.toString() + " more";
    return s;
  }

  /** Records an error on a field of this object, for checks the reader does
   *  not know (cross-field rules): c.fail("rules", "must not be empty");
   *  "" for the object itself. */
  fail(name: string, message: string): void {
    this.report(this.fieldPath(name), message);
  }

  /** Marks every field read so far and rejects the others as unknown, in
   *  this object and every object read through it. Returns !failed. */
  finish(): bool {
    const readers = this.session.readers;
    for (let r = 0; r < readers.length; r++) readers[r].rejectUnknown();
    return !this.failed;
  }

  // ---- fields

  has(name: string): bool {
    const v = this.node.get(name);
    return v != null && !v.isNull;
  }

  /** Accepts a field without reading it (reserved or ignored names). */
  allow(name: string): void {
    this.lookup(name);
  }

  /** The raw JSON of a field, or null when absent. */
  value(name: string): JsonValue | null {
    return this.lookup(name);
  }

  str(name: string, def: string): string {
    const v = this.lookup(name);
    if (!v) return def;
    if (!v.isString) {
      this.wrongType(name, "string", v);
      return def;
    }
    return v.asString();
  }

  requireStr(name: string): string {
    if (!this.present(name)) return "";
    return this.str(name, "");
  }

  bool(name: string, def: bool): bool {
    const v = this.lookup(name);
    if (!v) return def;
    if (!v.isBool) {
      this.wrongType(name, "boolean", v);
      return def;
    }
    return v.asBool();
  }

  /** An integer field within [min, max]. */
  int(name: string, def: i32, min: i32 = i32.MIN_VALUE, max: i32 = i32.MAX_VALUE): i32 {
    return <i32>this.int64(name, def, min, max);
  }

  requireInt(name: string, min: i32 = i32.MIN_VALUE, max: i32 = i32.MAX_VALUE): i32 {
    if (!this.present(name)) return min;
    return this.int(name, min, min, max);
  }

  int64(name: string, def: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.lookup(name);
    if (!v) return def;
    const f = v.asNumber();
    if (!v.isNumber || Math.floor(f) != f) {
      this.fail(name, integerRule(min));
      return def;
    }
    // Exact when the literal fits i64; otherwise the double decides.
    const tooSmall = v.isInteger ? v.asInt() < min : f < <f64>min || f < -9223372036854775808.0;
    const tooBig = v.isInteger ? v.asInt() > max : f > <f64>max || f >= 9223372036854775808.0;
    if (tooSmall) {
      this.fail(name, min == 0 || min == 1 ? integerRule(min) : "must be at least " + min.toString());
      return def;
    }
    if (tooBig) {
      this.fail(name, "must be at most " + max.toString());
      return def;
    }
    return v.asInt();
  }

  num(name: string, def: f64, min: f64 = -Infinity, max: f64 = Infinity): f64 {
    const v = this.lookup(name);
    if (!v) return def;
    if (!v.isNumber) {
      this.wrongType(name, "number", v);
      return def;
    }
    const f = v.asNumber();
    if (f < min) {
      this.fail(name, "must be at least " + min.toString());
      return def;
    }
    if (f > max) {
      this.fail(name, "must be at most " + max.toString());
      return def;
    }
    return f;
  }

  /** An enum string; returns the index of the option given, def if absent. */
  choice(name: string, options: string[], def: i32): i32 {
    const v = this.lookup(name);
    if (!v) return def;
    if (v.isString) {
      const s = v.asString();
      for (let i = 0; i < options.length; i++) if (options[i] == s) return i;
    }
    this.fail(name, "expected one of " + options.join(", "));
    return def;
  }

  /** An array of strings; [] if absent. Wrong elements are reported and skipped. */
  strList(name: string): string[] {
    const out = new Array<string>();
    const v = this.lookup(name);
    if (!v) return out;
    if (!v.isArray) {
      this.wrongType(name, "array", v);
      return out;
    }
    for (let i = 0; i < v.length; i++) {
      const e = v.at(i)!;
      if (e.isString) out.push(e.asString());
      else this.report(this.fieldPath(name) + "[" + i.toString() + "]", "expected string, got " + kindName(e));
    }
    return out;
  }

  /** A nested object; an empty one (all defaults) if absent or wrong. */
  obj(name: string): ConfigReader {
    const v = this.lookup(name);
    const path = this.fieldPath(name);
    if (v && !v.isObject) this.wrongType(name, "object", v);
    return new ConfigReader(v && v.isObject ? v : JsonValue.newObject(), path, this.session);
  }

  requireObj(name: string): ConfigReader {
    this.present(name);
    return this.obj(name);
  }

  /** An array of objects, one reader each; [] if absent. Elements that are
   *  not objects are reported and skipped. */
  array(name: string): ConfigReader[] {
    const out = new Array<ConfigReader>();
    const v = this.lookup(name);
    if (!v) return out;
    if (!v.isArray) {
      this.wrongType(name, "array", v);
      return out;
    }
    const base = this.fieldPath(name);
    for (let i = 0; i < v.length; i++) {
      const e = v.at(i)!;
      const path = base + "[" + i.toString() + "]";
      if (e.isObject) out.push(new ConfigReader(e, path, this.session));
      else this.report(path, "expected object, got " + kindName(e));
    }
    return out;
  }

  requireArray(name: string): ConfigReader[] {
    this.present(name);
    return this.array(name);
  }

  // ---- internals

  // "" names this object itself.
  private fieldPath(name: string): string {
    if (name.length == 0) return this.path;
    return this.path.length ? this.path + "." + name : name;
  }

  private report(path: string, message: string): void {
    const errors = this.session.errors;
    if (errors.length >= MAX_ERRORS) {
      this.session.dropped++;
      return;
    }
    errors.push(path.length ? path + ": " + message : message);
  }

  private lookup(name: string): JsonValue | null {
    this.asked.push(name);
    const i = this.node.indexOf(name);
    if (i < 0) return null;
    this.used[i] = true;
    const v = this.node.at(i)!;
    return v.isNull ? null : v;
  }

  private present(name: string): bool {
    if (this.has(name)) return true;
    this.asked.push(name);
    this.fail(name, "missing required field");
    return false;
  }

  private wrongType(name: string, expected: string, v: JsonValue): void {
    this.fail(name, "expected " + expected + ", got " + kindName(v));
  }

  private rejectUnknown(): void {
    for (let i = 0; i < this.used.length; i++) {
      if (this.used[i]) continue;
      this.used[i] = true; // report once even if finish() runs again
      const key = this.node.keyAt(i);
      let msg = 'unknown field "' + key + '"';
      const near = this.closest(key);
      if (near.length) msg += ' (did you mean "' + near + '"?)';
      this.report(this.path, msg);
    }
  }

  // The asked-for name nearest to a typo, within two edits.
  private closest(key: string): string {
    let best = "";
    let bestD = 3;
    for (let i = 0; i < this.asked.length; i++) {
      const d = editDistance(key, this.asked[i], bestD);
      if (d < bestD) {
        bestD = d;
        best = this.asked[i];
      }
    }
    return best;
  }
}

function integerRule(min: i64): string {
  if (min == 1) return "must be a positive integer";
  if (min == 0) return "must be a non-negative integer";
  return "must be an integer";
}

// Levenshtein distance, giving up (returning limit) once it reaches limit;
// names are short, so the quadratic table is cheap.
function editDistance(a: string, b: string, limit: i32): i32 {
  const n = a.length;
  const m = b.length;
  if (abs(n - m) >= limit || n > 64 || m > 64) return limit;
  let prev = new StaticArray<i32>(m + 1);
  let cur = new StaticArray<i32>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      const cost = a.charCodeAt(i - 1) == b.charCodeAt(j - 1) ? 0 : 1;
      const v = min(min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return min(prev[m], limit);
}
