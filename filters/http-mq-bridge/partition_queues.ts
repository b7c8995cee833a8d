// What the producer (producer.ts) keeps per topic and partition: the pieces
// publishes handed over, the batch made of them (its bytes, producer id and
// sequence, attempts and deadline), and the partition's next sequence number.
// No host calls: the producer decides when a batch goes and what its answer was.
import { RecordBatchBuilder } from "../../assembly/kafka/record_batch_builder";
import { KafkaSend } from "./kafka_send";
import { Outcome } from "./kafka_client";
import { OutboundRecord } from "./record";

// One publish's records for one partition; `slot` is the publish's own index
// for that partition.
export class Piece {
  // Set by submit: the delivery time counts from here, not from when a
  // partition busy with retries lets the piece go out.
  arrivedMs: i64 = 0;
  constructor(public owner: KafkaSend, public slot: i32, public records: OutboundRecord[], public bytes: i32) {}
}

export class Batch {
  pieces: Piece[] = [];
  count: i32 = 0;
  bytes: Uint8Array = new Uint8Array(0);
  producerId: i64 = -1;
  producerEpoch: i16 = -1;
  baseSequence: i32 = -1;
  deadlineMs: i64 = 0;
  attempts: i32 = 0;

  // (Re)builds the bytes unless they already carry this producer id and
  // epoch; `idempotent` batches carry them and their base sequence.
  stamp(idempotent: bool, producerId: i64, producerEpoch: i16, sequence: i32, nowMs: i64): void {
    if (this.bytes.length > 0 && this.producerId == producerId && this.producerEpoch == producerEpoch) return;
    const builder = new RecordBatchBuilder();
    if (idempotent) {
      builder.producerId = producerId;
      builder.producerEpoch = producerEpoch;
      builder.baseSequence = sequence;
    }
    for (let i = 0; i < this.pieces.length; i++) {
      const rs = this.pieces[i].records;
      for (let j = 0; j < rs.length; j++) builder.add(rs[j].key, rs[j].value, rs[j].wireHeaders(), nowMs);
    }
    this.bytes = builder.build();
    this.producerId = builder.producerId;
    this.producerEpoch = builder.producerEpoch;
    this.baseSequence = builder.baseSequence;
  }
}

export class PartitionQueue {
  pending: Piece[] = [];
  batch: Batch | null = null;
  inFlight: bool = false;
  // > 0: `batch` waits to be retried at this time.
  retryAtMs: i64 = 0;
  // `batch` waits for Metadata to name the partition's leader.
  awaitingLeader: bool = false;
  nextSequence: i32 = 0;
  constructor(public topic: TopicQueues, public partition: i32) {}

  // Something to send, now or after a retry.
  get waiting(): bool {
    return this.batch != null || this.pending.length > 0;
  }

  // The pending pieces, oldest first, up to about maxBytes (one piece at
  // least), as the next batch; its delivery time counts from the oldest.
  takeBatch(nowMs: i64, maxBytes: i32, deliveryTimeoutMs: i32): Batch {
    const b = new Batch();
    let bytes = 0;
    let oldest = nowMs;
    while (this.pending.length > 0) {
      const p = this.pending[0];
      if (b.pieces.length > 0 && bytes + p.bytes > maxBytes) break;
      bytes += p.bytes;
      b.pieces.push(this.pending.shift());
      b.count += p.records.length;
      if (p.arrivedMs < oldest) oldest = p.arrivedMs;
    }
    // Past it already (it waited behind a failing batch): one attempt, no retry.
    b.deadlineMs = oldest + <i64>deliveryTimeoutMs;
    return b;
  }

  // Answers every piece of the batch: offsets per piece from the batch's
  // base offset. `failed`: given up after attempts, which the message says.
  finish(o: Outcome, failed: bool): void {
    const b = this.batch;
    this.batch = null;
    this.retryAtMs = 0;
    this.awaitingLeader = false;
    if (b == null) return;
    let at: i64 = 0;
    for (let i = 0; i < b.pieces.length; i++) {
      const p = b.pieces[i];
      const r = new Outcome();
      r.ok = o.ok;
      r.status = o.status;
      r.kafkaError = o.kafkaError;
      r.message = b.attempts > 1 && failed ? o.message + " (after " + b.attempts.toString() + " attempts)" : o.message;
      r.partition = this.partition;
      r.offset = o.ok && o.offset >= 0 ? o.offset + at : -1;
      at += <i64>p.records.length;
      p.owner.pieceDone(p.slot, r);
    }
  }

  // Fails the pieces that wait and a batch that is not out.
  failWaiting(o: Outcome): void {
    const pieces = this.pending;
    this.pending = [];
    for (let k = 0; k < pieces.length; k++) pieces[k].owner.pieceDone(pieces[k].slot, o);
    if (this.batch != null && !this.inFlight) this.finish(o, false);
  }
}

export class TopicQueues {
  queues: PartitionQueue[] = [];
  askingLeaders: bool = false;
  constructor(public topic: string) {}

  queue(partition: i32): PartitionQueue {
    for (let i = 0; i < this.queues.length; i++) if (this.queues[i].partition == partition) return this.queues[i];
    const q = new PartitionQueue(this, partition);
    this.queues.push(q);
    return q;
  }
}

// The producer's topics, bounded like the metadata cache: idle topics are
// dropped when it grows.
export class TopicTable {
  list: TopicQueues[] = [];
  private byName: Map<string, TopicQueues> = new Map<string, TopicQueues>();

  get(topic: string): TopicQueues {
    if (this.byName.has(topic)) return this.byName.get(topic);
    if (this.list.length >= 10000) this.dropIdle();
    const t = new TopicQueues(topic);
    this.byName.set(topic, t);
    this.list.push(t);
    return t;
  }

  // A new producer id: sequences restart at 0.
  resetSequences(): void {
    for (let i = 0; i < this.list.length; i++) {
      const qs = this.list[i].queues;
      for (let j = 0; j < qs.length; j++) qs[j].nextSequence = 0;
    }
  }

  private dropIdle(): void {
    const keep = new Array<TopicQueues>(0);
    for (let i = 0; i < this.list.length; i++) {
      const t = this.list[i];
      let busy = false;
      for (let j = 0; j < t.queues.length && !busy; j++) {
        const q = t.queues[j];
        // A dropped sequence restarts at 0: the broker answers OUT_OF_ORDER and the producer re-initialises.
        busy = q.inFlight || q.waiting;
      }
      if (busy) keep.push(t);
      else this.byName.delete(t.topic);
    }
    this.list = keep;
  }
}
