// Record batches built by kafkajs (its own CRC32C): our reader reports their
// headers and records; a header appended by us yields a batch kafkajs reads
// back, whose CRC32C kafkajs's implementation agrees with.
import { beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { hex, loadCodec, type KafkaCodec } from "./module.ts";

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0");
const Record = require("kafkajs/src/protocol/recordBatch/record/v0");
const batchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder");
const Decoder = require("kafkajs/src/protocol/decoder");
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C");
const Long = require("kafkajs/src/utils/long");

let codec: KafkaCodec;
beforeAll(async () => { codec = await loadCodec(); });

async function batch(opts: { compression?: number; transactional?: boolean; firstOffset?: number; n?: number }) {
  const n = opts.n ?? 3;
  const records = Array.from({ length: n }, (_, i) =>
    Record({ offsetDelta: i, timestampDelta: i * 10, key: i === 1 ? null : Buffer.from(`key-${i}`), value: Buffer.from(`value-${i}`),
      headers: i === 2 ? { a: "1", b: "22" } : {} }));
  const enc = await RecordBatch({
    compression: opts.compression ?? 0, firstOffset: Long.fromInt(opts.firstOffset ?? 0), firstTimestamp: 1700000000000,
    maxTimestamp: 1700000000020, lastOffsetDelta: n - 1, transactional: opts.transactional ?? false,
    producerId: Long.fromInt(opts.transactional ? 7 : -1), records,
  });
  return new Uint8Array(enc.buffer);
}

const crcOf = (b: Uint8Array) => crc32C(Buffer.from(b.subarray(21)));
const storedCrc = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(17);

describe("record batch v2", () => {
  it("reads batch headers and the records of uncompressed batches", async () => {
    const two = Buffer.concat([await batch({}), await batch({ transactional: true, firstOffset: 3, n: 1 })]);
    const s = JSON.parse(codec.batchSummary(two));
    expect(s.error).toBe(null);
    expect(s.truncatedTail).toBe(false);
    expect(s.batches.map((b: any) => [b.baseOffset, b.count, b.magic, b.crcValid, b.transactional, b.producerId])).toEqual([
      ["0", 3, 2, true, false, "-1"], ["3", 1, 2, true, true, "7"],
    ]);
    const recs = s.batches[0].records;
    expect(recs[1].key).toBe(null);
    expect(recs[2].headers).toEqual([["a", hex(Buffer.from("1"))], ["b", hex(Buffer.from("22"))]]);
    expect(recs[2].timestampDelta).toBe("20");
  });

  it("reports compressed batches and a partial last batch", async () => {
    const gz = await batch({ compression: 1 });
    const plain = await batch({});
    const s = JSON.parse(codec.batchSummary(Buffer.concat([gz, plain.subarray(0, 40)])));
    expect(s.batches).toHaveLength(1);
    expect(s.batches[0].compression).toBe("gzip");
    expect(s.batches[0].crcValid).toBe(true);
    expect(s.batches[0].recordsError).toBe("compressed batch");
    expect(s.truncatedTail).toBe(true);
  });

  it("appends a header to every record and recomputes length and CRC32C", async () => {
    const src = Buffer.concat([await batch({}), await batch({ firstOffset: 3, n: 2 })]);
    const out = codec.batchAddHeader(src, "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(out.length).toBeGreaterThan(src.length);
    const s = JSON.parse(codec.batchSummary(out));
    expect(s.batches.map((b: any) => b.crcValid)).toEqual([true, true]);
    // kafkajs reads our output, and its CRC32C agrees with the stored one
    const d = new Decoder(Buffer.from(out));
    const first = await batchDecoder(d);
    const second = await batchDecoder(d);
    for (const r of [...first.records, ...second.records]) {
      expect(r.headers.traceparent.toString()).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }
    expect(first.records[2].headers.a.toString()).toBe("1");
    expect(first.records.map((r: any) => r.value.toString())).toEqual(["value-0", "value-1", "value-2"]);
    const len1 = new DataView(out.buffer, out.byteOffset).getInt32(8) + 12;
    expect(storedCrc(out.subarray(0, len1))).toBe(crcOf(out.subarray(0, len1)));
  });

  it("refuses to rewrite compressed or corrupt batches", async () => {
    expect(codec.batchAddHeader(await batch({ compression: 1 }), "k", "v").length).toBe(0);
    const bad = await batch({});
    bad[61] = 0x7f; // first record length now larger than the batch
    expect(codec.batchAddHeader(bad, "k", "v").length).toBe(0);
    expect(JSON.parse(codec.batchSummary(bad)).batches[0].crcValid).toBe(false);
  });
});
