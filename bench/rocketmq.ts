// npm run bench:rocketmq — remoting send throughput and Envoy CPU per message,
// in one run, for four paths to one RocketMQ 5 stack (name server, broker,
// proxy in cluster mode):
//   direct    the producer talks to the proxy's remoting port
//   tcp       Envoy with tcp_proxy only (the remoting listener of rocketmq-sidecar.yaml)
//   observe   Envoy + rocketmq filter, configuration {} (observe only)
//   rewrite   Envoy + rocketmq filter with routeRewrite.address = itself
//   grpc         gRPC sends (RocketMQ 5 client) through Envoy's plain HTTP/2 router
//   grpc-filter  the same with the rocketmq-grpc filter, configuration {}
//
// Keeping sends in the Envoy under test. A remoting producer asks its name
// server for the topic route and then sends to the broker address in the
// answer; the proxy answers with its own remoting port. Case 4 is the
// sidecar as deployed: the producer's name server is the Envoy itself and the
// filter writes the Envoy's address over the answer. Cases 2 and 3 cannot
// do that themselves, so their producer asks a separate "route" Envoy (the
// filter with routeRewrite naming the Envoy under test; it sees only the
// route lookups, a few per minute, and is not measured). Every round checks
// that the bytes went through the Envoy under test and no other, and that
// the client's route table names it.
//
// gRPC cases need no route trick: the proxy (cluster mode) answers route
// queries with the endpoint the client used. Their load generator is
// rocketmq-client-nodejs's Producer in this process (bench/rocketmq-grpc.ts),
// as many send loops as --threads; their figures compare with each other.
//
// The remoting load generator is integration/java/RemotingSendBench.java
// (DefaultMQProducer, synchronous sends from a few threads), one JVM per case
// for the whole run, sending on command: warm JIT and connections, and Envoy
// CPU read right around each batch. A batch lasts --seconds (or --messages,
// whichever ends first), so a run takes about as long on a slow machine as on
// a fast one. Cases run interleaved over rounds, each round starting one case
// later (direct tcp observe rewrite, tcp observe rewrite direct, …); the table
// shows medians with min–max; ratios are against tcp_proxy in the same run.
//
//   npm run bench:rocketmq -- --rounds 3 --seconds 10 --message-size 1024
//   npm run bench:rocketmq -- --help
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { freshModule } from "../scripts/compile.ts";
import { envoyBinary, javaBin, progress, REPO_ROOT, runPath } from "../integration/stack/index.ts";
import { rocketmqJavaClasses } from "../integration/stack/rocketmq-java.ts";
import { rocketmqClasspath, startRocketMQ, type RocketMQ } from "../integration/stack/rocketmq.ts";
import { startRocketMQSidecar, type RocketMQSidecar } from "../integration/stack/rocketmq-sidecar.ts";
import { GrpcSender, type SendBatch } from "./rocketmq-grpc.ts";
import { caseRows, cpuSeconds, fmtRatio, idleCpuMsPerSec, intOption, machine, median, noiseNote, pairedRatios, table, timesRange } from "./support.ts";

const HELP = `usage: npm run bench:rocketmq -- [options]
  --rounds N           interleaved rounds of all cases (default 3)
  --seconds S          length of one case's batch in a round (default 10)
  --messages N         … or at most N messages per batch, whichever ends first (default 0: no limit)
  --message-size B     message body size in bytes (default 1024)
  --threads N          producer threads, each sending synchronously (default 8)
  --warmup S           seconds of sending per case before the rounds (default 5; at least 100 messages)
  --concurrency N      Envoy worker threads (default 2)
  --wasm F             filter module (default build/rocketmq.wasm, rebuilt when stale)
  --grpc-wasm F        gRPC filter module (default build/rocketmq-grpc.wasm, rebuilt when stale)
  --cases LIST         subset, e.g. tcp,rewrite (default direct,tcp,observe,rewrite,grpc,grpc-filter)
  --json F             also write every measurement as JSON to F
  --report F           print the table again from such a JSON file (runs nothing)
`;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    messages: { type: "string", default: "0" },
    "message-size": { type: "string", default: "1024" },
    threads: { type: "string", default: "8" },
    warmup: { type: "string", default: "5" },
    concurrency: { type: "string", default: "2" },
    wasm: { type: "string" },
    "grpc-wasm": { type: "string" },
    cases: { type: "string", default: "direct,tcp,observe,rewrite,grpc,grpc-filter" },
    json: { type: "string" },
    report: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const ROUNDS = intOption("rounds", opt.rounds!);
const SECONDS = intOption("seconds", opt.seconds!);
const MESSAGES = intOption("messages", opt.messages!, 0);
const MESSAGE_SIZE = intOption("message-size", opt["message-size"]!);
const THREADS = intOption("threads", opt.threads!);
const WARMUP = intOption("warmup", opt.warmup!, 0);
const BATCH_LIMIT = MESSAGES > 0 ? MESSAGES : 2 ** 31 - 1;
const CONCURRENCY = intOption("concurrency", opt.concurrency!);
const TOPIC_PREFIX = "mqmesh-bench-";

type CaseId = "direct" | "tcp" | "observe" | "rewrite" | "grpc" | "grpc-filter";
const ALL_CASES: CaseId[] = ["direct", "tcp", "observe", "rewrite", "grpc", "grpc-filter"];
const LABEL: Record<CaseId, string> = {
  direct: "1 direct to proxy",
  tcp: "2 Envoy tcp_proxy",
  observe: "3 + rocketmq filter {}",
  rewrite: "4 + filter routeRewrite",
  grpc: "5 gRPC, HTTP/2 router",
  "grpc-filter": "6 gRPC + rocketmq-grpc {}",
};
const isGrpc = (c: CaseId) => c === "grpc" || c === "grpc-filter";
const wanted = opt.cases!.split(",").map((s) => s.trim()).filter(Boolean) as CaseId[];
for (const c of wanted) {
  if (!ALL_CASES.includes(c)) {
    console.error(`--cases: unknown case ${c} (known: ${ALL_CASES.join(",")})`);
    process.exit(2);
  }
}

interface Run {
  round: number;
  caseId: CaseId;
  messages: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Bytes the Envoy under test received from the producer during the batch (wire bytes). */
  envoyRxBytes?: number;
  /** Envoy process CPU time (user + system) during the batch, seconds. */
  envoyCpuSec?: number;
  /** envoyCpuSec in ms per 1,000 messages (= µs per message). */
  cpuMsPer1k?: number;
}

// ---------- the load generator: one JVM per case, driven over stdin ----------

/** A batch's figures, plus where the client's route table sent it. */
interface SendReply extends SendBatch {
  event: "sent";
  brokerAddrs: string[];
}

const senders = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of senders) if (p.pid && p.exitCode === null) try { process.kill(-p.pid, "SIGKILL"); } catch { /* gone */ }
});

class Sender {
  private waiting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private exited = false;
  private constructor(readonly name: string, private proc: ChildProcess, readonly logFile: string) {
    const log = openSync(logFile, "a");
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      writeSync(log, line + "\n");
      if (!line.startsWith('{"event"')) return;
      this.waiting.shift()?.resolve(JSON.parse(line));
    });
    proc.on("exit", (code, signal) => {
      this.exited = true;
      closeSync(log);
      senders.delete(proc);
      const e = new Error(`${name} exited (${code ?? signal}); log ${logFile}:\n${readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")}`);
      for (const w of this.waiting.splice(0)) w.reject(e);
    });
  }

  static async start(name: string, namesrv: string, topic: string, group: string): Promise<Sender> {
    const [cp, classes] = [await rocketmqClasspath(), await rocketmqJavaClasses()];
    const logFile = join(runPath("logs"), `${name}.log`);
    const err = openSync(logFile, "a");
    const proc = spawn(
      javaBin(),
      [
        "-Xmx512m",
        "-XX:+UseParallelGC",
        "-Djava.net.preferIPv4Stack=true",
        `-Duser.home=${runPath("rocketmq-client")}`,
        "-cp",
        [classes, cp.classpath].join(delimiter),
        "RemotingSendBench",
        namesrv,
        topic,
        group,
        String(MESSAGE_SIZE),
        String(THREADS),
      ],
      { detached: true, stdio: ["pipe", "pipe", err] },
    );
    closeSync(err);
    senders.add(proc);
    const s = new Sender(name, proc, logFile);
    await s.next(60_000);
    return s;
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited; log ${this.logFile}`));
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${this.name}: no answer in ${timeoutMs / 1000} s; log ${this.logFile}`)), timeoutMs);
      this.waiting.push({ resolve: (v) => (clearTimeout(timer), res(v)), reject: (e) => (clearTimeout(timer), rej(e)) });
    });
  }

  /** Up to n messages, for at most `seconds`. */
  async send(n: number, seconds?: number): Promise<SendReply> {
    const answer = this.next(10 * 60_000);
    this.proc.stdin!.write(`send ${n}${seconds === undefined ? "" : ` ${seconds}`}\n`);
    const r = (await answer) as unknown as SendReply;
    if (r.event !== "sent") throw new Error(`${this.name}: ${JSON.stringify(r)}`);
    if (r.failed > 0) throw new Error(`${this.name}: ${r.failed} of ${r.count} sends failed, first: ${r.firstError}`);
    if (r.count === 0) throw new Error(`${this.name}: no send completed in ${seconds} s`);
    this.total += r.count;
    return r;
  }

  /** Messages sent so far, warm-up included. */
  total = 0;

  async stop(): Promise<void> {
    const pid = this.proc.pid!;
    if (!this.exited) {
      this.proc.stdin!.end("quit\n");
      const deadline = Date.now() + 10_000;
      while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(-pid, "SIGKILL"); // the group: nothing of it outlives the run
    } catch {
      /* gone */
    }
  }
}

// ---------- setup ----------

/** The filter module `given` (an option), else build/<filter>.wasm rebuilt when its sources are newer. */
async function wasmModule(option: "wasm" | "grpc-wasm", filter: "rocketmq" | "rocketmq-grpc"): Promise<string> {
  const given = opt[option];
  if (given) {
    const p = resolve(given);
    if (!existsSync(p)) throw new Error(`--${option} ${given}: no such file`);
    return p;
  }
  const out = `build/${filter}.wasm`;
  const path = join(REPO_ROOT, out);
  try {
    return await freshModule({ entry: `filters/${filter}/index.ts`, out, target: "release" });
  } catch (e) {
    if (!existsSync(path)) throw e;
    progress("bench", `rebuilding ${out} failed (${(e as Error).message.split("\n")[0]}); using the existing one`);
    return path;
  }
}

interface Target {
  caseId: CaseId;
  /** The name server address the remoting producer is given; the gRPC producer's endpoint. */
  namesrv: string;
  /** Where its route table must send it. */
  sendsTo: string;
  /** The Envoy under test. */
  sidecar?: RocketMQSidecar;
  sender?: Sender | GrpcSender;
}

/** Sum of a Prometheus metric's series carrying label topic="<topic>" on an Envoy's admin /stats/prometheus. */
async function topicCount(s: RocketMQSidecar, metric: string, topic: string): Promise<number> {
  let sum = 0;
  for (const line of (await s.envoy.admin("/stats/prometheus")).split("\n")) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === metric && m[2].includes(`topic="${topic}"`)) sum += Number(m[3]);
  }
  return sum;
}

/** Bytes an Envoy received from clients on its remoting and gRPC listeners. */
async function rxBytes(s: RocketMQSidecar): Promise<number> {
  const stats = await s.envoy.stats("downstream_cx_rx_bytes_total");
  return (stats.get("tcp.rocketmq_remoting.downstream_cx_rx_bytes_total") ?? 0) + (stats.get("http.rocketmq_grpc.downstream_cx_rx_bytes_total") ?? 0);
}

async function main(): Promise<void> {
  const started = Date.now();
  const [wasm, grpcWasm, binary] = await Promise.all([
    wasmModule("wasm", "rocketmq"),
    wanted.includes("grpc-filter") ? wasmModule("grpc-wasm", "rocketmq-grpc") : undefined,
    envoyBinary(),
    rocketmqClasspath(),
    rocketmqJavaClasses(),
  ]);
  const note = (w: string) => `${relative(REPO_ROOT, w)} of ${statSync(w).mtime.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const wasmNote = [wasm, grpcWasm].filter((w) => w !== undefined).map(note).join(", ");
  let rmq: RocketMQ | undefined;
  const envoys: RocketMQSidecar[] = [];
  const targets: Target[] = [];
  try {
    rmq = await startRocketMQ({ name: "rocketmq-bench", brokerHeap: "1g", proxyHeap: "1g", topics: wanted.map((c) => TOPIC_PREFIX + c) });
    const stack = { namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc };
    const sidecar = async (name: string, opts: Parameters<typeof startRocketMQSidecar>[1]) => {
      const s = await startRocketMQSidecar(stack, { name, ...opts });
      envoys.push(s);
      return s;
    };
    for (const c of wanted) {
      if (c === "direct") {
        targets.push({ caseId: c, namesrv: rmq.proxyRemoting, sendsTo: rmq.proxyRemoting });
        continue;
      }
      const base = { concurrency: CONCURRENCY };
      if (isGrpc(c)) {
        const s = await sidecar(`envoy-bench-${c}`, c === "grpc" ? base : { ...base, grpcWasm, grpcFilterConfig: {} });
        targets.push({ caseId: c, namesrv: s.grpc, sendsTo: s.grpc, sidecar: s });
        continue;
      }
      let s: RocketMQSidecar;
      let namesrv: string;
      if (c === "rewrite") {
        s = await sidecar(`envoy-bench-${c}`, { ...base, remotingWasm: wasm, remotingFilterConfig: (l) => ({ routeRewrite: { address: l.remoting } }) });
        namesrv = s.remoting;
      } else {
        s = await sidecar(`envoy-bench-${c}`, c === "tcp" ? base : { ...base, remotingWasm: wasm, remotingFilterConfig: {} });
        const route = await sidecar(`envoy-bench-route-${c}`, { concurrency: 1, remotingWasm: wasm, remotingFilterConfig: { routeRewrite: { address: s.remoting } } });
        namesrv = route.remoting;
      }
      targets.push({ caseId: c, namesrv, sendsTo: s.remoting, sidecar: s });
    }

    await Promise.all(
      targets.map(async (t) => {
        const name = `bench-sender-${t.caseId}`, topic = TOPIC_PREFIX + t.caseId;
        t.sender = isGrpc(t.caseId) ? await GrpcSender.start(name, t.namesrv, topic, MESSAGE_SIZE, THREADS) : await Sender.start(name, t.namesrv, topic, `${topic}-producer`);
      }),
    );
    // Remoting senders report where their route table sent them; gRPC ones send to their endpoint.
    const checkBroker = (t: Target, r: object) => {
      const addrs = "brokerAddrs" in r ? (r.brokerAddrs as string[]).join(", ") : t.sendsTo;
      if (addrs !== t.sendsTo) throw new Error(`${t.caseId}: the producer sent to ${addrs}, not ${t.sendsTo}`);
    };
    for (const t of targets) {
      progress("bench", `warm-up ${t.caseId}: ${WARMUP} s (route, connections, JIT)`);
      let r = await t.sender!.send(BATCH_LIMIT, WARMUP);
      if (r.count < 100) r = await t.sender!.send(100 - r.count);
      checkBroker(t, r);
    }

    const idleMsPerSec = await idleCpuMsPerSec(Object.fromEntries(targets.filter((t) => t.sidecar).map((t) => [t.caseId, t.sidecar!.envoy.proc.pid])) as Partial<Record<CaseId, number>>);

    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round starts one case later: no case always follows the same one.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
      for (const t of order) {
        const before = await Promise.all(envoys.map(rxBytes));
        const pid = t.sidecar?.envoy.proc.pid;
        const cpu0 = pid ? cpuSeconds(pid) : 0;
        const r = await t.sender!.send(BATCH_LIMIT, SECONDS);
        const cpu1 = pid ? cpuSeconds(pid) : 0;
        const after = await Promise.all(envoys.map(rxBytes));
        const payload = r.count * MESSAGE_SIZE;
        checkBroker(t, r);
        // Where did the bytes go? Only the Envoy under test may carry them (route Envoys see a lookup now and then).
        let rx: number | undefined;
        envoys.forEach((s, i) => {
          const delta = after[i] - before[i];
          if (s === t.sidecar) rx = delta;
          else if (delta > payload / 100) throw new Error(`${t.caseId}: ${delta} bytes went through ${s.envoy.name}, not the Envoy under test`);
        });
        if (t.sidecar && (rx ?? 0) < payload) throw new Error(`${t.caseId}: Envoy saw ${rx} bytes, fewer than the ${payload} sent: traffic bypassed it`);
        const run: Run = { round, caseId: t.caseId, messages: r.count, msgsPerSec: r.msgsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
        if (t.sidecar) {
          run.envoyRxBytes = rx;
          run.envoyCpuSec = cpu1 - cpu0;
          run.cpuMsPer1k = (run.envoyCpuSec * 1e6) / r.count;
        }
        runs.push(run);
        progress(
          "bench",
          `round ${round}/${ROUNDS} ${t.caseId.padEnd(7)} ${r.count} msgs, ${r.msgsPerSec.toFixed(0)} msgs/s, p99 ${r.p99Ms.toFixed(1)} ms` +
            (run.cpuMsPer1k !== undefined ? `, Envoy ${run.envoyCpuSec!.toFixed(2)} s CPU = ${run.cpuMsPer1k.toFixed(1)} ms/1k msgs` : ""),
        );
      }
    }

    // The filter cases: the filter saw every message (warm-up included).
    const filterCounts: Partial<Record<CaseId, number>> = {};
    for (const t of targets.filter((x) => x.caseId === "observe" || x.caseId === "rewrite" || x.caseId === "grpc-filter")) {
      const topic = TOPIC_PREFIX + t.caseId;
      const metric = t.caseId === "grpc-filter" ? "mqmesh_rocketmq_grpc_sent_messages_total" : "mqmesh_rocketmq_sent_messages_total";
      filterCounts[t.caseId] = await topicCount(t.sidecar!, metric, topic);
      const expected = t.sender!.total;
      if (filterCounts[t.caseId] !== expected) throw new Error(`${t.caseId}: the filter counted ${filterCounts[t.caseId]} sent messages on ${topic}, the producer sent ${expected}`);
    }

    const saved: Saved = { date: new Date().toISOString(), machine: machine(), settings: settings(), envoy: binary.version, wasm: wasmNote, rocketmq: rmq.version, cases: targets.map((t) => t.caseId), idleMsPerSec, filterCounts, runs };
    report(saved, started);
    if (opt.json) writeFileSync(resolve(opt.json), JSON.stringify(saved, null, 2) + "\n");
  } finally {
    await Promise.all(targets.map((t) => t.sender?.stop()));
    await Promise.all(envoys.map((s) => s.stop()));
    if (rmq) {
      await rmq.stop();
      rmSync(join(rmq.home, "store"), { recursive: true, force: true });
    }
  }
}

function settings() {
  return { rounds: ROUNDS, seconds: SECONDS, messages: MESSAGES, messageSize: MESSAGE_SIZE, threads: THREADS, warmup: WARMUP, envoyConcurrency: CONCURRENCY };
}

interface Saved {
  date: string;
  machine: string;
  settings: ReturnType<typeof settings>;
  envoy: string;
  wasm: string;
  rocketmq: string;
  cases: CaseId[];
  idleMsPerSec: Partial<Record<CaseId, number>>;
  filterCounts: Partial<Record<CaseId, number>>;
  runs: Run[];
}

function report(saved: Saved, started?: number): void {
  const { runs, cases, settings: s } = saved;
  const of = (c: CaseId) => runs.filter((r) => r.caseId === c);
  const tput = (c: CaseId) => of(c).map((r) => r.msgsPerSec);
  const cpu = (c: CaseId) => of(c).flatMap((r) => (r.cpuMsPer1k === undefined ? [] : [r.cpuMsPer1k]));
  const p99 = (c: CaseId) => of(c).map((r) => r.p99Ms);
  const hasTcp = cases.includes("tcp");
  const ofMedians = (c: CaseId, xs: (c: CaseId) => number[]) => median(xs(c)) / median(xs("tcp"));

  const rows: string[][] = [
    ["case", "msgs/s med", "(min–max)", "vs tcp", "Envoy CPU ms/1k msgs med", "(min–max)", "vs tcp", "p99 ms"],
    ...caseRows(cases, (c) => LABEL[c as CaseId], (c) => tput(c as CaseId), (c) => cpu(c as CaseId), (c) => p99(c as CaseId), { tput: 0, cpu: 1, p99: 1 }),
  ];
  console.log("");
  console.log(`mqmesh bench:rocketmq — ${saved.date.slice(0, 16).replace("T", " ")} UTC, ${saved.machine}`);
  console.log(
    `Envoy ${saved.envoy} (concurrency ${s.envoyConcurrency}), RocketMQ ${saved.rocketmq} (cluster: name server, broker, proxy), remoting ` +
      `DefaultMQProducer sync send × ${s.threads} threads (gRPC: rocketmq-client-nodejs Producer × ${s.threads} send loops), ${s.messageSize} B messages, ${s.seconds} s${s.messages ? ` or ${s.messages} messages` : ""} per case and round, ${s.rounds} interleaved rounds; filters ${saved.wasm}`,
  );
  console.log("");
  for (const l of table(rows)) console.log(l);
  console.log("");
  console.log("vs tcp = median of the case ÷ median of tcp_proxy, same run. CPU = Envoy user+sys CPU during the batch ÷ messages");
  console.log(
    "(ms per 1,000 messages = µs per message; idle CPU included, measured idle: " +
      Object.entries(saved.idleMsPerSec).map(([c, v]) => `${c} ${v!.toFixed(1)} ms/s`).join(", ") + ").",
  );
  console.log("Cases 2-3 get their route from a separate route-rewriting Envoy (not measured), case 4 from itself; every round");
  console.log("checked that the sends' bytes went through the Envoy under test only. Filter counts: " +
    (Object.entries(saved.filterCounts).map(([c, n]) => `${c} ${n}`).join(", ") || "–") + " messages (= sent).");
  if (hasTcp) {
    const noise = noiseNote("tcp_proxy", tput("tcp"));
    if (noise) console.log(noise);
    for (const c of ["observe", "rewrite"] as CaseId[]) {
      if (!cases.includes(c)) continue;
      const tp = pairedRatios(runs, c, "tcp", (r) => r.msgsPerSec), cp = pairedRatios(runs, c, "tcp", (r) => r.cpuMsPer1k);
      console.log(
        `${LABEL[c].slice(2)} vs tcp_proxy: throughput ${fmtRatio(ofMedians(c, tput))} (per round ${timesRange(tp)}), ` +
          `Envoy CPU per message ${fmtRatio(ofMedians(c, cpu))} (per round ${timesRange(cp)})`,
      );
    }
  }
  if (cases.includes("grpc") && cases.includes("grpc-filter")) {
    const tp = pairedRatios(runs, "grpc-filter", "grpc", (r) => r.msgsPerSec), cp = pairedRatios(runs, "grpc-filter", "grpc", (r) => r.cpuMsPer1k);
    const ofRouter = (xs: (c: CaseId) => number[]) => fmtRatio(median(xs("grpc-filter")) / median(xs("grpc")));
    console.log(`rocketmq-grpc filter vs HTTP/2 router (gRPC sends): throughput ${ofRouter(tput)} (per round ${timesRange(tp)}), Envoy CPU per message ${ofRouter(cpu)} (per round ${timesRange(cp)})`);
  }
  if (started !== undefined) console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${runPath("logs")}`);
}

if (opt.report) {
  report(JSON.parse(readFileSync(resolve(opt.report), "utf8")) as Saved);
} else {
  await main();
}
