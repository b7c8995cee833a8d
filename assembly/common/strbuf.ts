// A growable UTF-16 buffer for building strings piece by piece. AssemblyScript
// has no StringBuilder, and `s += x` in a loop copies the whole string each
// time (quadratic), which matters for JSON bodies and escaped strings.

export class StrBuf {
  private buf: ArrayBuffer;
  private len: i32 = 0; // in UTF-16 code units

  constructor(capacity: i32 = 32) {
    this.buf = new ArrayBuffer(max(capacity, 8) << 1);
  }

  get length(): i32 {
    return this.len;
  }

  private reserve(extra: i32): void {
    const need = (this.len + extra) << 1;
    if (need <= this.buf.byteLength) return;
    let cap = this.buf.byteLength << 1;
    if (cap < need) cap = need;
    const next = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>(this.len << 1));
    this.buf = next;
  }

  /** Appends one UTF-16 code unit (0..0xFFFF). */
  code(c: i32): StrBuf {
    this.reserve(1);
    store<u16>(changetype<usize>(this.buf) + (<usize>this.len << 1), <u16>c);
    this.len++;
    return this;
  }

  str(s: string): StrBuf {
    return this.slice(s, 0, s.length);
  }

  /** Appends s[start, end); the range is clamped to the string. */
  slice(s: string, start: i32, end: i32): StrBuf {
    if (start < 0) start = 0;
    if (end > s.length) end = s.length;
    const n = end - start;
    if (n <= 0) return this;
    this.reserve(n);
    memory.copy(
      changetype<usize>(this.buf) + (<usize>this.len << 1),
      changetype<usize>(s) + (<usize>start << 1),
      <usize>n << 1,
    );
    this.len += n;
    return this;
  }

  clear(): void {
    this.len = 0;
  }

  toString(): string {
    return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.len << 1);
  }
}
