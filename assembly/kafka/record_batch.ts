// Kafka record batches (message format v2, magic 2) inside the undecoded
// "records" slice of Produce requests and Fetch responses.
//
// Batch header, 61 bytes: baseOffset int64, batchLength int32 (bytes after
// this field), partitionLeaderEpoch int32, magic int8, crc uint32 (CRC32C of
// everything from attributes to the end), attributes int16 (bits 0-2
// compression codec, bit 3 timestamp type, bit 4 transactional, bit 5
// control), lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
// producerId int64, producerEpoch int16, baseSequence int32, record count
// int32. Then the records, compressed as a whole if the codec is not none.
// Each record: length varint, attributes int8, timestampDelta varlong,
// offsetDelta varint, key (varint length, -1 = null), value (same), header
// count varint, headers (key: varint length + UTF-8, value: varint length,
// -1 = null).
// Legacy message sets (magic 0/1) are only recognized, not decoded: Kafka 4
// no longer accepts them, but a filter should still count them.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { crc32c } from "../common/crc32c";

export const COMPRESSION_NONE: i32 = 0;
export const COMPRESSION_GZIP: i32 = 1;
export const COMPRESSION_SNAPPY: i32 = 2;
export const COMPRESSION_LZ4: i32 = 3;
export const COMPRESSION_ZSTD: i32 = 4;

export const BATCH_HEADER_SIZE: i32 = 61;
// Offsets inside a v2 batch.
const LENGTH_OFFSET: i32 = 8;
const MAGIC_OFFSET: i32 = 16;
const CRC_OFFSET: i32 = 17;
const ATTRIBUTES_OFFSET: i32 = 21;
const COUNT_OFFSET: i32 = 57;

export function compressionName(codec: i32): string {
  switch (codec) {
    case 0: return "none";
    case 1: return "gzip";
    case 2: return "snappy";
    case 3: return "lz4";
    case 4: return "zstd";
  }
  return "unknown";
}

export class RecordHeader {
  constructor(public key: string, public value: Uint8Array | null) {}
}

export class Record {
  attributes: i8 = 0;
  timestampDelta: i64 = 0;
  offsetDelta: i32 = 0;
  key: Uint8Array | null = null;
  value: Uint8Array | null = null;
  headers: Array<RecordHeader> = new Array<RecordHeader>(0);

  // Reads one record (its length prefix included); the record must use up
  // exactly its declared length.
  decode(r: BytesReader): void {
    const len = r.varint();
    if (len < 0) {
      r.fail("negative record length");
      return;
    }
    const s = r.sub(len);
    this.attributes = s.i8();
    this.timestampDelta = s.varlong();
    this.offsetDelta = s.varint();
    this.key = readVarBytes(s);
    this.value = readVarBytes(s);
    const n = s.varint();
    if (n < 0 || n > s.remaining) s.fail("bad header count");
    for (let i = 0; i < n && s.ok; i++) {
      const klen = s.varint();
      if (klen < 0) s.fail("null header key");
      const key = s.utf8(klen);
      this.headers.push(new RecordHeader(key, readVarBytes(s)));
    }
    if (s.ok && s.remaining != 0) s.fail("record length mismatch");
    if (!s.ok) r.fail(s.error!);
  }

  encode(w: BytesWriter): void {
    const body = new BytesWriter(32);
    body.i8(this.attributes);
    body.varlong(this.timestampDelta);
    body.varint(this.offsetDelta);
    writeVarBytes(body, this.key);
    writeVarBytes(body, this.value);
    body.varint(this.headers.length);
    for (let i = 0; i < this.headers.length; i++) {
      const h = this.headers[i];
      body.varint(String.UTF8.byteLength(h.key));
      body.utf8(h.key);
      writeVarBytes(body, h.value);
    }
    w.varint(body.length);
    w.bytes(body.view());
  }
}

function readVarBytes(r: BytesReader): Uint8Array | null {
  const n = r.varint();
  if (n < 0) return null;
  return r.bytes(n);
}

function writeVarBytes(w: BytesWriter, b: Uint8Array | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  w.varint(b.length);
  w.bytes(b);
}

export class RecordBatch {
  baseOffset: i64 = 0;
  batchLength: i32 = 0;
  partitionLeaderEpoch: i32 = 0;
  magic: i8 = 0;
  crc: u32 = 0;
  attributes: i16 = 0;
  lastOffsetDelta: i32 = 0;
  baseTimestamp: i64 = 0;
  maxTimestamp: i64 = 0;
  producerId: i64 = -1;
  producerEpoch: i16 = -1;
  baseSequence: i32 = -1;
  recordCount: i32 = 0;
  // The whole batch (12-byte prefix included) as a view of the records slice.
  bytes: Uint8Array = new Uint8Array(0);

  get sizeInBytes(): i32 {
    return this.bytes.length;
  }
  get compression(): i32 {
    return this.attributes & 7;
  }
  get logAppendTime(): bool {
    return (this.attributes & 8) != 0;
  }
  get isTransactional(): bool {
    return (this.attributes & 16) != 0;
  }
  get isControl(): bool {
    return (this.attributes & 32) != 0;
  }

  // True when the stored CRC32C matches the batch content.
  crcValid(): bool {
    if (this.magic != 2) return false;
    return crc32c(this.bytes, ATTRIBUTES_OFFSET) == this.crc;
  }

  // The records of an uncompressed v2 batch; null (with the reason on r) for
  // a compressed or legacy batch, or when the records are malformed.
  readRecords(r: BytesReader | null = null): Array<Record> | null {
    const err = r === null ? new BytesReader(new Uint8Array(0)) : r;
    if (this.magic != 2) {
      err.fail("legacy message format");
      return null;
    }
    if (this.compression != COMPRESSION_NONE) {
      err.fail("compressed batch");
      return null;
    }
    const s = new BytesReader(this.bytes, BATCH_HEADER_SIZE);
    if (this.recordCount < 0 || this.recordCount > s.remaining) {
      err.fail("bad record count");
      return null;
    }
    const out = new Array<Record>(0);
    for (let i = 0; i < this.recordCount && s.ok; i++) {
      const rec = new Record();
      rec.decode(s);
      out.push(rec);
    }
    if (s.ok && s.remaining != 0) s.fail("bytes after last record");
    if (!s.ok) {
      err.fail(s.error!);
      return null;
    }
    return out;
  }
}

// All batches of a records slice, in order.
export class RecordBatches {
  batches: Array<RecordBatch> = new Array<RecordBatch>(0);
  // A fetch response may end with a partial batch (the broker cuts at
  // max bytes); it is not an error, but it is not listed either.
  truncatedTail: bool = false;
  error: string | null = null;

  // Records the headers claim; a negative (corrupt) count adds none, so the
  // sum can size a buffer.
  get totalRecords(): i64 {
    let n: i64 = 0;
    for (let i = 0; i < this.batches.length; i++) n += max<i32>(this.batches[i].recordCount, 0);
    return n;
  }
}

// Reads the headers of every batch in `records` (null records = none).
export function readBatches(records: Uint8Array | null): RecordBatches {
  const out = new RecordBatches();
  if (records === null) return out;
  let pos = 0;
  const end = records.length;
  while (pos < end) {
    if (end - pos < MAGIC_OFFSET + 1) {
      out.truncatedTail = true;
      break;
    }
    const h = new BytesReader(records, pos);
    const b = new RecordBatch();
    b.baseOffset = h.i64();
    b.batchLength = h.i32();
    if (b.batchLength < 0) {
      out.error = "negative batch length";
      break;
    }
    const total = <i64>b.batchLength + 12;
    if (total > <i64>(end - pos)) {
      out.truncatedTail = true;
      break;
    }
    b.bytes = records.subarray(pos, pos + <i32>total);
    const r = new BytesReader(b.bytes, 12);
    b.partitionLeaderEpoch = r.i32();
    b.magic = r.i8();
    if (b.magic == 2) {
      if (b.bytes.length < BATCH_HEADER_SIZE) {
        out.error = "batch shorter than its header";
        break;
      }
      b.crc = r.u32();
      b.attributes = r.i16();
      b.lastOffsetDelta = r.i32();
      b.baseTimestamp = r.i64();
      b.maxTimestamp = r.i64();
      b.producerId = r.i64();
      b.producerEpoch = r.i16();
      b.baseSequence = r.i32();
      b.recordCount = r.i32();
    } else if (b.magic == 0 || b.magic == 1) {
      // legacy message: crc int32 sits before magic; attributes follow it
      b.attributes = <i16>r.i8();
      b.recordCount = 1;
    } else {
      out.error = "unknown magic";
      break;
    }
    out.batches.push(b);
    pos += <i32>total;
  }
  return out;
}

// Re-encodes an uncompressed v2 batch with `key: value` appended to the
// headers of every record (recordIndex < 0) or of one record, then fixes
// batchLength and recomputes the CRC32C. Returns null, with the reason on
// `err` when given, for compressed, legacy or malformed batches.
export function addHeader(
  batch: RecordBatch, key: string, value: Uint8Array | null, recordIndex: i32 = -1, err: BytesReader | null = null,
): Uint8Array | null {
  const records = batch.readRecords(err);
  if (records === null) return null;
  const w = new BytesWriter(batch.bytes.length + 32 * (records.length + 1));
  w.bytes(batch.bytes.subarray(0, BATCH_HEADER_SIZE));
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    if (recordIndex < 0 || recordIndex == i) rec.headers.push(new RecordHeader(key, value));
    rec.encode(w);
  }
  sealBatch(w, 0);
  return w.toBytes();
}

// Finishes a v2 batch written into w from `start` (its 61-byte header, then
// the records): sets batchLength and the CRC32C over attributes..end.
export function sealBatch(w: BytesWriter, start: i32): void {
  w.setI32At(start + LENGTH_OFFSET, w.length - start - 12);
  w.setU32At(start + CRC_OFFSET, crc32c(w.buf, start + ATTRIBUTES_OFFSET, w.length));
}

// addHeader on every batch of a records slice; null if any batch can not be
// rewritten (the caller then forwards the original bytes).
export function addHeaderToRecords(records: Uint8Array, key: string, value: Uint8Array | null): Uint8Array | null {
  const all = readBatches(records);
  if (all.error !== null || all.truncatedTail) return null;
  const w = new BytesWriter(records.length + 64);
  for (let i = 0; i < all.batches.length; i++) {
    const b = addHeader(all.batches[i], key, value);
    if (b === null) return null;
    w.bytes(b);
  }
  return w.toBytes();
}

// Offset of the record count inside a v2 batch, for callers that patch it.
export const RECORD_COUNT_OFFSET: i32 = COUNT_OFFSET;
