// The bridge's configuration (README.md, "Configuration"):
//   {
//     "pubsubs": {
//       "<name>": { "type": "kafka", "cluster": "<cluster of the tunnel>",
//                   "partitions"?: n, "acks"?: -1 | 1, "timeoutMs"?: ms,
//                   "allowAutoTopicCreation"?: bool, "idempotent"?: bool,
//                   "brokers"?: { "<node id>": "<cluster of that broker's tunnel>" },
//                   "routes"?: [{"pattern": {...}, "topic": "<target>"}] }   routing.ts
//       "<name>": { "type": "rocketmq", "cluster": "<gRPC cluster of the proxy>",
//                   "namespace"?: "", "timeoutMs"?: ms, "keyAsMessageGroup"?: bool }
//     },
//     "maxBodyBytes"?: 1048576, "timeoutMs"?: 5000, "metadataMaxAgeMs"?: 60000,
//     "appId"?: "mqmesh", "clientId"?: "mqmesh-bridge", "retryAfterSeconds"?: 1,
//     "metadataRetries"?: 20, "metadataRetryBackoffMs"?: 100,
//     "idempotent"?: true, "deliveryTimeoutMs"?: 5000, "retryBackoffMs"?: 100, "maxBatchBytes"?: 1000000,
//     "rest"?: { "pubsub": "<name>" },    Kafka REST-style /topics/... on that pubsub
//     "metrics"?: { "maxTopics"?: 200 }   distinct topic label values, then __other__
//     "limits"?: {...}, "rateLimitService"?: {...}   limit_config.ts
//     "tracing"?: {...}                   assembly/common/otel/config.ts
//   }
// Errors name the field ("pubsubs.orders.cluster: required").
import { ConfigReader } from "../../assembly/common/config";
import { TracingConfig } from "../../assembly/common/otel/config";
import { BridgeLimits, readBridgeLimits } from "./limit_config";
import { Route, readRoutes } from "./routing";

export const TYPE_KAFKA = "kafka";
export const TYPE_ROCKETMQ = "rocketmq";

export class PubsubConfig {
  name: string = "";
  type: string = TYPE_KAFKA;
  cluster: string = "";
  // 0: from Metadata (cached).
  partitions: i32 = 0;
  acks: i16 = -1;
  timeoutMs: i32 = 5000;
  allowAutoTopicCreation: bool = true;
  // RocketMQ: the namespace of topics; the key also as FIFO message group.
  namespace: string = "";
  keyAsMessageGroup: bool = false;
  // First match wins; none keeps the path's topic.
  routes: Route[] = [];
  // Producer id + sequence numbers, retries within deliveryTimeoutMs.
  idempotent: bool = true;
  // Several brokers: Produce goes to the partition leader's tunnel cluster
  // (by node id from Metadata); `cluster` is then only for Metadata and
  // InitProducerId. Empty: everything goes to `cluster`.
  brokerIds: i32[] = [];
  brokerClusters: string[] = [];

  // The tunnel cluster of broker `nodeId`, or null if not configured.
  brokerCluster(nodeId: i32): string | null {
    if (this.brokerIds.length == 0) return this.cluster;
    const i = this.brokerIds.indexOf(nodeId);
    return i < 0 ? null : this.brokerClusters[i];
  }
}

export class BridgeConfig {
  pubsubs: PubsubConfig[] = [];
  maxBodyBytes: i32 = 1 << 20;
  timeoutMs: i32 = 5000;
  metadataMaxAgeMs: i32 = 60000;
  appId: string = "mqmesh";
  clientId: string = "mqmesh-bridge";
  retryAfterSeconds: i32 = 1;
  // Metadata that says "retry" (a topic being auto-created has no leader yet)
  // is asked again after metadataRetryBackoffMs, up to metadataRetries times.
  metadataRetries: i32 = 20;
  metadataRetryBackoffMs: i32 = 100;
  // Idempotent pubsubs retry a failed batch (same sequence) every
  // retryBackoffMs until deliveryTimeoutMs after its first send.
  idempotent: bool = true;
  deliveryTimeoutMs: i32 = 5000;
  retryBackoffMs: i32 = 100;
  // Publishes waiting for the same partition go out together up to this size.
  maxBatchBytes: i32 = 1000000;
  // The pubsub that Kafka REST-style /topics/... requests use; "" = that API is off.
  restPubsub: string = "";
  metricsMaxTopics: i32 = 200;
  limits: BridgeLimits = new BridgeLimits();
  tracing: TracingConfig = new TracingConfig();
  error: string = "";

  pubsub(name: string): PubsubConfig | null {
    for (let i = 0; i < this.pubsubs.length; i++) if (this.pubsubs[i].name == name) return this.pubsubs[i];
    return null;
  }

  static parse(text: string): BridgeConfig {
    const config = new BridgeConfig();
    const c = ConfigReader.parse(text);
    config.maxBodyBytes = c.int("maxBodyBytes", config.maxBodyBytes, 1, 64 << 20);
    config.timeoutMs = c.int("timeoutMs", config.timeoutMs, 1, 600000);
    config.metadataMaxAgeMs = c.int("metadataMaxAgeMs", config.metadataMaxAgeMs, 0, 86400000);
    config.appId = c.str("appId", config.appId);
    config.clientId = c.str("clientId", config.clientId);
    config.retryAfterSeconds = c.int("retryAfterSeconds", config.retryAfterSeconds, 0, 3600);
    config.metadataRetries = c.int("metadataRetries", config.metadataRetries, 0, 1000);
    config.metadataRetryBackoffMs = c.int("metadataRetryBackoffMs", config.metadataRetryBackoffMs, 1, 60000);
    config.idempotent = c.bool("idempotent", config.idempotent);
    config.deliveryTimeoutMs = c.int("deliveryTimeoutMs", config.deliveryTimeoutMs, 0, 600000);
    config.retryBackoffMs = c.int("retryBackoffMs", config.retryBackoffMs, 1, 60000);
    config.maxBatchBytes = c.int("maxBatchBytes", config.maxBatchBytes, 1, 64 << 20);
    const map = c.value("pubsubs");
    if (map == null) c.fail("pubsubs", "required: at least one pubsub");
    else if (!map.isObject) c.fail("pubsubs", "expected object of name -> pubsub");
    else {
      const pubsubs = c.obj("pubsubs");
      for (let i = 0; i < map.length; i++) {
        const name = map.keyAt(i);
        const p = pubsubs.requireObj(name);
        const out = new PubsubConfig();
        out.name = name;
        if (name.length == 0) pubsubs.fail(name, "a pubsub name must not be empty");
        const type = p.requireStr("type");
        if (p.has("type") && type != TYPE_KAFKA && type != TYPE_ROCKETMQ) p.fail("type", "expected \"kafka\" or \"rocketmq\"");
        out.type = type;
        out.cluster = p.requireStr("cluster");
        out.timeoutMs = p.int("timeoutMs", config.timeoutMs, 1, 600000);
        // Fields of the other type stay unread, so finish() names them as unknown.
        if (type == TYPE_ROCKETMQ) {
          out.namespace = p.str("namespace", "");
          out.keyAsMessageGroup = p.bool("keyAsMessageGroup", false);
        } else {
          out.partitions = p.int("partitions", 0, 1, 1000000);
          out.acks = <i16>p.int("acks", -1, -1, 1);
          if (out.acks == 0) p.fail("acks", "0 is not allowed: the bridge answers only after the broker acknowledged (-1 or 1)");
          out.allowAutoTopicCreation = p.bool("allowAutoTopicCreation", true);
          out.idempotent = p.bool("idempotent", config.idempotent);
          const brokers = p.value("brokers");
          if (brokers != null && !brokers.isObject) p.fail("brokers", "expected object of node id -> cluster");
          else if (brokers != null) {
            const b = p.obj("brokers");
            for (let k = 0; k < brokers.length; k++) {
              const id = brokers.keyAt(k);
              const n = I32.parseInt(id);
              if (id.length == 0 || id.length > 10 || n < 0 || n.toString() != id) b.fail(id, "a broker is named by its node id (a number)");
              const cluster = b.requireStr(id);
              if (b.has(id) && cluster.length == 0) b.fail(id, "cluster must not be empty");
              out.brokerIds.push(n);
              out.brokerClusters.push(cluster);
            }
          }
          // Routing picks Kafka topics per record; the RocketMQ path sends to the path's topic.
          out.routes = readRoutes(p);
        }
        config.pubsubs.push(out);
      }
      if (map.length == 0) c.fail("pubsubs", "required: at least one pubsub");
    }
    if (c.has("rest")) {
      const rest = c.obj("rest");
      config.restPubsub = rest.requireStr("pubsub");
      const restTarget = config.pubsub(config.restPubsub);
      if (rest.has("pubsub") && restTarget == null) rest.fail("pubsub", "names no configured pubsub");
      else if (restTarget != null && restTarget.type != TYPE_KAFKA) rest.fail("pubsub", "the Kafka REST-style API needs a pubsub of type \"kafka\"");
    }
    if (c.has("metrics")) config.metricsMaxTopics = c.obj("metrics").int("maxTopics", config.metricsMaxTopics, 1, 100000);
    config.limits = readBridgeLimits(c, config.pubsubs);
    config.tracing = TracingConfig.read(c, "mqmesh-bridge");
    if (!c.finish()) config.error = c.summary;
    return config;
  }
}
