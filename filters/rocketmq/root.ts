// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, label caps).
import { RootContext, StreamContext, log } from "../../assembly/proxy";
import { RocketMQFilterConfig } from "./config";
import { RocketMQMetrics } from "./metrics";
import { RocketMQConnection } from "./connection";

export class RocketMQRoot extends RootContext {
  config: RocketMQFilterConfig = new RocketMQFilterConfig();
  metrics: RocketMQMetrics = new RocketMQMetrics(this.config);

  onConfigure(configuration: string): bool {
    const config = RocketMQFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQMetrics(config);
    return true;
  }

  createStreamContext(id: u32): StreamContext | null {
    return new RocketMQConnection(id, this);
  }
}
