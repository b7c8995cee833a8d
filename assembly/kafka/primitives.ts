// Kafka protocol primitive types on top of the neutral BytesReader/Writer.
//
// "flex" selects the encoding of a flexible message version (KIP-482):
// compact strings, bytes and arrays carry an unsigned varint of length+1
// (0 = null) instead of an int16/int32 length (-1 = null), and every struct
// ends with a tagged-field section.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";

// ---- lengths ---------------------------------------------------------------

// Reads a string/bytes length; -1 means null. A length beyond the remaining
// input fails the reader here, before anything is allocated.
function readLength(r: BytesReader, flex: bool, wide: bool): i32 {
  let n: i32;
  if (flex) {
    const u = r.uvarint();
    n = u == 0 ? -1 : <i32>(u - 1);
    if (u > 0x7fffffff) n = 0x7fffffff;
  } else {
    n = wide ? r.i32() : <i32>r.i16();
    if (n < -1) {
      r.fail("negative length");
      return 0;
    }
  }
  if (n > r.remaining) {
    r.fail("length beyond input");
    return 0;
  }
  return n;
}

function writeLength(w: BytesWriter, n: i32, flex: bool, wide: bool): void {
  if (flex) w.uvarint(<u32>(n + 1));
  else if (wide) w.i32(n);
  else w.i16(<i16>n);
}

// ---- strings ---------------------------------------------------------------

export function readNullableString(r: BytesReader, flex: bool): string | null {
  const n = readLength(r, flex, false);
  if (n < 0) return null;
  return r.utf8(n);
}

// Pass over a string without decoding it (hot-path scanners).
export function skipNullableString(r: BytesReader, flex: bool): void {
  const n = readLength(r, flex, false);
  if (n > 0) r.skip(n);
}

export function skipString(r: BytesReader, flex: bool): void {
  const n = readLength(r, flex, false);
  if (n < 0) r.fail("null string");
  else if (n > 0) r.skip(n);
}

// A non-nullable string that is null on the wire is invalid.
export function readString(r: BytesReader, flex: bool): string {
  const s = readNullableString(r, flex);
  if (s === null) {
    r.fail("null string");
    return "";
  }
  return s;
}

export function writeNullableString(w: BytesWriter, s: string | null, flex: bool): void {
  if (s === null) {
    writeLength(w, -1, flex, false);
    return;
  }
  const n = String.UTF8.byteLength(s);
  writeLength(w, n, flex, false);
  w.utf8(s);
}

export function writeString(w: BytesWriter, s: string, flex: bool): void {
  writeNullableString(w, s, flex);
}

// A nullable string in a version without null: null goes out as "".
export function writeNonNullString(w: BytesWriter, s: string | null, flex: bool): void {
  writeNullableString(w, s === null ? "" : s, flex);
}

// ---- bytes (and "records", kept as an undecoded slice) ---------------------

export function readNullableBytes(r: BytesReader, flex: bool): Uint8Array | null {
  const n = readLength(r, flex, true);
  if (n < 0) return null;
  return r.bytes(n);
}

export function readBytes(r: BytesReader, flex: bool): Uint8Array {
  const b = readNullableBytes(r, flex);
  if (b === null) {
    r.fail("null bytes");
    return new Uint8Array(0);
  }
  return b;
}

export function writeNullableBytes(w: BytesWriter, b: Uint8Array | null, flex: bool): void {
  if (b === null) {
    writeLength(w, -1, flex, true);
    return;
  }
  writeLength(w, b.length, flex, true);
  w.bytes(b);
}

export function writeBytes(w: BytesWriter, b: Uint8Array, flex: bool): void {
  writeNullableBytes(w, b, flex);
}

// Nullable bytes in a version without null: null goes out empty.
export function writeNonNullBytes(w: BytesWriter, b: Uint8Array | null, flex: bool): void {
  writeNullableBytes(w, b === null ? new Uint8Array(0) : b, flex);
}

// ---- arrays ----------------------------------------------------------------

// Element count of an array; -1 for null. Every element takes at least one
// byte, so a count above the remaining input is rejected before allocating.
export function readArrayLength(r: BytesReader, flex: bool): i32 {
  return readLength(r, flex, true);
}

export function writeArrayLength(w: BytesWriter, n: i32, flex: bool): void {
  writeLength(w, n, flex, true);
}

// Non-nullable arrays that are null on the wire are invalid.
export function readArrayLengthNotNull(r: BytesReader, flex: bool): i32 {
  const n = readArrayLength(r, flex);
  if (n < 0) {
    r.fail("null array");
    return 0;
  }
  return n;
}

// ---- uuid ------------------------------------------------------------------

// A uuid is 16 raw bytes; kept as a view into the input.
export function readUuid(r: BytesReader): Uint8Array {
  if (!r.has(16)) return new Uint8Array(16);
  return r.bytes(16);
}

export function writeUuid(w: BytesWriter, u: Uint8Array): void {
  if (u.length == 16) {
    w.bytes(u);
    return;
  }
  // A malformed value in memory still yields a well-formed frame.
  const z = new Uint8Array(16);
  for (let i = 0; i < 16 && i < u.length; i++) z[i] = u[i];
  w.bytes(z);
}

export function sameUuid(a: Uint8Array, b: Uint8Array): bool {
  return a.length == b.length && memory.compare(a.dataStart, b.dataStart, a.length) == 0;
}

export function isZeroUuid(u: Uint8Array): bool {
  for (let i = 0; i < u.length; i++) if (u[i] != 0) return false;
  return true;
}

// ---- tagged fields ---------------------------------------------------------

// A tagged field this codec does not know (or a version where the tag means
// nothing yet). Kept byte for byte so re-encoding is exact.
export class RawTaggedField {
  constructor(public tag: u32, public data: Uint8Array) {}
}

// Base of every struct that has a tagged-field section in some version: the
// one place that reads and writes such sections (readTags, writeTags). A
// generated struct overrides readTag/writeKnownTags for the tags it knows.
export class TaggedFields {
  // tagged fields this codec does not interpret, kept for exact re-encoding
  unknownTags: Array<RawTaggedField> | null = null;
  // bit per known tag that was present on the wire (re-encoded even if default)
  tagsSeen: u64 = 0;

  // Decodes a known tag's value from r (exactly its bytes); false when the
  // tag means nothing to this struct at version v.
  readTag(tag: u32, r: BytesReader, v: i16): bool {
    return false;
  }

  // Adds the known tagged fields to write at version v.
  writeKnownTags(tags: TagWriter, v: i16): void {}

  seen(tag: u32): bool {
    return tag < 64 && (this.tagsSeen & ((<u64>1) << tag)) != 0;
  }
}

// Number of tagged fields; bounded by input like an array count.
export function readTagCount(r: BytesReader): i32 {
  const n = r.uvarint();
  if (n > <u32>r.remaining) {
    r.fail("tag count beyond input");
    return 0;
  }
  return <i32>n;
}

// Reads a tagged-field section into s: known tags through s.readTag, the
// rest kept raw.
export function readTags(r: BytesReader, s: TaggedFields, v: i16): void {
  const count = readTagCount(r);
  for (let i = 0; i < count && r.ok; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    if (size > <u32>r.remaining) {
      r.fail("tag size");
      break;
    }
    const sub = r.sub(<i32>size);
    if (s.readTag(tag, sub, v)) {
      if (tag < 64) s.tagsSeen |= (<u64>1) << tag;
      // the value's errors become the section's; its bytes must all be used
      if (!sub.ok) r.fail(sub.error!);
      else if (sub.remaining != 0) r.fail("tagged field size mismatch");
    } else if (r.ok) s.unknownTags = pushUnknownTag(s.unknownTags, tag, sub.rest());
  }
}

// Writes s's tagged-field section: its known tags and the unknown ones kept.
export function writeTags(w: BytesWriter, s: TaggedFields, v: i16): void {
  const tags = new TagWriter(s.unknownTags);
  s.writeKnownTags(tags, v);
  tags.finish(w);
}

// Passes over a tagged-field section, known tags included, by their sizes.
// Returns how many tagged fields the section holds.
export function skipTaggedFields(r: BytesReader): i32 {
  const count = readTagCount(r);
  for (let i = 0; i < count && r.ok; i++) {
    r.uvarint();
    const size = r.uvarint();
    if (size > <u32>r.remaining) r.fail("tag size");
    else r.skip(<i32>size);
  }
  return count;
}

export function pushUnknownTag(list: Array<RawTaggedField> | null, tag: u32, data: Uint8Array): Array<RawTaggedField> {
  const out = list === null ? new Array<RawTaggedField>(0) : list;
  out.push(new RawTaggedField(tag, data));
  return out;
}

// Collects the tagged fields of one struct, known and unknown, and writes
// them in ascending tag order as the protocol requires.
export class TagWriter {
  private fields: Array<RawTaggedField> = new Array<RawTaggedField>(0);
  private current: BytesWriter | null = null;
  private currentTag: u32 = 0;

  constructor(unknown: Array<RawTaggedField> | null) {
    if (unknown !== null) for (let i = 0; i < unknown.length; i++) this.fields.push(unknown[i]);
  }

  // Returns the writer for the value of `tag`; call end() after writing.
  begin(tag: u32): BytesWriter {
    const w = new BytesWriter(16);
    this.current = w;
    this.currentTag = tag;
    return w;
  }

  end(): void {
    const w = this.current;
    if (w === null) return;
    this.fields.push(new RawTaggedField(this.currentTag, w.toBytes()));
    this.current = null;
  }

  finish(w: BytesWriter): void {
    const f = this.fields;
    // insertion sort: a struct has a handful of tags at most
    for (let i = 1; i < f.length; i++) {
      const x = f[i];
      let j = i - 1;
      while (j >= 0 && f[j].tag > x.tag) {
        f[j + 1] = f[j];
        j--;
      }
      f[j + 1] = x;
    }
    writeRawTags(w, f);
  }
}

// Writes a tagged-field section made only of raw fields, in the given order.
export function writeRawTags(w: BytesWriter, list: Array<RawTaggedField> | null): void {
  if (list === null) {
    w.uvarint(0);
    return;
  }
  w.uvarint(<u32>list.length);
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    w.uvarint(f.tag);
    w.uvarint(<u32>f.data.length);
    w.bytes(f.data);
  }
}

// ---- structs ---------------------------------------------------------------

// Generic over the generated struct classes (each has a no-argument
// constructor, decode and encode); AssemblyScript instantiates one copy per
// class, so these only keep the generated source short.
export function readStruct<T>(r: BytesReader, v: i16): T {
  const e = instantiate<T>();
  e.decode(r, v);
  return e;
}

export function readStructs<T>(r: BytesReader, n: i32, v: i16): Array<T> {
  const a = new Array<T>(0);
  for (let i = 0; i < n && r.ok; i++) a.push(readStruct<T>(r, v));
  return a;
}

// A nullable array of structs: a length of -1 is null.
export function readNullableStructs<T>(r: BytesReader, n: i32, v: i16): Array<T> | null {
  return n < 0 ? null : readStructs<T>(r, n, v);
}

export function writeStructs<T>(w: BytesWriter, a: Array<T> | null, v: i16, flex: bool): void {
  if (a === null) {
    writeArrayLength(w, -1, flex);
    return;
  }
  writeArrayLength(w, a.length, flex);
  for (let i = 0; i < a.length; i++) a[i].encode(w, v);
}

// A nullable struct in a version where null exists: a marker byte first.
export function writeNullableStruct<T>(w: BytesWriter, e: T | null, v: i16): void {
  if (e === null) w.i8(-1);
  else {
    w.i8(1);
    e.encode(w, v);
  }
}

// The same in a version without null: null is written as the default struct.
export function writeStruct<T>(w: BytesWriter, e: T | null, v: i16): void {
  if (e === null) instantiate<T>().encode(w, v);
  else e.encode(w, v);
}

// ---- JSON-ish summaries (tests, debug logs) --------------------------------

const HEX = "0123456789abcdef";

export function hex(b: Uint8Array | null): string {
  if (b === null) return "null";
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const x = b[i];
    s += HEX.charAt(x >> 4) + HEX.charAt(x & 15);
  }
  return s + '"';
}

export function jsonString(s: string | null): string {
  if (s === null) return "null";
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) {
      const h = c.toString(16);
      out += "\\u" + "0000".substring(h.length) + h;
    } else out += String.fromCharCode(c);
  }
  return out + '"';
}

// int64 values go out as strings: JSON numbers lose precision above 2^53.
export function jsonI64(v: i64): string {
  return '"' + v.toString() + '"';
}

// One JSON object built field by field; unknown tags go last as "_unknownTags".
export class JsonFields {
  private s: string = "{";

  add(name: string, value: string): void {
    if (this.s.length > 1) this.s += ",";
    this.s += '"' + name + '":' + value;
  }

  close(unknown: Array<RawTaggedField> | null): string {
    if (unknown !== null && unknown.length > 0) {
      let a = "[";
      for (let i = 0; i < unknown.length; i++) {
        if (i > 0) a += ",";
        a += "[" + unknown[i].tag.toString() + "," + hex(unknown[i].data) + "]";
      }
      this.add("_unknownTags", a + "]");
    }
    return this.s + "}";
  }
}
