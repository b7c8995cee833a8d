// A three-broker KRaft cluster of its own (not the shared stack): the kit can
// run the multi-broker setups that broker address rewrite will need, and this
// shows why it is needed: through one sidecar in front of broker 1, Metadata
// still sends clients straight to brokers 2 and 3.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOOPBACK, startKafka, startKafkaSidecar, freePort, type KafkaCluster, type Sidecar } from "./stack/index.ts";

describe("three-broker Kafka cluster", () => {
  let cluster: KafkaCluster;
  let sidecar: Sidecar;

  beforeAll(async () => {
    const sidecarPort = await freePort();
    cluster = await startKafka({
      name: "kafka3",
      brokers: 3,
      heap: "384m",
      // Broker 1's SIDECAR listener advertises the Envoy in front of it; brokers
      // 2 and 3 have no Envoy, so theirs advertise their own SIDECAR listener.
      extraListeners: [{ name: "SIDECAR", advertised: [{ host: LOOPBACK, port: sidecarPort }, { host: LOOPBACK, port: await freePort() }, { host: LOOPBACK, port: await freePort() }] }],
    });
    const b1 = cluster.brokers[0];
    sidecar = await startKafkaSidecar({ name: "envoy-kafka3", listenPort: sidecarPort, upstream: { host: b1.host, port: b1.listeners.SIDECAR } });
  });
  afterAll(async () => {
    await sidecar?.stop();
    await cluster?.stop();
  });

  it("has three brokers in one quorum and replicates a topic to all of them", async () => {
    const kafka = new Kafka({ clientId: "mqmesh-cluster-test", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const desc = await admin.describeCluster();
      expect(desc.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      const topic = `rf3-${randomBytes(4).toString("hex")}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      for (const p of md.topics[0].partitions) expect(p.replicas.sort()).toEqual([1, 2, 3]);
      // Leaders are spread over the brokers: a client must reach each of them.
      expect(new Set(md.topics[0].partitions.map((p) => p.leader)).size).toBeGreaterThan(1);

      const producer = kafka.producer();
      await producer.connect();
      const messages = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      await producer.send({ topic, acks: -1, messages });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(300);
    } finally {
      await admin.disconnect();
    }
  });

  it("without address rewrite, Metadata through the sidecar names the other brokers directly", async () => {
    const admin = new Kafka({ clientId: "mqmesh-cluster-sidecar", brokers: [sidecar.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const addrs = (await admin.describeCluster()).brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => `${b.host}:${b.port}`);
      expect(addrs[0]).toBe(sidecar.address);
      // Brokers 2 and 3 are advertised with their own addresses: traffic to
      // them bypasses Envoy until the kafka filter rewrites Metadata.
      expect(addrs.slice(1)).not.toContain(sidecar.address);
      expect(addrs).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });
});
