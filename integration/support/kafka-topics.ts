// Topics for integration tests, made and read back with kafkajs against the
// broker itself: what a test expects to be stored is checked on the broker,
// never on a filter's own counters.
import { randomBytes } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";

/** A new topic "<prefix>-<random>" with its leaders elected. */
export async function createTopic(kafka: Kafka, prefix: string, partitions = 1): Promise<string> {
  const topic = `${prefix}-${randomBytes(4).toString("hex")}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

/** Every record of the topic up to its log end offsets now: exactly what the broker stored. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, o) => sum + BigInt(o.high), 0n);
  const out: KafkaMessage[] = [];
  if (total === 0n) return out;
  const consumer = kafka.consumer({ groupId: `g-${topic}-${randomBytes(3).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${total} records of ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          out.push(message);
          if (BigInt(out.length) >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
