// Protocol Buffers wire format (proto3), read and written by hand.
//
// Why not a library: the one AssemblyScript protobuf package on npm,
// as-proto 1.3.0, reads with `assert(ptr <= end)` and throws on unknown wire
// types, so a truncated or hostile message would abort the Wasm VM (and with
// it every stream of the Envoy worker). Filters read untrusted bytes, so this
// reader never traps: like BytesReader it records a sticky error and returns
// zero values. Only the fields a filter needs are decoded; the rest are
// skipped, and rewriting copies every untouched field byte-for-byte.
//
//   const r = ProtoReader.of(bytes);
//   while (r.next()) {
//     if (r.field == 1 && r.wireType == WireType.Len) topic = readResource(r.message());
//     else r.skip();
//   }
//   if (!r.ok) ...
import { BytesReader } from "./bytes_reader";
import { BytesWriter } from "./bytes_writer";

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

// Field numbers are 1 .. 2^29-1.
const MAX_FIELD: u32 = 0x1fffffff;

export class ProtoReader {
  field: u32 = 0;
  wireType: i32 = 0;
  // Byte offsets of the current field's tag in the underlying buffer.
  fieldStart: i32 = 0;
  private r: BytesReader;

  constructor(r: BytesReader) {
    this.r = r;
  }

  static of(bytes: Uint8Array, start: i32 = 0, end: i32 = -1): ProtoReader {
    return new ProtoReader(new BytesReader(bytes, start, end));
  }

  get ok(): bool {
    return this.r.ok;
  }

  get error(): string | null {
    return this.r.error;
  }

  get pos(): i32 {
    return this.r.pos;
  }

  get buf(): Uint8Array {
    return this.r.buf;
  }

  fail(reason: string): void {
    this.r.fail(reason);
  }

  // Moves to the next field; false at the end of the message or on an error.
  next(): bool {
    if (!this.r.ok || this.r.remaining <= 0) return false;
    this.fieldStart = this.r.pos;
    const tag = this.r.uvarint();
    if (!this.r.ok) return false;
    this.field = tag >>> 3;
    this.wireType = <i32>(tag & 7);
    if (this.field == 0 || this.field > MAX_FIELD) {
      this.r.fail("invalid field number");
      return false;
    }
    if (this.wireType == WireType.StartGroup || this.wireType == WireType.EndGroup || this.wireType > WireType.Fixed32) {
      this.r.fail("unsupported wire type " + this.wireType.toString());
      return false;
    }
    return true;
  }

  // Skips the current field's value.
  skip(): void {
    switch (this.wireType) {
      case WireType.Varint: this.r.uvarlong(); break;
      case WireType.Fixed64: this.r.skip(8); break;
      case WireType.Fixed32: this.r.skip(4); break;
      case WireType.Len: this.r.skip(this.length()); break;
      default: this.r.fail("unsupported wire type");
    }
  }

  // The current field's value as u64, whatever integer wire type carries it.
  uint64(): u64 {
    if (this.wireType == WireType.Varint) return this.r.uvarlong();
    if (this.wireType == WireType.Fixed64) {
      const lo = <u64>bswap<u32>(this.r.u32());
      const hi = <u64>bswap<u32>(this.r.u32());
      return (hi << 32) | lo;
    }
    if (this.wireType == WireType.Fixed32) return <u64>bswap<u32>(this.r.u32());
    this.r.fail("expected an integer field");
    return 0;
  }

  // int32 / enum (negative values travel sign-extended to 64 bits).
  int32(): i32 {
    return <i32>this.uint64();
  }

  int64(): i64 {
    return <i64>this.uint64();
  }

  bool(): bool {
    return this.uint64() != 0;
  }

  // A length-delimited value as a view (no copy).
  bytes(): Uint8Array {
    if (!this.expectLen()) return new Uint8Array(0);
    return this.r.bytes(this.length());
  }

  // A length-delimited value as UTF-8 text (bad sequences become U+FFFD).
  string(): string {
    if (!this.expectLen()) return "";
    return this.r.utf8(this.length());
  }

  // A reader over an embedded message; this reader moves past it. The
  // child's errors stay in the child: check child.ok.
  message(): ProtoReader {
    if (!this.expectLen()) return new ProtoReader(new BytesReader(this.r.buf, this.r.end, this.r.end));
    return new ProtoReader(this.r.sub(this.length()));
  }

  // Offsets [start, end) of the current length-delimited value's payload;
  // the reader moves past it. Returns false (and fails) when it does not fit.
  span(out: StaticArray<i32>): bool {
    if (!this.expectLen()) return false;
    const n = this.length();
    out[0] = this.r.pos;
    this.r.skip(n);
    out[1] = out[0] + n;
    return this.r.ok;
  }

  private expectLen(): bool {
    if (this.wireType == WireType.Len) return this.r.ok;
    this.r.fail("expected a length-delimited field");
    return false;
  }

  private length(): i32 {
    const n = this.r.uvarint();
    if (n > <u32>i32.MAX_VALUE) {
      this.r.fail("length too large");
      return 0;
    }
    return <i32>n;
  }
}

export class ProtoWriter {
  readonly w: BytesWriter;

  constructor(capacity: i32 = 64) {
    this.w = new BytesWriter(capacity);
  }

  get length(): i32 {
    return this.w.length;
  }

  tag(field: u32, wireType: i32): void {
    this.w.uvarint((field << 3) | <u32>wireType);
  }

  // An integer field (int32, int64, uint, enum, bool); proto3 omits zeros
  // only when the caller wants it (writeZero false).
  varint(field: u32, v: u64, writeZero: bool = false): void {
    if (v == 0 && !writeZero) return;
    this.tag(field, WireType.Varint);
    this.w.uvarlong(v);
  }

  // int32 values go on the wire sign-extended to 64 bits.
  int32(field: u32, v: i32, writeZero: bool = false): void {
    this.varint(field, <u64>(<i64>v), writeZero);
  }

  // fixed64 / sfixed64: eight bytes, little-endian (BytesWriter writes
  // big-endian, hence the swap).
  fixed64(field: u32, v: u64): void {
    this.tag(field, WireType.Fixed64);
    this.w.u64(bswap<u64>(v));
  }

  fixed32(field: u32, v: u32): void {
    this.tag(field, WireType.Fixed32);
    this.w.u32(bswap<u32>(v));
  }

  double(field: u32, v: f64): void {
    this.fixed64(field, reinterpret<u64>(v));
  }

  bytes(field: u32, b: Uint8Array): void {
    this.tag(field, WireType.Len);
    this.w.uvarint(<u32>b.length);
    this.w.bytes(b);
  }

  string(field: u32, s: string, writeEmpty: bool = false): void {
    if (s.length == 0 && !writeEmpty) return;
    this.tag(field, WireType.Len);
    this.w.uvarint(<u32>String.UTF8.byteLength(s));
    this.w.utf8(s);
  }

  message(field: u32, m: ProtoWriter): void {
    this.bytes(field, m.view());
  }

  // Bytes already in wire format (whole fields copied from a message).
  raw(b: Uint8Array): void {
    this.w.bytes(b);
  }

  view(): Uint8Array {
    return this.w.view();
  }

  toBytes(): Uint8Array {
    return this.w.toBytes();
  }
}

// One step of a path into nested messages, for rewriteAt.
export abstract class FieldRewriter {
  // The payload of a matched field at the end of the path; returns its
  // replacement payload, or null to keep it.
  abstract rewrite(payload: Uint8Array): Uint8Array | null;
}

/**
 * Rewrites every occurrence of the length-delimited field reached by `path`
 * (field numbers, outermost first): e.g. [2, 4, 3] is field 3 inside field 4
 * inside every field 2. All other bytes are copied unchanged and the lengths
 * of the enclosing messages are recomputed. Returns null when nothing
 * changed, or when msg does not parse (then nothing may be changed).
 * `count` (if given) receives the number of fields rewritten in [0].
 */
export function rewriteAt(msg: Uint8Array, path: u32[], fn: FieldRewriter, count: StaticArray<i32> | null = null): Uint8Array | null {
  if (path.length == 0) return null;
  const n = new StaticArray<i32>(1);
  const out = rewriteLevel(msg, path, 0, fn, n);
  if (count != null) count[0] = n[0];
  return out;
}

function rewriteLevel(msg: Uint8Array, path: u32[], depth: i32, fn: FieldRewriter, count: StaticArray<i32>): Uint8Array | null {
  const r = ProtoReader.of(msg);
  const w = new ProtoWriter(msg.length + 16);
  const target = unchecked(path[depth]);
  const last = depth == path.length - 1;
  const span = new StaticArray<i32>(2);
  let changed = false;
  let copyFrom = 0;
  while (r.next()) {
    if (r.field != target || r.wireType != WireType.Len) {
      r.skip();
      continue;
    }
    const fieldStart = r.fieldStart;
    if (!r.span(span)) break;
    const payload = msg.subarray(span[0], span[1]);
    const replaced = last ? fn.rewrite(payload) : rewriteLevel(payload, path, depth + 1, fn, count);
    if (replaced == null) continue;
    if (last) count[0]++;
    w.raw(msg.subarray(copyFrom, fieldStart));
    w.bytes(target, replaced);
    copyFrom = span[1];
    changed = true;
  }
  if (!r.ok) return null;
  if (!changed) return null;
  w.raw(msg.subarray(copyFrom, msg.length));
  return w.toBytes();
}
