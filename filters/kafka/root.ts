// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, the pipeline of
// policies).
import { resumeMutedConnections } from "../../assembly/common/framed_connection";
import { Pipeline } from "../../assembly/common/pipeline/pipeline";
import { RootContext, StreamContext, flushCounters, getCurrentTimeNanoseconds, log } from "../../assembly/proxy";
import { KafkaFilterConfig } from "./config";
import { KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
import { KafkaExchange, KafkaPipeline, KafkaRequest, KafkaResponse } from "./exchange";
import { installAcl } from "./acl";
import { BrokerRewriter } from "./broker_rewrite";
import { KafkaQuotas, TickControl, installQuotas } from "./quotas";

export class KafkaRoot extends RootContext {
  config: KafkaFilterConfig = new KafkaFilterConfig();
  metrics: KafkaMetrics = new KafkaMetrics(this.config);
  // Built from the configuration: the policies that change traffic, in the
  // order they are asked.
  pipeline: KafkaPipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
  // The tick is the metrics flush period, finer while a quota mutes a client.
  tick: TickControl = new TickControl(0);
  quotas: KafkaQuotas | null = null;
  private nextFlushNs: u64 = 0;

  onConfigure(configuration: string): bool {
    const config = KafkaFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("kafka filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config);
    this.pipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
    this.tick = new TickControl(<u32>config.metricsFlushMs);
    this.install(this.pipeline);
    this.setTickPeriod(<u32>config.metricsFlushMs);
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: KafkaPipeline): void {
    installAcl(this.config.acl, this.metrics, pipeline);
    if (this.config.brokerRewrite.enabled) pipeline.add(new BrokerRewriter(this.config.brokerRewrite));
    this.quotas = installQuotas(this.config.quotas, this.tick, this.id, pipeline);
  }

  onTick(): void {
    const flushMs = this.config.metricsFlushMs;
    const now = getCurrentTimeNanoseconds();
    // A fine tick (connections muted) flushes no more often than configured.
    if (!this.tick.fine || now >= this.nextFlushNs) {
      flushCounters();
      this.nextFlushNs = now + <u64>flushMs * 1_000_000;
    }
    this.tick.ticked(resumeMutedConnections());
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    const q = this.quotas;
    if (q != null) q.onGrpcReceive(token, messageSize);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const q = this.quotas;
    if (q != null) q.onGrpcClose(token, statusCode);
  }

  createStreamContext(id: u32): StreamContext | null {
    return new KafkaConnection(id, this);
  }
}
