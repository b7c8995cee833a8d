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
import { RocketMQLimitsPolicy } from "./limits";
import { RocketMQTracing } from "./tracing";
import { Tracer } from "../../assembly/common/otel/tracer";

// How often muted connections are looked at while limits are configured:
// the precision of a delay (the rate itself does not depend on it).
const LIMITS_TICK_MS: u32 = 10;

export class RocketMQRoot extends RootContext {
  config: RocketMQFilterConfig = new RocketMQFilterConfig();
  metrics: RocketMQMetrics = new RocketMQMetrics(this.config);
  // Built from the configuration: the policies, in the order they are asked.
  pipeline: RocketMQPipeline = new Pipeline<RocketMQExchange, RemotingRequest, RemotingResponse>();
  limits: RocketMQLimitsPolicy | null = null;
  tracer: Tracer | null = null;

  onConfigure(configuration: string): bool {
    const config = RocketMQFilterConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQMetrics(config);
    this.pipeline = new Pipeline<RocketMQExchange, RemotingRequest, RemotingResponse>();
    this.limits = null;
    this.tracer = null;
    this.install(this.pipeline);
    this.setTickPeriod(this.tickPeriod());
    return true;
  }

  // Adds the policies the configuration asks for.
  protected install(pipeline: RocketMQPipeline): void {
    if (this.config.acl.enabled) pipeline.add(new RocketMQAclPolicy(this.config.acl, this.metrics));
    if (this.config.limits.enabled) {
      const limits = new RocketMQLimitsPolicy(this.config.limits, this.id);
      this.limits = limits;
      pipeline.add(limits);
    }
    if (this.config.tracing.enabled) {
      const tracer = new Tracer(this.config.tracing, "mqmesh_rocketmq", "mqmesh.rocketmq");
      this.tracer = tracer;
      pipeline.add(new RocketMQTracing(tracer));
    }
    if (this.config.routeRewriteAddress.length > 0) pipeline.add(new RouteRewriter(this.config.routeRewriteAddress, this.metrics));
  }

  // The smallest period a configured feature needs (0: no tick).
  private tickPeriod(): u32 {
    let period = <u32>this.config.metricsFlushMs;
    const tracer = this.tracer;
    if (tracer != null && tracer.tickPeriodMs > 0) period = period == 0 ? tracer.tickPeriodMs : min(period, tracer.tickPeriodMs);
    if (this.limits != null) period = period == 0 ? LIMITS_TICK_MS : min(period, LIMITS_TICK_MS);
    return period;
  }

  onTick(): void {
    flushCounters();
    resumeMutedConnections();
    const tracer = this.tracer;
    if (tracer != null) tracer.onTick();
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const tracer = this.tracer;
    if (tracer != null) tracer.onHttpCallResponse(token, numHeaders, bodySize);
  }

  // The rate limit service's answers (global rules).
  onGrpcReceive(token: u32, messageSize: u32): void {
    const limits = this.limits;
    if (limits != null && limits.limiter.global != null) limits.limiter.global!.onGrpcReceive(token, messageSize);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const limits = this.limits;
    if (limits != null && limits.limiter.global != null) limits.limiter.global!.onGrpcClose(token, statusCode);
  }

  createStreamContext(id: u32): StreamContext | null {
    return new RocketMQConnection(id, this);
  }
}
