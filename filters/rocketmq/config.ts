// The rocketmq filter's configuration, read from the plugin's JSON. Every
// field is optional; a wrong one rejects the whole configuration with the
// field named, so Envoy refuses the filter instead of running with a surprise.
import { ConfigReader } from "../../assembly/common/config";
import { OnUnknown, readOnUnknown } from "../../assembly/common/on_unknown";
import { TracingConfig } from "../../assembly/common/otel/config";
import { RocketMQLimits } from "../../assembly/rocketmq/limit_config";
import { RocketMQPolicy } from "../../assembly/rocketmq/policy";

export { OnUnknown };

export class RocketMQFilterConfig {
  // What to do with bytes that are not remoting frames this filter can follow.
  onUnknown: OnUnknown = OnUnknown.Pass;
  // Frames above this size go through without being kept or parsed.
  maxFrameBytes: i32 = 8 << 20;
  perTopicMetrics: bool = true;
  maxTopics: i32 = 200;
  perGroupMetrics: bool = true;
  maxGroups: i32 = 200;
  perClientMetrics: bool = true;
  maxClients: i32 = 100;
  // Per-frame counters are summed here and handed to Envoy this often (one
  // host call per counter instead of one per frame); 0 hands each at once.
  metricsFlushMs: i32 = 1000;
  // Requests remembered per connection while they wait for their response.
  maxInflight: i32 = 4096;
  // "host:port" written over every broker address in GET_ROUTEINFO_BY_TOPIC
  // answers (the sidecar's own listener), so clients send and consume
  // through it; "" leaves routes alone.
  routeRewriteAddress: string = "";
  // The ACL (assembly/rocketmq/policy.ts); disabled without an `acl` section.
  acl: RocketMQPolicy = new RocketMQPolicy();
  // Send and pull limits (limits.ts) and trace context and spans (tracing.ts).
  limits: RocketMQLimits = new RocketMQLimits();
  tracing: TracingConfig = new TracingConfig();
  error: string = "";

  static parse(text: string): RocketMQFilterConfig {
    const config = new RocketMQFilterConfig();
    const c = ConfigReader.parse(text);
    config.onUnknown = readOnUnknown(c);
    config.maxFrameBytes = c.int("maxFrameBytes", config.maxFrameBytes, 64, 1 << 30);
    config.maxInflight = c.int("maxInflight", config.maxInflight, 1, 1 << 20);
    const metrics = c.obj("metrics");
    config.perTopicMetrics = metrics.bool("perTopic", config.perTopicMetrics);
    config.maxTopics = metrics.int("maxTopics", config.maxTopics, 1, 100000);
    config.perGroupMetrics = metrics.bool("perGroup", config.perGroupMetrics);
    config.maxGroups = metrics.int("maxGroups", config.maxGroups, 1, 100000);
    config.perClientMetrics = metrics.bool("perClient", config.perClientMetrics);
    config.maxClients = metrics.int("maxClients", config.maxClients, 1, 100000);
    config.metricsFlushMs = metrics.int("flushIntervalMs", config.metricsFlushMs, 0, 60000);
    const rewrite = c.obj("routeRewrite");
    if (c.has("routeRewrite")) {
      const address = rewrite.requireStr("address");
      if (address.length > 0 && !isHostPort(address)) rewrite.fail("address", "expected host:port");
      config.routeRewriteAddress = address;
    }
    config.acl = RocketMQPolicy.read(c, false);
    config.limits = RocketMQLimits.read(c);
    config.tracing = TracingConfig.read(c, "mqmesh-rocketmq");
    if (!c.finish()) config.error = c.summary;
    return config;
  }
}

// host:port with a non-empty host and a port in 1..65535.
function isHostPort(s: string): bool {
  const colon = s.lastIndexOf(":");
  if (colon <= 0 || colon == s.length - 1 || s.length - colon > 6) return false;
  let port = 0;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    port = port * 10 + (c - 0x30);
  }
  return port >= 1 && port <= 65535;
}
