// Builds a Kafka record batch (message format v2, magic 2), uncompressed:
// baseOffset 0, CreateTime timestamps, CRC32C over everything from the
// attributes to the end (see record_batch.ts for the layout). Without
// idempotence producerId, producerEpoch and baseSequence stay -1; an
// idempotent producer sets them (the broker then drops a retried duplicate).
// The result is what goes into PartitionProduceData.records.
import { BytesWriter } from "../common/bytes_writer";
import { BATCH_HEADER_SIZE, Record, RecordHeader, sealBatch } from "./record_batch";

export class RecordBatchBuilder {
  private records: Record[] = [];
  private timestamps: i64[] = [];
  producerId: i64 = -1;
  producerEpoch: i16 = -1;
  baseSequence: i32 = -1;

  get count(): i32 {
    return this.records.length;
  }

  // timestampMs: CreateTime in ms since the epoch.
  add(key: Uint8Array | null, value: Uint8Array | null, headers: RecordHeader[], timestampMs: i64): this {
    const r = new Record();
    r.key = key;
    r.value = value;
    r.headers = headers;
    this.records.push(r);
    this.timestamps.push(timestampMs);
    return this;
  }

  // The whole batch; an empty builder gives an empty array (no batch).
  build(): Uint8Array {
    const n = this.records.length;
    if (n == 0) return new Uint8Array(0);
    let base = this.timestamps[0];
    let max = base;
    for (let i = 1; i < n; i++) {
      const t = this.timestamps[i];
      if (t < base) base = t;
      if (t > max) max = t;
    }
    const w = new BytesWriter(BATCH_HEADER_SIZE + 64 * n);
    w.i64(0); // baseOffset
    w.i32(0); // batchLength, patched below
    w.i32(-1); // partitionLeaderEpoch (the broker sets it)
    w.i8(2); // magic
    w.u32(0); // crc, patched below
    w.i16(0); // attributes: no compression, CreateTime, not transactional
    w.i32(n - 1); // lastOffsetDelta
    w.i64(base);
    w.i64(max);
    w.i64(this.producerId);
    w.i16(this.producerEpoch);
    w.i32(this.baseSequence);
    w.i32(n);
    for (let i = 0; i < n; i++) {
      const r = this.records[i];
      r.offsetDelta = i;
      r.timestampDelta = this.timestamps[i] - base;
      r.attributes = 0;
      r.encode(w);
    }
    sealBatch(w, 0);
    return w.toBytes();
  }
}

// The size of one record's encoding without building it: for size limits
// before any bytes are copied.
export function recordHeadersSize(headers: RecordHeader[]): i32 {
  let n = 0;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    n += 10 + String.UTF8.byteLength(h.key) + (h.value == null ? 0 : h.value!.length);
  }
  return n;
}
