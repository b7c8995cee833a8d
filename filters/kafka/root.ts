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
import { Tracer } from "../../assembly/common/otel/tracer";
import { INJECT_OFF } from "../../assembly/common/otel/config";
import { KafkaTracing, KafkaTracingMetrics } from "./tracing";

export class KafkaRoot extends RootContext {
  config: KafkaFilterConfig = new KafkaFilterConfig();
  metrics: KafkaMetrics = new KafkaMetrics(this.config);
  // Built from the configuration: the policies that change traffic, in the
  // order they are asked.
  pipeline: KafkaPipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
  // The tick: the metrics flush period, or the span export interval when
  // shorter; finer while a quota mutes a client.
  tick: TickControl = new TickControl(0);
  quotas: KafkaQuotas | null = null;
  private nextFlushNs: u64 = 0;
  // Null without a `tracing` section, or when it neither injects nor exports.
  tracer: Tracer | null = null;

  onConfigure(configuration: string): bool {
    const config = KafkaFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("kafka filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config);
    this.pipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
    const tracing = config.tracing;
    this.tracer = tracing.enabled && (tracing.exporting || tracing.inject != INJECT_OFF)
      ? new Tracer(tracing, "mqmesh_kafka", "mqmesh.kafka")
      : null;
    // One tick for all: the metrics flush and the span export interval.
    const exportMs = this.tracer != null ? this.tracer!.tickPeriodMs : 0;
    const flushMs = <u32>config.metricsFlushMs;
    const period = flushMs == 0 || (exportMs > 0 && exportMs < flushMs) ? exportMs : flushMs;
    this.tick = new TickControl(period);
    this.install(this.pipeline);
    this.setTickPeriod(period);
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: KafkaPipeline): void {
    installAcl(this.config.acl, this.metrics, pipeline);
    if (this.config.brokerRewrite.enabled) pipeline.add(new BrokerRewriter(this.config.brokerRewrite));
    this.quotas = installQuotas(this.config.quotas, this.tick, this.id, pipeline);
    // Last: it sees the request as the other policies left it.
    const tracer = this.tracer;
    if (tracer != null) pipeline.add(new KafkaTracing(tracer, new KafkaTracingMetrics()));
  }

  onTick(): void {
    const flushMs = this.config.metricsFlushMs;
    const now = getCurrentTimeNanoseconds();
    // A tick finer than the flush period (connections muted, or spans to
    // export) flushes no more often than configured.
    if (now >= this.nextFlushNs) {
      flushCounters();
      this.nextFlushNs = now + <u64>flushMs * 1_000_000;
    }
    this.tick.ticked(resumeMutedConnections());
    const tracer = this.tracer;
    if (tracer != null) tracer.onTick();
  }

  // Answers to span exports.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const tracer = this.tracer;
    if (tracer != null) tracer.onHttpCallResponse(token, numHeaders, bodySize);
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
