// Access to the module's linear memory, the way Envoy's WasmVm does it:
// every pointer/length the module passes is bounds-checked (a bad one is
// INVALID_MEMORY_ACCESS, never a silent read of garbage), and every value
// the host hands back is copied into memory the module allocated itself
// through proxy_on_memory_allocate, its address and size written into the
// module's return slots.

import { Status, type Pairs } from "./abi.ts";
import { Fail } from "./errors.ts";

const utf8 = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? utf8Encoder.encode(value) : value;
}

export class GuestMemory {
  constructor(
    private readonly memory: WebAssembly.Memory,
    // Calls the module's allocator; may grow memory, so views are never cached.
    private readonly allocate: (size: number) => number,
  ) {}

  get size(): number {
    return this.memory.buffer.byteLength;
  }

  private check(ptr: number, len: number, what: string): void {
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > this.size) {
      throw new Fail(
        Status.InvalidMemoryAccess,
        `${what} [0x${p.toString(16)}, +${n}) lies outside the module's memory of ${this.size} bytes`,
      );
    }
  }

  /** A copy of [ptr, ptr+len): the module may reuse its memory right after the call. */
  read(ptr: number, len: number, what: string): Uint8Array {
    this.check(ptr, len, what);
    return new Uint8Array(this.memory.buffer, ptr >>> 0, len >>> 0).slice();
  }

  readString(ptr: number, len: number, what: string): string {
    return utf8.decode(this.read(ptr, len, what));
  }

  /** Checks a return slot before the host does any work (Envoy writes the slot first too). */
  checkSlot(ptr: number, bytes: number, what: string): void {
    this.check(ptr, bytes, what);
  }

  writeU32(ptr: number, value: number, what: string): void {
    this.check(ptr, 4, what);
    new DataView(this.memory.buffer).setUint32(ptr >>> 0, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint, what: string): void {
    this.check(ptr, 8, what);
    new DataView(this.memory.buffer).setBigUint64(ptr >>> 0, BigInt.asUintN(64, value), true);
  }

  writeBytes(ptr: number, data: Uint8Array, what: string): void {
    this.check(ptr, data.length, what);
    new Uint8Array(this.memory.buffer).set(data, ptr >>> 0);
  }

  /**
   * Hands `data` to the module: allocates data.length bytes with the
   * module's allocator, copies, then writes pointer and size into the two
   * return slots. Empty data is returned as (0, 0) without allocating, as
   * proxy-wasm-cpp-host's copyToPointerSize does.
   */
  give(data: Uint8Array, ptrSlot: number, sizeSlot: number, what: string): void {
    this.checkSlot(ptrSlot, 4, `${what} return pointer slot`);
    this.checkSlot(sizeSlot, 4, `${what} return size slot`);
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.allocate(data.length) >>> 0;
      if (ptr === 0) throw new Fail(Status.InvalidMemoryAccess, `proxy_on_memory_allocate(${data.length}) returned 0`);
      this.writeBytes(ptr, data, `memory returned by proxy_on_memory_allocate(${data.length})`);
    }
    this.writeU32(ptrSlot, ptr, `${what} return pointer slot`);
    this.writeU32(sizeSlot, data.length, `${what} return size slot`);
  }
}

// Header maps and gRPC metadata cross the ABI as: u32 count, then count
// pairs of (u32 key length, u32 value length), then each key and value
// followed by a NUL byte. All little-endian.
export function encodePairs(pairs: Pairs): Uint8Array {
  if (pairs.length === 0) return new Uint8Array(0);
  const encoded = pairs.map(([k, v]) => [utf8Encoder.encode(k), utf8Encoder.encode(v)] as const);
  let size = 4 + 8 * encoded.length;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, encoded.length, true);
  let off = 4;
  for (const [k, v] of encoded) {
    view.setUint32(off, k.length, true);
    view.setUint32(off + 4, v.length, true);
    off += 8;
  }
  for (const [k, v] of encoded) {
    out.set(k, off);
    off += k.length + 1;
    out.set(v, off);
    off += v.length + 1;
  }
  return out;
}

/** Decodes a serialized map; returns a string describing the problem when malformed. */
export function decodePairs(data: Uint8Array): Pairs | string {
  if (data.length === 0 || (data.length === 1 && data[0] === 0)) return [];
  if (data.length < 4) return `serialized map of ${data.length} bytes is shorter than its 4-byte count`;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  let off = 4 + 8 * count;
  if (off > data.length) return `serialized map announces ${count} pairs but has only ${data.length} bytes`;
  const pairs: Pairs = [];
  for (let i = 0; i < count; i++) {
    const kLen = view.getUint32(4 + 8 * i, true);
    const vLen = view.getUint32(8 + 8 * i, true);
    if (off + kLen + vLen + 2 > data.length) return `pair ${i} of the serialized map runs past its end`;
    if (data[off + kLen] !== 0 || data[off + kLen + 1 + vLen] !== 0) {
      return `pair ${i} of the serialized map is not NUL-terminated`;
    }
    const key = utf8.decode(data.subarray(off, off + kLen));
    off += kLen + 1;
    const value = utf8.decode(data.subarray(off, off + vLen));
    off += vLen + 1;
    pairs.push([key, value]);
  }
  return pairs;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
