// npm run bench:rocketmq-wasm — the rocketmq filter module's own work per
// send, outside Envoy (bench/wasm-host.ts), against the do-nothing module in
// the same run: the module-only counterpart of bench:rocketmq, which measures
// Envoy's CPU.
//
// Traffic: what RocketMQ's Java DefaultMQProducer sends in bench:rocketmq
// (test/recordings/rocketmq holds the real thing): SEND_MESSAGE_V2 with a
// JSON header (SendMessageRequestHeaderV2's one-letter extFields, message
// properties with keys and a unique id) and a --message-size body, each
// answered by the broker's SEND_MESSAGE response (JSON header with msgId,
// queue and offset), one read per frame.
//
//   npm run bench:rocketmq-wasm
//   npm run bench:rocketmq-wasm -- --module /tmp/old-rocketmq.wasm --rounds 7
//   npm run bench:rocketmq-wasm -- --route-rewrite   (bench:rocketmq's case rewrite)
import { parseArgs } from "node:util";
import { freshModule } from "../scripts/compile.ts";
import { intOption, machine } from "./support.ts";
import { compareModules } from "./wasm-host.ts";

const HELP = `usage: npm run bench:rocketmq-wasm -- [options]
  --requests N       sends per round and module (default 50000)
  --rounds N         rounds; the table shows the median (default 5)
  --message-size B   message body size (default 1024)
  --module F         another rocketmq filter module to compare (repeatable), e.g. an older build
  --route-rewrite    configure the filters with routeRewrite (as bench:rocketmq's case rewrite)
`;

const { values: opt } = parseArgs({
  options: {
    requests: { type: "string", default: "50000" },
    rounds: { type: "string", default: "5" },
    "message-size": { type: "string", default: "1024" },
    module: { type: "string", multiple: true, default: [] },
    "route-rewrite": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  process.exit(0);
}
const REQUESTS = intOption("requests", opt.requests!);
const ROUNDS = intOption("rounds", opt.rounds!);
const MESSAGE_SIZE = intOption("message-size", opt["message-size"]!, 0);

const TOPIC = "mqmesh-bench";
const GROUP = "mqmesh-bench-producer";

// A remoting frame with a JSON header: length, (JSON << 24 | header length), header, body.
function frame(header: object, body: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + h.length + body.length);
  out.writeInt32BE(4 + h.length + body.length, 0);
  out.writeInt32BE(h.length, 4);
  h.copy(out, 8);
  body.copy(out, 8 + h.length);
  return out;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

// fastjson writes the members of the header bean sorted by name, as here.
function sendRequest(opaque: number, body: Buffer): Buffer {
  const uniqueKey = `7F000001${hex(process.pid, 4)}18B4AAC2${hex(opaque, 8)}`;
  return frame({
    code: 310,
    extFields: {
      a: GROUP, b: TOPIC, c: "TBW102", d: "4", e: String(opaque % 4), f: "0", g: String(1795350249604 + opaque),
      h: "0", i: `KEYS\u0001k-${opaque}\u0002UNIQ_KEY\u0001${uniqueKey}\u0002WAIT\u0001true\u0002TAGS\u0001tag\u0002`,
      j: "0", k: "false", m: "false", n: "broker-a",
    },
    flag: 0, language: "JAVA", opaque, serializeTypeCurrentRPC: "JSON", version: 479,
  }, body);
}

function sendResponse(opaque: number): Buffer {
  return frame({
    code: 0,
    extFields: {
      queueId: String(opaque % 4), transactionId: `7F00000118B4AAC2${hex(opaque, 16)}`,
      msgId: `7F0000010000AD41${hex(opaque * MESSAGE_SIZE, 16)}`, TRACE_ON: "true", MSG_REGION: "DefaultRegion",
      queueOffset: String(opaque),
    },
    flag: 1, language: "JAVA", opaque, serializeTypeCurrentRPC: "JSON", version: 479,
  }, Buffer.alloc(0));
}

async function main(): Promise<void> {
  const config = opt["route-rewrite"] ? JSON.stringify({ routeRewrite: { address: "127.0.0.1:19876" } }) : "{}";
  const modules: [string, string][] = [
    ["no-op Wasm filter", await freshModule({ entry: "bench/wasm/noop.ts", out: "build/bench/noop.wasm", target: "release" })],
    [`rocketmq filter ${opt["route-rewrite"] ? "routeRewrite" : "{}"}`, await freshModule({ entry: "filters/rocketmq/index.ts", out: "build/rocketmq.wasm", target: "release" })],
    ...(opt.module as string[]).map((m): [string, string] => [m, m]),
  ];
  const body = Buffer.alloc(MESSAGE_SIZE, 0x6d);
  const requests = Array.from({ length: 256 }, (_, i) => sendRequest(i + 1, body));
  const responses = Array.from({ length: 256 }, (_, i) => sendResponse(i + 1));
  console.log(machine());
  console.log(`SEND_MESSAGE_V2, JSON header, ${MESSAGE_SIZE} B body (${requests[0].length} B per request, ${responses[0].length} B per response), ${REQUESTS} sends × ${ROUNDS} rounds per module`);
  await compareModules(modules, requests, responses, { requests: REQUESTS, rounds: ROUNDS, chunk: 1 << 30, config });
}

await main();
