// The HTTP-to-Kafka bridge in front of a 3-broker cluster: one tunnel per
// broker (listener and cluster kafka_tunnel_<node id>), the pubsub's
// "brokers" map naming them. Keyed publishes land on partitions led by
// different brokers, each Produce through its leader's tunnel; after the
// leader of a partition moves, the bridge's stale leader answers
// NOT_LEADER_OR_FOLLOWER, the bridge asks Metadata again and the publish
// still succeeds, stored once.
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "./stack/bridge.ts";
import { startKafka, type KafkaCluster } from "./stack/index.ts";

let cluster: KafkaCluster;
let bridge: Bridge;
let kafka: Kafka;
const TOPIC = `bridge-leaders-${Date.now().toString(36)}`;

beforeAll(async () => {
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  cluster = await startKafka({ name: "kafka3-bridge", brokers: 3, heap: "384m" });
  kafka = new Kafka({ clientId: "mqmesh-bridge-cluster-test", brokers: cluster.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const b1 = cluster.brokers[0];
  bridge = await startBridge({
    name: "envoy-bridge-cluster",
    upstream: { host: b1.host, port: b1.port },
    brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    wasm,
    // One worker: its metadata cache is the one the leader move makes stale.
    concurrency: 1,
    filterConfig: {
      pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel", brokers: Object.fromEntries(cluster.brokers.map((b) => [String(b.nodeId), `kafka_tunnel_${b.nodeId}`])) } },
      appId: "cluster-test",
    },
  });
}, 600_000);

afterAll(async () => {
  await bridge?.stop();
  await cluster?.stop();
});

const partitioner = Partitioners.JavaCompatiblePartitioner();
const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
const partitionOf = (key: string) => partitioner({ topic: TOPIC, partitionMetadata, message: { key, value: "" } });
/** A key that murmur2 places on `partition` of 3, with a given prefix. */
function keyFor(partition: number, prefix: string): string {
  for (let i = 0; ; i++) if (partitionOf(`${prefix}${i}`) === partition) return `${prefix}${i}`;
}

async function publish(key: string, value: string) {
  const res = await fetch(`${bridge.url}/v1.0/publish/kafka/${TOPIC}?metadata.rawPayload=true&metadata.partitionKey=${key}`, { method: "POST", body: value, headers: { "content-type": "text/plain" } });
  return { status: res.status, body: await res.text() };
}

async function leaders(): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return md.topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
  } finally {
    await admin.disconnect();
  }
}

async function tunnelCalls(): Promise<number[]> {
  const stats = await bridge.envoy.stats("upstream_rq_total");
  return [1, 2, 3].map((n) => stats.get(`cluster.kafka_tunnel_${n}.upstream_rq_total`) ?? 0);
}

async function readAll(count: number): Promise<{ key: string; value: string; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: `g-${TOPIC}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const out: { key: string; value: string; partition: number }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ key: message.key!.toString(), value: message.value!.toString(), partition });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await new Promise((r) => setTimeout(r, 1000)); // anything beyond `count` (a duplicate) arrives too
  await consumer.disconnect();
  return out;
}

describe("http-mq-bridge: several brokers", () => {
  it("produces each keyed record through its partition leader's tunnel; a moved leader is found again after NOT_LEADER_OR_FOLLOWER", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }, { partition: 2, replicas: [3, 1] }] }],
      waitForLeaders: true,
    });
    expect(await leaders()).toEqual([1, 2, 3]);

    const before = await tunnelCalls();
    const sent: { key: string; value: string; partition: number }[] = [];
    for (const partition of [0, 1, 2]) {
      for (let n = 0; n < 3; n++) {
        const key = keyFor(partition, `p${partition}-${n}-`);
        const value = `v-${key}`;
        const r = await publish(key, value);
        expect(r.status, r.body).toBe(204);
        sent.push({ key, value, partition });
      }
    }
    const after = await tunnelCalls();
    // Every broker's tunnel carried Produce requests (its partition's records).
    for (let i = 0; i < 3; i++) expect(after[i] - before[i], `kafka_tunnel_${i + 1}`).toBeGreaterThanOrEqual(3);

    // Partition 1 moves from broker 2 to broker 3; the bridge still believes broker 2 leads it.
    await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 1, replicas: [3] }] }] });
    await expect.poll(async () => (await leaders())[1], { message: "partition 1 led by broker 3", timeout: 60_000, interval: 500 }).toBe(3);
    await admin.disconnect();
    const moved0 = await tunnelCalls();
    const key = keyFor(1, "moved-");
    const r = await publish(key, "v-moved");
    expect(r.status, r.body).toBe(204);
    sent.push({ key, value: "v-moved", partition: 1 });
    const moved1 = await tunnelCalls();
    expect(moved1[1] - moved0[1], "the stale leader (broker 2) was asked first").toBeGreaterThanOrEqual(1);
    expect(moved1[2] - moved0[2], "then the new leader (broker 3)").toBeGreaterThanOrEqual(1);

    const stored = await readAll(sent.length);
    expect(stored.length, "nothing stored twice").toBe(sent.length);
    expect(stored.map((s) => `${s.partition}/${s.key}=${s.value}`).sort()).toEqual(sent.map((s) => `${s.partition}/${s.key}=${s.value}`).sort());
  }, 240_000);
});
