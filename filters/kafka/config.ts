// The kafka filter's configuration, read from the plugin's JSON. Every field
// is optional; a wrong one rejects the whole configuration with the field
// named, so Envoy refuses the filter instead of running with a surprise.
import { ConfigReader } from "../../assembly/common/config";
import { TracingConfig } from "../../assembly/common/otel/config";
import { OnUnknown, readOnUnknown } from "../../assembly/common/on_unknown";
import { AclConfig } from "./acl_config";
import { BrokerRewriteConfig } from "./broker_rewrite";
import { QuotaConfig } from "./quota_config";

export { OnUnknown };

export class KafkaFilterConfig {
  // What to do with bytes that are not a Kafka frame this filter can follow.
  onUnknown: OnUnknown = OnUnknown.Pass;
  // Frames above this size go through without being kept or parsed.
  maxFrameBytes: i32 = 8 << 20;
  perTopicMetrics: bool = true;
  maxTopics: i32 = 200;
  perClientIdMetrics: bool = false;
  maxClientIds: i32 = 50;
  // Per-frame counters are summed here and handed to Envoy this often (one
  // host call per counter instead of one per frame); 0 hands each at once.
  metricsFlushMs: i32 = 1000;
  acl: AclConfig = new AclConfig();
  brokerRewrite: BrokerRewriteConfig = new BrokerRewriteConfig();
  quotas: QuotaConfig = new QuotaConfig();
  tracing: TracingConfig = new TracingConfig();
  error: string = "";

  static parse(text: string): KafkaFilterConfig {
    const config = new KafkaFilterConfig();
    const c = ConfigReader.parse(text);
    config.onUnknown = readOnUnknown(c);
    config.maxFrameBytes = c.int("maxFrameBytes", config.maxFrameBytes, 64, 1 << 30);
    const metrics = c.obj("metrics");
    config.perTopicMetrics = metrics.bool("perTopic", config.perTopicMetrics);
    config.maxTopics = metrics.int("maxTopics", config.maxTopics, 1, 100000);
    config.perClientIdMetrics = metrics.bool("perClientId", config.perClientIdMetrics);
    config.maxClientIds = metrics.int("maxClientIds", config.maxClientIds, 1, 100000);
    config.metricsFlushMs = metrics.int("flushIntervalMs", config.metricsFlushMs, 0, 60000);
    config.brokerRewrite = BrokerRewriteConfig.parse(c);
    config.acl = AclConfig.parse(c);
    // Bytes the filter cannot read as requests (an API key it does not
    // know, a broken frame) cannot be judged: with rules they close.
    if (config.acl.judges) {
      if (!c.has("onUnknown")) config.onUnknown = OnUnknown.Close;
      else if (config.onUnknown != OnUnknown.Close) c.fail("onUnknown", 'must be "close" while acl rules are configured: bytes the filter cannot read cannot be judged');
    }
    config.quotas = QuotaConfig.parse(c);
    config.tracing = TracingConfig.read(c, "mqmesh-kafka");
    if (!c.finish()) config.error = c.summary;
    return config;
  }
}
