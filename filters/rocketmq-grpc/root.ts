// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all streams of this worker share (metrics, the sidecar endpoints).
import { HttpContext, RootContext, log } from "../../assembly/proxy";
import { encodeEndpoints } from "../../assembly/rocketmq/grpc/route";
import { RocketMQGrpcConfig } from "./config";
import { RocketMQGrpcMetrics } from "./metrics";
import { RocketMQGrpcStream } from "./stream";
import { Tracer } from "../../assembly/common/otel/tracer";
import { GrpcLimits } from "./limits";
import { GrpcTracing } from "./tracing";

export class RocketMQGrpcRoot extends RootContext {
  config: RocketMQGrpcConfig = new RocketMQGrpcConfig();
  metrics: RocketMQGrpcMetrics = new RocketMQGrpcMetrics(this.config);
  // Endpoints{scheme, [Address{host, port}]} of the sidecar, when configured.
  endpoints: Uint8Array | null = null;
  limits: GrpcLimits | null = null;
  tracing: GrpcTracing | null = null;

  onConfigure(configuration: string): bool {
    const config = RocketMQGrpcConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq-grpc filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQGrpcMetrics(config);
    this.endpoints = config.endpoints.enabled ? encodeEndpoints(config.endpoints.host, config.endpoints.port) : null;
    this.limits = config.limits.enabled ? new GrpcLimits(config.limits, this.id) : null;
    const tracing = config.tracing.enabled ? new GrpcTracing(new Tracer(config.tracing, "mqmesh_rocketmq_grpc", "mqmesh.rocketmq_grpc")) : null;
    this.tracing = tracing;
    this.setTickPeriod(tracing == null ? 0 : tracing.tracer.tickPeriodMs);
    return true;
  }

  onTick(): void {
    const tracing = this.tracing;
    if (tracing != null) tracing.tracer.onTick();
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const tracing = this.tracing;
    if (tracing != null) tracing.tracer.onHttpCallResponse(token, numHeaders, bodySize);
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

  createHttpContext(id: u32): HttpContext | null {
    return new RocketMQGrpcStream(id, this);
  }
}
