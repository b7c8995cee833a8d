// mqmesh.yaml: a broken file is rejected with every problem named by its
// path; the example is valid; each filter's JSON produced from a policy is
// what that filter's README documents, and the filters themselves (their
// .wasm in the host emulator) accept what is produced from the example.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { filtersAccept } from "../../integration/cli/policy.ts";
import { bridgeFilterConfig, filterConfigs, kafkaFilterConfig, rocketmqFilterConfig, rocketmqGrpcFilterConfig } from "../../policy/filter-config.ts";
import { loadPolicy, parsePolicy, PolicyError } from "../../policy/policy.ts";

const EXAMPLE = new URL("../../examples/mqmesh.yaml", import.meta.url).pathname;

function problems(text: string): string[] {
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems;
    throw e;
  }
  return [];
}

describe("policy file validation", () => {
  it("accepts the commented example", () => {
    expect(() => loadPolicy(EXAMPLE)).not.toThrow();
  });

  it.each([
    ["kafka:\n  acl:\n    rules:\n      - {action: deny, topics: [a]}\n      - {action: deny, topics: [b]}\n      - {action: deny, topics: 7}\n", "kafka.acl.rules[2].topics: "],
    ["kafka:\n  acl:\n    rules:\n      - {action: block, topics: [a]}\n", "kafka.acl.rules[0].action: "],
    ["kafka:\n  acl:\n    rules:\n      - {action: deny, operations: [Write]}\n", "kafka.acl.rules[0]: a rule names the resources"],
    ["kafka:\n  acl:\n    rules:\n      - {action: deny, topics: [a], operations: [Write, frobnicate]}\n", "kafka.acl.rules[0].operations[1]: expected a Kafka operation"],
    ["kafka:\n  acl:\n    defaultActoin: deny\n", "kafka.acl.defaultActoin: unknown field"],
    ["kafka:\n  acl:\n    rules:\n      - {action: deny, topics: [a], principals: [nobody]}\n", 'kafka.acl.rules[0].principals[0]: "nobody" is not a principal'],
    ["kafka:\n  acl:\n    rules:\n      - {action: deny, topics: [a], principals: ['cidr:10.1.2.0/40']}\n", "kafka.acl.rules[0].principals[0]: cidr:10.1.2.0/40: the prefix length must be 0..32"],
    ["kafka:\n  quotas:\n    rules:\n      - {name: q, topics: [a]}\n", "kafka.quotas.rules[0]: a rule sets at least one of produceBytesPerSecond"],
    ["kafka:\n  quotas:\n    rules:\n      - {name: q, requestsPerSecond: 5, global: true}\n", "kafka.quotas.rules[0].global: a global limit needs the rateLimitService section"],
    ["kafka:\n  quotas:\n    rules:\n      - {name: q, requestsPerSecond: 5, per: connection}\n", "kafka.quotas.rules[0].per: "],
    ["rocketmq:\n  remoting:\n    acl:\n      rules:\n        - {action: deny, topics: [a], operations: [Publish]}\n", "rocketmq.remoting.acl.rules[0].operations[0]: expected a RocketMQ operation"],
    ["rocketmq:\n  grpc:\n    limits:\n      rules:\n        - {name: a, sendMessagesPerSecond: -1}\n", "rocketmq.grpc.limits.rules[0].sendMessagesPerSecond: "],
    ["rocketmq:\n  grpc:\n    tracing: {inject: sampled}\n", "rocketmq.grpc.tracing: needs the tracing section"],
    ["tracing: {collector: jaeger}\n", 'tracing.collector: expected "host:port"'],
    ["tracing: {collector: 'jaeger:4318', sampling: 2}\n", "tracing.sampling: "],
    ["bridge:\n  pubsubs:\n    orders: {type: kafka}\n", "bridge.pubsubs.orders.type: a kafka pubsub needs the kafka section"],
    ["kafka: {}\nbridge:\n  pubsubs:\n    orders: {type: kafka}\n  routes:\n    - {pubsub: audit, pattern: {}, topic: t}\n", 'bridge.routes[0].pubsub: no pubsub named "audit"'],
    ["kafka: {}\nbridge:\n  pubsubs:\n    orders: {type: kafka, cluster: x}\n", "bridge.pubsubs.orders.cluster: unknown field"],
    ["kafka:\n  acl: {}\n  acl: {}\n", "line 3, column 3: Map keys must be unique"],
  ])("rejects %j naming the path", (text, expected) => {
    const found = problems(text);
    expect(found.some((p) => p.startsWith(expected)), `expected a problem starting "${expected}", got:\n${found.join("\n")}`).toBe(true);
  });

  it("lists every problem of a file, not only the first", () => {
    const found = problems("kafka:\n  acl:\n    rules:\n      - {action: x, topics: [a]}\n      - {action: deny, topics: []}\nrocketmq: 5\n");
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual(["kafka.acl.rules[0].action", "kafka.acl.rules[1].topics", "rocketmq"]);
  });
});

describe("filter configuration produced from a policy", () => {
  const policy = parsePolicy(`
tracing: {collector: "otel.example:4318", sampling: 0.25, resource: {deployment.environment: dev}}
rateLimitService: {address: "ratelimit:8081", failureMode: closed}
kafka:
  brokers: [{nodeId: 1, address: "kafka-1:9092"}, {nodeId: 2, address: "kafka-2:9092"}]
  maxFrameBytes: 1048576
  acl: {defaultAction: deny, rules: [{action: allow, principals: ["client:orders-*"], topics: ["orders.*"], operations: [Write]}]}
  quotas: {rules: [{name: orders, topics: ["orders.*"], produceBytesPerSecond: 1000, global: true}]}
  tracing: {inject: always}
rocketmq:
  remoting: {routeRewrite: {}, limits: {rules: [{name: l, sendMessagesPerSecond: 5}]}}
  grpc: {acl: {rules: [{action: deny, topics: [x], operations: [Pub]}]}}
bridge:
  pubsubs: {orders: {type: kafka, acks: 1}, events: {type: rocketmq}}
  routes: [{pubsub: orders, pattern: {type: [a]}, topic: orders.a}]
`);
  const listeners = {
    kafkaBrokers: [{ nodeId: 1, address: "10.0.0.1:19092" }, { nodeId: 2, address: "10.0.0.1:19093" }],
    rocketmqRemoting: "10.0.0.1:18080",
    rocketmqGrpc: "10.0.0.1:18081",
    kafkaTunnels: { "1": "kafka_tunnel_1", "2": "kafka_tunnel_2" },
  };

  it("kafka: the section's own fields, broker addresses of the sidecar, tracing and the global limiter", () => {
    expect(kafkaFilterConfig(policy, listeners)).toEqual({
      maxFrameBytes: 1048576,
      acl: { defaultAction: "deny", rules: [{ action: "allow", principals: ["client:orders-*"], topics: ["orders.*"], operations: ["Write"] }] },
      quotas: { rules: [{ name: "orders", topics: ["orders.*"], produceBytesPerSecond: 1000, global: true }] },
      brokerAddresses: { "1": "10.0.0.1:19092", "2": "10.0.0.1:19093" },
      tracing: {
        inject: "always",
        sampling: 0.25,
        collector: { cluster: "mqmesh_otlp", authority: "otel.example:4318", path: "/v1/traces", timeoutMs: 5000 },
        serviceName: "mqmesh-kafka",
        resource: { "deployment.environment": "dev" },
      },
      rateLimitService: { cluster: "mqmesh_ratelimit", domain: "mqmesh", timeoutMs: 200, failureMode: "closed" },
    });
  });

  it("rocketmq: route answers name the sidecar's remoting listener; no global rule, no rate limit service", () => {
    const c = rocketmqFilterConfig(policy, listeners);
    expect(c.routeRewrite).toEqual({ address: "10.0.0.1:18080" });
    expect(c.limits).toEqual({ rules: [{ name: "l", sendMessagesPerSecond: 5 }] });
    expect(c).not.toHaveProperty("rateLimitService");
    expect((c.tracing as { inject: string }).inject).toBe("sampled");
  });

  it("rocketmq-grpc: endpoints are the sidecar's gRPC listener", () => {
    expect(rocketmqGrpcFilterConfig(policy, listeners).endpoints).toEqual({ host: "10.0.0.1", port: 18081 });
  });

  it("bridge: each pubsub gets the cluster of its broker, the per-broker tunnels, and its routing rules", () => {
    const c = bridgeFilterConfig(policy, listeners);
    expect(c.pubsubs).toEqual({
      orders: { type: "kafka", acks: 1, cluster: "kafka_tunnel", brokers: { "1": "kafka_tunnel_1", "2": "kafka_tunnel_2" }, routes: [{ pattern: { type: ["a"] }, topic: "orders.a" }] },
      events: { type: "rocketmq", cluster: "rocketmq_proxy_grpc" },
    });
  });

  it("without the shared sections, no filter gets tracing or a rate limit service", () => {
    const bare = parsePolicy("kafka: {acl: {rules: [{action: deny, topics: [a]}]}}\nrocketmq: {remoting: {}}\n");
    for (const c of Object.values(filterConfigs(bare))) {
      expect(c).not.toHaveProperty("tracing");
      expect(c).not.toHaveProperty("rateLimitService");
    }
  });

  it("the example's sections reach each filter unchanged, and every filter accepts its configuration", async () => {
    const example = loadPolicy(EXAMPLE);
    const raw = parse(readFileSync(EXAMPLE, "utf8"));
    const configs = filterConfigs(example);
    expect(configs.kafka.acl).toEqual(raw.kafka.acl);
    expect(configs.rocketmq.acl).toEqual(raw.rocketmq.remoting.acl);
    expect(configs["rocketmq-grpc"].acl).toEqual(raw.rocketmq.grpc.acl);
    const verdicts = await filtersAccept(example);
    expect(verdicts.map((v) => v.filter).sort()).toEqual(["http-mq-bridge", "kafka", "rocketmq", "rocketmq-grpc"]);
    for (const v of verdicts) expect(v.errors, v.filter).toEqual([]);
  });
});
