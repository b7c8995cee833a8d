// The JSON parser of json.ts: text to its DOM, errors as values, nesting
// bounded. See json.ts for why it is hand-written.
import { StrBuf } from "./strbuf";
import { parseJsonNumber } from "./strtod";
import { decodeUtf8Buffer } from "./utf8";
import { JsonResult, JsonValue, MAX_SAFE } from "./json";

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

export function hex4(c: i32): string {
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
