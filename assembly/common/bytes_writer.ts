// A growable big-endian byte writer, the counterpart of BytesReader.
//
// Capacity doubles as needed so encoding a message is amortized O(n). Length
// prefixes that are only known at the end (Kafka frame size, record length)
// are written as placeholders and patched with setI32At.
export class BytesWriter {
  buf: Uint8Array;
  pos: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.buf = new Uint8Array(capacity > 8 ? capacity : 8);
  }

  get length(): i32 {
    return this.pos;
  }

  // Makes room for n more bytes.
  ensure(n: i32): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length << 1;
    while (cap < need) cap <<= 1;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: u8): void {
    this.ensure(1);
    unchecked((this.buf[this.pos] = v));
    this.pos += 1;
  }

  i8(v: i8): void {
    this.u8(<u8>v);
  }

  bool(v: bool): void {
    this.u8(v ? 1 : 0);
  }

  u16(v: u16): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    unchecked((b[p] = <u8>(v >> 8)));
    unchecked((b[p + 1] = <u8>v));
    this.pos = p + 2;
  }

  i16(v: i16): void {
    this.u16(<u16>v);
  }

  u32(v: u32): void {
    this.ensure(4);
    this.setU32At(this.pos, v);
    this.pos += 4;
  }

  i32(v: i32): void {
    this.u32(<u32>v);
  }

  u64(v: u64): void {
    this.u32(<u32>(v >> 32));
    this.u32(<u32>v);
  }

  i64(v: i64): void {
    this.u64(<u64>v);
  }

  f64(v: f64): void {
    this.u64(reinterpret<u64>(v));
  }

  uvarint(v: u32): void {
    while (v >= 0x80) {
      this.u8(<u8>((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    this.u8(<u8>v);
  }

  uvarlong(v: u64): void {
    while (v >= 0x80) {
      this.u8(<u8>((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    this.u8(<u8>v);
  }

  // Zigzag-encoded signed varint.
  varint(v: i32): void {
    this.uvarint(<u32>((v << 1) ^ (v >> 31)));
  }

  varlong(v: i64): void {
    this.uvarlong(<u64>((v << 1) ^ (v >> 63)));
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  // Appends src[start, end) without making a view of it first.
  range(src: Uint8Array, start: i32, end: i32): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    memory.copy(this.buf.dataStart + <usize>this.pos, src.dataStart + <usize>start, <usize>n);
    this.pos += n;
  }

  // Empties the writer for reuse. A buffer grown past `keep` bytes for one
  // large message is let go, so a long-lived writer does not pin it.
  reset(keep: i32 = 65536): void {
    this.pos = 0;
    if (this.buf.length > keep) this.buf = new Uint8Array(64);
  }

  // Writes s as UTF-8 and returns the number of bytes written.
  utf8(s: string): i32 {
    const n = String.UTF8.byteLength(s);
    this.ensure(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.buf.dataStart + <usize>this.pos);
    this.pos += n;
    return n;
  }

  // Overwrites 4 bytes at an earlier offset (for length prefixes and CRCs).
  setU32At(at: i32, v: u32): void {
    const b = this.buf;
    unchecked((b[at] = <u8>(v >> 24)));
    unchecked((b[at + 1] = <u8>(v >> 16)));
    unchecked((b[at + 2] = <u8>(v >> 8)));
    unchecked((b[at + 3] = <u8>v));
  }

  setI32At(at: i32, v: i32): void {
    if (at < 0 || at + 4 > this.pos) return;
    this.setU32At(at, <u32>v);
  }

  // A view of the bytes written so far (valid until the next write).
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  // A copy of the bytes written so far.
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
