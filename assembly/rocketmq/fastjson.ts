// A lenient, position-keeping reader for the JSON that RocketMQ writes with
// fastjson, plus a pre-pass that turns it into standard JSON.
//
// Why not only assembly/common/json.ts: fastjson writes maps with numeric
// keys unquoted (BrokerData.brokerAddrs is HashMap<Long,String>, so a route
// body holds `{0:"10.0.0.1:10911"}`), which RFC 8259 and json.ts reject. And
// a filter that rewrites a header or a route body must leave every byte it
// does not mean to change as it was, so it needs the span of each member,
// which a DOM does not keep. This file finds spans; decoding a string or a
// whole standard document is still json.ts's job.
import { parseJson } from "../common/json";
import { StrBuf } from "../common/strbuf";

export const MAX_DEPTH: i32 = 64;

// Sentinel of intAt for "not an integer literal in range".
export const NOT_AN_INT: i64 = i64.MIN_VALUE;

// One object member: the key as written (quotes included) and the value.
export class Member {
  constructor(
    public key: string,
    public keyStart: i32,
    public quoted: bool, // false for fastjson's bare numeric keys
    public start: i32, // value span [start, end)
    public end: i32,
  ) {}
}

export class ObjectScan {
  error: string | null = null;
  members: Member[] = [];
  end: i32 = -1; // just past the closing brace
  get ok(): bool {
    return this.error === null;
  }
  find(key: string): Member | null {
    // The last duplicate wins, as fastjson's map put does.
    for (let i = this.members.length - 1; i >= 0; i--) {
      const m = unchecked(this.members[i]);
      if (m.key == key) return m;
    }
    return null;
  }
}

export class ArrayScan {
  error: string | null = null;
  starts: i32[] = [];
  ends: i32[] = [];
  end: i32 = -1;
  get ok(): bool {
    return this.error === null;
  }
}

@inline function isWs(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

export function skipWs(s: string, pos: i32): i32 {
  while (pos < s.length && isWs(s.charCodeAt(pos))) pos++;
  return pos;
}

// Characters of a bare token: numbers, literals and unquoted keys.
@inline function isBare(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d || c == 0x2b || c == 0x2e || c == 0x5f || c == 0x24;
}

// End of the string literal whose opening quote is at pos, or -1.
function skipString(s: string, pos: i32): i32 {
  const n = s.length;
  let i = pos + 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c == 0x22) return i + 1;
    if (c == 0x5c) i += 2;
    else i++;
  }
  return -1;
}

// End of the value starting at pos (after whitespace), or -1. Brackets are
// matched with an explicit stack so hostile nesting cannot exhaust the Wasm
// stack; strings are skipped, bare tokens taken whole. Contents are checked
// only as far as structure goes: callers decode what they use.
export function skipValue(s: string, pos: i32, maxDepth: i32 = MAX_DEPTH): i32 {
  const n = s.length;
  let i = skipWs(s, pos);
  if (i >= n) return -1;
  const stack = new StaticArray<u8>(maxDepth > 0 ? maxDepth : 1);
  let depth = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c == 0x22) {
      i = skipString(s, i);
      if (i < 0) return -1;
    } else if (c == 0x7b || c == 0x5b) {
      if (depth >= maxDepth) return -1;
      unchecked((stack[depth++] = <u8>c));
      i++;
    } else if (c == 0x7d || c == 0x5d) {
      if (depth == 0 || unchecked(stack[depth - 1]) != <u8>(c - 2)) return -1;
      depth--;
      i++;
    } else if (isBare(c)) {
      while (i < n && isBare(s.charCodeAt(i))) i++;
    } else if (depth > 0 && (c == 0x2c || c == 0x3a || isWs(c))) {
      i++;
    } else {
      return -1;
    }
    if (depth == 0) return i;
  }
  return -1;
}

// Members of the object whose '{' is at pos (after whitespace).
export function scanObject(s: string, pos: i32, maxDepth: i32 = MAX_DEPTH): ObjectScan {
  const r = new ObjectScan();
  let i = skipWs(s, pos);
  if (s.charCodeAt(i) != 0x7b) {
    r.error = "expected an object at " + i.toString();
    return r;
  }
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) == 0x7d) {
    r.end = i + 1;
    return r;
  }
  while (true) {
    const keyStart = i;
    let key = "";
    let quoted = true;
    if (s.charCodeAt(i) == 0x22) {
      const e = skipString(s, i);
      const k: string | null = e < 0 ? null : stringAt(s, i, e);
      if (k === null) {
        r.error = "bad key at " + i.toString();
        return r;
      }
      key = k;
      i = e;
    } else {
      while (i < s.length && isBare(s.charCodeAt(i))) i++;
      if (i == keyStart) {
        r.error = "expected a key at " + i.toString();
        return r;
      }
      key = s.substring(keyStart, i);
      quoted = false;
    }
    i = skipWs(s, i);
    if (s.charCodeAt(i) != 0x3a) {
      r.error = "expected ':' at " + i.toString();
      return r;
    }
    const start = skipWs(s, i + 1);
    const end = skipValue(s, start, maxDepth - 1);
    if (end < 0) {
      r.error = "bad value at " + start.toString();
      return r;
    }
    r.members.push(new Member(key, keyStart, quoted, start, end));
    i = skipWs(s, end);
    const c = s.charCodeAt(i);
    if (c == 0x7d) {
      r.end = i + 1;
      return r;
    }
    if (c != 0x2c) {
      r.error = "expected ',' or '}' at " + i.toString();
      return r;
    }
    i = skipWs(s, i + 1);
  }
  return r;
}

// Elements of the array whose '[' is at pos (after whitespace).
export function scanArray(s: string, pos: i32, maxDepth: i32 = MAX_DEPTH): ArrayScan {
  const r = new ArrayScan();
  let i = skipWs(s, pos);
  if (s.charCodeAt(i) != 0x5b) {
    r.error = "expected an array at " + i.toString();
    return r;
  }
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) == 0x5d) {
    r.end = i + 1;
    return r;
  }
  while (true) {
    const end = skipValue(s, i, maxDepth - 1);
    if (end < 0) {
      r.error = "bad element at " + i.toString();
      return r;
    }
    r.starts.push(i);
    r.ends.push(end);
    i = skipWs(s, end);
    const c = s.charCodeAt(i);
    if (c == 0x5d) {
      r.end = i + 1;
      return r;
    }
    if (c != 0x2c) {
      r.error = "expected ',' or ']' at " + i.toString();
      return r;
    }
    i = skipWs(s, i + 1);
  }
  return r;
}

// The string literal s[start, end) decoded, or null if it is not one.
export function stringAt(s: string, start: i32, end: i32): string | null {
  if (end - start < 2 || s.charCodeAt(start) != 0x22) return null;
  // Fast path: no escapes, the content is the text itself.
  let plain = true;
  for (let i = start + 1; i < end - 1; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x5c || c == 0x22 || c < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain && s.charCodeAt(end - 1) == 0x22) return s.substring(start + 1, end - 1);
  const r = parseJson(s.substring(start, end), 1);
  return r.ok && r.value.isString ? r.value.asString() : null;
}

// The integer literal s[start, end), or NOT_AN_INT (also for out of i64).
export function intAt(s: string, start: i32, end: i32): i64 {
  let i = start;
  const neg = s.charCodeAt(i) == 0x2d;
  if (neg) i++;
  if (i >= end) return NOT_AN_INT;
  let acc: u64 = 0;
  for (; i < end; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NOT_AN_INT;
    if (acc > (0x7fffffffffffffff - <u64>d) / 10) return NOT_AN_INT;
    acc = acc * 10 + <u64>d;
  }
  return neg ? -(<i64>acc) : <i64>acc;
}

// Standard JSON from fastjson's: bare keys (numeric map keys) get quotes, so
// json.ts can build a DOM. Everything else is copied as it is; a bare token
// is a key exactly when a ':' follows it, which no valid value allows.
export function quoteBareKeys(s: string): string {
  const n = s.length;
  let out: StrBuf | null = null;
  let copied = 0;
  let prev = 0; // last non-space character outside strings
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c == 0x22) {
      const e = skipString(s, i);
      if (e < 0) break; // unterminated: json.ts will report it
      i = e;
      prev = c;
      continue;
    }
    if (isBare(c) && (prev == 0x7b || prev == 0x2c)) {
      const start = i;
      while (i < n && isBare(s.charCodeAt(i))) i++;
      if (s.charCodeAt(skipWs(s, i)) == 0x3a) {
        if (!out) out = new StrBuf(n + 16);
        out.slice(s, copied, start).code(0x22).slice(s, start, i).code(0x22);
        copied = i;
      }
      prev = 0x30;
      continue;
    }
    if (!isWs(c)) prev = c;
    i++;
  }
  if (!out) return s;
  out.slice(s, copied, n);
  return out.toString();
}
