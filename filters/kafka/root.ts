// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, topic ids).
import { RootContext, StreamContext, flushCounters, log } from "../../assembly/proxy";
import { KafkaFilterConfig } from "./config";
import { KafkaMetrics } from "./metrics";
import { KafkaConnection } from "./connection";
import { RequestInterceptor, ResponseInterceptor } from "./interceptors";
import { installAcl } from "./acl";
import { BrokerRewriter } from "./broker_rewrite";

export class KafkaRoot extends RootContext {
  config: KafkaFilterConfig = new KafkaFilterConfig();
  metrics: KafkaMetrics = new KafkaMetrics(this.config);
  // Built from the configuration: the features that change traffic.
  requestInterceptors: RequestInterceptor[] = [];
  responseInterceptors: ResponseInterceptor[] = [];

  onConfigure(configuration: string): bool {
    const config = KafkaFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("kafka filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new KafkaMetrics(config);
    installAcl(config, this.metrics, this.requestInterceptors, this.responseInterceptors);
    if (config.brokerRewrite.enabled) this.responseInterceptors.push(new BrokerRewriter(config.brokerRewrite));
    this.setTickPeriod(<u32>config.metricsFlushMs);
    return true;
  }

  onTick(): void {
    flushCounters();
  }

  createStreamContext(id: u32): StreamContext | null {
    return new KafkaConnection(id, this);
  }
}
