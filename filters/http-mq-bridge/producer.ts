// The Kafka producer behind every publish: one per pubsub per worker (owned
// by BridgeRoot), shared by all HTTP streams of that worker.
//
// Coalescing. A publish hands over its records per partition (a Piece). Each
// partition has at most one Produce in flight; pieces that arrive meanwhile
// wait and go out together, as one batch, when it returns. No linger: an idle
// partition sends at once. A flush of some topics sends one Produce (per
// leader) holding every idle partition of those topics with something to
// send, so a publish spanning partitions, or topics after routing, is still
// one request when nothing else is in flight.
//
// Idempotence (README.md, "Batching and idempotence"). An InitProducerId
// gives the producer id/epoch; each batch carries them and the partition's
// next sequence number. A batch that failed in a way worth retrying (broker
// unreachable, timed out, retriable Kafka error) is sent again, the same
// bytes with the same sequence, every retryBackoffMs until deliveryTimeoutMs
// after its first send; the broker drops a copy it already has. Errors that
// mean the broker lost this producer's state get a new producer id (sequences
// from 0) and the batch is retried under it. A batch given up after an
// unknown fate also resets the producer id, so no later batch can reuse its
// sequence and be taken for its duplicate. One batch in flight per partition
// keeps sequences in order.
//
// Several brokers ("brokers" in the pubsub): each partition's batch goes to
// its leader's tunnel cluster (leaders from Metadata, cached by the root), one
// Produce per leader. A partition whose leader is not known (not asked yet,
// or forgotten after NOT_LEADER_OR_FOLLOWER or an unreachable broker) waits
// while the producer asks Metadata, then goes to the new leader.
import { currentContextId } from "../../assembly/proxy";
import { makeEffective } from "../../assembly/proxy/registry";
import * as errors from "../../assembly/kafka/errors";
import { PubsubConfig } from "./config";
import {
  Outcome, initProducerIdOutcome, initProducerIdRequest, metadataOutcomes, metadataRequest, produceRequestMulti, produceResults,
  producerStateLost,
} from "./kafka_client";
import { Batch, PartitionQueue, Piece, TopicQueues, TopicTable } from "./partition_queues";
import { BridgeRoot } from "./root";
import { callTunnel, tunnelAnswer } from "./tunnel_call";

class Call {
  correlationId: i32 = 0;
  // Metadata for this topic's leaders.
  topic: TopicQueues | null = null;
  // Produce: the partitions it carries (of one or more topics).
  queues: PartitionQueue[] = [];
  // Neither: the InitProducerId call.
}

export class Producer {
  producerId: i64 = -1;
  producerEpoch: i16 = -1;
  private initializing: bool = false;
  // InitProducerId is retried like a batch: every retryBackoffMs up to deliveryTimeoutMs.
  private initDeadlineMs: i64 = 0;
  private initRetryAtMs: i64 = 0;
  private topics: TopicTable = new TopicTable();
  private calls: Map<u32, Call> = new Map<u32, Call>();

  constructor(private root: BridgeRoot, readonly pubsub: PubsubConfig) {}

  // Queues a publish's records for one partition; call flush(topics) after
  // the last piece of the publish.
  submit(topic: string, partition: i32, piece: Piece): void {
    piece.arrivedMs = this.root.nowMs();
    this.topics.get(topic).queue(partition).pending.push(piece);
  }

  flush(topics: string[]): void {
    const ts = new Array<TopicQueues>(topics.length);
    for (let i = 0; i < topics.length; i++) ts[i] = this.topics.get(topics[i]);
    this.flushQueues(ts);
  }

  private flushQueues(ts: TopicQueues[]): void {
    if (this.pubsub.idempotent && this.producerId < 0) {
      // A new producer id only when something is waiting for it.
      for (let k = 0; k < ts.length; k++) {
        const qs = ts[k].queues;
        for (let i = 0; i < qs.length; i++) {
          if (qs[i].waiting) {
            this.initProducerId();
            return;
          }
        }
      }
      return;
    }
    const now = this.root.nowMs();
    // Per leader cluster: the partitions (of any of the topics) to send there.
    const clusters = new Array<string>(0);
    const groups = new Array<PartitionQueue[]>(0);
    for (let k = 0; k < ts.length; k++) {
      if (this.collect(ts[k], now, clusters, groups)) this.askLeaders(ts[k]);
    }
    for (let g = 0; g < groups.length; g++) this.produce(clusters[g], groups[g], now);
  }

  // Adds t's partitions that can go now to their leader's group; true when
  // some wait for Metadata to name their leader.
  private collect(t: TopicQueues, now: i64, clusters: string[], groups: PartitionQueue[][]): bool {
    const topic = t.topic;
    let needLeaders = false;
    for (let i = 0; i < t.queues.length; i++) {
      const q = t.queues[i];
      if (q.inFlight) continue;
      if (q.batch != null) {
        if (q.retryAtMs > now && !q.awaitingLeader) continue;
      } else if (q.pending.length == 0) continue;
      const cluster = this.root.produceCluster(this.pubsub, topic, q.partition);
      if (q.batch == null) q.batch = this.nextBatch(q, now);
      if (cluster == null) {
        if (now >= q.batch!.deadlineMs) {
          this.giveUp(q, Outcome.failure(503, 0, "no leader known for " + topic + "/" + q.partition.toString() + " (Metadata, or a \"brokers\" entry for the leader, missing)"));
          continue;
        }
        q.awaitingLeader = true;
        needLeaders = true;
        continue;
      }
      q.awaitingLeader = false;
      q.retryAtMs = 0;
      this.stamp(q, q.batch!);
      let g = clusters.indexOf(cluster);
      if (g < 0) {
        g = clusters.length;
        clusters.push(cluster);
        groups.push([]);
      }
      groups[g].push(q);
    }
    return needLeaders;
  }

  private produce(cluster: string, send: PartitionQueue[], now: i64): void {
    const topics = new Array<string>(send.length);
    const partitions = new Array<i32>(send.length);
    const batches = new Array<Uint8Array>(send.length);
    // The call may wait for the broker's own timeout plus the way there and
    // back, but a retry no longer than its batch's delivery time left (plus
    // that way), so a retried publish is answered in about deliveryTimeoutMs.
    let waitMs: i64 = <i64>this.pubsub.timeoutMs + 1000;
    for (let i = 0; i < send.length; i++) {
      const left = send[i].batch!.deadlineMs - now + 1000;
      if (send[i].batch!.attempts > 0 && left < waitMs) waitMs = left < 1000 ? 1000 : left;
      topics[i] = send[i].topic.topic;
      partitions[i] = send[i].partition;
      batches[i] = send[i].batch!.bytes;
      send[i].batch!.attempts++;
      send[i].inFlight = true;
    }
    const call = new Call();
    call.correlationId = this.root.nextCorrelationId();
    call.queues = send;
    const frame = produceRequestMulti(call.correlationId, this.root.config.clientId, topics, partitions, batches, this.pubsub.acks, this.pubsub.timeoutMs);
    if (!this.send(call, cluster, frame, <u32>waitMs)) {
      const o = Outcome.failure(500, 0, "cluster " + cluster + " is not usable");
      for (let i = 0; i < send.length; i++) {
        send[i].inFlight = false;
        send[i].finish(o, false);
      }
    }
  }

  private askLeaders(t: TopicQueues): void {
    this.root.wakeProducers();
    if (t.askingLeaders) return;
    const call = new Call();
    call.correlationId = this.root.nextCorrelationId();
    call.topic = t;
    const frame = metadataRequest(call.correlationId, this.root.config.clientId, [t.topic], false);
    if (this.send(call, this.pubsub.cluster, frame, <u32>this.pubsub.timeoutMs + 1000)) t.askingLeaders = true;
  }

  private onLeaders(call: Call, transport: string, frame: Uint8Array): void {
    const t = call.topic!;
    t.askingLeaders = false;
    if (transport.length > 0) return; // asked again on the next tick
    const o = metadataOutcomes(frame, call.correlationId, [t.topic])[0];
    if (!o.ok) {
      this.root.metrics.brokerFailure(this.pubsub.name, o);
      return;
    }
    this.root.rememberPartitions(this.pubsub, t.topic, o.partitions, o.leaders);
    this.flushQueues([t]);
  }

  // Retries whose backoff is over; true while some still wait.
  onTick(now: i64): bool {
    let waiting = false;
    if (this.initRetryAtMs > 0) {
      if (this.initRetryAtMs <= now) {
        this.initRetryAtMs = 0;
        this.initProducerId();
      } else waiting = true;
    }
    const due = new Array<TopicQueues>(0);
    for (let i = 0; i < this.topics.list.length; i++) {
      const t = this.topics.list[i];
      let isDue = false;
      for (let j = 0; j < t.queues.length; j++) {
        const q = t.queues[j];
        if (q.inFlight || q.batch == null) continue;
        if (q.awaitingLeader) isDue = true;
        else if (q.retryAtMs == 0) continue;
        else if (q.retryAtMs <= now) isDue = true;
        else waiting = true;
      }
      if (isDue) due.push(t);
    }
    if (due.length > 0) this.flushQueues(due);
    return waiting;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): void {
    const call = this.calls.get(token);
    this.calls.delete(token);
    const answer = tunnelAnswer(numHeaders, bodySize);
    if (!answer.ok) this.root.metrics.brokerError(this.pubsub.name, answer.code);
    const transport = answer.problem;
    const frame = answer.frame;
    if (call.topic != null) this.onLeaders(call, transport, frame);
    else if (call.queues.length > 0) this.onProduce(call, transport, frame);
    else this.onInitProducerId(call, transport, frame);
  }

  // ---- InitProducerId

  private initProducerId(): void {
    if (this.initializing || this.initRetryAtMs > 0) return;
    if (this.initDeadlineMs == 0) this.initDeadlineMs = this.root.nowMs() + <i64>this.root.config.deliveryTimeoutMs;
    const call = new Call();
    call.correlationId = this.root.nextCorrelationId();
    if (this.send(call, this.pubsub.cluster, initProducerIdRequest(call.correlationId, this.root.config.clientId), <u32>this.pubsub.timeoutMs + 1000)) {
      this.initializing = true;
      return;
    }
    this.initDeadlineMs = 0;
    this.failPending(Outcome.failure(500, 0, "cluster " + this.pubsub.cluster + " is not usable"));
  }

  private onInitProducerId(call: Call, transport: string, frame: Uint8Array): void {
    this.initializing = false;
    const o = transport.length > 0 ? Outcome.failure(503, 0, transport) : initProducerIdOutcome(frame, call.correlationId);
    if (!o.ok && transport.length == 0) this.root.metrics.brokerFailure(this.pubsub.name, o);
    if (!o.ok) {
      const now = this.root.nowMs();
      if (o.status == 503 && now + <i64>this.root.config.retryBackoffMs < this.initDeadlineMs) {
        this.initRetryAtMs = now + <i64>this.root.config.retryBackoffMs;
        this.root.wakeProducers();
        return;
      }
      // Nothing was sent for the waiting publishes: they fail now, and the
      // next publish asks again.
      this.initDeadlineMs = 0;
      o.message = "no producer id: " + o.message;
      this.failPending(o);
      return;
    }
    this.initDeadlineMs = 0;
    this.producerId = o.producerId;
    this.producerEpoch = o.producerEpoch;
    this.flushQueues(this.topics.list);
  }

  // A new producer id: sequences restart at 0; batches are re-stamped when sent.
  private resetProducer(): void {
    this.producerId = -1;
    this.producerEpoch = -1;
    this.topics.resetSequences();
  }

  private failPending(o: Outcome): void {
    const list = this.topics.list;
    for (let i = 0; i < list.length; i++) {
      const qs = list[i].queues;
      for (let j = 0; j < qs.length; j++) qs[j].failWaiting(o);
    }
  }

  // ---- Produce

  private nextBatch(q: PartitionQueue, now: i64): Batch {
    const b = q.takeBatch(now, this.root.config.maxBatchBytes, this.root.config.deliveryTimeoutMs);
    this.stamp(q, b);
    return b;
  }

  // (Re)builds the bytes unless they already carry the current producer id.
  private stamp(q: PartitionQueue, b: Batch): void {
    b.stamp(this.pubsub.idempotent, this.producerId, this.producerEpoch, q.nextSequence, this.root.nowMs());
  }

  private onProduce(call: Call, transport: string, frame: Uint8Array): void {
    const topics = new Array<string>(call.queues.length);
    const partitions = new Array<i32>(call.queues.length);
    // The topics of this call, to send what waited behind it.
    const involved = new Array<TopicQueues>(0);
    for (let i = 0; i < call.queues.length; i++) {
      const q = call.queues[i];
      topics[i] = q.topic.topic;
      partitions[i] = q.partition;
      if (!involved.includes(q.topic)) involved.push(q.topic);
    }
    let whole: Outcome | null = transport.length > 0 ? Outcome.failure(503, 0, transport) : null;
    let each: Outcome[] = [];
    if (whole == null) {
      const results = produceResults(frame, call.correlationId, topics, partitions);
      if (results.failure != null) {
        whole = results.failure;
        this.root.metrics.brokerFailure(this.pubsub.name, whole!);
      } else each = results.partitions;
    }
    const now = this.root.nowMs();
    let retryLater = false;
    let reset = false;
    for (let i = 0; i < call.queues.length; i++) {
      const q = call.queues[i];
      q.inFlight = false;
      const o = whole != null ? whole! : each[i];
      const b = q.batch!;
      if (o.ok || o.kafkaError == errors.DUPLICATE_SEQUENCE_NUMBER) {
        // A duplicate was stored by an earlier attempt; its offset is not told.
        if (!o.ok) {
          o.ok = true;
          o.status = 200;
          o.offset = -1;
        }
        if (b.producerId == this.producerId && b.producerEpoch == this.producerEpoch && this.pubsub.idempotent) q.nextSequence = b.baseSequence + b.count;
        q.finish(o, false);
        continue;
      }
      if (whole == null) this.root.metrics.brokerFailure(this.pubsub.name, o);
      // The partition count or leader may have changed: ask Metadata next time.
      if (o.status == 503 || o.status == 404) this.root.forgetPartitions(this.pubsub, q.topic.topic);
      const lost = producerStateLost(o.kafkaError);
      const worthRetry = o.status == 503 || lost;
      if (this.pubsub.idempotent && worthRetry && now + <i64>this.root.config.retryBackoffMs < b.deadlineMs) {
        if (lost && b.producerId == this.producerId) reset = true;
        q.retryAtMs = now + <i64>this.root.config.retryBackoffMs;
        retryLater = true;
        continue;
      }
      // Given up. If the broker may have stored it (503-class), a later batch
      // must not reuse its sequence.
      if (this.pubsub.idempotent && (worthRetry || whole != null) && b.producerId == this.producerId) reset = true;
      q.finish(o, true);
    }
    if (reset) this.resetProducer();
    if (retryLater) this.root.wakeProducers();
    this.flushQueues(involved);
  }

  // A batch that was already sent may be stored: its sequence is not reused.
  private giveUp(q: PartitionQueue, o: Outcome): void {
    const b = q.batch!;
    const sent = b.attempts > 0 && this.pubsub.idempotent && b.producerId == this.producerId;
    q.awaitingLeader = false;
    q.finish(o, true);
    if (sent) this.resetProducer();
  }

  private send(call: Call, cluster: string, frame: Uint8Array, timeoutMs: u32): bool {
    // The call belongs to the root: a publish that goes away must not cancel
    // the Produce that carries other publishes' records.
    const caller = currentContextId();
    this.root.setEffectiveContext();
    const token = callTunnel(cluster, frame, timeoutMs);
    makeEffective(caller);
    if (token == 0) return false;
    this.calls.set(token, call);
    this.root.noteCall(token, this);
    return true;
  }
}
