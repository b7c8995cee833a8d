// Per-topic record and byte counts of a Produce request (v3-13) read as the
// frame streams by, without keeping it (FrameFate.Scan in frame_stream.ts).
//
// Hand-written rather than generated, because this is the hot path: a produce
// frame is mostly record bodies, and this scanner asks only for the request
// header, the topic names (or ids), partition indexes, record-set lengths and
// the first 61 bytes of each record batch; everything else goes by unseen
// (and, through framed_connection.ts, is never copied out of Envoy).
//
// It must agree exactly with ProduceRequest.decode + readBatches, which the
// filter still uses for held frames: the same lengths are checked against the
// same remaining input, so a frame is undecodable here exactly when it is
// there (test/kafka/produce_scanner.test.ts compares both on random frames of
// every version under every split), with one exception: the last three bytes
// of a flexible request are not read (partitionDone). Any failure discards
// all counts, as a failed decode does.
//
// The same scanner reads a request's head (prefeed: the kafka filter's ACL
// judges a produce request to one topic from it, without holding the frame)
// and a held frame whole (prefeed of all of it): one reading path for
// streamed and held requests alike.
import { FrameScanner } from "../common/frame_stream";
import { decodeUtf8 } from "../common/utf8";

// A v2 batch header; legacy (magic 0/1) batches need only the first 17 bytes.
const BATCH_HEADER: i32 = 61;
const BATCH_MIN: i32 = 17;
// Shared by every "nothing taken yet": this runs per produce request.
const EMPTY = new Uint8Array(0);

const enum Step {
  Header, // api key, version, correlation id
  ClientIdLength,
  TxnIdLength,
  AcksTimeout,
  TopicCount,
  TopicNameLength,
  TopicName,
  TopicId,
  PartitionCount,
  PartitionIndex,
  RecordsLength,
  BatchHead,
  TagCount, // a tagged-field section: count, then per tag: tag, size
  TagNumber,
  TagSize,
  Done,
  Failed,
}

// What follows a tagged-field section.
const enum After {
  Header,
  Partition,
  Topic,
  Request,
}

export class ProduceScanner extends FrameScanner {
  apiVersion: i16 = 0;
  correlationId: i32 = 0;
  acks: i16 = 0;
  // Set once the head shows them: acks (and timeout), and the topic count.
  acksRead: bool = false;
  // The request names a transactional id (known once acksRead).
  transactional: bool = false;
  topicCount: i32 = -1;
  // Per topic, in request order: name (v3-12) or id (v13), records, bytes.
  // Valid until the next reset: the id arrays are reused.
  topicNames: Array<string> = new Array<string>(0);
  topicIds: Array<Uint8Array> = new Array<Uint8Array>(0);
  topicRecords: Array<i64> = new Array<i64>(0);
  topicBytes: Array<i64> = new Array<i64>(0);
  // The partition a topic's records go to, -1 when they go to several.
  topicPartitions: Array<i32> = new Array<i32>(0);
  private idArrays: Array<Uint8Array> = new Array<Uint8Array>(0);

  private frameSize: i32 = 0;
  // Frame bytes prefeed took in, from the first: the stream passes over them.
  private fed: i32 = 0;
  // Offset in the frame of the next byte after the pending skip and want.
  private pos: i32 = 0;
  private step: Step = Step.Header;
  private flex: bool = false;
  // A varint being read one byte at a time.
  private varint: u32 = 0;
  private shift: u32 = 0;
  private reading: bool = false;
  private topicsLeft: i32 = 0;
  private partitionsLeft: i32 = 0;
  private partitionsInTopic: i32 = 0;
  private tagsLeft: i32 = 0;
  private afterTags: After = After.Header;
  // The record set being walked: bytes of it not yet consumed, and the first
  // bytes of the next batch already taken (tiny batches share a take).
  private recordsLeft: i32 = 0;
  private carry: Uint8Array = EMPTY;
  private records: i64 = 0;
  private bytes: i64 = 0;

  // Starts on a frame of frameSize bytes (size prefix excluded).
  reset(frameSize: i32): ProduceScanner {
    this.frameSize = frameSize;
    this.pos = 0;
    this.fed = 0;
    this.acksRead = false;
    this.transactional = false;
    this.topicCount = -1;
    this.skip = 0;
    this.want = 0;
    // Emptied, not replaced: the previous frame's counts were read in
    // onScanned before the next frame starts.
    this.topicNames.length = 0;
    this.topicIds.length = 0;
    this.topicRecords.length = 0;
    this.topicBytes.length = 0;
    this.topicPartitions.length = 0;
    this.carry = EMPTY;
    this.reading = false;
    this.need(8, Step.Header);
    return this;
  }

  // True when the frame ended as a whole, well-formed produce request.
  get ok(): bool {
    return this.step == Step.Done && this.pos == this.frameSize && this.skip == 0 && this.want == 0;
  }

  get failed(): bool {
    return this.step == Step.Failed;
  }

  // The first topic was read: topicNames[0] (v3-12) or topicIds[0] (v13).
  get firstTopicRead(): bool {
    return this.topicNames.length > 0 || this.topicIds.length > 0;
  }

  // Reads from the frame's first bytes (after its size prefix) as far as
  // they go; called again with more of them, it goes on where it stopped.
  // With the whole frame, it reads it all (then see ok).
  prefeed(head: Uint8Array): void {
    let at = this.fed;
    const n = head.length;
    while (true) {
      if (this.skip > 0) {
        const k = min(this.skip, n - at);
        this.skip -= k;
        at += k;
        if (this.skip > 0) break;
      }
      const want = this.want;
      if (want <= 0 || at + want > n) break;
      this.take(head, at);
      at += want;
    }
    this.fed = at;
  }

  // Before a FrameStream scans the frame from its first byte: it first
  // passes over what prefeed took in.
  handOff(): ProduceScanner {
    this.skip += this.fed;
    this.fed = 0;
    return this;
  }

  take(b: Uint8Array, at: i32): void {
    if (this.reading) {
      this.varintByte(b[at]);
      return;
    }
    switch (this.step) {
      case Step.Header: {
        this.apiVersion = <i16>readI16(b, at + 2);
        this.correlationId = readI32(b, at + 4);
        this.flex = this.apiVersion >= 9;
        this.need(2, Step.ClientIdLength);
        break;
      }
      case Step.ClientIdLength: {
        // int16 length in every header version; null is -1.
        const n = readI16(b, at);
        if (n < -1 || n > this.left()) return this.fail();
        if (n > 0) this.pass(n);
        if (this.flex) this.tags(After.Header);
        else this.txnId();
        break;
      }
      case Step.AcksTimeout: {
        this.acks = <i16>readI16(b, at);
        this.acksRead = true;
        this.length(Step.TopicCount, true);
        break;
      }
      case Step.TopicName: {
        this.topicNames.push(decodeUtf8(b.dataStart + <usize>at, this.want));
        this.length(Step.PartitionCount, true);
        break;
      }
      case Step.TopicId: {
        // Copied into arrays kept from frame to frame: this is per request.
        const n = this.topicIds.length;
        if (n == this.idArrays.length) this.idArrays.push(new Uint8Array(16));
        const id = unchecked(this.idArrays[n]);
        memory.copy(id.dataStart, b.dataStart + <usize>at, 16);
        this.topicIds.push(id);
        this.length(Step.PartitionCount, true);
        break;
      }
      case Step.PartitionIndex: {
        if (this.partitionsInTopic == 1) this.topicPartitions[this.topicPartitions.length - 1] = readI32(b, at);
        this.length(Step.RecordsLength, true);
        break;
      }
      case Step.BatchHead: {
        const carry = this.carry;
        if (carry.length > 0) {
          const head = new Uint8Array(carry.length + this.want);
          head.set(carry);
          memory.copy(head.dataStart + <usize>carry.length, b.dataStart + <usize>at, this.want);
          this.carry = EMPTY;
          this.batches(head, 0, head.length);
        } else this.batches(b, at, at + this.want);
        break;
      }
      default: {
        // Fixed-size reads of the non-flexible lengths.
        this.lengthValue(this.step, this.want == 2 ? readI16(b, at) : readI32(b, at));
      }
    }
  }

  // ---- lengths, counts and varints ----------------------------------------

  // Reads a string/bytes/array length (flex: compact uvarint, else int16 for
  // strings, int32 for bytes and arrays), then continues at `next`.
  private length(next: Step, wide: bool): void {
    if (this.flex) this.readVarint(next);
    else this.need(wide ? 4 : 2, next);
  }

  private readVarint(next: Step): void {
    this.varint = 0;
    this.shift = 0;
    this.reading = true;
    this.need(1, next);
  }

  // BytesReader.uvarint, one byte per take.
  private varintByte(byte: u8): void {
    const b = <u32>byte;
    if (this.shift == 28 && (b & 0xf0) != 0) return this.fail();
    this.varint |= (b & 0x7f) << this.shift;
    if ((b & 0x80) != 0) {
      this.shift += 7;
      this.need(1, this.step);
      return;
    }
    this.reading = false;
    const u = this.varint;
    const step = this.step;
    if (step == Step.TagCount) {
      if (u > <u32>this.left()) return this.fail();
      this.tagsLeft = <i32>u;
      this.nextTag();
    } else if (step == Step.TagNumber) {
      this.readVarint(Step.TagSize);
    } else if (step == Step.TagSize) {
      const size = <i32>u;
      if (size < 0 || size > this.left()) return this.fail();
      if (size > 0) this.pass(size);
      this.tagsLeft--;
      this.nextTag();
    } else {
      // A compact length: length + 1, 0 for null.
      let n: i32 = u == 0 ? -1 : <i32>(u - 1);
      if (u > 0x7fffffff) n = 0x7fffffff;
      this.checkedLength(step, n);
    }
  }

  // A non-flexible length: int16 for the strings, int32 for the rest.
  private lengthValue(step: Step, n: i32): void {
    if (step == Step.TxnIdLength || step == Step.TopicNameLength) n = <i32><i16>n;
    if (n < -1) return this.fail();
    this.checkedLength(step, n);
  }

  private checkedLength(step: Step, n: i32): void {
    if (n > this.left()) return this.fail();
    switch (step) {
      case Step.TxnIdLength: {
        this.transactional = n >= 0;
        if (n > 0) this.pass(n);
        this.need(6, Step.AcksTimeout);
        break;
      }
      case Step.TopicCount: {
        if (n < 0) return this.fail();
        this.topicsLeft = n;
        this.topicCount = n;
        this.nextTopic();
        break;
      }
      case Step.TopicNameLength: {
        if (n < 0) return this.fail();
        if (n == 0) {
          this.topicNames.push("");
          this.length(Step.PartitionCount, true);
        } else this.need(n, Step.TopicName);
        break;
      }
      case Step.PartitionCount: {
        if (n < 0) return this.fail();
        this.topicRecords.push(0);
        this.topicBytes.push(0);
        this.topicPartitions.push(-1);
        this.partitionsInTopic = n;
        this.records = 0;
        this.bytes = 0;
        this.partitionsLeft = n;
        this.nextPartition();
        break;
      }
      case Step.RecordsLength: {
        if (n >= 0) this.bytes += <i64>n;
        this.recordsLeft = n < 0 ? 0 : n;
        this.batches(EMPTY, 0, 0);
        break;
      }
      default:
        this.fail();
    }
  }

  // ---- structure ----------------------------------------------------------

  private txnId(): void {
    this.length(Step.TxnIdLength, false);
  }

  private nextTopic(): void {
    if (this.topicsLeft == 0) {
      if (this.flex) this.tags(After.Request);
      else this.finish();
      return;
    }
    this.topicsLeft--;
    if (this.apiVersion >= 13) this.need(16, Step.TopicId);
    else this.length(Step.TopicNameLength, false);
  }

  private nextPartition(): void {
    if (this.partitionsLeft == 0) {
      this.topicDone();
      if (this.flex) this.tags(After.Topic);
      else this.nextTopic();
      return;
    }
    this.partitionsLeft--;
    this.need(4, Step.PartitionIndex);
  }

  private topicDone(): void {
    const t = this.topicRecords.length - 1;
    this.topicRecords[t] = this.records;
    this.topicBytes[t] = this.bytes;
  }

  private tags(after: After): void {
    this.afterTags = after;
    this.readVarint(Step.TagCount);
  }

  private nextTag(): void {
    if (this.tagsLeft > 0) {
      this.readVarint(Step.TagNumber);
      return;
    }
    const after = this.afterTags;
    if (after == After.Header) this.txnId();
    else if (after == After.Partition) this.nextPartition();
    else if (after == After.Topic) this.nextTopic();
    else this.finish();
  }

  private finish(): void {
    // decodeRequestBody rejects trailing bytes.
    if (this.pos != this.frameSize) return this.fail();
    this.step = Step.Done;
    this.want = 0;
  }

  // readBatches over the rest of the record set, whose first bytes are
  // head[at, end): counts every whole batch, stops (without error) at a
  // truncated or unreadable one and passes over what is left.
  private batches(head: Uint8Array, at: i32, end: i32): void {
    while (true) {
      const left = this.recordsLeft; // record-set bytes from head[at]
      const have = end - at; // of which already taken
      if (left >= BATCH_MIN) {
        const need = min(BATCH_HEADER, left);
        if (have < need) {
          this.carry = have > 0 ? head.slice(at, end) : EMPTY;
          this.need(need - have, Step.BatchHead);
          return;
        }
        const batchLength = readI32(head, at + 8);
        const total = <i64>batchLength + 12;
        let count: i32 = 0;
        let counted = false;
        if (batchLength >= 0 && total <= <i64>left) {
          // A batch shorter than 17 bytes reads as magic 0 (legacy, 1 record).
          const magic = total >= BATCH_MIN ? head[at + 16] : 0;
          if (magic == 2) {
            if (total >= BATCH_HEADER) {
              // A corrupt negative count adds none (as RecordBatches.totalRecords
              // counts it): it must not wrap the records counter.
              count = max(readI32(head, at + 57), 0);
              counted = true;
            }
          } else if (magic == 0 || magic == 1) {
            count = 1;
            counted = true;
          }
        }
        if (counted) {
          this.records += <i64>count;
          const size = <i32>total;
          this.recordsLeft = left - size;
          if (size >= have) {
            if (size > have) this.pass(size - have);
            head = EMPTY;
            at = 0;
            end = 0;
          } else {
            at += size;
          }
          continue;
        }
      }
      // End of the set, a truncated tail or a bad batch: the rest goes by.
      if (left > have) this.pass(left - have);
      this.recordsLeft = 0;
      this.carry = EMPTY;
      this.partitionDone();
      return;
    }
  }

  private partitionDone(): void {
    if (!this.flex) {
      this.nextPartition();
    } else if (this.partitionsLeft == 0 && this.topicsLeft == 0 && this.left() == 3) {
      // The end of a flexible request: three tag sections (partition, topic,
      // request) in three bytes, whose only well-formed value is three zero
      // counts. They are passed unread because they usually arrive in a read
      // of their own (the tail of a large request), and reading them would
      // cost Envoy a buffer fetch per request. A frame corrupted there is the
      // one the decoder calls undecodable and this scanner does not.
      this.topicDone();
      this.pass(3);
      this.finish();
    } else {
      this.tags(After.Partition);
    }
  }

  // ---- cursor -------------------------------------------------------------

  // Frame bytes after everything asked for so far.
  private left(): i32 {
    return this.frameSize - this.pos;
  }

  private pass(n: i32): void {
    this.skip += n;
    this.pos += n;
  }

  // Asks for the next n bytes; a frame too short for them is malformed.
  private need(n: i32, next: Step): void {
    if (n > this.left()) {
      this.reading = false;
      return this.fail();
    }
    this.want = n;
    this.pos += n;
    this.step = next;
  }

  private fail(): void {
    this.step = Step.Failed;
    this.reading = false;
    this.skip = 0;
    this.want = 0;
  }
}

function readI16(b: Uint8Array, at: i32): i32 {
  return <i32><i16>((<i32>b[at] << 8) | <i32>b[at + 1]);
}

function readI32(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | <i32>b[at + 3];
}
