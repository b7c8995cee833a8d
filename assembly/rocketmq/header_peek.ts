// What a filter needs from a frame's header, read in place: code, opaque and
// flag for every frame, and an extFields value (topic, group) only when
// asked, without decoding the header into a RemotingCommand, a string or a
// map. This runs for every frame; decoding a JSON header whole (header_json.ts)
// costs a UTF-16 copy of it, an object per member and a map of the extFields.
//
// A binary header has code, opaque and flag at fixed offsets (17 bytes
// suffice). A JSON header is read whole: its top-level members are walked on
// the bytes with the rules of fastjson.ts (scanObject, skipValue), so the
// same headers are accepted; the extFields object is walked only when a value
// is asked for. The last of duplicate keys wins, as in Java.
import { decodeUtf8 } from "../common/utf8";
import { SERIALIZE_JSON, SERIALIZE_ROCKETMQ, FLAG_ONEWAY, FLAG_RESPONSE } from "./command";
import { MAX_DEPTH, NOT_AN_INT, stringAt } from "./fastjson";
import { BINARY_HEADER_MIN } from "./header_binary";

export const PEEK_OK: i32 = 0;
export const PEEK_NEED_MORE: i32 = 1; // more bytes of the frame are needed
export const PEEK_INVALID: i32 = 2;

// What FramePeek.indexed holds when it is not a count of members.
const NOT_INDEXED: i32 = -1; // indexed on the first lookup
const WALK: i32 = -2;
const UNREADABLE: i32 = -3;

// The bracket stack of skipValue, shared: values are walked one at a time.
const stack = new StaticArray<u8>(MAX_DEPTH);

@inline function isWs(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

@inline function isBare(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d || c == 0x2b || c == 0x2e || c == 0x5f || c == 0x24;
}

function skipWs(b: Uint8Array, i: i32, end: i32): i32 {
  while (i < end && isWs(unchecked(b[i]))) i++;
  return i;
}

// Bytes of a word equal to '"' or '\\' (their high bits; exact for the lowest
// such byte, which is all skipString uses).
@inline function quoteOrEscape(w: u64): u64 {
  const q = w ^ 0x2222222222222222;
  const e = w ^ 0x5c5c5c5c5c5c5c5c;
  return (((q - 0x0101010101010101) & ~q) | ((e - 0x0101010101010101) & ~e)) & 0x8080808080808080;
}

// End of the string literal whose quote is at i, or -1. Strings are most of
// a header (message properties): eight bytes are looked at a time.
function skipString(b: Uint8Array, i: i32, end: i32): i32 {
  i++;
  const base = b.dataStart;
  while (i < end) {
    while (i + 8 <= end) {
      const hit = quoteOrEscape(load<u64>(base + <usize>i));
      if (hit != 0) {
        i += <i32>(ctz(hit) >> 3);
        break;
      }
      i += 8;
    }
    if (i >= end) return -1;
    const c = unchecked(b[i]);
    if (c == 0x22) return i + 1;
    i += c == 0x5c ? 2 : 1;
  }
  return -1;
}

// From i, past the bytes of a string literal that need no attention (not
// '"', '\\' or a control character), eight at a time.
function plainRun(b: Uint8Array, i: i32, end: i32): i32 {
  const base = b.dataStart;
  while (i + 8 <= end) {
    const w = load<u64>(base + <usize>i);
    // Bytes below 0x20 (exact for the lowest), as quoteOrEscape does for '"' and '\\'.
    const hit = quoteOrEscape(w) | ((w - 0x2020202020202020) & ~w & 0x8080808080808080);
    if (hit != 0) return i + <i32>(ctz(hit) >> 3);
    i += 8;
  }
  return i;
}

// End of the value at i (after whitespace), or -1: fastjson.ts skipValue.
function skipValue(b: Uint8Array, i: i32, end: i32, maxDepth: i32): i32 {
  i = skipWs(b, i, end);
  if (i >= end) return -1;
  // Most values of a header are strings.
  if (unchecked(b[i]) == 0x22) return skipString(b, i, end);
  let depth = 0;
  while (i < end) {
    const c = <i32>unchecked(b[i]);
    if (c == 0x22) {
      i = skipString(b, i, end);
      if (i < 0) return -1;
    } else if (c == 0x7b || c == 0x5b) {
      if (depth >= maxDepth || depth >= MAX_DEPTH) return -1;
      unchecked((stack[depth++] = <u8>c));
      i++;
    } else if (c == 0x7d || c == 0x5d) {
      if (depth == 0 || unchecked(stack[depth - 1]) != <u8>(c - 2)) return -1;
      depth--;
      i++;
    } else if (isBare(c)) {
      while (i < end && isBare(unchecked(b[i]))) i++;
    } else if (depth > 0 && (c == 0x2c || c == 0x3a || isWs(c))) {
      i++;
    } else {
      return -1;
    }
    if (depth == 0) return i;
  }
  return -1;
}

// The JSON key bytes b[start, end) (quotes included) decoded as fastjson.ts
// decodes a key with escapes or control characters; null when invalid.
function decodeKey(b: Uint8Array, start: i32, end: i32): string | null {
  return stringAt(String.UTF8.decodeUnsafe(b.dataStart + <usize>start, <usize>(end - start)), 0, end - start);
}

// Walks the members of the object whose '{' is at `at` (after whitespace),
// as fastjson.ts scanObject. Each call of next() moves to the next member;
// false at the end or on an error (then `ok` is false).
class ObjectWalk {
  b: Uint8Array = new Uint8Array(0);
  end: i32 = 0;
  ok: bool = true;
  done: bool = false;
  // The current member: its key (the bytes between the quotes, or a bare
  // token) and value.
  keyStart: i32 = 0;
  keyEnd: i32 = 0;
  // The key is its bytes (no escapes); else keyText is its decoded text.
  keyPlain: bool = true;
  keyText: string = "";
  valueStart: i32 = 0;
  valueEnd: i32 = 0;
  private pos: i32 = 0;
  private depth: i32 = 0;

  start(b: Uint8Array, at: i32, end: i32, maxDepth: i32): bool {
    this.b = b;
    this.end = end;
    this.ok = true;
    this.done = false;
    this.depth = maxDepth;
    const i = skipWs(b, at, end);
    if (i >= end || unchecked(b[i]) != 0x7b) return this.fail();
    const j = skipWs(b, i + 1, end);
    if (j < end && unchecked(b[j]) == 0x7d) {
      this.done = true;
      this.pos = j + 1;
    } else this.pos = j;
    return true;
  }

  // The next member: its key and value.
  next(): bool {
    if (!this.nextKey()) return false;
    const stop = skipValue(this.b, this.valueStart, this.end, this.depth - 1);
    if (stop < 0) return this.fail();
    this.endValue(stop);
    return true;
  }

  // The next member's key; its value starts at valueStart, and the caller
  // reads it and says where it ends (endValue).
  nextKey(): bool {
    if (this.done || !this.ok) return false;
    const b = this.b;
    const end = this.end;
    let i = this.pos;
    if (i >= end) return this.fail();
    if (unchecked(b[i]) == 0x22) {
      const start = i;
      let plain = true;
      i = plainRun(b, i + 1, end);
      while (i < end) {
        const c = unchecked(b[i]);
        if (c == 0x22) break;
        if (c == 0x5c || c < 0x20) plain = false;
        i += c == 0x5c ? 2 : 1;
      }
      if (i >= end) return this.fail();
      i++;
      this.keyStart = start + 1;
      this.keyEnd = i - 1;
      this.keyPlain = plain;
      if (!plain) {
        // A key that does not decode: scanObject fails on it.
        const text = decodeKey(b, start, i);
        if (text == null) return this.fail();
        this.keyText = text;
      }
    } else {
      const start = i;
      while (i < end && isBare(unchecked(b[i]))) i++;
      if (i == start) return this.fail();
      this.keyStart = start;
      this.keyEnd = i;
      this.keyPlain = true;
    }
    i = skipWs(b, i, end);
    if (i >= end || unchecked(b[i]) != 0x3a) return this.fail();
    this.valueStart = skipWs(b, i + 1, end);
    return true;
  }

  endValue(stop: i32): void {
    const b = this.b;
    const end = this.end;
    this.valueEnd = stop;
    const i = skipWs(b, stop, end);
    const c = i < end ? unchecked(b[i]) : 0;
    if (c == 0x7d) {
      this.done = true;
      this.pos = i + 1;
    } else if (c == 0x2c) {
      this.pos = skipWs(b, i + 1, end);
    } else {
      // The member was read; the error shows at the next call.
      this.pos = end;
    }
  }

  // Once done: just past the closing brace.
  get endPosition(): i32 {
    return this.pos;
  }

  // How deep a member's value may nest.
  get valueDepth(): i32 {
    return this.depth - 1;
  }

  is(key: string): bool {
    if (!this.keyPlain) return this.keyText == key;
    return keyAt(this.b, this.keyStart, this.keyEnd, key, isAscii(key));
  }

  private fail(): bool {
    this.ok = false;
    return false;
  }
}

// fastjson.ts intAt on bytes.
function intIn(b: Uint8Array, start: i32, end: i32): i64 {
  let i = start;
  const neg = i < end && unchecked(b[i]) == 0x2d;
  if (neg) i++;
  if (i >= end) return NOT_AN_INT;
  let acc: u64 = 0;
  for (; i < end; i++) {
    const d = <i32>unchecked(b[i]) - 0x30;
    if (d < 0 || d > 9) return NOT_AN_INT;
    if (acc > (0x7fffffffffffffff - <u64>d) / 10) return NOT_AN_INT;
    acc = acc * 10 + <u64>d;
  }
  return neg ? -(<i64>acc) : <i64>acc;
}

function fitsI32(v: i64): bool {
  return v != NOT_AN_INT && v >= i32.MIN_VALUE && v <= i32.MAX_VALUE;
}

// One per direction, reused for every frame: read() it, then ask.
export class FramePeek {
  // indexOnRead: a JSON header's extFields are indexed while the header is
  // walked (the direction's frames are mostly requests, whose topic and
  // group are asked for); otherwise they are only skipped then, and indexed
  // on the first lookup (responses: code and opaque are all that is read).
  constructor(private readonly indexOnRead: bool = true) {}

  status: i32 = PEEK_NEED_MORE;
  error: string | null = null;
  serializeType: u8 = 0;
  headerLength: i32 = 0;
  code: i32 = 0;
  opaque: i32 = 0;
  flag: i32 = 0;
  // The frame's first bytes (after the size prefix) it was read from, and
  // where the extFields are in them (JSON: the object's span; binary: the
  // map's bytes); extStart < 0 when there are none.
  private head: Uint8Array = new Uint8Array(0);
  private extStart: i32 = -1;
  private extEnd: i32 = -1;
  // How deep the JSON extFields value may nest.
  private extDepth: i32 = 0;
  private readonly walk: ObjectWalk = new ObjectWalk();
  private readonly inner: ObjectWalk = new ObjectWalk();
  // The extFields spans: per member, key start and end, value start and end
  // (grown for a header with more members than any before).
  private index: Int32Array = new Int32Array(4 * 16);
  private indexed: i32 = NOT_INDEXED;
  // After extSpan(): the value's bytes [valueStart, valueEnd) (a JSON
  // string's without its quotes), and whether they are the value as they
  // stand (UTF-8, no escapes to resolve).
  valueStart: i32 = 0;
  valueEnd: i32 = 0;
  valuePlain: bool = false;

  get isResponse(): bool {
    return (this.flag & FLAG_RESPONSE) != 0;
  }

  get isOneway(): bool {
    return (this.flag & FLAG_ONEWAY) != 0;
  }

  // The whole header was shown (extFields can be read).
  get headerShown(): bool {
    return this.head.length >= 4 + this.headerLength;
  }

  // code, opaque and flag from the start of a frame (`head` may be partial;
  // frameSize, when known, is the whole frame's).
  read(head: Uint8Array, frameSize: i32 = -1): FramePeek {
    this.status = PEEK_NEED_MORE;
    this.error = null;
    this.head = head;
    this.extStart = -1;
    this.extEnd = -1;
    this.indexed = NOT_INDEXED;
    this.code = 0;
    this.opaque = 0;
    this.flag = 0;
    if (head.length < 4) return this;
    const word = (<u32>head[0] << 24) | (<u32>head[1] << 16) | (<u32>head[2] << 8) | <u32>head[3];
    this.serializeType = <u8>(word >>> 24);
    this.headerLength = <i32>(word & 0xffffff);
    if (frameSize >= 0 && this.headerLength > frameSize - 4) return this.invalid("header length beyond the frame");
    if (this.serializeType == SERIALIZE_ROCKETMQ) return this.readBinary(head);
    if (this.serializeType != SERIALIZE_JSON) return this.invalid("unknown serialize type " + this.serializeType.toString());
    if (head.length - 4 < this.headerLength) return this;
    return this.readJson(head);
  }

  private readBinary(head: Uint8Array): FramePeek {
    if (this.headerLength < BINARY_HEADER_MIN) return this.invalid("binary header too short");
    if (head.length < 17) return this;
    this.code = <i32><i16>((<i32>head[4] << 8) | <i32>head[5]);
    this.opaque = readI32(head, 9);
    this.flag = readI32(head, 13);
    this.status = PEEK_OK;
    const end = 4 + this.headerLength;
    if (head.length >= end) {
      const remark = readI32(head, 17);
      const at = 21 + remark;
      if (remark >= 0 && at <= end - 4) {
        const extLength = readI32(head, at);
        // Bytes after the map make the header unreadable (header_binary.ts).
        if (extLength >= 0 && at + 4 + extLength == end) {
          this.extStart = at + 4;
          this.extEnd = at + 4 + extLength;
        }
      }
    }
    return this;
  }

  private readJson(head: Uint8Array): FramePeek {
    const end = 4 + this.headerLength;
    const w = this.walk;
    if (!w.start(head, 4, end, MAX_DEPTH)) return this.invalid("json header: expected an object");
    let code: i64 = 0;
    let opaque: i64 = 0;
    let flag: i64 = 0;
    while (w.nextKey()) {
      const n = w.keyPlain ? w.keyEnd - w.keyStart : -1;
      const start = w.valueStart;
      let stop = -1;
      if ((n == 9 || n < 0) && w.is("extFields")) {
        // Indexed as it is walked: a send's topic and group are looked up next.
        this.extStart = start;
        this.extDepth = w.valueDepth;
        stop = this.indexOnRead ? this.indexJsonExt(head, start, end, w.valueDepth) : -1;
        if (stop < 0) {
          // Not an object of members (or not indexed now): whether it is
          // one is found on the first lookup.
          this.indexed = this.indexOnRead ? UNREADABLE : NOT_INDEXED;
          stop = skipValue(head, start, end, w.valueDepth);
        }
        this.extEnd = stop;
      } else {
        stop = skipValue(head, start, end, w.valueDepth);
        // Later duplicates overwrite earlier ones: the last wins.
        if ((n == 4 || n < 0) && w.is("code")) code = intIn(head, start, stop);
        else if ((n == 6 || n < 0) && w.is("opaque")) opaque = intIn(head, start, stop);
        else if ((n == 4 || n < 0) && w.is("flag")) flag = intIn(head, start, stop);
      }
      if (stop < 0) return this.invalid("json header: malformed");
      w.endValue(stop);
    }
    if (!w.ok) return this.invalid("json header: malformed");
    if (!fitsI32(code) || !fitsI32(opaque) || !fitsI32(flag)) return this.invalid("json header: code, opaque or flag is not an int");
    this.code = <i32>code;
    this.opaque = <i32>opaque;
    this.flag = <i32>flag;
    this.status = PEEK_OK;
    return this;
  }

  // Indexes the extFields object at `at` (header_json.ts's reading of it:
  // key/value members); its end, or -1 when it is not such an object.
  private indexJsonExt(head: Uint8Array, at: i32, end: i32, maxDepth: i32): i32 {
    const inner = this.inner;
    if (!inner.start(head, at, end, maxDepth)) return -1;
    let n = 0;
    let plainKeys = true;
    while (inner.next()) {
      if (!inner.keyPlain) plainKeys = false;
      this.indexMember(n++, inner.keyStart, inner.keyEnd, inner.valueStart, inner.valueEnd);
    }
    if (!inner.ok) return -1;
    // Keys with escapes are compared decoded: walked on every lookup.
    this.indexed = plainKeys ? n : WALK;
    return inner.endPosition;
  }

  // Finds the extFields value of `key` (the last one); false when the header
  // has none, or its extFields cannot be read. The extFields are walked once
  // per frame into an index of key and value spans (a JSON header's while
  // its members are read, a binary one's on the first lookup).
  extSpan(key: string): bool {
    if (this.status != PEEK_OK || this.extStart < 0) return false;
    if (this.indexed == NOT_INDEXED) {
      if (this.serializeType == SERIALIZE_ROCKETMQ) this.indexBinaryExt();
      else if (this.indexJsonExt(this.head, this.extStart, this.extEnd, this.extDepth) < 0) this.indexed = UNREADABLE;
    }
    const b = this.head;
    let found = -1;
    if (this.indexed >= 0) {
      const index = this.index;
      const ascii = isAscii(key);
      const length = key.length;
      const first = length > 0 ? key.charCodeAt(0) : -1;
      for (let m = this.indexed - 1; m >= 0 && found < 0; m--) {
        const start = unchecked(index[4 * m]);
        const stop = unchecked(index[4 * m + 1]);
        // An ASCII key of another length or first byte is not `key`.
        if (ascii && (stop - start != length || (length > 0 && <i32>unchecked(b[start]) != first))) continue;
        if (keyAt(b, start, stop, key, ascii)) found = m;
      }
      if (found < 0) return false;
      this.valueStart = unchecked(index[4 * found + 2]);
      this.valueEnd = unchecked(index[4 * found + 3]);
    } else if (this.indexed == UNREADABLE || !this.walkExt(key)) {
      return false;
    }
    if (this.serializeType == SERIALIZE_ROCKETMQ) {
      this.valuePlain = true;
      return true;
    }
    const start = this.valueStart;
    const stop = this.valueEnd;
    if (unchecked(b[start]) != 0x22) {
      this.valuePlain = false;
      return true;
    }
    let plain = unchecked(b[stop - 1]) == 0x22 && stop - start >= 2;
    for (let i = plain ? plainRun(b, start + 1, stop - 1) : stop; plain && i < stop - 1; i++) {
      const c = unchecked(b[i]);
      if (c == 0x5c || c == 0x22 || c < 0x20) plain = false;
    }
    this.valuePlain = plain;
    if (plain) {
      this.valueStart = start + 1;
      this.valueEnd = stop - 1;
    }
    return true;
  }

  // A binary header's extFields, indexed on the first lookup:
  // (i16 key length, key, i32 value length, value)*, as header_binary.ts.
  private indexBinaryExt(): void {
    let n = 0;
    const b = this.head;
    let i = this.extStart;
    const end = this.extEnd;
    while (i < end) {
      if (end - i < 2) return this.unreadable();
      const keyLength = <i32><i16>((<i32>b[i] << 8) | <i32>b[i + 1]);
      i += 2;
      if (keyLength < 0 || end - i < keyLength + 4) return this.unreadable();
      const keyAt = i;
      i += keyLength;
      const valueLength = readI32(b, i);
      i += 4;
      if (valueLength < 0 || end - i < valueLength) return this.unreadable();
      this.indexMember(n++, keyAt, keyAt + keyLength, i, i + valueLength);
      i += valueLength;
    }
    this.indexed = n;
  }

  private indexMember(m: i32, keyStart: i32, keyEnd: i32, valueStart: i32, valueEnd: i32): void {
    if (4 * m + 4 > this.index.length) {
      const grown = new Int32Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    const index = this.index;
    unchecked((index[4 * m] = keyStart));
    unchecked((index[4 * m + 1] = keyEnd));
    unchecked((index[4 * m + 2] = valueStart));
    unchecked((index[4 * m + 3] = valueEnd));
  }

  private unreadable(): void {
    this.indexed = UNREADABLE;
  }

  // A lookup without the index (JSON keys with escapes).
  private walkExt(key: string): bool {
    const w = this.walk;
    if (!w.start(this.head, this.extStart, this.extEnd, MAX_DEPTH)) return false;
    let found = false;
    while (w.next()) {
      if (!w.is(key)) continue;
      found = true;
      this.valueStart = w.valueStart;
      this.valueEnd = w.valueEnd;
    }
    return w.ok && found;
  }

  // The extFields value of `key` as a string (JSON: decoded as
  // header_json.ts decodes it; a non-string token is its text, null is
  // ""), or null when absent or unreadable.
  ext(key: string): string | null {
    if (!this.extSpan(key)) return null;
    const b = this.head;
    const start = this.valueStart;
    const n = this.valueEnd - start;
    if (this.valuePlain) return decodeUtf8(b.dataStart + <usize>start, n);
    const text = String.UTF8.decodeUnsafe(b.dataStart + <usize>start, <usize>n);
    if (unchecked(b[start]) == 0x22) return stringAt(text, 0, text.length);
    return text == "null" ? "" : text;
  }

  // Whether the extFields value of `key` is `expected` (ASCII), without
  // decoding it when it is plain.
  extIs(key: string, expected: string): bool {
    if (!this.extSpan(key)) return false;
    if (!this.valuePlain) {
      const value = this.ext(key);
      return value != null && value == expected;
    }
    return this.valueEnd - this.valueStart == expected.length && asciiAt(this.head, this.valueStart, expected);
  }

  // Whether the value extSpan found has these bytes.
  valueEquals(bytes: Uint8Array, length: i32): bool {
    const n = this.valueEnd - this.valueStart;
    return n == length && memory.compare(this.head.dataStart + <usize>this.valueStart, bytes.dataStart, <usize>n) == 0;
  }

  // Copies the value extSpan found into `into` (grown when too small);
  // returns its length.
  copyValue(into: Uint8Array): i32 {
    const n = this.valueEnd - this.valueStart;
    if (n <= into.length) memory.copy(into.dataStart, this.head.dataStart + <usize>this.valueStart, <usize>n);
    return n;
  }

  private invalid(why: string): FramePeek {
    this.status = PEEK_INVALID;
    this.error = why;
    return this;
  }
}

function isAscii(s: string): bool {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

// Whether the UTF-8 bytes b[start, end) are `key`: compared in place when
// the key is ASCII (any other byte decodes to something else), else decoded.
function keyAt(b: Uint8Array, start: i32, end: i32, key: string, ascii: bool): bool {
  if (ascii) return end - start == key.length && asciiAt(b, start, key);
  return decodeUtf8(b.dataStart + <usize>start, end - start) == key;
}

// Whether b[at, at + key.length) are the ASCII bytes of `key` (for UTF-8
// bytes, the same as decoding them and comparing).
function asciiAt(b: Uint8Array, at: i32, key: string): bool {
  for (let i = 0; i < key.length; i++) if (<i32>unchecked(b[at + i]) != key.charCodeAt(i)) return false;
  return true;
}

function readI32(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | <i32>b[at + 3];
}
