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
import { command, jsonFrame, wire, type Command } from "../test/rocketmq/remoting.ts";
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

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

// Frames written as fastjson writes the Java beans (test/rocketmq/remoting.ts,
// the model the codec tests compare against), the size prefix included.
const JAVA = 0;
const javaFrame = (c: Partial<Command>) => Buffer.from(wire(jsonFrame(command({ language: JAVA, version: 479, ...c }))));

function sendRequest(opaque: number, body: Buffer): Buffer {
  const uniqueKey = `7F000001${hex(process.pid, 4)}18B4AAC2${hex(opaque, 8)}`;
  return javaFrame({
    code: 310, opaque, body,
    ext: [
      ["a", GROUP], ["b", TOPIC], ["c", "TBW102"], ["d", "4"], ["e", String(opaque % 4)], ["f", "0"],
      ["g", String(1795350249604 + opaque)], ["h", "0"],
      ["i", `KEYS\u0001k-${opaque}\u0002UNIQ_KEY\u0001${uniqueKey}\u0002WAIT\u0001true\u0002TAGS\u0001tag\u0002`],
      ["j", "0"], ["k", "false"], ["m", "false"], ["n", "broker-a"],
    ],
  });
}

function sendResponse(opaque: number): Buffer {
  return javaFrame({
    code: 0, opaque, flag: 1,
    ext: [
      ["queueId", String(opaque % 4)], ["transactionId", `7F00000118B4AAC2${hex(opaque, 16)}`],
      ["msgId", `7F0000010000AD41${hex(opaque * MESSAGE_SIZE, 16)}`], ["TRACE_ON", "true"],
      ["MSG_REGION", "DefaultRegion"], ["queueOffset", String(opaque)],
    ],
  });
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
