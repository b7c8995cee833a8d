import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPureModule } from "../support/pure-module.ts";

interface HashFixture {
  crc32c(data: Uint8Array, start: number, end: number): number;
  crc32cSplit(data: Uint8Array, split: number): number;
  murmur2(data: Uint8Array): number;
  partition(key: Uint8Array, numPartitions: number): number;
}

let m: HashFixture;
beforeAll(async () => {
  m = (await loadPureModule<HashFixture>("common_hash")).exports;
});

// Bitwise CRC32C straight from the definition (reflected 0x82F63B78).
function crcRef(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

// murmur2 as Kafka's Utils.murmur2 describes it, written with Math.imul.
function murmur2Ref(data: Uint8Array): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const n4 = data.length >> 2;
  for (let i = 0; i < n4; i++) {
    let k = data[4 * i] | (data[4 * i + 1] << 8) | (data[4 * i + 2] << 16) | (data[4 * i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const t = n4 * 4;
  switch (data.length & 3) {
    case 3: h ^= data[t + 2] << 16; // falls through
    case 2: h ^= data[t + 1] << 8; // falls through
    case 1: h ^= data[t]; h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const enc = (s: string) => new TextEncoder().encode(s);

describe("crc32c", () => {
  it("matches known vectors", () => {
    expect(m.crc32c(enc("123456789"), 0, 9) >>> 0).toBe(0xe3069283);
    expect(m.crc32c(new Uint8Array(0), 0, 0)).toBe(0);
    expect(m.crc32c(new Uint8Array(32), 0, 32) >>> 0).toBe(0x8a9136aa); // RFC 3720 B.4: 32 zero bytes
    expect(m.crc32c(new Uint8Array(32).fill(0xff), 0, 32) >>> 0).toBe(0x62a8ab43); // 32 0xFF bytes
    expect(m.crc32c(Uint8Array.from({ length: 32 }, (_, i) => i), 0, 32) >>> 0).toBe(0x46dd794e); // ascending
  });

  it("matches the bitwise reference on random data, ranges and split updates", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = a % (data.length + 1);
        const end = start + (b % (data.length - start + 1));
        expect(m.crc32c(data, start, end) >>> 0).toBe(crcRef(data.subarray(start, end)));
        expect(m.crc32cSplit(data, start) >>> 0).toBe(crcRef(data));
      }),
      { numRuns: 1000 },
    );
  });

  it("clamps bad ranges instead of trapping", () => {
    const d = enc("123456789");
    expect(m.crc32c(d, -5, 100) >>> 0).toBe(0xe3069283);
    expect(m.crc32c(d, 7, 3)).toBe(0);
  });
});

describe("murmur2 (Kafka)", () => {
  const require = createRequire(import.meta.url);
  const { Partitioners } = require("kafkajs");

  it("matches the reference port and kafkajs' murmur2 on random keys", () => {
    const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
        const h = m.murmur2(key);
        expect(h).toBe(murmur2Ref(key));
        expect(h).toBe(kafkajsMurmur2(Buffer.from(key)));
      }),
      { numRuns: 2000 },
    );
  });

  it("picks the partition the Java-compatible partitioner picks", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string().map(enc)), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
        const want = partitioner({ topic: "t", partitionMetadata, message: { key: Buffer.from(key) } });
        expect(m.partition(key, n)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives fixed values that pin the algorithm", () => {
    // Independent of kafkajs: values of the reference port for fixed keys.
    expect(m.murmur2(new Uint8Array(0))).toBe(murmur2Ref(new Uint8Array(0)));
    expect(m.murmur2(enc("21"))).toBe(-973932308); // Kafka's UtilsTest: murmur2("21") == -973932308
    expect(m.murmur2(enc("foobar"))).toBe(-790332482); // UtilsTest
    expect(m.murmur2(enc("a-little-bit-long-string"))).toBe(-985981536); // UtilsTest
    expect(m.partition(enc("k"), 0)).toBe(-1);
  });
});
