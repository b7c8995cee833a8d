// A three-broker KRaft cluster of its own (not the shared stack).
//
// Without address rewrite, one sidecar in front of broker 1 is not enough:
// Metadata sends clients straight to brokers 2 and 3 (the bypass test below).
// With the cluster sidecar (stack/kafka-cluster-sidecar.ts: one
// listener per broker, the kafka filter rewriting broker addresses by node
// id) clients only ever learn sidecar addresses. To prove nothing goes
// around Envoy, the brokers' MESH listener (the one Envoy forwards to)
// advertises names that do not resolve (*.invalid): a client that reached a
// broker by any address it was given other than a sidecar's would fail.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel, type Admin, type ITopicMetadata } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { LOOPBACK, kafkaTool, kcat, startKafka, startKafkaSidecar, freePort, type KafkaCluster, type Sidecar } from "./stack/index.ts";
import { startKafkaClusterSidecar, type ClusterSidecar } from "./stack/kafka-cluster-sidecar.ts";

// createTopics' own waitForLeaders can fail on a fresh cluster (a broker
// answers Metadata before it learned the topic: UNKNOWN_TOPIC_OR_PARTITION);
// poll until every partition has a leader instead.
// Creates the topic and returns its metadata once the broker asked shows a
// leader for every partition (brokers learn new topics from the quorum one
// by one, so a broker asked right after may not host it yet).
async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<ITopicMetadata> {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 3 }], waitForLeaders: false });
  let found: ITopicMetadata | undefined;
  await expect
    .poll(
      async () => {
        try {
          const md = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0];
          if (md.partitions.length === numPartitions && md.partitions.every((p) => p.leader >= 0)) found = md;
          return found !== undefined;
        } catch {
          return false;
        }
      },
      { message: `leaders for ${topic}`, timeout: 30_000, interval: 250 },
    )
    .toBe(true);
  return found!;
}

const unreachable = (nodeId: number) => ({ host: `broker-${nodeId}.mqmesh.invalid`, port: 9092 });

describe("three-broker Kafka cluster", () => {
  let cluster: KafkaCluster;
  let sidecar: Sidecar;
  let mesh: ClusterSidecar;

  beforeAll(async () => {
    const wasm = await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm" });
    const sidecarPort = await freePort();
    cluster = await startKafka({
      name: "kafka3",
      brokers: 3,
      heap: "384m",
      extraListeners: [
        // Broker 1's SIDECAR listener advertises the Envoy in front of it; brokers
        // 2 and 3 have no Envoy, so theirs advertise their own SIDECAR listener.
        { name: "SIDECAR", advertised: [{ host: LOOPBACK, port: sidecarPort }, { host: LOOPBACK, port: await freePort() }, { host: LOOPBACK, port: await freePort() }] },
        // Behind the cluster sidecar: advertised addresses nobody can reach.
        { name: "MESH", advertised: [1, 2, 3].map(unreachable) },
      ],
    });
    const b1 = cluster.brokers[0];
    [sidecar, mesh] = await Promise.all([
      startKafkaSidecar({ name: "envoy-kafka3", listenPort: sidecarPort, upstream: { host: b1.host, port: b1.listeners.SIDECAR } }),
      startKafkaClusterSidecar({
        name: "envoy-kafka3-cluster",
        wasm,
        brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, upstream: { host: b.host, port: b.listeners.MESH } })),
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([sidecar?.stop(), mesh?.stop()]);
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
      const md = await createTopic(admin, topic, 3);
      for (const p of md.partitions) expect(p.replicas.sort()).toEqual([1, 2, 3]);
      // Leaders are spread over the brokers: a client must reach each of them.
      expect(new Set(md.partitions.map((p) => p.leader)).size).toBeGreaterThan(1);

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

  it("without address rewrite, Metadata through a sidecar in front of broker 1 names the other brokers directly", async () => {
    const admin = new Kafka({ clientId: "mqmesh-cluster-sidecar", brokers: [sidecar.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const addrs = (await admin.describeCluster()).brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => `${b.host}:${b.port}`);
      expect(addrs[0]).toBe(sidecar.address);
      // Brokers 2 and 3 are advertised with their own addresses: traffic to
      // them bypasses Envoy. This is what the rewrite below exists for.
      expect(addrs.slice(1)).not.toContain(sidecar.address);
      expect(addrs).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  describe("behind the cluster sidecar (broker address rewrite)", () => {
    const topic = `mesh-${randomBytes(4).toString("hex")}`;
    const sidecars = () => mesh.listeners.map((l) => l.address);

    it("kcat -L through any one listener lists only sidecar addresses", async () => {
      for (const l of mesh.listeners) {
        const { stdout } = await kcat(["-b", l.address, "-L", "-J", "-m", "10"]);
        const md = JSON.parse(stdout) as { brokers: { id: number; name: string }[] };
        const seen = md.brokers.sort((a, b) => a.id - b.id).map((b) => `${b.id}=${b.name}`);
        expect(seen).toEqual(mesh.listeners.map((x) => `${x.nodeId}=${x.address}`));
      }
    });

    it("kafkajs creates a replication-3 topic, produces and consumes it in a group, knowing only sidecar addresses", async () => {
      // One bootstrap address is enough: the others are learned from rewritten Metadata.
      const kafka = new Kafka({ clientId: "mqmesh-mesh", brokers: [mesh.listeners[1].address], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const desc = await admin.describeCluster();
        expect(desc.brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => `${b.host}:${b.port}`)).toEqual(sidecars());
        await createTopic(admin, topic, 6);
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        for (const p of md.topics[0].partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
        // Every broker leads some partition: producing and fetching needs all three.
        expect(new Set(md.topics[0].partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));

        const producer = kafka.producer();
        await producer.connect();
        const messages = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
        await producer.send({ topic, acks: -1, messages });
        await producer.disconnect();

        // A consumer group: FindCoordinator (rewritten) sends it to the group coordinator's listener.
        const consumer = kafka.consumer({ groupId: `mesh-group-${randomBytes(3).toString("hex")}` });
        await consumer.connect();
        const got = new Set<string>();
        try {
          await consumer.subscribe({ topic, fromBeginning: true });
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`consumed ${got.size} of 300`)), 60_000);
            consumer
              .run({
                eachMessage: async ({ message }) => {
                  got.add(`${message.key}:${message.value}`);
                  if (got.size === 300) {
                    clearTimeout(timer);
                    resolve();
                  }
                },
              })
              .catch(reject);
          });
        } finally {
          await consumer.disconnect();
        }
        expect(got).toEqual(new Set(messages.map((m) => `${m.key}:${m.value}`)));
      } finally {
        await admin.disconnect();
      }
    });

    it("kcat produces and consumes the topic through one listener", async () => {
      const lines = Array.from({ length: 150 }, (_, i) => `kc${i}:w${i}-${randomBytes(4).toString("hex")}`);
      const bootstrap = mesh.listeners[2].address;
      await kcat(["-b", bootstrap, "-P", "-t", topic, "-K", ":", "-X", "topic.request.required.acks=-1"], { input: lines.join("\n") + "\n" });
      const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k:%s\\n"]);
      const got = stdout.trimEnd().split("\n").filter((l) => l.startsWith("kc"));
      expect(new Set(got)).toEqual(new Set(lines));
      expect(got).toHaveLength(lines.length);
    });

    it("Kafka's Java tools (DescribeCluster, current Produce/Fetch versions) work through one listener", async () => {
      const bootstrap = mesh.listeners[0].address;
      // The Java admin client asks DescribeCluster (kafkajs uses Metadata for that).
      const id = await kafkaTool("org.apache.kafka.tools.ClusterTool", ["cluster-id", "--bootstrap-server", bootstrap]);
      expect(id.stdout).toContain(cluster.clusterId);
      const lines = Array.from({ length: 100 }, (_, i) => `jk${i}\tjv${i}`);
      await kafkaTool(
        "org.apache.kafka.tools.ConsoleProducer",
        ["--bootstrap-server", bootstrap, "--topic", topic, "--producer-property", "acks=all", "--property", "parse.key=true", "--property", "key.separator=\t"],
        { input: lines.join("\n") + "\n" },
      );
      // Every record the topic holds, as the brokers count them: the earlier
      // producers' retries may have stored a record twice.
      const admin = new Kafka({ clientId: "mqmesh-cluster-count", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const stored = (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      await admin.disconnect();
      const { stdout } = await kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", [
        "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning", "--max-messages", String(stored),
        "--group", `mesh-java-${randomBytes(3).toString("hex")}`,
        "--property", "print.key=true", "--property", "key.separator=\t", "--timeout-ms", "60000",
      ]);
      const got = stdout.split("\n").filter((l) => l.startsWith("jk"));
      expect(new Set(got)).toEqual(new Set(lines));
    });

    it("every broker's listener carried connections; the filter rewrote and found no unknown broker", async () => {
      const perBroker = await mesh.connectionsPerBroker();
      for (const [nodeId, n] of perBroker) expect(n, `connections through broker ${nodeId}'s listener`).toBeGreaterThan(0);
      const stats = await mesh.envoy.stats("mqmesh_kafka_");
      const sum = (part: string) => [...stats].filter(([k]) => k.includes(part)).reduce((n, [, v]) => n + v, 0);
      expect(sum("rewritten_responses_total;api=Metadata")).toBeGreaterThan(0);
      expect(sum("rewritten_responses_total;api=FindCoordinator")).toBeGreaterThan(0);
      expect(sum("rewritten_responses_total;api=DescribeCluster")).toBeGreaterThan(0);
      expect(sum("unmapped_brokers_total")).toBe(0);
    });
  });
});
