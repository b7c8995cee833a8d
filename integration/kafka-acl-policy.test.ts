// The Kafka ACL cannot be walked around, through real Envoy and a real
// broker: hand-built admin requests on a denied topic or group change nothing on the
// broker (checked with kafkajs straight against the broker), Kafka's own Java
// admin tools get authorization errors, a KIP-848 consumer works on an allowed
// topic and group and is refused on a denied one, and with mTLS two kcat
// clients with different SPIFFE ids get different rights to one topic.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, kafkaTool, kafkaWasmPath, kcat, startKafkaSidecar, type Sidecar } from "./stack/index.ts";
import { SCHEMAS, type Value, decodeResponseFrame, fill, requestFrame } from "../test/kafka/wire.ts";

const bootstrap = inject("kafkaBootstrap");
const tag = randomBytes(3).toString("hex");
const secret = `secret-${tag}`;
const open = `open-${tag}`;
const ORDERS = "spiffe://cluster.local/ns/shop/sa/orders";
const BILLING = "spiffe://cluster.local/ns/shop/sa/billing";
const direct = new Kafka({ clientId: "acl-policy-check", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
const admin = direct.admin();
let sidecar: Sidecar;
let tlsSidecar: Sidecar;
let certs: string;

async function sidecarFor(acl: object, tls?: { certChain: string; privateKey: string; clientCa: string }): Promise<Sidecar> {
  const [host, port] = bootstrap.split(",")[0].split(":");
  const md = JSON.parse((await kcat(["-b", bootstrap, "-L", "-J", "-m", "10"])).stdout) as { brokers: { id: number }[] };
  const listenPort = await freePort();
  return startKafkaSidecar({
    name: `envoy-kafka-acl-policy${tls ? "-tls" : ""}`, listenPort, upstream: { host, port: Number(port) }, wasm: await kafkaWasmPath(), tls,
    filterConfig: { brokerAddresses: Object.fromEntries(md.brokers.map((b) => [String(b.id), `127.0.0.1:${listenPort}`])), acl },
  });
}

// A CA, a server certificate and client certificates with SPIFFE URI SANs.
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=mqmesh test CA");
  const issue = (name: string, subject: string, san: string) => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", `${name}.ext`);
  };
  issue("server", "/CN=localhost", "IP:127.0.0.1,DNS:localhost");
  issue("orders", "/CN=orders", `URI:${ORDERS}`);
  issue("billing", "/CN=billing", `URI:${BILLING}`);
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [secret, open].map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })), waitForLeaders: true });
  const producer = direct.producer();
  await producer.connect();
  await producer.send({ topic: secret, messages: Array.from({ length: 20 }, (_, i) => ({ value: `s${i}`, partition: 0 })) });
  await producer.send({ topic: open, messages: Array.from({ length: 3 }, (_, i) => ({ value: `o${i}`, partition: 0 })) });
  await producer.disconnect();
  sidecar = await sidecarFor({ rules: [{ action: "deny", topics: ["secret-*"], groups: ["g-secret-*"] }] });
  certs = mkdtempSync(join(tmpdir(), "mqmesh-mtls-"));
  makeCertificates(certs);
  tlsSidecar = await sidecarFor(
    { rules: [{ action: "allow", principals: [ORDERS], topics: [secret] }, { action: "deny", topics: [secret] }] },
    { certChain: join(certs, "server.crt"), privateKey: join(certs, "server.key"), clientCa: join(certs, "ca.crt") },
  );
}, 180_000);

afterAll(async () => {
  await admin.disconnect();
  await sidecar?.stop();
  await tlsSidecar?.stop();
  if (certs) rmSync(certs, { recursive: true, force: true });
});

// One request over a fresh connection to the sidecar, and its answer.
async function exchange(api: string, v: number, body: Value): Promise<Record<string, unknown>> {
  const frame = requestFrame(api, v, fill(SCHEMAS[api][api + "Request"].fields, v, body), 7, "hand-built");
  const socket: Socket = connect(sidecar.port, sidecar.host);
  const chunks: Buffer[] = [];
  const answer = await new Promise<Buffer>((resolve, reject) => {
    socket.on("data", (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) resolve(all.subarray(0, 4 + all.readInt32BE(0)));
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`${api}: connection closed without an answer`)));
    socket.write(frame);
  });
  socket.destroy();
  return decodeResponseFrame(api, v, answer).body;
}

describe("hand-built requests on a denied topic", () => {
  it("DescribeTopicPartitions v0 describes nothing", async () => {
    const r = await exchange("DescribeTopicPartitions", 0, { Topics: [{ Name: secret }], ResponsePartitionLimit: 100, Cursor: null });
    expect(r.Topics).toEqual([expect.objectContaining({ Name: secret, ErrorCode: 29, Partitions: [] })]);
  });

  it("CreatePartitions v3, IncrementalAlterConfigs v1 and DeleteRecords v2 change nothing on the broker", async () => {
    const grow = await exchange("CreatePartitions", 3, { Topics: [{ Name: secret, Count: 4, Assignments: null }], TimeoutMs: 5000, ValidateOnly: false });
    expect(grow.Results).toEqual([expect.objectContaining({ Name: secret, ErrorCode: 29 })]);
    const alter = await exchange("IncrementalAlterConfigs", 1, {
      Resources: [{ ResourceType: 2, ResourceName: secret, Configs: [{ Name: "retention.ms", ConfigOperation: 0, Value: "1000" }] }], ValidateOnly: false,
    });
    expect(alter.Responses).toEqual([expect.objectContaining({ ResourceName: secret, ErrorCode: 29 })]);
    const cut = await exchange("DeleteRecords", 2, { Topics: [{ Name: secret, Partitions: [{ PartitionIndex: 0, Offset: 10n }] }], TimeoutMs: 5000 });
    expect(JSON.stringify(cut, (_, x) => (typeof x === "bigint" ? String(x) : x))).toContain('"ErrorCode":29');
    // The broker, asked directly.
    const md = await admin.fetchTopicMetadata({ topics: [secret] });
    expect(md.topics[0].partitions).toHaveLength(2);
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: secret, configNames: ["retention.ms"] }], includeSynonyms: false });
    expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: "retention.ms", isDefault: true });
    const offsets = await admin.fetchTopicOffsets(secret);
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: "0", high: "20" });
  });
});

describe("the other admin APIs naming a denied topic or group", () => {
  it("DeleteTopics, CreateTopics, AlterConfigs, OffsetCommit and DeleteGroups are refused and change nothing", async () => {
    const fresh = `secret-new-${tag}`;
    const deniedGroup = `g-secret-${tag}`;
    const drop = await exchange("DeleteTopics", 6, { Topics: [{ Name: secret }], TimeoutMs: 5000 });
    expect(drop.Responses).toEqual([expect.objectContaining({ Name: secret, ErrorCode: 29 })]);
    const create = await exchange("CreateTopics", 7, { Topics: [{ Name: fresh, NumPartitions: 1, ReplicationFactor: 1 }], timeoutMs: 5000 });
    expect(create.Topics).toEqual([expect.objectContaining({ Name: fresh, ErrorCode: 29 })]);
    const alter = await exchange("AlterConfigs", 2, { Resources: [{ ResourceType: 2, ResourceName: secret, Configs: [{ Name: "retention.ms", Value: "1000" }] }] });
    expect(alter.Responses).toEqual([expect.objectContaining({ ResourceName: secret, ErrorCode: 29 })]);
    const commit = await exchange("OffsetCommit", 8, {
      GroupId: deniedGroup, GenerationIdOrMemberEpoch: -1, MemberId: "", GroupInstanceId: null,
      Topics: [{ Name: open, Partitions: [{ PartitionIndex: 0, CommittedOffset: 2n, CommittedLeaderEpoch: -1, CommittedMetadata: null }] }],
    });
    expect(JSON.stringify(commit, (_, x) => (typeof x === "bigint" ? String(x) : x))).toContain('"ErrorCode":30');
    const groups = await exchange("DeleteGroups", 2, { GroupsNames: [deniedGroup] });
    expect(groups.Results).toEqual([expect.objectContaining({ GroupId: deniedGroup, ErrorCode: 30 })]);
    // The broker, asked directly: the topic is there with its config, the new one is not, the group committed nothing.
    const topics = await admin.listTopics();
    expect(topics).toContain(secret);
    expect(topics).not.toContain(fresh);
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: secret, configNames: ["retention.ms"] }], includeSynonyms: false });
    expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: "retention.ms", isDefault: true });
    // A commit that reached the broker would have created the group (a simple group with offsets).
    const { groups: listed } = await admin.listGroups();
    expect(listed.map((g) => g.groupId)).not.toContain(deniedGroup);
  });
});

describe("Kafka's Java tools", () => {
  const fails = (p: Promise<{ stdout: string; stderr: string }>) => p.then((r) => `${r.stdout}${r.stderr}`, (e: Error) => e.message);

  it("kafka-topics, kafka-configs, kafka-delete-records and kafka-consumer-groups are refused on denied resources, work on allowed ones", async () => {
    const described = await kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", sidecar.address, "--describe", "--topic", open]);
    expect(described.stdout).toMatch(/PartitionCount:\s*2/);
    // kafka-topics lists the topics first; one the caller may not describe
    // is not listed, as a broker's authorizer answers: "does not exist".
    expect(await fails(kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", sidecar.address, "--describe", "--topic", secret])))
      .toMatch(/Topic '[^']+' does not exist/);
    expect(await fails(kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", sidecar.address, "--alter", "--topic", secret, "--partitions", "4"])))
      .toMatch(/authoriz|does not exist/i);
    expect(await fails(kafkaTool("kafka.admin.ConfigCommand", [
      "--bootstrap-server", sidecar.address, "--alter", "--entity-type", "topics", "--entity-name", secret, "--add-config", "retention.ms=1000",
    ]))).toMatch(/authoriz/i);
    const offsetsFile = join(certs, "delete.json");
    writeFileSync(offsetsFile, JSON.stringify({ version: 1, partitions: [{ topic: secret, partition: 0, offset: 10 }] }));
    expect(await fails(kafkaTool("org.apache.kafka.tools.DeleteRecordsCommand", ["--bootstrap-server", sidecar.address, "--offset-json-file", offsetsFile])))
      .toMatch(/authoriz/i);
    expect((await admin.fetchTopicOffsets(secret)).find((o) => o.partition === 0)).toMatchObject({ low: "0" });
    expect((await admin.fetchTopicMetadata({ topics: [secret] })).topics[0].partitions).toHaveLength(2);
    expect(await fails(kafkaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", [
      "--bootstrap-server", sidecar.address, "--delete", "--group", `g-secret-${tag}`,
    ]))).toMatch(/authoriz/i);
  }, 120_000);

  it("a KIP-848 consumer (group.protocol=consumer) reads an allowed topic and is refused a denied one", async () => {
    const consume = (topic: string, group: string) =>
      kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", [
        "--bootstrap-server", sidecar.address, "--topic", topic, "--group", group, "--from-beginning", "--max-messages", "3",
        "--timeout-ms", "30000", "--consumer-property", "group.protocol=consumer",
      ]);
    expect((await consume(open, `g-open-${tag}`)).stdout.trim().split("\n")).toEqual(["o0", "o1", "o2"]);
    expect(await fails(consume(secret, `g-open-${tag}-2`))).toMatch(/authoriz/i);
    expect(await fails(consume(open, `g-secret-${tag}`))).toMatch(/authoriz/i);
  }, 120_000);
});

describe("mTLS: the rule keyed on a SPIFFE id", () => {
  const as = (who: string) => [
    "-b", tlsSidecar.address, "-X", "security.protocol=ssl", "-X", `ssl.ca.location=${join(certs, "ca.crt")}`,
    "-X", `ssl.certificate.location=${join(certs, `${who}.crt`)}`, "-X", `ssl.key.location=${join(certs, `${who}.key`)}`,
  ];

  it("lets the orders workload produce to the topic and refuses billing", async () => {
    await kcat([...as("orders"), "-P", "-t", secret, "-p", "1", "-X", "topic.request.required.acks=-1"], { input: "from-orders\n" });
    const billing = await kcat([...as("billing"), "-P", "-t", secret, "-p", "1", "-X", "topic.request.required.acks=-1", "-m", "15"], { input: "from-billing\n" })
      .then((r) => `${r.stdout}${r.stderr}`, (e: Error) => e.message);
    expect(billing).toMatch(/authoriz/i);
    const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", secret, "-p", "1", "-o", "beginning", "-e", "-q", "-m", "20"]);
    expect(stdout.trim().split("\n")).toEqual(["from-orders"]);
  }, 60_000);
});
