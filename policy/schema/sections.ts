// The sections of mqmesh.yaml, one per filter, each in the shape of that
// filter's JSON configuration (filters/<name>/README.md) plus where the
// sidecar listens and what it forwards to (used by `mqmesh render`; the kit
// picks its own addresses).
import { z } from "zod";
import {
  action, address, bucketFields, caseInsensitive, filterTracing, limitRules, listen, namePattern, namePatterns, principals, rate,
} from "./common.ts";

const int = z.number().int();

// ---- kafka ----------------------------------------------------------------

/** Kafka's ACL operations, and the filter's older names (produce = Write, consume = Read...). */
export const KAFKA_OPERATIONS = [
  "Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "DescribeConfigs", "AlterConfigs",
  "IdempotentWrite", "CreateTokens", "DescribeTokens", "*", "produce", "consume", "describe", "create", "delete",
] as const;

const kafkaAclRule = z
  .strictObject({
    action,
    principals: principals.optional(),
    topics: namePatterns.optional(),
    groups: namePatterns.optional(),
    transactionalIds: namePatterns.optional(),
    cluster: z.boolean().optional(),
    operations: z.array(caseInsensitive(KAFKA_OPERATIONS, "a Kafka operation")).min(1).optional(),
  })
  .refine((r) => r.topics || r.groups || r.transactionalIds || r.cluster, {
    message: "a rule names the resources it applies to: topics, groups, transactionalIds or cluster: true",
  });

const kafkaApiName = z.string().regex(/^[A-Z][A-Za-z]+$/, "a Kafka API name as Kafka spells it (Produce, DeleteTopics, …)");

export const kafkaAcl = z.strictObject({
  defaultAction: action.optional(),
  rules: z.array(kafkaAclRule).optional(),
  allowApis: z.array(kafkaApiName).optional(),
  denyApis: z.array(kafkaApiName).optional(),
});

export const KAFKA_RATES = ["produceBytesPerSecond", "fetchBytesPerSecond", "requestsPerSecond", "partitionMutationsPerSecond"] as const;

const kafkaQuotaRule = z.strictObject({
  ...bucketFields,
  topics: namePatterns.optional(),
  produceBytesPerSecond: rate.optional(),
  fetchBytesPerSecond: rate.optional(),
  requestsPerSecond: rate.optional(),
  partitionMutationsPerSecond: rate.optional(),
});

const kafkaBroker = z.strictObject({
  nodeId: int.min(0),
  /** The broker's own address, where the sidecar forwards. */
  address,
  /** The sidecar's listener for this broker (render only). */
  listen: listen.optional(),
});

export const kafka = z.strictObject({
  brokers: z.array(kafkaBroker).min(1).optional(),
  onUnknown: z.enum(["pass", "close"]).optional(),
  maxFrameBytes: int.optional(),
  acl: kafkaAcl.optional(),
  quotas: z.strictObject({ maxKeys: int.positive().optional(), rules: limitRules(kafkaQuotaRule, KAFKA_RATES) }).optional(),
  tracing: filterTracing.optional(),
  metrics: z
    .strictObject({ perTopic: z.boolean(), maxTopics: int, perClientId: z.boolean(), maxClientIds: int, flushIntervalMs: int })
    .partial()
    .optional(),
});

// ---- rocketmq ---------------------------------------------------------------

/** RocketMQ ACL 2.0 actions, and the filters' older names (send = Pub, consume/receive = Sub...). */
export const ROCKETMQ_OPERATIONS = ["Pub", "Sub", "Create", "Update", "Delete", "Get", "List", "*", "send", "consume", "route"] as const;
/** The gRPC filter also names its acks and receives. */
export const ROCKETMQ_GRPC_OPERATIONS = [...ROCKETMQ_OPERATIONS, "receive", "ack"] as const;

function rocketmqAcl(operations: readonly string[]) {
  const rule = z
    .strictObject({
      action,
      principals: principals.optional(),
      topics: namePatterns.optional(),
      groups: namePatterns.optional(),
      cluster: z.boolean().optional(),
      operations: z.array(caseInsensitive(operations, "a RocketMQ operation")).min(1).optional(),
    })
    .refine((r) => r.topics || r.groups || r.cluster, { message: "a rule names the resources it applies to: topics, groups or cluster: true" });
  return z.strictObject({ defaultAction: action.optional(), rules: z.array(rule).optional() });
}

export const ROCKETMQ_RATES = ["sendMessagesPerSecond", "sendBytesPerSecond", "pullMessagesPerSecond"] as const;

const rocketmqLimits = z.strictObject({
  rules: limitRules(
    z.strictObject({
      ...bucketFields,
      topics: namePatterns.optional(),
      groups: namePatterns.optional(),
      sendMessagesPerSecond: rate.optional(),
      sendBytesPerSecond: rate.optional(),
      pullMessagesPerSecond: rate.optional(),
    }),
    ROCKETMQ_RATES,
  ),
});

/** A RocketMQ server the sidecar forwards to, and the sidecar's listener for it. */
const upstream = z.strictObject({ address, listen: listen.optional() });

export const rocketmq = z.strictObject({
  /** The name server, and the RocketMQ 5 proxy's remoting and gRPC ports (render only). */
  namesrv: upstream.optional(),
  proxy: z.strictObject({ remoting: upstream.optional(), grpc: upstream.optional() }).optional(),
  remoting: z
    .strictObject({
      onUnknown: z.enum(["pass", "close"]).optional(),
      maxFrameBytes: int.optional(),
      maxInflight: int.optional(),
      acl: rocketmqAcl(ROCKETMQ_OPERATIONS).optional(),
      limits: rocketmqLimits.optional(),
      // Route answers name the sidecar; the address defaults to the sidecar's remoting listener.
      routeRewrite: z.strictObject({ address: address.optional() }).optional(),
      tracing: filterTracing.optional(),
      metrics: z
        .strictObject({ perTopic: z.boolean(), maxTopics: int, perGroup: z.boolean(), maxGroups: int, perClient: z.boolean(), maxClients: int })
        .partial()
        .optional(),
    })
    .optional(),
  grpc: z
    .strictObject({
      maxMessageBytes: int.optional(),
      acl: rocketmqAcl(ROCKETMQ_GRPC_OPERATIONS).optional(),
      limits: rocketmqLimits.optional(),
      // Route and assignment answers name the sidecar; defaults to the sidecar's gRPC listener.
      endpoints: z.strictObject({ host: z.string().min(1), port: int.min(1).max(65535) }).optional(),
      tracing: filterTracing.optional(),
      metrics: z.strictObject({ perTopic: z.boolean(), maxTopics: int, maxGroups: int }).partial().optional(),
    })
    .optional(),
});

// ---- bridge -------------------------------------------------------------------

const kafkaPubsub = z.strictObject({
  type: z.literal("kafka"),
  partitions: int.optional(),
  acks: z.union([z.literal(-1), z.literal(1)]).optional(),
  timeoutMs: int.optional(),
  allowAutoTopicCreation: z.boolean().optional(),
  idempotent: z.boolean().optional(),
});

const rocketmqPubsub = z.strictObject({
  type: z.literal("rocketmq"),
  namespace: z.string().optional(),
  timeoutMs: int.optional(),
  keyAsMessageGroup: z.boolean().optional(),
});

export const BRIDGE_RATES = ["requestsPerSecond", "messagesPerSecond", "bytesPerSecond"] as const;

export const bridge = z.strictObject({
  listen: listen.optional(),
  /** Pubsub name → the broker it publishes to: the mesh's Kafka or RocketMQ (from the kafka/rocketmq sections). */
  pubsubs: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "a pubsub name: letters, digits, '_', '.', '-'"), z.discriminatedUnion("type", [kafkaPubsub, rocketmqPubsub])),
  /** Routing rules, first match per pubsub wins (filters/http-mq-bridge/README.md, "Routing rules"). */
  routes: z.array(z.strictObject({ pubsub: z.string(), pattern: z.record(z.string(), z.unknown()), topic: namePattern })).optional(),
  rest: z.strictObject({ pubsub: z.string() }).optional(),
  limits: z
    .strictObject({
      rules: limitRules(
        z.strictObject({
          ...bucketFields,
          pubsubs: z.array(z.string()).min(1).optional(),
          topics: namePatterns.optional(),
          requestsPerSecond: rate.optional(),
          messagesPerSecond: rate.optional(),
          bytesPerSecond: rate.optional(),
        }),
        BRIDGE_RATES,
      ),
    })
    .optional(),
  tracing: filterTracing.optional(),
  maxBodyBytes: int.optional(),
  timeoutMs: int.optional(),
  appId: z.string().optional(),
  clientId: z.string().optional(),
  idempotent: z.boolean().optional(),
  metrics: z.strictObject({ maxTopics: int }).partial().optional(),
});
