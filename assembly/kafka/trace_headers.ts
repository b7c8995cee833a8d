// W3C trace context in Kafka record headers ("traceparent", "tracestate",
// the names the OpenTelemetry Kafka instrumentations use), for the records
// of a produce request.
//
// Records that carry no traceparent get one (and the context's tracestate,
// when it has one and the record has none); every record that already
// carries a traceparent is left byte-for-byte as it is, and its context is
// reported so the proxy's span can join that trace. Only what must change
// is rewritten: a record's headers count and length varints, then the
// batch's length and CRC32C. The rest of each record is copied.
//
// Left alone, reported: compressed batches (the records are not readable
// without decompressing), legacy (magic 0/1) and control batches, and
// batches whose CRC32C is already wrong (re-sealing would make the broker
// accept corrupted data). A records slice that does not parse (truncated,
// lengths that disagree) is not rewritten at all.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { TraceContext, parseTraceparentBytes } from "../common/trace_context";
import { decodeUtf8 } from "../common/utf8";
import { ContextTally, TRACEPARENT, TRACESTATE } from "../common/otel/carried";
import { BATCH_HEADER_SIZE, COMPRESSION_NONE, RecordBatch, readBatches, sealBatch } from "./record_batch";

// Tracestate values longer than this are not read (the spec's limit is 512).
const MAX_TRACESTATE_BYTES: i32 = 4096;

export class TraceInjection extends ContextTally {
  // The records slice with headers added; null when nothing changed or the
  // slice could not be read (then forward the original bytes).
  records: Uint8Array | null = null;
  compressedBatches: i32 = 0;
  // Legacy, control or bad-CRC batches, forwarded as they are.
  skippedBatches: i32 = 0;
  // Why the slice was left alone; null when it was read.
  error: string | null = null;
}

// Size of a zigzag varint (Kafka's signed varint).
function varintSize(v: i32): i32 {
  let u = <u32>((v << 1) ^ (v >> 31));
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function header(key: string, value: string): Uint8Array {
  const w = new BytesWriter(key.length + value.length + 4);
  w.varint(String.UTF8.byteLength(key));
  w.utf8(key);
  w.varint(String.UTF8.byteLength(value));
  w.utf8(value);
  return w.toBytes();
}

function keyIs(buf: Uint8Array, at: i32, len: i32, key: string): bool {
  if (len != key.length) return false;
  for (let i = 0; i < len; i++) if (<i32>unchecked(buf[at + i]) != key.charCodeAt(i)) return false;
  return true;
}

// Where one record's parts lie in its batch.
class RecordLayout {
  start: i32 = 0; // the length varint
  bodyStart: i32 = 0;
  end: i32 = 0;
  headerCountAt: i32 = 0;
  headersStart: i32 = 0;
  headerCount: i32 = 0;
  traceparentAt: i32 = -1; // value offset; -1 when absent
  traceparentLength: i32 = -1;
  tracestateAt: i32 = -1;
  tracestateLength: i32 = -1;
  // Reused for every record's body: one allocation per batch, not per record.
  body: BytesReader = new BytesReader(new Uint8Array(0));

  reader(buf: Uint8Array): BytesReader {
    const r = this.body;
    r.buf = buf;
    r.pos = this.bodyStart;
    r.end = this.end;
    r.error = null;
    return r;
  }
}

// Reads the record at s.pos (moving s past it); false when it is malformed.
function readRecord(s: BytesReader, l: RecordLayout): bool {
  l.start = s.pos;
  const len = s.varint();
  if (!s.ok || len < 0 || len > s.remaining) return false;
  l.bodyStart = s.pos;
  l.end = s.pos + len;
  const r = l.reader(s.buf);
  s.skip(len);
  r.i8(); // attributes
  r.varlong(); // timestampDelta
  r.varint(); // offsetDelta
  for (let part = 0; part < 2; part++) { // key, value
    const n = r.varint();
    if (n < -1) return false; // -1 is null; nothing else is negative
    if (n > 0) r.skip(n);
  }
  l.headerCountAt = r.pos;
  l.headerCount = r.varint();
  l.headersStart = r.pos;
  l.traceparentAt = -1;
  l.traceparentLength = -1;
  l.tracestateAt = -1;
  l.tracestateLength = -1;
  if (!r.ok || l.headerCount < 0 || l.headerCount > r.remaining) return false;
  for (let i = 0; i < l.headerCount && r.ok; i++) {
    const klen = r.varint();
    if (klen < 0) return false;
    const kat = r.pos;
    r.skip(klen);
    const vlen = r.varint();
    const vat = r.pos;
    if (vlen < -1) return false;
    if (vlen > 0) r.skip(vlen);
    if (!r.ok) return false;
    // Repeated headers: the last one counts, as Java's Headers.lastHeader
    // (which the OpenTelemetry Kafka instrumentation reads) has it.
    if (keyIs(s.buf, kat, klen, TRACEPARENT)) {
      l.traceparentAt = vat;
      l.traceparentLength = vlen;
    } else if (keyIs(s.buf, kat, klen, TRACESTATE)) {
      l.tracestateAt = vat;
      l.tracestateLength = vlen;
    }
  }
  return r.ok && r.remaining == 0;
}

// The context a record carries, with its tracestate when that is valid.
function carriedContext(buf: Uint8Array, l: RecordLayout): TraceContext | null {
  if (l.traceparentLength < 0) return null;
  const tc = parseTraceparentBytes(buf, l.traceparentAt, l.traceparentAt + l.traceparentLength);
  if (tc === null || l.tracestateLength <= 0 || l.tracestateLength > MAX_TRACESTATE_BYTES) return tc;
  return TraceContext.parse(tc.toTraceparent(), decodeUtf8(buf.dataStart + <usize>l.tracestateAt, l.tracestateLength));
}

// Copies one uncompressed v2 batch into w with the headers added; false
// (w then holds garbage past its old length) when a record is malformed.
function injectBatch(b: RecordBatch, traceparent: Uint8Array, tracestate: Uint8Array | null, w: BytesWriter, out: TraceInjection): bool {
  const buf = b.bytes;
  const start = w.length;
  w.range(buf, 0, BATCH_HEADER_SIZE);
  const s = new BytesReader(buf, BATCH_HEADER_SIZE);
  if (b.recordCount < 0 || b.recordCount > s.remaining) return false;
  const l = new RecordLayout();
  for (let i = 0; i < b.recordCount; i++) {
    if (!readRecord(s, l)) return false;
    if (l.traceparentAt >= 0) {
      out.noteCarrying(carriedContext(buf, l));
      w.range(buf, l.start, l.end);
      continue;
    }
    const addState = tracestate !== null && l.tracestateAt < 0;
    const count = l.headerCount + (addState ? 2 : 1);
    const added = traceparent.length + (addState ? tracestate!.length : 0);
    const bodyLength = (l.headerCountAt - l.bodyStart) + varintSize(count) + (l.end - l.headersStart) + added;
    w.varint(bodyLength);
    w.range(buf, l.bodyStart, l.headerCountAt);
    w.varint(count);
    w.range(buf, l.headersStart, l.end);
    w.bytes(traceparent);
    if (addState) w.bytes(tracestate!);
    out.injected++;
  }
  if (s.remaining != 0) return false;
  sealBatch(w, start);
  return true;
}

// The contexts the records of a fetch response carry (to link the proxy's
// receive span to), without changing anything. Compressed batches are
// counted, not read; a malformed batch is skipped; the partial batch a
// fetch may end with is ignored, as consumers ignore it.
export function readTraceContexts(records: Uint8Array | null): TraceInjection {
  const out = new TraceInjection();
  const all = readBatches(records);
  out.error = all.error;
  const l = new RecordLayout();
  for (let i = 0; i < all.batches.length; i++) {
    const b = unchecked(all.batches[i]);
    if (b.magic != 2 || b.isControl) {
      out.skippedBatches++;
      continue;
    }
    if (b.compression != COMPRESSION_NONE) {
      out.compressedBatches++;
      continue;
    }
    const s = new BytesReader(b.bytes, BATCH_HEADER_SIZE);
    for (let j = 0; j < b.recordCount; j++) {
      if (!readRecord(s, l)) {
        out.skippedBatches++;
        break;
      }
      if (l.traceparentAt >= 0) out.noteCarrying(carriedContext(b.bytes, l));
    }
  }
  return out;
}

// Adds `ctx` as traceparent (and its tracestate) to every record of
// `records` (a produce request's records field) that has none.
export function injectTraceContext(records: Uint8Array | null, ctx: TraceContext): TraceInjection {
  const out = new TraceInjection();
  if (records === null) return out;
  const all = readBatches(records);
  if (all.error !== null || all.truncatedTail) {
    out.error = all.error !== null ? all.error : "truncated batch";
    return out;
  }
  const traceparent = header(TRACEPARENT, ctx.toTraceparent());
  const state = ctx.tracestate.toString();
  const tracestate = state.length > 0 ? header(TRACESTATE, state) : null;
  // Room for the added headers; a corrupt batch may claim a negative count.
  const w = new BytesWriter(records.length + 80 * <i32>min<i64>(max<i64>(all.totalRecords, 0), 65536));
  for (let i = 0; i < all.batches.length; i++) {
    const b = unchecked(all.batches[i]);
    if (b.magic != 2 || b.isControl || !b.crcValid()) {
      out.skippedBatches++;
      w.bytes(b.bytes);
    } else if (b.compression != COMPRESSION_NONE) {
      out.compressedBatches++;
      w.bytes(b.bytes);
    } else if (!injectBatch(b, traceparent, tracestate, w, out)) {
      const failed = new TraceInjection();
      failed.error = "malformed record in batch " + i.toString();
      return failed;
    }
  }
  if (out.injected > 0) out.records = w.toBytes();
  return out;
}
