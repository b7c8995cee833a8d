// Record batches v2 built and read by kafkajs's own encoder, decoder and
// CRC32C: an implementation independent of the filter's, for tests of what
// the filter writes into produced records.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0");
const Record = require("kafkajs/src/protocol/recordBatch/record/v0");
const batchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder");
const Decoder = require("kafkajs/src/protocol/decoder");
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C");
const Long = require("kafkajs/src/utils/long");

export type Header = [string, Buffer | null];
export interface Rec { key: Buffer | null; value: Buffer | null; headers: Header[] }

/** Headers as kafkajs models them: a repeated key becomes an array. */
export function headersObject(hs: Header[]): Record<string, Buffer | null | (Buffer | null)[]> {
  const o: Record<string, any> = {};
  for (const [k, v] of hs) o[k] = k in o ? [...(Array.isArray(o[k]) ? o[k] : [o[k]]), v] : v;
  return o;
}

/** One batch of `recs`; compression 1 is gzip. */
export async function encodeBatch(recs: Rec[], opts: { compression?: number; firstOffset?: number } = {}): Promise<Buffer> {
  const records = recs.map((r, i) => Record({ offsetDelta: i, timestampDelta: i * 3, key: r.key, value: r.value, headers: headersObject(r.headers) }));
  const enc = await RecordBatch({
    compression: opts.compression ?? 0, firstOffset: Long.fromInt(opts.firstOffset ?? 0), firstTimestamp: 1700000000000,
    maxTimestamp: 1700000000000 + 3 * (recs.length - 1), lastOffsetDelta: recs.length - 1, records,
  });
  return enc.buffer;
}

/** Every whole batch of a records field, decoded by kafkajs. */
export async function decodeBatches(buf: Uint8Array) {
  const d = new Decoder(Buffer.from(buf));
  const out = [];
  while (d.canReadBytes(12)) out.push(await batchDecoder(d));
  return out;
}

/** Each batch's stored CRC32C against kafkajs's own CRC32C of its bytes. */
export function crcsValid(buf: Uint8Array): boolean[] {
  const out: boolean[] = [];
  const b = Buffer.from(buf);
  for (let pos = 0; pos + 12 <= b.length; ) {
    const end = pos + 12 + b.readInt32BE(pos + 8);
    out.push(b.readUInt32BE(pos + 17) === crc32C(b.subarray(pos + 21, end)) >>> 0);
    pos = end;
  }
  return out;
}
