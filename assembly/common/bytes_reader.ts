// A bounds-checked cursor over bytes that never traps.
//
// Filters parse bytes that arrive from the network, so every read checks the
// remaining length. On a short or invalid input the reader records a sticky
// error (the first reason wins), moves to the end and from then on returns
// zero values. Decoders therefore run straight through and check `ok` once at
// the end instead of testing every read. Protocol-neutral: Kafka and RocketMQ
// codecs both stand on it.
import { decodeUtf8 } from "./utf8";

export class BytesReader {
  buf: Uint8Array;
  pos: i32;
  end: i32;
  error: string | null = null;

  // Reads buf[start, end); end < 0 means to the end of buf.
  constructor(buf: Uint8Array, start: i32 = 0, end: i32 = -1) {
    const len = buf.length;
    if (end < 0 || end > len) end = len;
    if (start < 0) start = 0;
    if (start > end) start = end;
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get ok(): bool {
    return this.error === null;
  }

  get remaining(): i32 {
    return this.end - this.pos;
  }

  // Marks the input invalid. Later reads return zero values.
  fail(reason: string): void {
    if (this.error === null) this.error = reason;
    this.pos = this.end;
  }

  // True when n more bytes exist; otherwise fails with "short input".
  has(n: i32): bool {
    if (n >= 0 && this.end - this.pos >= n) return this.error === null;
    this.fail("short input");
    return false;
  }

  u8(): u8 {
    if (!this.has(1)) return 0;
    const v = unchecked(this.buf[this.pos]);
    this.pos += 1;
    return v;
  }

  i8(): i8 {
    return <i8>this.u8();
  }

  bool(): bool {
    return this.u8() != 0;
  }

  u16(): u16 {
    if (!this.has(2)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (<u16>unchecked(b[p]) << 8) | <u16>unchecked(b[p + 1]);
  }

  i16(): i16 {
    return <i16>this.u16();
  }

  u32(): u32 {
    if (!this.has(4)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (
      (<u32>unchecked(b[p]) << 24) |
      (<u32>unchecked(b[p + 1]) << 16) |
      (<u32>unchecked(b[p + 2]) << 8) |
      <u32>unchecked(b[p + 3])
    );
  }

  i32(): i32 {
    return <i32>this.u32();
  }

  u64(): u64 {
    const hi = <u64>this.u32();
    const lo = <u64>this.u32();
    return (hi << 32) | lo;
  }

  i64(): i64 {
    return <i64>this.u64();
  }

  f64(): f64 {
    return reinterpret<f64>(this.u64());
  }

  // Unsigned LEB128 varint of at most 5 bytes (32 bits). A longer encoding,
  // or one whose fifth byte carries bits above 32, is invalid.
  uvarint(): u32 {
    let result: u32 = 0;
    for (let shift: u32 = 0; shift < 35; shift += 7) {
      const b = <u32>this.u8();
      if (!this.ok) return 0;
      if (shift == 28 && (b & 0xf0) != 0) {
        this.fail("varint too long");
        return 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    this.fail("varint too long");
    return 0;
  }

  // Unsigned LEB128 of at most 10 bytes (64 bits).
  uvarlong(): u64 {
    let result: u64 = 0;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      const b = <u64>this.u8();
      if (!this.ok) return 0;
      if (shift == 63 && (b & 0xfe) != 0) {
        this.fail("varlong too long");
        return 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    this.fail("varlong too long");
    return 0;
  }

  // Zigzag-encoded signed varint (protobuf style).
  varint(): i32 {
    const u = this.uvarint();
    return <i32>(u >>> 1) ^ -(<i32>(u & 1));
  }

  varlong(): i64 {
    const u = this.uvarlong();
    return <i64>(u >>> 1) ^ -(<i64>(u & 1));
  }

  // The next n bytes as a view into the same buffer (no copy).
  bytes(n: i32): Uint8Array {
    if (!this.has(n)) return new Uint8Array(0);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  // Everything left, as a view; the reader ends up at its end.
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  skip(n: i32): void {
    if (this.has(n)) this.pos += n;
  }

  // A reader over the next n bytes; this reader moves past them. Errors of
  // the child do not propagate by themselves: check child.ok.
  sub(n: i32): BytesReader {
    if (!this.has(n)) return new BytesReader(this.buf, this.end, this.end);
    const p = this.pos;
    this.pos = p + n;
    return new BytesReader(this.buf, p, p + n);
  }

  // n bytes decoded as UTF-8 (invalid sequences become U+FFFD, never a
  // trap). Not String.UTF8.decode: a bad lead byte there swallows the bytes
  // after it, so a topic name could read differently here than at the broker.
  utf8(n: i32): string {
    if (!this.has(n)) return "";
    const p = this.pos;
    this.pos = p + n;
    return decodeUtf8(this.buf.dataStart + <usize>p, n);
  }
}
