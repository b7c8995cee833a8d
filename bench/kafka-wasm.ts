// npm run bench:kafka-wasm — the kafka filter module's own work per produce
// request, outside Envoy: Node's V8 (the engine Envoy embeds, TurboFan once
// warm) runs the .wasm behind a host that does nothing but hand over bytes,
// so the time is the module's code plus the bare import calls. Compared in
// the same run with the do-nothing module of bench:kafka's case noop.
//
// The host is bench/wasm-host.ts. Why not only bench:kafka: Envoy's CPU per
// GiB mixes the module, the host calls and the network; this one isolates
// the module, with little noise (it counts CPU time, not wall time).
//
// Traffic: what Kafka's Java producer sends in bench:kafka — Produce v13
// (topic ids, flexible versions) with one batch of --records records of
// --record-size bytes to one partition, acks=-1, each answered by a Produce
// response, --chunk bytes per read.
//
//   npm run bench:kafka-wasm
//   npm run bench:kafka-wasm -- --module /tmp/old-kafka.wasm --requests 50000
//   npm run bench:kafka-wasm -- --acl-rewrite   (bench:kafka's case 4 configuration)
//   npm run bench:kafka-wasm -- --quota         (adds the filter with bench:kafka's case 3c quota)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { freshModule } from "../scripts/compile.ts";
import { intOption, machine } from "./support.ts";
import { compareModules } from "./wasm-host.ts";

const HELP = `usage: npm run bench:kafka-wasm -- [options]
  --requests N     produce requests per round and module (default 20000)
  --rounds N       rounds; the table shows the median (default 5)
  --records N      records per produce request (default 64)
  --record-size B  record value size (default 1024)
  --chunk B        bytes per read callback (default 65536)
  --module F       another kafka filter module to compare (repeatable), e.g. an older build
  --acl-rewrite    configure the filters with bench/kafka-acl-rewrite.json (ACL + broker rewrite)
  --quota          also run the kafka filter with a produce quota configured but not reached
`;

const { values: opt } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    records: { type: "string", default: "64" },
    "record-size": { type: "string", default: "1024" },
    chunk: { type: "string", default: "65536" },
    module: { type: "string", multiple: true, default: [] },
    "acl-rewrite": { type: "boolean", default: false },
    quota: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  process.exit(0);
}
const REQUESTS = intOption("requests", opt.requests!);
const ROUNDS = intOption("rounds", opt.rounds!);
const RECORDS = intOption("records", opt.records!);
const RECORD_SIZE = intOption("record-size", opt["record-size"]!, 0);
const CHUNK = intOption("chunk", opt.chunk!);

// ---- traffic ------------------------------------------------------------------

const require = createRequire(import.meta.url);
// kafkajs's record batch encoder (magic 2, CRC-32C): the same batch bytes a Java producer sends.
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");

const TOPIC_ID = Buffer.from("6d716d6573682d62656e63682d746f70", "hex");

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function sized(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function recordBatch(): Promise<Buffer> {
  const value = Buffer.alloc(RECORD_SIZE, 0x6d);
  const records = Array.from({ length: RECORDS }, (_, i) => Record({ offsetDelta: i, timestampDelta: 0, value }));
  return (await RecordBatch({ records, lastOffsetDelta: RECORDS - 1 })).buffer;
}

// Produce v13: header v2 (client id int16 string, tags), body with compact arrays and topic ids.
function produceRequest(correlationId: number, batch: Buffer): Buffer {
  const clientId = Buffer.from("producer-1");
  const head = Buffer.alloc(10);
  head.writeInt16BE(0, 0); // Produce
  head.writeInt16BE(13, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(clientId.length, 8);
  const acksTimeout = Buffer.alloc(6);
  acksTimeout.writeInt16BE(-1, 0);
  acksTimeout.writeInt32BE(30000, 2);
  return sized(Buffer.concat([
    head, clientId, uvarint(0), // header tags
    uvarint(0), acksTimeout, // null transactional id
    uvarint(2), TOPIC_ID, uvarint(2), Buffer.alloc(4), uvarint(batch.length + 1), batch, uvarint(0), uvarint(0),
    uvarint(0),
  ]));
}

function produceResponse(correlationId: number): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(correlationId);
  const partition = Buffer.alloc(4 + 2 + 8 + 8 + 8);
  partition.writeBigInt64BE(-1n, 14); // log append time
  return sized(Buffer.concat([
    head, uvarint(0),
    uvarint(2), TOPIC_ID, uvarint(2), partition, uvarint(1), uvarint(0), uvarint(0), uvarint(0),
    Buffer.alloc(4), uvarint(0),
  ]));
}

// ---- run ------------------------------------------------------------------------

// bench/kafka-acl-rewrite.json (bench:kafka's case 4) with its placeholders
// filled for this traffic: the topic is "bench-topic".
function aclRewriteConfig(): string {
  return readFileSync(new URL("./kafka-acl-rewrite.json", import.meta.url), "utf8")
    .replaceAll("${TOPIC_PREFIX}", "bench-")
    .replaceAll("${BROKER_ID}", "1")
    .replaceAll("${LISTEN_HOST}", "127.0.0.1")
    .replaceAll("${LISTEN_PORT}", "19092");
}

async function main(): Promise<void> {
  const config = opt["acl-rewrite"] ? aclRewriteConfig() : "{}";
  const modules: [string, string, string?][] = [
    ["no-op Wasm filter", await freshModule({ entry: "bench/wasm/noop.ts", out: "build/bench/noop.wasm", target: "release" })],
    [`kafka filter ${opt["acl-rewrite"] ? "ACL+rewrite" : "{}"}`, await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm", target: "release" })],
    ...(opt.module as string[]).map((m): [string, string] => [m, m]),
  ];
  if (opt.quota) modules.push(["kafka filter + quota not reached", modules[1][1], readFileSync(new URL("./kafka-quota.json", import.meta.url), "utf8")]);
  const batch = await recordBatch();
  const requests = Array.from({ length: 256 }, (_, i) => produceRequest(i + 1, batch));
  const responses = Array.from({ length: 256 }, (_, i) => produceResponse(i + 1));
  console.log(machine());
  console.log(`Produce v13, ${RECORDS} × ${RECORD_SIZE} B (${requests[0].length} B per request), reads of ${CHUNK} B, ${REQUESTS} requests × ${ROUNDS} rounds per module`);
  // Topic ids resolve to a name, as after the producer's Metadata.
  await compareModules(modules, requests, responses, { requests: REQUESTS, rounds: ROUNDS, chunk: CHUNK, config, sharedValue: "bench-topic" });
}

await main();
