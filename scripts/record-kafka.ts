// Records the bytes real Kafka clients and a real broker exchange, for the
// kafka filter's unit tests (test/recordings/kafka/*.json).
//
//   npx tsx scripts/record-kafka.ts                 # kafkajs and kcat
//   npx tsx scripts/record-kafka.ts api-versions    # the broker's ApiVersions v3 answer
//
// A recording proxy sits between the clients and the broker; the broker
// advertises the proxy's address, so every connection a client opens (the
// bootstrap one and the per-broker ones) is recorded. Each file holds the
// connections in order with their reads per direction as they arrived, and
// the ground truth the tests check the filter's metrics against.
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { kcat, LOOPBACK, startKafka, stopAll } from "../integration/stack/index.ts";
import { RecordingProxy, type RecordedChunk } from "./recording-proxy.ts";

export interface Recording {
  client: string;
  recordedWith: { kafka: string };
  truth: { topic: string; producedRecords: number; consumedRecords: number };
  connections: RecordedChunk[][];
}

/** One ApiVersions v3 exchange: which APIs and versions the broker serves. */
export interface ApiVersionsRecording {
  client: string;
  recordedWith: { kafka: string };
  connections: RecordedChunk[][];
}

const outDir = fileURLToPath(new URL("../test/recordings/kafka/", import.meta.url));
const CLIENT_ID = "mqmesh-recorder";

// An ApiVersions v3 request as a client sends it first on a connection:
// request header v2 (its client id keeps an int16 length), then the body's
// compact strings ClientSoftwareName and ClientSoftwareVersion, each part
// closed by an empty tagged-field section.
function apiVersionsRequest(correlationId: number, softwareVersion: string): Buffer {
  const compact = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
  const header = Buffer.alloc(10);
  header.writeInt16BE(18, 0);
  header.writeInt16BE(3, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(CLIENT_ID.length, 8);
  const body = Buffer.concat([header, Buffer.from(CLIENT_ID), Buffer.from([0]), compact("mqmesh"), compact(softwareVersion), Buffer.from([0])]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function recordApiVersions(proxyPort: number): Promise<void> {
  const socket = net.connect(proxyPort, LOOPBACK);
  await once(socket, "connect");
  const version = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version as string;
  socket.write(apiVersionsRequest(1, version));
  let got = Buffer.alloc(0);
  for await (const chunk of socket) {
    got = Buffer.concat([got, chunk as Buffer]);
    if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) break;
  }
  socket.destroy();
}

async function recordKafkajs(address: string, topic: string, count: number): Promise<Recording["truth"]> {
  const kafka = new Kafka({ clientId: "mqmesh-recorder", brokers: [address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = 0; i < count; i += 50) {
    const messages = Array.from({ length: Math.min(50, count - i) }, (_, j) => ({
      key: `key-${i + j}`,
      value: `value-${i + j}`,
      headers: { seq: String(i + j) },
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `recorder-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async () => {
        if (++consumed >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return { topic, producedRecords: count, consumedRecords: consumed };
}

async function recordKcat(address: string, topic: string, count: number): Promise<Recording["truth"]> {
  const lines = Array.from({ length: count }, (_, i) => `k${i}:v${i}`).join("\n") + "\n";
  await kcat(["-b", address, "-t", topic, "-P", "-K", ":"], { input: lines });
  const out = await kcat(["-b", address, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-c", String(count)]);
  const consumed = out.stdout.split("\n").filter((l) => l.length > 0).length;
  return { topic, producedRecords: count, consumedRecords: consumed };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  let brokerPort = 0;
  const proxy = new RecordingProxy(() => brokerPort);
  await proxy.listen();
  const kafka = await startKafka({
    extraListeners: [{ name: "RECORDED", advertised: [{ host: "127.0.0.1", port: proxy.port }] }],
  });
  brokerPort = kafka.brokers[0].listeners["RECORDED"];
  const address = proxy.address;
  try {
    if (process.argv.includes("api-versions")) {
      await recordApiVersions(proxy.port);
      await new Promise((r) => setTimeout(r, 200));
      const recording: ApiVersionsRecording = { client: `${CLIENT_ID} (ApiVersions v3)`, recordedWith: { kafka: kafka.version }, connections: proxy.take() };
      writeFileSync(`${outDir}api_versions.json`, JSON.stringify(recording, null, 1) + "\n");
      console.log(`recorded ApiVersions -> ${outDir}api_versions.json`);
      return;
    }
    const runs: [string, (a: string, t: string, n: number) => Promise<Recording["truth"]>][] = [
      ["kafkajs", recordKafkajs],
      ["kcat", recordKcat],
    ];
    for (const [client, run] of runs) {
      const truth = await run(address, `recorded-${client}`, 200);
      await new Promise((r) => setTimeout(r, 500));
      const recording: Recording = { client, recordedWith: { kafka: kafka.version }, truth, connections: proxy.take() };
      const file = `${outDir}${client}.json`;
      writeFileSync(file, JSON.stringify(recording, null, 1) + "\n");
      console.log(`recorded ${client}: ${recording.connections.length} connections -> ${file}`);
    }
  } finally {
    await proxy.close();
    await kafka.stop();
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
