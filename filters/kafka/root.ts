// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, the pipeline of
// policies).
import { resumeMutedConnections } from "../../assembly/common/framed_connection";
import { Pipeline } from "../../assembly/common/pipeline/pipeline";
import { RootContext, StreamContext, flushCounters, log } from "../../assembly/proxy";
import { KafkaFilterConfig } from "./config";
import { KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
import { KafkaExchange, KafkaPipeline, KafkaRequest, KafkaResponse } from "./exchange";
import { installAcl } from "./acl";
import { BrokerRewriter } from "./broker_rewrite";
import { Tracer } from "../../assembly/common/otel/tracer";
import { INJECT_OFF } from "../../assembly/common/otel/config";
import { KafkaTracing, KafkaTracingMetrics } from "./tracing";

export class KafkaRoot extends RootContext {
  config: KafkaFilterConfig = new KafkaFilterConfig();
  metrics: KafkaMetrics = new KafkaMetrics(this.config);
  // Built from the configuration: the policies that change traffic, in the
  // order they are asked.
  pipeline: KafkaPipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
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
    this.install(this.pipeline);
    // One tick for all: the metrics flush and the span export interval.
    const exportMs = this.tracer != null ? this.tracer!.tickPeriodMs : 0;
    const flushMs = <u32>config.metricsFlushMs;
    this.setTickPeriod(flushMs == 0 || (exportMs > 0 && exportMs < flushMs) ? exportMs : flushMs);
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: KafkaPipeline): void {
    installAcl(this.config.acl, this.metrics, pipeline);
    if (this.config.brokerRewrite.enabled) pipeline.add(new BrokerRewriter(this.config.brokerRewrite));
    // Last: it sees the request as the other policies left it.
    const tracer = this.tracer;
    if (tracer != null) pipeline.add(new KafkaTracing(tracer, new KafkaTracingMetrics()));
  }

  onTick(): void {
    flushCounters();
    resumeMutedConnections();
    const tracer = this.tracer;
    if (tracer != null) tracer.onTick();
  }

  // Answers to span exports.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const tracer = this.tracer;
    if (tracer != null) tracer.onHttpCallResponse(token, numHeaders, bodySize);
  }

  createStreamContext(id: u32): StreamContext | null {
    return new KafkaConnection(id, this);
  }
}
