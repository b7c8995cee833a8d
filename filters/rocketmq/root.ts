// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, label caps).
import { RootContext, StreamContext, log } from "../../assembly/proxy";
import { RocketMQAclEnforcer } from "./acl";
import { RocketMQFilterConfig } from "./config";
import { RocketMQMetrics } from "./metrics";
import { RocketMQConnection } from "./connection";

export class RocketMQRoot extends RootContext {
  config: RocketMQFilterConfig = new RocketMQFilterConfig();
  metrics: RocketMQMetrics = new RocketMQMetrics(this.config);
  acl: RocketMQAclEnforcer = new RocketMQAclEnforcer(this.config.acl, this.metrics);

  onConfigure(configuration: string): bool {
    const config = RocketMQFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQMetrics(config);
    this.acl = new RocketMQAclEnforcer(config.acl, this.metrics);
    return true;
  }

  createStreamContext(id: u32): StreamContext | null {
    return new RocketMQConnection(id, this);
  }
}
