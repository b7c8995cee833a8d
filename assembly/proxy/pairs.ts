// The map serialization proxy-wasm uses for header maps, HTTP-call headers and
// gRPC metadata (all integers little-endian):
//   u32 count, then count × (u32 keyLen, u32 valueLen),
//   then count × (key bytes, 0x00, value bytes, 0x00).
// An empty map may arrive as zero bytes or a single 0x00 byte.
// Decoding never traps: malformed input from a host yields the pairs read so
// far being discarded and an empty list returned.

export class HeaderPair {
  key: string;
  value: string;
  constructor(key: string, value: string) {
    this.key = key;
    this.value = value;
  }
}

export function serializePairs(pairs: HeaderPair[]): ArrayBuffer {
  const n = pairs.length;
  const keys = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    keys[i] = String.UTF8.encode(pairs[i].key);
    values[i] = String.UTF8.encode(pairs[i].value);
    size += keys[i].byteLength + values[i].byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const view = new DataView(out);
  const bytes = Uint8Array.wrap(out);
  view.setUint32(0, <u32>n, true);
  let pos = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const v = values[i];
    view.setUint32(4 + i * 8, <u32>k.byteLength, true);
    view.setUint32(8 + i * 8, <u32>v.byteLength, true);
    bytes.set(Uint8Array.wrap(k), pos);
    pos += k.byteLength + 1; // the NUL is already 0 in a fresh buffer
    bytes.set(Uint8Array.wrap(v), pos);
    pos += v.byteLength + 1;
  }
  return out;
}

export function deserializePairs(data: ArrayBuffer | null): HeaderPair[] {
  const result = new Array<HeaderPair>();
  if (data == null || data.byteLength < 4) return result;
  const view = new DataView(data);
  const total = <u64>data.byteLength;
  const n = <u64>view.getUint32(0, true);
  if (4 + n * 8 > total) return new Array<HeaderPair>();
  let pos: u64 = 4 + n * 8;
  for (let i: u64 = 0; i < n; i++) {
    const keyLen = <u64>view.getUint32(<i32>(4 + i * 8), true);
    const valueLen = <u64>view.getUint32(<i32>(8 + i * 8), true);
    if (pos + keyLen + valueLen + 2 > total) return new Array<HeaderPair>();
    const key = String.UTF8.decode(data.slice(<i32>pos, <i32>(pos + keyLen)));
    pos += keyLen + 1;
    const value = String.UTF8.decode(data.slice(<i32>pos, <i32>(pos + valueLen)));
    pos += valueLen + 1;
    result.push(new HeaderPair(key, value));
  }
  return result;
}
