// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka
// record batches v2. It runs over every produced and fetched batch we touch,
// so it is slice-by-8: eight 256-entry tables (8 KiB, built on first use)
// let one 64-bit load advance the CRC by eight bytes.

const POLY: u32 = 0x82f63b78;
// TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes.
const TABLES = new StaticArray<u32>(8 * 256);
let ready = false;

function init(): void {
  for (let n = 0; n < 256; n++) {
    let c = <u32>n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    unchecked((TABLES[n] = c));
  }
  for (let n = 0; n < 256; n++) {
    let c = unchecked(TABLES[n]);
    for (let k = 1; k < 8; k++) {
      c = unchecked(TABLES[c & 0xff]) ^ (c >>> 8);
      unchecked((TABLES[k * 256 + n] = c));
    }
  }
  ready = true;
}

@inline function t(k: i32, b: u32): u32 {
  return unchecked(TABLES[(k << 8) + <i32>(b & 0xff)]);
}

/** Continues a CRC32C: crc is a previous result (0 to start), so
 *  crc32cRaw(crc32cRaw(0, a, n), a + n, m) == crc32cRaw(0, a, n + m). */
export function crc32cRaw(crc: u32, ptr: usize, len: usize): u32 {
  if (!ready) init();
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  // Wasm loads may be unaligned and are little-endian, as slice-by-8 wants.
  while (end - p >= 8) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p, 4);
    c = t(7, lo) ^ t(6, lo >>> 8) ^ t(5, lo >>> 16) ^ t(4, lo >>> 24) ^
        t(3, hi) ^ t(2, hi >>> 8) ^ t(1, hi >>> 16) ^ t(0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    c = t(0, c ^ load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

/** CRC32C of data[start, end). The range is clamped to the array, so a bad
 *  range yields a wrong checksum (which verification then rejects), never a trap. */
export function crc32c(data: Uint8Array, start: i32 = 0, end: i32 = i32.MAX_VALUE): u32 {
  return crc32cUpdate(0, data, start, end);
}

/** Continues crc (a previous result, 0 to start) over data[start, end). */
export function crc32cUpdate(crc: u32, data: Uint8Array, start: i32, end: i32): u32 {
  if (start < 0) start = 0;
  if (end > data.length) end = data.length;
  if (end <= start) return crc;
  return crc32cRaw(crc, data.dataStart + <usize>start, <usize>(end - start));
}
