// One per plugin configuration per worker: the configuration, the metadata
// cache (topic -> partition count), the producers (producer.ts), and the
// hooks every publish passes (hooks.ts): the metrics, then the tracing and
// the limits when configured. Its timer serves metadata and produce retries
// and the span export; it takes the answers of the export calls and of the
// rate limit service.
import { HttpContext, RootContext, getCurrentTimeNanoseconds, log } from "../../assembly/proxy";
import { Tracer } from "../../assembly/common/otel/tracer";
import { BridgeConfig, PubsubConfig } from "./config";
import { BridgeMetrics } from "./metrics";
import { PublishHook } from "./hooks";
import { KafkaSend } from "./kafka_send";
import { BridgeLimitsHook } from "./limits";
import { BridgeTracing } from "./tracing";
import { Producer } from "./producer";
import { PublishStream } from "./stream";

class CachedTopic {
  constructor(public partitions: i32, public leaders: i32[], public expiresMs: i64) {}
}

export class BridgeRoot extends RootContext {
  config: BridgeConfig = new BridgeConfig();
  metrics: BridgeMetrics = new BridgeMetrics(200);
  hooks: PublishHook[] = [this.metrics];
  tracer: Tracer | null = null;
  limits: BridgeLimitsHook | null = null;
  private topics: Map<string, CachedTopic> = new Map<string, CachedTopic>();
  private correlation: i32 = 0;
  // Publishes waiting to ask Metadata again; served by the tick timer.
  private waiting: KafkaSend[] = [];
  private waitingDueMs: i64 = 0;
  private ticking: u32 = 0;
  private roundRobin: u32 = 0;
  private producers: Map<string, Producer> = new Map<string, Producer>();
  private producerCalls: Map<u32, Producer> = new Map<u32, Producer>();
  private producersWaiting: bool = false;

  onConfigure(configuration: string): bool {
    const config = BridgeConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("http-mq-bridge: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new BridgeMetrics(config.metricsMaxTopics);
    this.hooks = [this.metrics];
    this.tracer = null;
    this.limits = null;
    if (config.tracing.enabled) {
      const tracer = new Tracer(config.tracing, "mqmesh_bridge", "mqmesh.bridge");
      this.tracer = tracer;
      this.hooks.push(new BridgeTracing(tracer, config.clientId));
    }
    if (config.limits.enabled) {
      const limits = new BridgeLimitsHook(config.limits, this.id);
      this.limits = limits;
      this.hooks.push(limits);
    }
    this.topics.clear();
    this.producers.clear();
    this.tickAt();
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new PublishStream(id, this);
  }

  producer(pubsub: PubsubConfig): Producer {
    if (this.producers.has(pubsub.name)) return this.producers.get(pubsub.name);
    const p = new Producer(this, pubsub);
    this.producers.set(pubsub.name, p);
    return p;
  }

  noteCall(token: u32, producer: Producer): void {
    this.producerCalls.set(token, producer);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const tracer = this.tracer;
    if (tracer != null && tracer.onHttpCallResponse(token, numHeaders, bodySize)) return;
    if (!this.producerCalls.has(token)) return;
    const p = this.producerCalls.get(token);
    this.producerCalls.delete(token);
    p.onHttpCallResponse(token, numHeaders, bodySize);
  }

  // The rate limit service's answers (global rules).
  onGrpcReceive(token: u32, messageSize: u32): void {
    const limits = this.limits;
    if (limits != null && limits.global != null) limits.global!.onGrpcReceive(token, messageSize);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const limits = this.limits;
    if (limits != null && limits.global != null) limits.global!.onGrpcClose(token, statusCode);
  }

  // Asks Metadata again for `send` after the backoff.
  retryLater(send: KafkaSend): void {
    if (this.waiting.length == 0) this.waitingDueMs = this.nowMs() + <i64>this.config.metadataRetryBackoffMs;
    this.waiting.push(send);
    this.tickAt();
  }

  // A producer has a batch waiting for its retry.
  wakeProducers(): void {
    this.producersWaiting = true;
    this.tickAt();
  }

  // One timer serves all: the export interval, or the shorter backoff of whoever waits.
  private tickAt(): void {
    let period: u32 = this.tracer == null ? 0 : this.tracer!.tickPeriodMs;
    if (this.waiting.length > 0) period = shorter(period, <u32>this.config.metadataRetryBackoffMs);
    if (this.producersWaiting) period = shorter(period, <u32>this.config.retryBackoffMs);
    if (period != this.ticking) {
      this.ticking = period;
      this.setTickPeriod(period);
    }
  }

  onTick(): void {
    const now = this.nowMs();
    if (this.tracer != null) this.tracer!.onTick();
    if (this.waiting.length > 0 && this.waitingDueMs <= now) {
      const due = this.waiting;
      this.waiting = [];
      for (let i = 0; i < due.length; i++) due[i].retryMetadata();
      if (this.waiting.length > 0) this.waitingDueMs = now + <i64>this.config.metadataRetryBackoffMs;
    }
    if (this.producersWaiting) {
      // A producer may ask to be woken again while it runs (wakeProducers).
      this.producersWaiting = false;
      const names = this.producers.keys();
      for (let i = 0; i < names.length; i++) if (this.producers.get(names[i]).onTick(now)) this.producersWaiting = true;
    }
    this.tickAt();
  }

  nowMs(): i64 {
    return <i64>(getCurrentTimeNanoseconds() / 1000000);
  }

  nextCorrelationId(): i32 {
    this.correlation = this.correlation == i32.MAX_VALUE ? 1 : this.correlation + 1;
    return this.correlation;
  }

  nextRoundRobin(): u32 {
    return this.roundRobin++;
  }

  private cached(pubsub: PubsubConfig, topic: string): CachedTopic | null {
    const key = pubsub.name + "\n" + topic;
    if (!this.topics.has(key)) return null;
    const t = this.topics.get(key);
    if (t.expiresMs <= this.nowMs()) {
      this.topics.delete(key);
      return null;
    }
    return t;
  }

  // 0 when unknown or expired.
  partitionsOf(pubsub: PubsubConfig, topic: string): i32 {
    if (pubsub.partitions > 0) return pubsub.partitions;
    const t = this.cached(pubsub, topic);
    return t == null ? 0 : t.partitions;
  }

  // The tunnel cluster to produce to: the pubsub's own, or with "brokers"
  // the partition leader's; null while the leader is not known.
  produceCluster(pubsub: PubsubConfig, topic: string, partition: i32): string | null {
    if (pubsub.brokerIds.length == 0) return pubsub.cluster;
    const t = this.cached(pubsub, topic);
    if (t == null || partition >= t.leaders.length || t.leaders[partition] < 0) return null;
    return pubsub.brokerCluster(t.leaders[partition]);
  }

  rememberPartitions(pubsub: PubsubConfig, topic: string, partitions: i32, leaders: i32[]): void {
    // Bounded: a client inventing topic names must not grow it forever.
    if (this.topics.size >= 10000) this.topics.clear();
    this.topics.set(pubsub.name + "\n" + topic, new CachedTopic(partitions, leaders, this.nowMs() + <i64>this.config.metadataMaxAgeMs));
  }

  forgetPartitions(pubsub: PubsubConfig, topic: string): void {
    this.topics.delete(pubsub.name + "\n" + topic);
  }
}

// The shorter of two periods, 0 meaning none.
function shorter(a: u32, b: u32): u32 {
  return a == 0 || b < a ? b : a;
}
