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

export class KafkaRoot extends RootContext {
  config: KafkaFilterConfig = new KafkaFilterConfig();
  metrics: KafkaMetrics = new KafkaMetrics(this.config);
  // Built from the configuration: the policies that change traffic, in the
  // order they are asked.
  pipeline: KafkaPipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();

  onConfigure(configuration: string): bool {
    const config = KafkaFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("kafka filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config);
    this.pipeline = new Pipeline<KafkaExchange, KafkaRequest, KafkaResponse>();
    this.install(this.pipeline);
    this.setTickPeriod(<u32>config.metricsFlushMs);
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: KafkaPipeline): void {
    installAcl(this.config.acl, this.metrics, pipeline);
    if (this.config.brokerRewrite.enabled) pipeline.add(new BrokerRewriter(this.config.brokerRewrite));
  }

  onTick(): void {
    flushCounters();
    resumeMutedConnections();
  }

  createStreamContext(id: u32): StreamContext | null {
    return new KafkaConnection(id, this);
  }
}
