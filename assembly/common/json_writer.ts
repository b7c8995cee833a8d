// The compact JSON serializer of json.ts's DOM, and a writer for building
// JSON incrementally. See json.ts for why it is hand-written.
import { StrBuf } from "./strbuf";
import { JsonKind, JsonValue, MAX_SAFE } from "./json";
import { hex4 } from "./json_parser";

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
