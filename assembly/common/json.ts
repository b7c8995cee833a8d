// JSON (RFC 8259) parser to a small DOM, and a compact serializer.
//
// Hand-written rather than a library: the two maintained AssemblyScript JSON
// libraries (assemblyscript-json 1.1.0, json-as 1.6.0) compile with AS 0.28
// but both abort the module on malformed input ("Unexpected input end",
// "Incomplete or unterminated JSON value"), and a filter must never trap on
// what a client or an operator sends. json-as also needs a compiler transform.
//
// Errors are values: parseJson() returns a JsonResult carrying either the
// value or a message with the UTF-16 offset where parsing stopped. Nesting is
// bounded so hostile input cannot exhaust the Wasm stack.

import { StrBuf } from "./strbuf";
import { parseJsonNumber } from "./strtod";
import { decodeUtf8Buffer } from "./utf8";

export const enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

// Objects with more keys than this get a hash index, so building or reading a
// large object stays linear instead of quadratic in the number of keys.
const INDEX_THRESHOLD = 8;
// Integers up to 2^53 convert between f64 and i64 without loss.
const MAX_SAFE: f64 = 9007199254740992.0;

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  private b: bool = false;
  private n: f64 = 0;
  private i: i64 = 0;
  private exact: bool = false; // `i` holds the exact integer value
  private s: string = "";
  private items: JsonValue[] | null = null; // array elements, or object values
  private keys: string[] | null = null;
  private index: Map<string, i32> | null = null;

  static ofNull(): JsonValue {
    return new JsonValue();
  }
  static ofBool(b: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.b = b;
    return v;
  }
  static ofNumber(n: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = n;
    if (Math.abs(n) <= MAX_SAFE && Math.floor(n) == n) {
      v.i = <i64>n;
      v.exact = true;
    }
    return v;
  }
  static ofInt(i: i64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = <f64>i;
    v.i = i;
    v.exact = true;
    return v;
  }
  /** A number with both views given: f as JSON.parse would read it, and i
   *  its exact integer value when exact (e.g. 2^63-1, which f64 rounds). */
  static ofParsedNumber(f: f64, i: i64, exact: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.n = f;
    v.i = i;
    v.exact = exact;
    return v;
  }
  static ofString(s: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.s = s;
    return v;
  }
  static newArray(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = [];
    return v;
  }
  static newObject(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = [];
    v.keys = [];
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** True for a number whose exact integer value asInt() returns: an integer
   *  literal within i64, or any integral number within +-2^53. */
  get isInteger(): bool { return this.kind == JsonKind.Number && this.exact; }

  asBool(): bool { return this.b; }
  asNumber(): f64 { return this.n; }
  /** Exact for isInteger values; otherwise the f64 truncated (saturating). */
  asInt(): i64 {
    if (this.exact) return this.i;
    if (this.n != this.n) return 0;
    if (this.n >= 9223372036854775807.0) return i64.MAX_VALUE;
    if (this.n <= -9223372036854775808.0) return i64.MIN_VALUE;
    return <i64>this.n;
  }
  asString(): string { return this.s; }

  /** Elements of an array or members of an object; 0 for scalars. */
  get length(): i32 {
    const items = this.items;
    return items ? items.length : 0;
  }

  /** Array element, or object member value, by position; null if out of range. */
  at(i: i32): JsonValue | null {
    const items = this.items;
    if (!items || i < 0 || i >= items.length) return null;
    return unchecked(items[i]);
  }

  /** Object member name by position (document order); "" if out of range. */
  keyAt(i: i32): string {
    const keys = this.keys;
    if (!keys || i < 0 || i >= keys.length) return "";
    return unchecked(keys[i]);
  }

  indexOf(key: string): i32 {
    const keys = this.keys;
    if (!keys) return -1;
    const index = this.index;
    if (index) return index.has(key) ? index.get(key) : -1;
    for (let i = 0; i < keys.length; i++) if (unchecked(keys[i]) == key) return i;
    return -1;
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** Object member by name; null when absent or when this is not an object. */
  get(key: string): JsonValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.at(i);
  }

  /** Appends to an array; ignored for other kinds. Returns this for chaining. */
  push(v: JsonValue): JsonValue {
    const items = this.items;
    if (this.kind == JsonKind.Array && items) items.push(v);
    return this;
  }

  /** Sets an object member. A new key goes last; an existing key keeps its
   *  place and takes the new value (as JSON.parse does with duplicates). */
  set(key: string, v: JsonValue): JsonValue {
    const keys = this.keys;
    const items = this.items;
    if (this.kind != JsonKind.Object || !keys || !items) return this;
    const i = this.indexOf(key);
    if (i >= 0) {
      unchecked((items[i] = v));
      return this;
    }
    keys.push(key);
    items.push(v);
    let index = this.index;
    if (index) {
      index.set(key, keys.length - 1);
    } else if (keys.length > INDEX_THRESHOLD) {
      index = new Map<string, i32>();
      for (let k = 0; k < keys.length; k++) index.set(unchecked(keys[k]), k);
      this.index = index;
    }
    return this;
  }

  toString(): string {
    return stringify(this);
  }
}

export class JsonResult {
  constructor(
    public value: JsonValue, // a Null value when !ok
    public error: string, // "" when ok
    public pos: i32, // UTF-16 offset of the error; -1 when ok
  ) {}
  get ok(): bool { return this.pos < 0; }
  /** "message at position N", for logs. */
  describe(): string {
    return this.ok ? "ok" : this.error + " at position " + this.pos.toString();
  }
}

export const DEFAULT_MAX_DEPTH = 64;
// Each level costs a few Wasm stack frames; 512 stays far inside V8's stack.
export const MAX_DEPTH_LIMIT = 512;

/** Parses one JSON text. Surrounding whitespace is allowed; anything else
 *  after the value is an error. maxDepth (clamped to 0..512) bounds nesting
 *  of arrays and objects. Never traps. */
export function parseJson(text: string, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonResult {
  const p = new Parser(text, max(0, min(maxDepth, MAX_DEPTH_LIMIT)));
  p.skipWs();
  const v = p.value(0);
  if (p.errPos < 0) {
    p.skipWs();
    if (p.pos < text.length) p.fail("unexpected " + describeChar(text.charCodeAt(p.pos)) + " after the value");
  }
  if (p.errPos >= 0) return new JsonResult(JsonValue.ofNull(), p.err, p.errPos);
  return new JsonResult(v, "", -1);
}

/** parseJson over UTF-8 bytes (invalid sequences decode to U+FFFD as in TextDecoder). */
export function parseJsonBytes(data: ArrayBuffer, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonResult {
  return parseJson(decodeUtf8Buffer(data), maxDepth);
}

function describeChar(c: i32): string {
  if (c < 0) return "end of input";
  if (c > 0x20 && c < 0x7f) return "character '" + String.fromCharCode(c) + "'";
  return "character U+" + hex4(c);
}

function hex4(c: i32): string {
  const digits = "0123456789ABCDEF";
  let s = "";
  for (let shift = 12; shift >= 0; shift -= 4) s += digits.charAt((c >> shift) & 15);
  return s;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

class Parser {
  pos: i32 = 0;
  err: string = "";
  errPos: i32 = -1;
  private len: i32;
  private buf: StrBuf | null = null;

  constructor(private s: string, private maxDepth: i32) {
    this.len = s.length;
  }

  // charCodeAt is -1 past the end, so every peek is bounds-safe.
  @inline private peek(): i32 {
    return this.s.charCodeAt(this.pos);
  }

  fail(msg: string): JsonValue {
    if (this.errPos < 0) {
      this.err = msg;
      this.errPos = this.pos;
    }
    return JsonValue.ofNull();
  }

  private unexpected(): JsonValue {
    return this.fail("unexpected " + describeChar(this.peek()));
  }

  skipWs(): void {
    while (this.pos < this.len) {
      const c = this.peek();
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  value(depth: i32): JsonValue {
    const c = this.peek();
    if (c == 0x7b) return this.object(depth + 1); // {
    if (c == 0x5b) return this.array(depth + 1); // [
    if (c == 0x22) {
      const str = this.string();
      return this.errPos < 0 ? JsonValue.ofString(str) : JsonValue.ofNull();
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return JsonValue.ofBool(true);
    if (this.word("false")) return JsonValue.ofBool(false);
    if (this.word("null")) return JsonValue.ofNull();
    return this.unexpected();
  }

  private word(w: string): bool {
    const n = w.length;
    if (this.pos + n > this.len) return false;
    for (let i = 0; i < n; i++) if (this.s.charCodeAt(this.pos + i) != w.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  private object(depth: i32): JsonValue {
    if (depth > this.maxDepth) return this.fail("nesting deeper than " + this.maxDepth.toString());
    this.pos++; // {
    const obj = JsonValue.newObject();
    this.skipWs();
    if (this.peek() == 0x7d) {
      this.pos++;
      return obj;
    }
    while (true) {
      if (this.peek() != 0x22) return this.fail("expected a string key, found " + describeChar(this.peek()));
      const key = this.string();
      if (this.errPos >= 0) return obj;
      this.skipWs();
      if (this.peek() != 0x3a) return this.fail("expected ':' after object key, found " + describeChar(this.peek()));
      this.pos++;
      this.skipWs();
      const v = this.value(depth);
      if (this.errPos >= 0) return obj;
      obj.set(key, v);
      this.skipWs();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return obj;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or '}', found " + describeChar(c));
      }
      this.skipWs();
    }
    return obj; // unreachable; the compiler wants a return
  }

  private array(depth: i32): JsonValue {
    if (depth > this.maxDepth) return this.fail("nesting deeper than " + this.maxDepth.toString());
    this.pos++; // [
    const arr = JsonValue.newArray();
    this.skipWs();
    if (this.peek() == 0x5d) {
      this.pos++;
      return arr;
    }
    while (true) {
      const v = this.value(depth);
      if (this.errPos >= 0) return arr;
      arr.push(v);
      this.skipWs();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return arr;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or ']', found " + describeChar(c));
      }
      this.skipWs();
    }
    return arr;
  }

  // Called on the opening quote. Strings without escapes are one substring;
  // only escaped strings go through the buffer.
  private string(): string {
    const s = this.s;
    this.pos++;
    let runStart = this.pos;
    let out: StrBuf | null = null;
    while (true) {
      const c = this.peek();
      if (c < 0) {
        this.fail("unterminated string");
        return "";
      }
      if (c == 0x22) {
        const end = this.pos;
        this.pos++;
        if (!out) return s.substring(runStart, end);
        out.slice(s, runStart, end);
        return out.toString();
      }
      if (c < 0x20) {
        this.fail("control character U+" + hex4(c) + " in string");
        return "";
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      // Backslash: flush the plain run, then decode one escape.
      if (!out) {
        let b = this.buf;
        if (!b) {
          b = new StrBuf(64);
          this.buf = b;
        }
        b.clear();
        out = b;
      }
      out.slice(s, runStart, this.pos);
      this.pos++;
      const e = this.peek();
      let code: i32 = -1;
      if (e == 0x22 || e == 0x5c || e == 0x2f) code = e;
      else if (e == 0x62) code = 0x08; // b
      else if (e == 0x66) code = 0x0c; // f
      else if (e == 0x6e) code = 0x0a; // n
      else if (e == 0x72) code = 0x0d; // r
      else if (e == 0x74) code = 0x09; // t
      else if (e == 0x75) {
        // \uXXXX yields one UTF-16 unit; a surrogate pair is two escapes that
        // land as two units, which is exactly its UTF-16 form. Lone
        // surrogates are kept as JSON.parse keeps them.
        code = 0;
        for (let k = 1; k <= 4; k++) {
          const h = hexValue(s.charCodeAt(this.pos + k));
          if (h < 0) {
            this.pos += k;
            this.fail("invalid \\u escape");
            return "";
          }
          code = (code << 4) | h;
        }
        this.pos += 4;
      }
      if (code < 0) {
        this.fail("invalid escape " + describeChar(e));
        return "";
      }
      out.code(code);
      this.pos++;
      runStart = this.pos;
    }
    return "";
  }

  private digits(): i32 {
    const start = this.pos;
    while (true) {
      const c = this.peek();
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  private number(): JsonValue {
    const start = this.pos;
    const neg = this.peek() == 0x2d;
    if (neg) this.pos++;
    const intStart = this.pos;
    const first = this.peek();
    if (first == 0x30) {
      this.pos++;
    } else if (first >= 0x31 && first <= 0x39) {
      this.digits();
    } else {
      return this.fail("invalid number: expected a digit, found " + describeChar(first));
    }
    const intEnd = this.pos;
    let integral = true;
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: expected a digit after '.'");
      integral = false;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: expected a digit in the exponent");
      integral = false;
    }
    const f = parseJsonNumber(this.s, start, this.pos);
    if (integral) {
      // Exact value for integer literals that fit i64, even beyond 2^53
      // (Kafka offsets, timestamps in ns).
      let acc: u64 = 0;
      let fits = true;
      for (let i = intStart; i < intEnd; i++) {
        const d = <u64>(this.s.charCodeAt(i) - 0x30);
        if (acc > (u64.MAX_VALUE - d) / 10) {
          fits = false;
          break;
        }
        acc = acc * 10 + d;
      }
      if (fits && (neg ? acc <= 0x8000000000000000 : acc <= 0x7fffffffffffffff)) {
        return JsonValue.ofParsedNumber(f, neg ? <i64>(0 - acc) : <i64>acc, true);
      }
    }
    const safe = Math.abs(f) <= MAX_SAFE && Math.floor(f) == f;
    return JsonValue.ofParsedNumber(f, safe ? <i64>f : 0, safe);
  }
}

// ---------------------------------------------------------------------------
// Serialization

/** Writes JSON incrementally: compact, commas handled, strings escaped so the
 *  output is valid UTF-16 (lone surrogates become \uXXXX, like
 *  JSON.stringify), hence lossless through String.UTF8.encode. */
export class JsonWriter {
  private out: StrBuf = new StrBuf(128);
  // One entry per open container: whether it already holds a member.
  private nonEmpty: bool[] = [];
  private afterKey: bool = false;

  private sep(): void {
    if (this.afterKey) {
      this.afterKey = false;
      return;
    }
    const n = this.nonEmpty.length;
    if (n == 0) return;
    if (unchecked(this.nonEmpty[n - 1])) this.out.code(0x2c);
    else unchecked((this.nonEmpty[n - 1] = true));
  }

  beginObject(): JsonWriter {
    this.sep();
    this.out.code(0x7b);
    this.nonEmpty.push(false);
    return this;
  }
  endObject(): JsonWriter {
    if (this.nonEmpty.length > 0) this.nonEmpty.pop();
    this.out.code(0x7d);
    return this;
  }
  beginArray(): JsonWriter {
    this.sep();
    this.out.code(0x5b);
    this.nonEmpty.push(false);
    return this;
  }
  endArray(): JsonWriter {
    if (this.nonEmpty.length > 0) this.nonEmpty.pop();
    this.out.code(0x5d);
    return this;
  }
  /** Member name; the next value call writes its value. */
  key(k: string): JsonWriter {
    this.sep();
    writeQuoted(this.out, k);
    this.out.code(0x3a);
    this.afterKey = true;
    return this;
  }
  string(s: string): JsonWriter {
    this.sep();
    writeQuoted(this.out, s);
    return this;
  }
  /** NaN and infinities have no JSON form; written as null like JSON.stringify. */
  number(n: f64): JsonWriter {
    this.sep();
    this.out.str(formatNumber(n));
    return this;
  }
  int(i: i64): JsonWriter {
    this.sep();
    this.out.str(i.toString());
    return this;
  }
  bool(b: bool): JsonWriter {
    this.sep();
    this.out.str(b ? "true" : "false");
    return this;
  }
  null(): JsonWriter {
    this.sep();
    this.out.str("null");
    return this;
  }
  /** Copies already-serialized JSON verbatim (caller vouches for it). */
  raw(json: string): JsonWriter {
    this.sep();
    this.out.str(json);
    return this;
  }
  value(v: JsonValue): JsonWriter {
    switch (v.kind) {
      case JsonKind.Null: return this.null();
      case JsonKind.Bool: return this.bool(v.asBool());
      case JsonKind.Number: {
        const f = v.asNumber();
        // exact ints beyond 2^53 print from the i64; "-0" needs the double
        return v.isInteger && f != 0 ? this.int(v.asInt()) : this.number(f);
      }
      case JsonKind.String: return this.string(v.asString());
      case JsonKind.Array: {
        this.beginArray();
        for (let i = 0, n = v.length; i < n; i++) this.value(v.at(i)!);
        return this.endArray();
      }
      default: {
        this.beginObject();
        for (let i = 0, n = v.length; i < n; i++) this.key(v.keyAt(i)).value(v.at(i)!);
        return this.endObject();
      }
    }
  }
  toString(): string {
    return this.out.toString();
  }
}

export function stringify(v: JsonValue): string {
  return new JsonWriter().value(v).toString();
}

/** s as a JSON string literal, quotes included. */
export function quoteJson(s: string): string {
  const b = new StrBuf(s.length + 2);
  writeQuoted(b, s);
  return b.toString();
}

/** Shortest-ish round-tripping form. Unlike JSON.stringify, -0 stays "-0",
 *  so parsing then serializing never changes a value. */
export function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == 0 && 1 / n < 0) return "-0";
  // Integral values print without AssemblyScript's trailing ".0".
  if (Math.abs(n) <= MAX_SAFE && Math.floor(n) == n) return (<i64>n).toString();
  return n.toString();
}

function writeQuoted(out: StrBuf, s: string): void {
  out.code(0x22);
  const n = s.length;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: i32 = 0; // 0: copy; >0: two-char escape letter; -1: \uXXXX
    if (c == 0x22 || c == 0x5c) esc = c;
    else if (c < 0x20) {
      if (c == 0x0a) esc = 0x6e;
      else if (c == 0x0d) esc = 0x72;
      else if (c == 0x09) esc = 0x74;
      else if (c == 0x08) esc = 0x62;
      else if (c == 0x0c) esc = 0x66;
      else esc = -1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A well-formed pair is copied; a lone half is escaped.
      if (c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      esc = -1;
    }
    if (esc == 0) continue;
    out.slice(s, run, i);
    out.code(0x5c);
    if (esc > 0) out.code(esc);
    else out.code(0x75).str(hex4(c).toLowerCase());
    run = i + 1;
  }
  out.slice(s, run, n);
  out.code(0x22);
}
