// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent
// and tracestate headers, which the filters carry through HTTP headers,
// Kafka record headers and RocketMQ message properties.
//
// Parsing is strict where the spec is (lowercase hex, all-zero ids invalid,
// version ff invalid, version 00 exactly 55 chars) and follows the spec's
// forward-compatibility rule for higher versions: read the version 00 fields
// and accept more data only after a '-'. Leading/trailing spaces and tabs are
// trimmed, as HTTP optional whitespace. Nothing here traps: bad input yields
// null (traceparent) or an empty, invalid TraceState.
//
// New ids need randomness but Envoy offers no random import (Math.random
// would pull in one), so the caller provides a RandomSource, typically a
// SplitMix64 seeded from time and per-host values.

import { decodeUtf8 } from "./utf8";

const HEX = "0123456789abcdef";
const MAX_MEMBERS = 32;
const MAX_TRACESTATE_CHARS = 512; // spec: propagate at least this much

export abstract class RandomSource {
  abstract next(): u64;
}

/** Fast, well-mixed 64-bit generator (Steele, Lea, Flood: SplitMix64). Not
 *  cryptographic; ids need uniqueness, not secrecy. */
export class SplitMix64 extends RandomSource {
  constructor(private state: u64) {
    super();
  }
  /** Stirs more entropy in (a timestamp, a connection id). */
  mix(v: u64): void {
    this.state ^= v * 0x9e3779b97f4a7c15;
    this.next();
  }
  next(): u64 {
    this.state += 0x9e3779b97f4a7c15;
    let z = this.state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
}

function isLowerHex(s: string, start: i32, len: i32): bool {
  for (let i = start; i < start + len; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function isAllZero(s: string, start: i32, len: i32): bool {
  for (let i = start; i < start + len; i++) if (s.charCodeAt(i) != 0x30) return false;
  return true;
}

function hexOf(v: u64, digits: i32): string {
  let s = "";
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) s += HEX.charAt(<i32>((v >> shift) & 15));
  return s;
}

// A random id of `words` 64-bit words; never all zero (the spec's invalid value).
function randomHex(rnd: RandomSource, words: i32): string {
  for (let attempt = 0; attempt < 4; attempt++) {
    let s = "";
    let any: u64 = 0;
    for (let w = 0; w < words; w++) {
      const v = rnd.next();
      any |= v;
      s += hexOf(v, 16);
    }
    if (any != 0) return s;
  }
  return "0".repeat(words * 16 - 1) + "1"; // a broken source; stay valid
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) == 0x20 || s.charCodeAt(a) == 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) == 0x20 || s.charCodeAt(b - 1) == 0x09)) b--;
  return a == 0 && b == s.length ? s : s.substring(a, b);
}

export class TraceContext {
  constructor(
    public traceId: string, // 32 lowercase hex
    public spanId: string, // 16 lowercase hex: the parent-id field
    public flags: u8,
    public tracestate: TraceState = new TraceState(),
  ) {}

  get sampled(): bool {
    return (this.flags & 1) != 0;
  }

  set sampled(on: bool) {
    this.flags = on ? this.flags | 1 : this.flags & ~1;
  }

  /** Always version 00: we only know how to produce what we understand. */
  toTraceparent(): string {
    return "00-" + this.traceId + "-" + this.spanId + "-" + hexOf(this.flags, 2);
  }

  /** Same trace, same flags and tracestate, a new span id: the context to
   *  send on when this hop records itself as a span. */
  child(rnd: RandomSource): TraceContext {
    return new TraceContext(this.traceId, randomHex(rnd, 1), this.flags, this.tracestate.clone());
  }

  /** Starts a new trace (no or invalid incoming traceparent). */
  static newRoot(rnd: RandomSource, sampled: bool): TraceContext {
    return new TraceContext(randomHex(rnd, 2), randomHex(rnd, 1), sampled ? 1 : 0);
  }

  /** newRoot with the trace id's last 64 bits drawn already (a sampler
   *  decides on them first); `last` must not be 0, so the id is valid. */
  static newRootEndingWith(rnd: RandomSource, last: u64, sampled: bool): TraceContext {
    return new TraceContext(hexOf(rnd.next(), 16) + hexOf(last, 16), randomHex(rnd, 1), sampled ? 1 : 0);
  }

  /** Both headers at once; an invalid tracestate is dropped, the traceparent kept. */
  static parse(traceparent: string, tracestate: string = ""): TraceContext | null {
    const tc = parseTraceparent(traceparent);
    if (tc) tc.tracestate = TraceState.parse(tracestate);
    return tc;
  }
}

/** Parses a traceparent value; null if invalid. */
export function parseTraceparent(value: string): TraceContext | null {
  const s = trimOws(value);
  const n = s.length;
  if (n < 55) return null;
  if (!isLowerHex(s, 0, 2)) return null;
  const version = s.substring(0, 2);
  if (version == "ff") return null;
  if (version == "00" ? n != 55 : n > 55 && s.charCodeAt(55) != 0x2d) return null;
  if (s.charCodeAt(2) != 0x2d || s.charCodeAt(35) != 0x2d || s.charCodeAt(52) != 0x2d) return null;
  if (!isLowerHex(s, 3, 32) || !isLowerHex(s, 36, 16) || !isLowerHex(s, 53, 2)) return null;
  if (isAllZero(s, 3, 32) || isAllZero(s, 36, 16)) return null;
  const flags = <u8>((hexDigit(s.charCodeAt(53)) << 4) | hexDigit(s.charCodeAt(54)));
  return new TraceContext(s.substring(3, 35), s.substring(36, 52), flags);
}

/** parseTraceparent over UTF-8 bytes (a Kafka header value), data[start, end). */
export function parseTraceparentBytes(data: Uint8Array, start: i32, end: i32): TraceContext | null {
  if (start < 0 || end > data.length || end - start < 55 || end - start > 512) return null;
  return parseTraceparent(decodeUtf8(data.dataStart + <usize>start, end - start));
}

function hexDigit(c: i32): i32 {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

// ---------------------------------------------------------------------------
// tracestate

function isKeyChar(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d || c == 0x2a || c == 0x2f;
}

/** key = simple-key | tenant-id "@" system-id, per the spec's grammar. */
export function isValidTracestateKey(k: string): bool {
  const n = k.length;
  if (n == 0 || n > 256) return false;
  const at = k.indexOf("@");
  for (let i = 0; i < n; i++) if (i != at && !isKeyChar(k.charCodeAt(i))) return false;
  const c0 = k.charCodeAt(0);
  const lc0 = c0 >= 0x61 && c0 <= 0x7a;
  if (at < 0) return lc0;
  // tenant: 1..241 chars starting with lcalpha/digit; system: 1..14 starting with lcalpha
  if (at == 0 || at > 241 || n - at - 1 < 1 || n - at - 1 > 14) return false;
  if (!lc0 && !(c0 >= 0x30 && c0 <= 0x39)) return false;
  const s0 = k.charCodeAt(at + 1);
  return s0 >= 0x61 && s0 <= 0x7a;
}

/** value = 0*255(chr) nblk-chr: printable ASCII without ',' and '=', no trailing space. */
export function isValidTracestateValue(v: string): bool {
  const n = v.length;
  if (n == 0 || n > 256) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x2c || c == 0x3d) return false;
  }
  return v.charCodeAt(n - 1) != 0x20;
}

export class TraceState {
  keys: string[] = [];
  values: string[] = [];
  /** False when parsing rejected the header (then it is empty). */
  valid: bool = true;

  /** Parses a tracestate header (several header lines joined by ','). Empty
   *  members are skipped; a malformed member, a duplicate key or more than
   *  32 members invalidates the whole header, as the spec asks. */
  static parse(header: string): TraceState {
    const ts = new TraceState();
    const parts = header.split(",");
    for (let i = 0; i < parts.length; i++) {
      const m = trimOws(parts[i]);
      if (m.length == 0) continue;
      const eq = m.indexOf("=");
      const key = eq < 0 ? "" : m.substring(0, eq);
      const value = eq < 0 ? "" : m.substring(eq + 1);
      if (!isValidTracestateKey(key) || !isValidTracestateValue(value) || ts.indexOf(key) >= 0 ||
          ts.keys.length == MAX_MEMBERS) {
        return TraceState.invalid();
      }
      ts.keys.push(key);
      ts.values.push(value);
    }
    return ts;
  }

  private static invalid(): TraceState {
    const ts = new TraceState();
    ts.valid = false;
    return ts;
  }

  get length(): i32 {
    return this.keys.length;
  }

  indexOf(key: string): i32 {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return i;
    return -1;
  }

  /** Value for key, or "" when absent. */
  get(key: string): string {
    const i = this.indexOf(key);
    return i < 0 ? "" : this.values[i];
  }

  /** Adds or updates our own entry; it moves to the front (the spec's rule
   *  for a vendor that modifies tracestate). Drops the last entry past 32.
   *  Returns false, changing nothing, for an invalid key or value. */
  set(key: string, value: string): bool {
    if (!isValidTracestateKey(key) || !isValidTracestateValue(value)) return false;
    this.remove(key);
    this.keys.unshift(key);
    this.values.unshift(value);
    if (this.keys.length > MAX_MEMBERS) {
      this.keys.pop();
      this.values.pop();
    }
    return true;
  }

  remove(key: string): void {
    const i = this.indexOf(key);
    if (i < 0) return;
    this.keys.splice(i, 1);
    this.values.splice(i, 1);
  }

  clone(): TraceState {
    const ts = new TraceState();
    ts.keys = this.keys.slice(0);
    ts.values = this.values.slice(0);
    ts.valid = this.valid;
    return ts;
  }

  /** The header value, kept within 512 characters the way the spec
   *  suggests: first drop members longer than 128 characters (from the
   *  right), then drop from the right. */
  toString(): string {
    const n = this.keys.length;
    const keep = new StaticArray<bool>(n);
    let total = -1; // no comma before the first member
    for (let i = 0; i < n; i++) {
      keep[i] = true;
      total += memberLength(this, i) + 1;
    }
    for (let i = n - 1; i >= 0 && total > MAX_TRACESTATE_CHARS; i--) {
      if (memberLength(this, i) > 128) {
        keep[i] = false;
        total -= memberLength(this, i) + 1;
      }
    }
    for (let i = n - 1; i >= 0 && total > MAX_TRACESTATE_CHARS; i--) {
      if (keep[i]) {
        keep[i] = false;
        total -= memberLength(this, i) + 1;
      }
    }
    let s = "";
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      if (s.length) s += ",";
      s += this.keys[i] + "=" + this.values[i];
    }
    return s;
  }
}

function memberLength(ts: TraceState, i: i32): i32 {
  return ts.keys[i].length + 1 + ts.values[i].length;
}
