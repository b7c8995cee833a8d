// One per plugin configuration per Envoy worker: reads the configuration and
// owns what all streams of this worker share (metrics, the sidecar endpoints).
import { HttpContext, RootContext, log } from "../../assembly/proxy";
import { encodeEndpoints } from "../../assembly/rocketmq/grpc/route";
import { RocketMQGrpcConfig } from "./config";
import { RocketMQGrpcMetrics } from "./metrics";
import { RocketMQGrpcStream } from "./stream";

export class RocketMQGrpcRoot extends RootContext {
  config: RocketMQGrpcConfig = new RocketMQGrpcConfig();
  metrics: RocketMQGrpcMetrics = new RocketMQGrpcMetrics(this.config);
  // Endpoints{scheme, [Address{host, port}]} of the sidecar, when configured.
  endpoints: Uint8Array | null = null;

  onConfigure(configuration: string): bool {
    const config = RocketMQGrpcConfig.parse(configuration);
    if (config.error.length > 0) {
      log.error("rocketmq-grpc filter: invalid configuration: " + config.error);
      return false;
    }
    this.config = config;
    this.metrics = new RocketMQGrpcMetrics(config);
    this.endpoints = config.endpoints.enabled ? encodeEndpoints(config.endpoints.host, config.endpoints.port) : null;
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new RocketMQGrpcStream(id, this);
  }
}
