// Records what the tests of the RocketMQ authorization map, the listing
// filters and the caller readers need from a real RocketMQ 5.x stack:
// administration and listing traffic (test/recordings/rocketmq/admin.json)
// and signed gRPC calls (test/recordings/rocketmq-grpc/signed.json).
// Remoting:
//   - mqadmin (the Java admin client of the RocketMQ jars) run against a
//     recording proxy in front of the name server, which rewrites broker
//     addresses so the broker calls go through a second recorder; mqadmin
//     signs every request (AccessKey in its header fields) with the
//     credentials of <rocketmq home>/conf/tools.yml, as a client configured
//     for RocketMQ's ACL does (the broker does not check them here);
//   - a Java producer and consumer (RemotingRoundTrip) on one topic, so the
//     group has topics and the topic has a group to list;
//   - listing requests mqadmin has no command for (topics by cluster, system
//     and unit topic lists, topics of a group), sent with the stack's small
//     remoting client through the same recorders, so their answers are what
//     the real name server and broker wrote.
// gRPC: rocketmq-client-nodejs's Producer with session credentials, which
// signs each call ("authorization" metadata), through an HTTP/2 recorder in
// front of the proxy.
//
//   npx tsx scripts/record-rocketmq-authorization.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPath } from "../integration/stack/cache.ts";
import { stopAll } from "../integration/stack/index.ts";
import { rocketmqAdmin, startRocketMQ } from "../integration/stack/rocketmq.ts";
import { remotingRoundTrip } from "../integration/stack/rocketmq-java.ts";
import { remotingRequest } from "../integration/stack/rocketmq-remoting.ts";
import { Producer } from "rocketmq-client-nodejs";
import { fileLogger } from "../integration/stack/client-logger.ts";
import { rewritingFrames } from "./record-rocketmq.ts";
import { RecordingH2Proxy, type GrpcRecording } from "./record-rocketmq-grpc.ts";
import { RecordingProxy, type RecordedChunk } from "./recording-proxy.ts";

export interface AdminRecording {
  recordedWith: { rocketmq: string; mode: string };
  truth: {
    cluster: string;
    topics: string[]; // created before recording; `deleted` is removed by mqadmin deleteTopic
    deleted: string;
    group: string;
    accessKey: string; // mqadmin's requests carry it
  };
  // Each step: what ran, and the connections it made (name server and broker recorders).
  steps: { what: string; connections: RecordedChunk[][] }[];
}

const out = fileURLToPath(new URL("../test/recordings/rocketmq/admin.json", import.meta.url));
const signedOut = fileURLToPath(new URL("../test/recordings/rocketmq-grpc/signed.json", import.meta.url));

// A producer that signs with `accessKey` sends `count` messages through a recorder.
async function recordSignedGrpc(proxyGrpc: string, topic: string, accessKey: string, count: number): Promise<GrpcRecording> {
  const recorder = new RecordingH2Proxy(proxyGrpc);
  await recorder.listen();
  try {
    const producer = new Producer({
      endpoints: recorder.address, namespace: "", topics: [topic], logger: fileLogger("record-grpc-signed"),
      sessionCredentials: { accessKey, accessSecret: "RecorderSecretKey" },
    });
    await producer.startup();
    try {
      for (let i = 0; i < count; i++) await producer.send({ topic, body: Buffer.from(`signed ${i}`) });
    } finally {
      await producer.shutdown();
    }
    await new Promise((r) => setTimeout(r, 500));
    return {
      client: "rocketmq-client-nodejs",
      recordedWith: { rocketmq: "", mode: "cluster" },
      truth: { topic, group: "", sentMessages: count, sentBytes: 0, receivedMessages: 0, ackedMessages: 0 },
      calls: recorder.take(),
    };
  } finally {
    await recorder.close();
  }
}

async function main(): Promise<void> {
  // The gRPC client leaves no error handler on its Telemetry stream; a stream
  // cut at shutdown must not end the recording.
  process.on("uncaughtException", (e) => console.error(`recorder: uncaught ${e.message}`));
  const rmq = await startRocketMQ({ name: "rocketmq-authorization-recorder", mode: "cluster" });
  const cluster = "DefaultCluster";
  const topics = ["rec-orders", "rec-secret", "rec-audit"];
  const group = "rec-group";
  const accessKey = "RecorderAccessKey";
  const port = (addr: string) => Number(addr.slice(addr.lastIndexOf(":") + 1));
  const broker = new RecordingProxy(port(rmq.brokerAddr));
  const namesrv = new RecordingProxy(port(rmq.namesrv), rewritingFrames(() => [[rmq.brokerAddr, broker.address]]));
  const recording: AdminRecording = {
    recordedWith: { rocketmq: rmq.version, mode: rmq.mode },
    truth: { cluster, topics, deleted: "rec-audit", group, accessKey },
    steps: [],
  };
  try {
    await broker.listen();
    await namesrv.listen();
    for (const t of topics) await rmq.createTopic(t, 2);
    // mqadmin reads its credentials from <rocketmq.home.dir>/conf/tools.yml,
    // and rocketmqAdmin points rocketmq.home.dir at this folder.
    const home = runPath("rocketmq-tools");
    mkdirSync(join(home, "conf"), { recursive: true });
    writeFileSync(join(home, "conf", "tools.yml"), `accessKey: ${accessKey}\nsecretKey: RecorderSecretKey\n`);
    const step = async (what: string, run: () => Promise<unknown>) => {
      await run();
      await new Promise((r) => setTimeout(r, 300));
      recording.steps.push({ what, connections: [...namesrv.take(), ...broker.take()] });
      console.log(`recorded ${what}`);
    };
    const admin = (args: string[]) => () => rocketmqAdmin([...args, "-n", namesrv.address], { name: `mqadmin-record-${args[0]}` });
    const ask = (addr: string, code: number, ext: Record<string, string> = {}) => () => remotingRequest(addr, code, ext);

    await step("mqadmin updateSubGroup", admin(["updateSubGroup", "-c", cluster, "-g", group]));
    await step("mqadmin sendMessage", admin(["sendMessage", "-t", "rec-orders", "-p", "recorded body"]));
    await step("Java producer and consumer", () => remotingRoundTrip(namesrv.address, "rec-orders", 5, group));
    await step("mqadmin topicList", admin(["topicList"]));
    await step("mqadmin topicList -c", admin(["topicList", "-c"]));
    await step("mqadmin topicStatus", admin(["topicStatus", "-t", "rec-orders"]));
    await step("mqadmin consumerProgress", admin(["consumerProgress", "-g", group]));
    await step("mqadmin deleteTopic", admin(["deleteTopic", "-t", "rec-audit", "-c", cluster]));
    await step("GET_TOPICS_BY_CLUSTER", ask(namesrv.address, 224, { cluster }));
    await step("GET_SYSTEM_TOPIC_LIST_FROM_NS", ask(namesrv.address, 304));
    await step("GET_UNIT_TOPIC_LIST", ask(namesrv.address, 311));
    await step("GET_HAS_UNIT_SUB_TOPIC_LIST", ask(namesrv.address, 312));
    await step("GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", ask(namesrv.address, 313));
    await step("GET_SYSTEM_TOPIC_LIST_FROM_BROKER", ask(broker.address, 305));
    await step("QUERY_TOPICS_BY_CONSUMER", ask(broker.address, 343, { group }));
    await step("QUERY_TOPIC_CONSUME_BY_WHO", ask(broker.address, 300, { topic: "rec-orders" }));
    writeFileSync(out, JSON.stringify(recording, null, 1) + "\n");
    console.log(`wrote ${out}: ${recording.steps.length} steps`);
    const signed = await recordSignedGrpc(rmq.proxyGrpc, "rec-orders", accessKey, 3);
    signed.recordedWith.rocketmq = rmq.version;
    writeFileSync(signedOut, JSON.stringify(signed, null, 1) + "\n");
    console.log(`wrote ${signedOut}: ${signed.calls.length} calls`);
  } finally {
    await namesrv.close();
    await broker.close();
    await rmq.stop();
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
