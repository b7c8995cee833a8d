// npm run bench:bridge — publish latency and throughput through the HTTP-to-Kafka
// bridge (Dapr publish, rawPayload, one record per request) against a kafkajs
// producer publishing the same records directly to the broker (acks=all, one
// send per record), in one run against one real broker.
//
// Fixed rate: an open-loop generator offers --rate requests/s for --seconds;
// each latency is measured from the moment the request was *scheduled*, so a
// stall shows up in the latency instead of silently lowering the rate
// (no coordinated omission). At most --max-inflight requests are outstanding;
// requests that would exceed it are counted as "late" and sent when a slot frees.
// Max throughput (optional, --max-seconds, 0 = skip): closed loop with
// --max-concurrency requests outstanding.
//
// Cases run interleaved (direct bridge, direct bridge, …) for --rounds rounds.
//
//   npm run bench:bridge
//   npm run bench:bridge -- --rate 1000 --seconds 20 --size 256 --rounds 2 --max-seconds 10
import http from "node:http";
import { parseArgs } from "node:util";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "../integration/stack/bridge.ts";
import { progress, startKafka, type KafkaCluster } from "../integration/stack/index.ts";
import { cpuSeconds, intOption, machine, median, table, verdict } from "./support.ts";

const HELP = `usage: npm run bench:bridge -- [options]
  --rate LIST          offered requests/s in the fixed-rate phase, comma-separated (default 1000,200)
  --seconds N          duration of each fixed-rate run (default 20)
  --warmup N           seconds of the same load per case before measuring (default 3)
  --size B             record value size in bytes (default 256)
  --rounds N           interleaved rounds of direct and bridge (default 1)
  --max-inflight N     outstanding requests allowed in the fixed-rate phase (default 256)
  --max-seconds N      duration of the closed-loop max-throughput run per case (default 10; 0 = skip)
  --max-concurrency N  outstanding requests in the max-throughput run (default 64)
  --concurrency N      Envoy worker threads (default 2)
  --baseline-wasm PATH also run the bridge with this .wasm (e.g. built from an older commit) as a
                       third case, interleaved, for a paired before/after comparison
`;

const { values: opt } = parseArgs({
  options: {
    rate: { type: "string", default: "1000,200" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    size: { type: "string", default: "256" },
    rounds: { type: "string", default: "1" },
    "max-inflight": { type: "string", default: "256" },
    "max-seconds": { type: "string", default: "10" },
    "max-concurrency": { type: "string", default: "64" },
    concurrency: { type: "string", default: "2" },
    "baseline-wasm": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const RATES = opt.rate!.split(",").map((x) => intOption("rate", x.trim()));
const SECONDS = intOption("seconds", opt.seconds!);
const WARMUP = intOption("warmup", opt.warmup!, 0);
const SIZE = intOption("size", opt.size!);
const ROUNDS = intOption("rounds", opt.rounds!);
const MAX_INFLIGHT = intOption("max-inflight", opt["max-inflight"]!);
const MAX_SECONDS = intOption("max-seconds", opt["max-seconds"]!, 0);
const MAX_CONCURRENCY = intOption("max-concurrency", opt["max-concurrency"]!);
const CONCURRENCY = intOption("concurrency", opt.concurrency!);

const BASELINE_WASM = opt["baseline-wasm"];

type CaseId = "direct" | "baseline" | "bridge";
const LABEL: Record<CaseId, string> = { direct: "kafkajs direct (acks=all)", baseline: "bridge, --baseline-wasm", bridge: "HTTP → bridge → Kafka" };
const CASES: CaseId[] = BASELINE_WASM ? ["direct", "baseline", "bridge"] : ["direct", "bridge"];

/** Publishes one record; resolves when acknowledged, rejects on any failure. */
type Send = (value: Buffer) => Promise<void>;

interface Result {
  caseId: CaseId;
  round: number;
  mode: "rate" | "max";
  rate?: number;
  sent: number;
  ok: number;
  errors: number;
  late: number;
  seconds: number;
  latMs: number[];
  envoyCpuSec?: number;
  /** Calls from the bridge to its tunnel (Produce, Metadata, InitProducerId) during the run. */
  tunnelCalls?: number;
  /** CPU of this process (the load generator, and kafkajs in the direct case) and of the broker during the run, seconds. */
  clientCpuSec: number;
  brokerCpuSec: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const payload = (i: number) => {
  const b = Buffer.alloc(SIZE, 0x61);
  b.write(`${i}:`, 0);
  return b;
};

let counter = 0;

/** Open loop: request i is due at t0 + i/rate; latency counts from that moment. */
async function fixedRate(send: Send, rate: number, seconds: number) {
  const total = rate * seconds;
  const latMs: number[] = [];
  let ok = 0, errors = 0, late = 0, inflight = 0, next = 0;
  const waiting: number[] = [];
  const t0 = performance.now();
  let allDone!: () => void;
  const done = new Promise<void>((r) => (allDone = r));
  let finished = 0;
  const fire = (due: number) => {
    inflight++;
    send(payload(counter++)).then(
      () => {
        ok++;
        latMs.push(performance.now() - due);
      },
      () => errors++,
    ).finally(() => {
      inflight--;
      finished++;
      const w = waiting.shift();
      if (w !== undefined) fire(w);
      if (finished === total) allDone();
    });
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / rate <= now) {
        const due = t0 + (next * 1000) / rate;
        next++;
        if (inflight < MAX_INFLIGHT) fire(due);
        else {
          late++;
          waiting.push(due);
        }
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await done;
  return { sent: total, ok, errors, late, seconds: (performance.now() - t0) / 1000, latMs };
}

/** Closed loop: `concurrency` senders, each sends the next record as soon as the last was answered. */
async function maxThroughput(send: Send, concurrency: number, seconds: number) {
  const latMs: number[] = [];
  let ok = 0, errors = 0, sent = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        sent++;
        try {
          await send(payload(counter++));
          ok++;
          latMs.push(performance.now() - s);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { sent, ok, errors, late: 0, seconds: (performance.now() - t0) / 1000, latMs };
}

function bridgeSender(bridge: Bridge, topic: string): { send: Send; agent: http.Agent } {
  const url = new URL(`${bridge.url}/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(MAX_INFLIGHT, MAX_CONCURRENCY) });
  const send: Send = (value) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", agent, headers: { "content-type": "application/octet-stream", "content-length": value.length } },
        (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(value);
    });
  return { send, agent };
}

function directSender(producer: Producer, topic: string): Send {
  return async (value) => {
    await producer.send({ topic, acks: -1, messages: [{ value }] });
  };
}

async function main() {
  progress("bench", machine());
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  let cluster: KafkaCluster | undefined;
  let bridge: Bridge | undefined;
  let baseline: Bridge | undefined;
  const agents: http.Agent[] = [];
  let producer: Producer | undefined;
  let agent: http.Agent | undefined;
  const results: Result[] = [];
  try {
    cluster = await startKafka({ name: "kafka-bench-bridge" });
    const b = cluster.brokers[0];
    const filterConfig = { pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel", acks: -1 } }, appId: "bench", maxBodyBytes: Math.max(65536, SIZE * 2) };
    bridge = await startBridge({ name: "envoy-bench-bridge", upstream: { host: b.host, port: b.port }, wasm, concurrency: CONCURRENCY, filterConfig });
    if (BASELINE_WASM) {
      baseline = await startBridge({ name: "envoy-bench-baseline", upstream: { host: b.host, port: b.port }, wasm: BASELINE_WASM, concurrency: CONCURRENCY, filterConfig });
    }
    const kafka = new Kafka({ clientId: "mqmesh-bench-bridge", brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics: Record<CaseId, string> = { direct: "bench-bridge-direct", baseline: "bench-bridge-baseline", bridge: "bench-bridge-http" };
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    const hb = bridgeSender(bridge, topics.bridge);
    agent = hb.agent;
    const senders = { direct: directSender(producer, topics.direct), bridge: hb.send } as Record<CaseId, Send>;
    if (baseline) {
      const bb = bridgeSender(baseline, topics.baseline);
      agents.push(bb.agent);
      senders.baseline = bb.send;
    }
    const envoyPids = { bridge: bridge.envoy.proc.pid, baseline: baseline?.envoy.proc.pid } as Record<CaseId, number | undefined>;
    const envoys = { bridge: bridge.envoy, baseline: baseline?.envoy } as Record<CaseId, Bridge["envoy"] | undefined>;
    const tunnelCalls = async (c: CaseId) => {
      const e = envoys[c];
      if (!e) return 0;
      const m = /cluster\.kafka_tunnel\.upstream_rq_total: (\d+)/.exec(await e.admin("/stats?filter=%5Ecluster%5C.kafka_tunnel%5C.upstream_rq_total%24"));
      return m ? Number(m[1]) : NaN;
    };
    const brokerPid = b.proc.pid;
    const measure = async (run: () => Promise<Omit<Result, "caseId" | "round" | "mode" | "rate" | "envoyCpuSec" | "clientCpuSec" | "brokerCpuSec">>, c: CaseId) => {
      const envoyPid = envoyPids[c];
      const calls0 = await tunnelCalls(c);
      const e0 = envoyPid ? cpuSeconds(envoyPid) : 0, b0 = cpuSeconds(brokerPid), u0 = process.cpuUsage();
      const r = await run();
      const u = process.cpuUsage(u0);
      const calls = envoyPid ? (await tunnelCalls(c)) - calls0 : undefined;
      return { ...r, tunnelCalls: calls, envoyCpuSec: envoyPid ? cpuSeconds(envoyPid) - e0 : undefined, brokerCpuSec: cpuSeconds(brokerPid) - b0, clientCpuSec: (u.user + u.system) / 1e6 };
    };

    for (const c of CASES) {
      if (WARMUP) {
        progress("bench", `warm-up ${c}: ${WARMUP} s at ${RATES[0]}/s`);
        await fixedRate(senders[c], RATES[0], WARMUP);
      }
    }
    for (const rate of RATES) {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const c of CASES) {
          progress("bench", `round ${round} ${c}: ${SECONDS} s at ${rate}/s`);
          const r = await measure(() => fixedRate(senders[c], rate, SECONDS), c);
          results.push({ caseId: c, round, mode: "rate", rate, ...r });
        }
      }
    }
    if (MAX_SECONDS) {
      for (const c of CASES) {
        progress("bench", `max throughput ${c}: ${MAX_SECONDS} s, ${MAX_CONCURRENCY} outstanding`);
        const r = await measure(() => maxThroughput(senders[c], MAX_CONCURRENCY, MAX_SECONDS), c);
        results.push({ caseId: c, round: 1, mode: "max", ...r });
      }
    }
  } finally {
    agent?.destroy();
    for (const a of agents) a.destroy();
    await producer?.disconnect().catch(() => {});
    await bridge?.stop();
    await baseline?.stop();
    await cluster?.stop();
  }
  report(results);
}

function report(results: Result[]) {
  const rows = [["case", "mode", "round", "req/s", "ok", "err", "late", "p50 ms", "p90 ms", "p99 ms", "max ms", "tunnel calls/req", "CPU ms/req: Envoy", "client", "broker"]];
  for (const r of results) {
    const s = [...r.latMs].sort((a, b) => a - b);
    rows.push([
      LABEL[r.caseId],
      r.mode === "rate" ? `${r.rate}/s open` : `max c=${MAX_CONCURRENCY}`,
      String(r.round),
      (r.ok / r.seconds).toFixed(0),
      String(r.ok),
      String(r.errors),
      String(r.late),
      percentile(s, 50).toFixed(2),
      percentile(s, 90).toFixed(2),
      percentile(s, 99).toFixed(2),
      (s[s.length - 1] ?? NaN).toFixed(1),
      r.tunnelCalls !== undefined ? (r.tunnelCalls / Math.max(1, r.sent)).toFixed(3) : "–",
      r.envoyCpuSec !== undefined ? ((r.envoyCpuSec * 1000) / Math.max(1, r.sent)).toFixed(3) : "–",
      ((r.clientCpuSec * 1000) / Math.max(1, r.sent)).toFixed(3),
      ((r.brokerCpuSec * 1000) / Math.max(1, r.sent)).toFixed(3),
    ]);
  }
  console.log("");
  console.log(`bench:bridge — ${SIZE} B values, one record per request, acks=all, Envoy --concurrency ${CONCURRENCY}; ${machine()}`);
  for (const l of table(rows)) console.log(l);
  console.log("");
  for (const rate of RATES) {
    const p = (c: CaseId, q: number) =>
      median(results.filter((r) => r.caseId === c && r.mode === "rate" && r.rate === rate).map((r) => percentile([...r.latMs].sort((a, b) => a - b), q)));
    const added50 = p("bridge", 50) - p("direct", 50);
    const added99 = p("bridge", 99) - p("direct", 99);
    console.log(`added latency at ${rate}/s (bridge − direct, median over rounds): p50 ${added50.toFixed(2)} ms, p99 ${added99.toFixed(2)} ms`);
    if (rate === 1000) {
      // Per round (bridge − direct of the same round): a median that is below
      // 1 ms only because direct had the worse tail in one round shows nothing.
      const perRound = (c: CaseId) =>
        results.filter((r) => r.caseId === c && r.mode === "rate" && r.rate === rate).map((r) => percentile([...r.latMs].sort((a, b) => a - b), 99));
      const bridge99 = perRound("bridge"), direct99 = perRound("direct");
      const added = bridge99.map((b, i) => b - direct99[i]).filter((x) => Number.isFinite(x));
      const each = added.map((x) => x.toFixed(2)).join(", ");
      console.log(`target: p99 added latency < 1 ms at 1,000 req/s, per round ${each} ms: ${verdict(added, (x) => x < 1)}`);
    }
    if (BASELINE_WASM) {
      console.log(`  baseline wasm at ${rate}/s (baseline − direct): p50 ${(p("baseline", 50) - p("direct", 50)).toFixed(2)} ms, p99 ${(p("baseline", 99) - p("direct", 99)).toFixed(2)} ms`);
    }
  }
  const bad = results.filter((r) => r.errors > 0);
  if (bad.length) console.log(`errors: ${bad.map((r) => `${r.caseId} ${r.mode} round ${r.round}: ${r.errors}`).join(", ")}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
