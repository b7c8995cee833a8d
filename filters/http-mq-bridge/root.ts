// One per plugin configuration per worker: the configuration, the metadata
// cache (topic -> partition count) and the counters every publish shares.
import { HttpContext, RootContext, getCurrentTimeNanoseconds, log } from "../../assembly/proxy";
import { BridgeConfig, PubsubConfig } from "./config";
import { BridgeMetrics } from "./metrics";
import { PublishStream } from "./publish";

class CachedTopic {
  constructor(public partitions: i32, public expiresMs: i64) {}
}

export class BridgeRoot extends RootContext {
  config: BridgeConfig = new BridgeConfig();
  metrics: BridgeMetrics = new BridgeMetrics(200);
  private topics: Map<string, CachedTopic> = new Map<string, CachedTopic>();
  private correlation: i32 = 0;
  // Publishes waiting to ask Metadata again; served by the tick timer.
  private waiting: PublishStream[] = [];
  private ticking: bool = false;
  private roundRobin: u32 = 0;

  onConfigure(configuration: string): bool {
    const config = BridgeConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("http-mq-bridge: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new BridgeMetrics(config.metricsMaxTopics);
    this.topics.clear();
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new PublishStream(id, this);
  }

  // Asks again for `stream` after the backoff.
  retryLater(stream: PublishStream): void {
    this.waiting.push(stream);
    if (!this.ticking) {
      this.ticking = true;
      this.setTickPeriod(<u32>this.config.metadataRetryBackoffMs);
    }
  }

  onTick(): void {
    const due = this.waiting;
    this.waiting = [];
    for (let i = 0; i < due.length; i++) due[i].retryMetadata();
    if (this.waiting.length == 0 && this.ticking) {
      this.ticking = false;
      this.setTickPeriod(0);
    }
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

  // 0 when unknown or expired.
  partitionsOf(pubsub: PubsubConfig, topic: string): i32 {
    if (pubsub.partitions > 0) return pubsub.partitions;
    const key = pubsub.name + "\n" + topic;
    if (!this.topics.has(key)) return 0;
    const t = this.topics.get(key);
    if (t.expiresMs <= this.nowMs()) {
      this.topics.delete(key);
      return 0;
    }
    return t.partitions;
  }

  rememberPartitions(pubsub: PubsubConfig, topic: string, partitions: i32): void {
    // Bounded: a client inventing topic names must not grow it forever.
    if (this.topics.size >= 10000) this.topics.clear();
    this.topics.set(pubsub.name + "\n" + topic, new CachedTopic(partitions, this.nowMs() + <i64>this.config.metadataMaxAgeMs));
  }

  forgetPartitions(pubsub: PubsubConfig, topic: string): void {
    this.topics.delete(pubsub.name + "\n" + topic);
  }
}
