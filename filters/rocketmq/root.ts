// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all connections of this worker share (metrics, label caps, the
// pipeline of policies).
import { resumeMutedConnections } from "../../assembly/common/framed_connection";
import { Pipeline } from "../../assembly/common/pipeline/pipeline";
import { RootContext, StreamContext, flushCounters, log } from "../../assembly/proxy";
import { RocketMQAclPolicy } from "./acl";
import { RocketMQFilterConfig } from "./config";
import { RemotingRequest, RemotingResponse, RocketMQExchange, RocketMQPipeline } from "./exchange";
import { RocketMQMetrics } from "./metrics";
import { RocketMQConnection } from "./connection";
import { RouteRewriter } from "./route_rewrite";

export class RocketMQRoot extends RootContext {
  config: RocketMQFilterConfig = new RocketMQFilterConfig();
  metrics: RocketMQMetrics = new RocketMQMetrics(this.config);
  // Built from the configuration: the policies, in the order they are asked.
  pipeline: RocketMQPipeline = new Pipeline<RocketMQExchange, RemotingRequest, RemotingResponse>();

  onConfigure(configuration: string): bool {
    const config = RocketMQFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQMetrics(config);
    this.pipeline = new Pipeline<RocketMQExchange, RemotingRequest, RemotingResponse>();
    this.install(this.pipeline);
    this.setTickPeriod(<u32>config.metricsFlushMs);
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: RocketMQPipeline): void {
    if (this.config.acl.enabled) pipeline.add(new RocketMQAclPolicy(this.config.acl, this.metrics));
    if (this.config.routeRewriteAddress.length > 0) pipeline.add(new RouteRewriter(this.config.routeRewriteAddress, this.metrics));
  }

  onTick(): void {
    flushCounters();
    resumeMutedConnections();
  }

  createStreamContext(id: u32): StreamContext | null {
    return new RocketMQConnection(id, this);
  }
}
