// The Kafka backend for one publish:
//
//   [Metadata through the tunnel for the topics whose partition count the
//    worker does not know; asked again on the root's tick while a new topic
//    has no leader]
//   place every record (the partition it names, else murmur2 of its key,
//   else one round-robin partition for the request's unkeyed records)
//   hand them to the worker's producer (producer.ts), one piece per topic
//   and partition; it sends them, coalesced with other publishes, and
//   answers each piece (pieceDone), which settles its records.
import { partitionForKey } from "../../assembly/common/murmur2";
import { recordHeadersSize } from "../../assembly/kafka/record_batch_builder";
import { Backend } from "./backend";
import { Outcome, metadataOutcomes, metadataRequest } from "./kafka_client";
import { Piece } from "./partition_queues";
import { Publish } from "./publish";
import { Cause, Failure, OutboundRecord } from "./record";
import { BridgeRoot } from "./root";
import { PublishStream } from "./stream";
import { callTunnel, tunnelAnswer } from "./tunnel_call";

export class KafkaSend extends Backend {
  // The request's distinct topics (after routing) and their partition counts (0: ask Metadata).
  private topics: string[] = [];
  private partitions: i32[] = [];
  private token: u32 = 0;
  private correlationId: i32 = 0;
  private metadataAttempts: i32 = 0;
  // Metadata is asked again on the root's next tick.
  private waiting: bool = false;
  // Per piece handed to the producer: its records, in batch order.
  private pieces: Array<OutboundRecord[]> = [];

  constructor(stream: PublishStream, publish: Publish) {
    super(stream, publish);
  }

  private get root(): BridgeRoot {
    return this.publish.root;
  }

  send(): void {
    const p = this.publish;
    for (let i = 0; i < p.records.length; i++) {
      const topic = p.records[i].topic;
      if (this.topics.includes(topic)) continue;
      this.topics.push(topic);
      this.partitions.push(this.root.partitionsOf(p.pubsub!, topic));
    }
    if (this.unknownTopics().length == 0) this.produce();
    else this.askMetadata();
  }

  private unknownTopics(): string[] {
    const out = new Array<string>(0);
    for (let i = 0; i < this.topics.length; i++) if (this.partitions[i] == 0) out.push(this.topics[i]);
    return out;
  }

  // ---- Metadata

  private askMetadata(): void {
    const pubsub = this.publish.pubsub!;
    this.correlationId = this.root.nextCorrelationId();
    const frame = metadataRequest(this.correlationId, this.root.config.clientId, this.unknownTopics(), pubsub.allowAutoTopicCreation);
    // The call may wait for the broker's own timeout plus the way there and back.
    const token = callTunnel(pubsub.cluster, frame, <u32>pubsub.timeoutMs + 1000);
    if (token == 0) {
      this.stream.fail(new Failure(500, "cluster " + pubsub.cluster + " is not usable"));
      return;
    }
    this.token = token;
    this.publish.askedBroker = true;
  }

  // From the root's tick: the stream may have ended meanwhile.
  retryMetadata(): void {
    if (!this.waiting || this.publish.gone) return;
    this.waiting = false;
    this.stream.setEffectiveContext();
    this.askMetadata();
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): void {
    if (token != this.token) return;
    this.token = 0;
    const pubsub = this.publish.pubsub!;
    const answer = tunnelAnswer(numHeaders, bodySize);
    if (!answer.ok) {
      this.root.metrics.brokerError(pubsub.name, answer.code);
      this.stream.fail(new Failure(503, answer.problem));
      return;
    }
    const asked = this.unknownTopics();
    const outcomes = metadataOutcomes(answer.frame, this.correlationId, asked);
    let failure: Outcome | null = null;
    let settling = false;
    for (let i = 0; i < asked.length; i++) {
      const o = outcomes[i];
      if (o.ok) {
        this.root.rememberPartitions(pubsub, asked[i], o.partitions, o.leaders);
        this.partitions[this.topics.indexOf(asked[i])] = o.partitions;
        continue;
      }
      this.root.metrics.brokerFailure(pubsub.name, o);
      // A topic being created (auto-creation, or by an admin a moment ago)
      // has no leader yet: ask again shortly instead of failing the publish.
      const creating = o.status == 503 || (o.status == 404 && pubsub.allowAutoTopicCreation);
      if (creating && this.metadataAttempts < this.root.config.metadataRetries) settling = true;
      else if (failure == null) failure = o;
    }
    if (failure != null) {
      this.stream.fail(new Failure(failure.status, failure.message));
      return;
    }
    if (settling) {
      this.metadataAttempts++;
      this.waiting = true;
      this.root.retryLater(this);
      return;
    }
    this.produce();
  }

  // ---- Produce

  private produce(): void {
    const p = this.publish;
    const turn = this.root.nextRoundRobin();
    const batchTopics = new Array<string>(0);
    const batchPartitions = new Array<i32>(0);
    const pieces = new Array<OutboundRecord[]>(0);
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      const partitions = this.partitions[this.topics.indexOf(r.topic)];
      let partition = r.partition;
      if (partition >= partitions) {
        const message = "Partition not found: " + p.topic + " has " + partitions.toString() + " partitions, record " + i.toString() + " names " + partition.toString();
        this.stream.fail(new Failure(404, message, Cause.PartitionNotFound));
        return;
      }
      if (partition < 0) partition = r.key != null ? partitionForKey(r.key!, partitions) : <i32>(turn % <u32>partitions);
      r.partition = partition;
      let b = 0;
      while (b < batchPartitions.length && (batchPartitions[b] != partition || batchTopics[b] != r.topic)) b++;
      if (b == batchPartitions.length) {
        batchTopics.push(r.topic);
        batchPartitions.push(partition);
        pieces.push([]);
      }
      pieces[b].push(r);
    }
    // Placed, not yet encoded: the hooks may still change the trace context.
    for (let i = 0; i < p.records.length; i++) this.stream.sending(p.records[i]);
    this.pieces = pieces;
    p.askedBroker = true;
    const producer = this.root.producer(p.pubsub!);
    for (let b = 0; b < pieces.length; b++) {
      let bytes = 0;
      for (let j = 0; j < pieces[b].length; j++) {
        const r = pieces[b][j];
        bytes += (r.key == null ? 0 : r.key!.length) + (r.value == null ? 0 : r.value!.length) + recordHeadersSize(r.wireHeaders()) + 16;
      }
      producer.submit(batchTopics[b], batchPartitions[b], new Piece(this, b, pieces[b], bytes));
    }
    // One flush for all routed topics: one Produce per leader.
    producer.flush(this.topics);
  }

  // From the producer: the outcome of piece `slot`; its records follow each
  // other in the batch from the piece's offset.
  pieceDone(slot: i32, o: Outcome): void {
    const records = this.pieces[slot];
    for (let j = 0; j < records.length; j++) {
      const r = records[j];
      r.offset = o.ok && o.offset >= 0 ? o.offset + <i64>j : -1;
      this.stream.settle(r, o);
    }
  }
}
