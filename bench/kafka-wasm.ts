// npm run bench:kafka-wasm — the kafka filter module's own work per produce
// request, outside Envoy: Node's V8 (the engine Envoy embeds, TurboFan once
// warm) runs the .wasm behind a host that does nothing but hand over bytes,
// so the time is the module's code plus the bare import calls. Compared in
// the same run with the do-nothing module of bench:kafka's case noop.
//
// Why not the test emulator (test/host): it checks every call and keeps every
// forwarded byte, which costs far more per request than the module itself.
// Why not only bench:kafka: Envoy's CPU per GiB mixes the module, the host
// calls and the network; this one isolates the module, with little noise.
//
// Traffic: what Kafka's Java producer sends in bench:kafka — Produce v13
// (topic ids, flexible versions) with one batch of --records records of
// --record-size bytes to one partition, acks=-1, each answered by a Produce
// response, --chunk bytes per read.
//
//   npm run bench:kafka-wasm
//   npm run bench:kafka-wasm -- --module /tmp/old-kafka.wasm --requests 50000
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { freshModule } from "../scripts/compile.ts";
import { intOption, machine, median, table } from "./support.ts";

const HELP = `usage: npm run bench:kafka-wasm -- [options]
  --requests N     produce requests per round and module (default 20000)
  --rounds N       rounds; the table shows the median (default 5)
  --records N      records per produce request (default 64)
  --record-size B  record value size (default 1024)
  --chunk B        bytes per read callback (default 65536)
  --module F       another kafka filter module to compare (repeatable), e.g. an older build
`;

const { values: opt } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    records: { type: "string", default: "64" },
    "record-size": { type: "string", default: "1024" },
    chunk: { type: "string", default: "65536" },
    module: { type: "string", multiple: true, default: [] },
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

// ---- the host ---------------------------------------------------------------------

const OK = 0;
const NOT_FOUND = 1;

class BareHost {
  private exports!: Record<string, (...args: number[]) => number>;
  private memory!: WebAssembly.Memory;
  private data: Buffer = Buffer.alloc(0);
  private clock = 1_000_000_000n;
  private nextMetric = 1;
  private nextContext = 2;
  hostCalls = 0;

  static async load(path: string): Promise<BareHost> {
    const host = new BareHost();
    const module = await WebAssembly.compile(readFileSync(path));
    const imports: Record<string, Record<string, unknown>> = {};
    for (const i of WebAssembly.Module.imports(module)) {
      imports[i.module] ??= {};
      imports[i.module][i.name] = host.importFor(i.module, i.name);
    }
    const instance = await WebAssembly.instantiate(module, imports as WebAssembly.Imports);
    host.exports = instance.exports as unknown as Record<string, (...args: number[]) => number>;
    host.memory = instance.exports.memory as WebAssembly.Memory;
    host.exports._initialize?.();
    host.exports.proxy_on_context_create(1, 0);
    host.data = Buffer.from("{}");
    if (host.exports.proxy_on_configure(1, host.data.length) !== 1) throw new Error(`${path}: refused the configuration {}`);
    return host;
  }

  newConnection(): number {
    const id = this.nextContext++;
    this.exports.proxy_on_context_create(id, 1);
    this.exports.proxy_on_new_connection(id);
    return id;
  }

  closeConnection(id: number): void {
    this.exports.proxy_on_downstream_connection_close(id, 1);
    this.exports.proxy_on_done(id);
    this.exports.proxy_on_delete(id);
  }

  downstream(id: number, bytes: Buffer): void {
    this.data = bytes;
    this.exports.proxy_on_downstream_data(id, bytes.length, 0);
  }

  upstream(id: number, bytes: Buffer): void {
    this.data = bytes;
    this.exports.proxy_on_upstream_data(id, bytes.length, 0);
  }

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  // Host-to-module copies go through proxy_on_memory_allocate, as in Envoy.
  private give(bytes: Uint8Array, ptrPtr: number, sizePtr: number): void {
    const ptr = this.exports.proxy_on_memory_allocate(bytes.length);
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    this.view().setUint32(ptrPtr, ptr, true);
    this.view().setUint32(sizePtr, bytes.length, true);
  }

  private importFor(module: string, name: string): (...args: number[]) => number {
    if (module !== "env") return name === "clock_time_get" ? (_id, _precision, ptr) => (this.view().setBigUint64(ptr, this.clock, true), OK) : () => OK;
    switch (name) {
      case "proxy_get_log_level":
        return (ptr) => (this.view().setUint32(ptr, 2, true), OK);
      case "proxy_get_buffer_bytes":
        return (_type, start, length, ptrPtr, sizePtr) => {
          this.hostCalls++;
          this.give(this.data.subarray(start, start + length), ptrPtr, sizePtr);
          return OK;
        };
      case "proxy_define_metric":
        return (_type, _name, _nameSize, idPtr) => (this.view().setUint32(idPtr, this.nextMetric++, true), OK);
      case "proxy_increment_metric":
      case "proxy_record_metric":
        return () => (this.hostCalls++, OK);
      case "proxy_get_current_time_nanoseconds":
        return (ptr) => {
          this.hostCalls++;
          this.clock += 1000n;
          this.view().setBigUint64(ptr, this.clock, true);
          return OK;
        };
      // Topic ids resolve to a name, as after the producer's Metadata.
      case "proxy_get_shared_data":
        return (_key, _keySize, ptrPtr, sizePtr, casPtr) => {
          this.hostCalls++;
          this.give(Buffer.from("bench-topic"), ptrPtr, sizePtr);
          this.view().setUint32(casPtr, 1, true);
          return OK;
        };
      case "proxy_get_property":
        return () => NOT_FOUND;
      default:
        return () => OK;
    }
  }
}

// ---- run ------------------------------------------------------------------------

interface Figures {
  usPerRequest: number;
  hostCallsPerRequest: number;
}

async function round(path: string, requests: Buffer[], responses: Buffer[], count: number): Promise<Figures> {
  const host = await BareHost.load(path);
  let connection = host.newConnection();
  // CPU time of this process rather than wall time: other work on the
  // machine delays the run but does not add to it.
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const k = i % requests.length;
    if (k === 0 && i > 0) {
      host.closeConnection(connection);
      connection = host.newConnection();
    }
    const frame = requests[k];
    for (let at = 0; at < frame.length; at += CHUNK) host.downstream(connection, frame.subarray(at, at + CHUNK));
    host.upstream(connection, responses[k]);
  }
  const used = process.cpuUsage(start);
  const elapsed = used.user + used.system;
  return { usPerRequest: elapsed / count, hostCallsPerRequest: host.hostCalls / count };
}

async function main(): Promise<void> {
  const modules: [string, string][] = [
    ["no-op Wasm filter", await freshModule({ entry: "bench/wasm/noop.ts", out: "build/bench/noop.wasm", target: "release" })],
    ["kafka filter {}", await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm", target: "release" })],
    ...(opt.module as string[]).map((m): [string, string] => [m, m]),
  ];
  const batch = await recordBatch();
  const requests = Array.from({ length: 256 }, (_, i) => produceRequest(i + 1, batch));
  const responses = Array.from({ length: 256 }, (_, i) => produceResponse(i + 1));
  console.log(machine());
  console.log(`Produce v13, ${RECORDS} × ${RECORD_SIZE} B (${requests[0].length} B per request), reads of ${CHUNK} B, ${REQUESTS} requests × ${ROUNDS} rounds per module`);
  // A first pass per module lets V8 tier up before anything is timed.
  for (const [, path] of modules) await round(path, requests, responses, Math.min(REQUESTS, 5000));
  const runs = new Map<string, Figures[]>(modules.map(([label]) => [label, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, path] of modules) runs.get(label)!.push(await round(path, requests, responses, REQUESTS));
  }
  const floor = median(runs.get(modules[0][0])!.map((f) => f.usPerRequest));
  const rows = [["module", "CPU µs/request med", "min–max", "over no-op", "host calls/request"]];
  for (const [label] of modules) {
    const us = runs.get(label)!.map((f) => f.usPerRequest);
    rows.push([
      label,
      median(us).toFixed(2),
      `${Math.min(...us).toFixed(2)}–${Math.max(...us).toFixed(2)}`,
      label === modules[0][0] ? "" : `+${(median(us) - floor).toFixed(2)}`,
      runs.get(label)![0].hostCallsPerRequest.toFixed(1),
    ]);
  }
  for (const line of table(rows)) console.log(line);
}

await main();
