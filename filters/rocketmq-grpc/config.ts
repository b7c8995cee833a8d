// The rocketmq-grpc filter's configuration (JSON in the plugin's
// StringValue). Every field is optional; a wrong one rejects the whole
// configuration with the field named. See README.md.
import { ConfigReader } from "../../assembly/common/config";
import { TracingConfig } from "../../assembly/common/otel/config";
import { RocketMQLimits } from "../../assembly/rocketmq/limit_config";
import { RocketMQPolicy } from "../../assembly/rocketmq/policy";
import { GrpcAcl } from "./acl";

export class EndpointsConfig {
  enabled: bool = false;
  host: string = "";
  port: i32 = 0;
}

export class RocketMQGrpcConfig {
  // Messages larger than this are forwarded unseen (never kept in memory).
  maxMessageBytes: i32 = 8 << 20;
  perTopicMetrics: bool = true;
  maxTopics: i32 = 200;
  maxGroups: i32 = 200;
  acl: GrpcAcl = new GrpcAcl(new RocketMQPolicy());
  endpoints: EndpointsConfig = new EndpointsConfig();
  // Send and receive limits (limits.ts) and trace context and spans (tracing.ts).
  limits: RocketMQLimits = new RocketMQLimits();
  tracing: TracingConfig = new TracingConfig();
  error: string = "";

  static parse(text: string): RocketMQGrpcConfig {
    const config = new RocketMQGrpcConfig();
    const c = ConfigReader.parse(text);
    config.maxMessageBytes = c.int("maxMessageBytes", config.maxMessageBytes, 64, 1 << 30);
    const metrics = c.obj("metrics");
    config.perTopicMetrics = metrics.bool("perTopic", config.perTopicMetrics);
    config.maxTopics = metrics.int("maxTopics", config.maxTopics, 1, 100000);
    config.maxGroups = metrics.int("maxGroups", config.maxGroups, 1, 100000);
    config.acl = GrpcAcl.read(c);
    config.limits = RocketMQLimits.read(c);
    config.tracing = TracingConfig.read(c, "mqmesh-rocketmq-grpc");
    if (c.has("endpoints")) {
      const e = c.obj("endpoints");
      config.endpoints.enabled = true;
      config.endpoints.host = e.requireStr("host");
      config.endpoints.port = e.requireInt("port", 1, 65535);
      if (e.has("host") && config.endpoints.host.length == 0) e.fail("host", "must not be empty");
    } else {
      c.allow("endpoints");
    }
    if (!c.finish()) config.error = c.summary;
    return config;
  }
}
