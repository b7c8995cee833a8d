// npm run bench:kafka — producer throughput and Envoy CPU per GiB, in one run,
// for four paths to one real Kafka broker:
//   direct    the producer talks to the broker's PLAINTEXT listener
//   tcp       Envoy with tcp_proxy only (the kafka sidecar without a filter)
//   observe   Envoy + kafka filter, configuration {} (observe only)
//   full      Envoy + kafka filter with ACL and broker rewrite (config file, see --filter-config)
//   quota     Envoy + kafka filter with a produce quota configured but never reached (bench/kafka-quota.json)
//   spans     Envoy + kafka filter tracing 1% of requests, no injection (spans to a stand-in collector)
//   inject    Envoy + kafka filter injecting trace context into every produce request (1% spans)
//   kroxylicious  the Kroxylicious proxy (Java) with a passthrough virtual cluster: what the
//             Java alternative costs, its JVM's CPU measured as Envoy's is
// Each Envoy case has its own broker listener advertised as that Envoy, so
// Metadata keeps the producer on the Envoy under test (checked: the bytes must
// show up in that Envoy's counters and nowhere else).
//
// The load generator is Kafka's own ProducerPerformance (Java, full JIT).
// Cases run interleaved (direct tcp observe full, direct tcp observe full, …)
// and the table shows medians with min–max; ratios are against tcp_proxy
// measured in the same run.
//
//   npm run bench:kafka -- --rounds 3 --records 200000 --record-size 1024
//   npm run bench:kafka -- --help
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freshModule } from "../scripts/compile.ts";
import {
  envoyBinary,
  freePort,
  javaBin,
  kafkaClasspath,
  LOOPBACK,
  progress,
  REPO_ROOT,
  runCommand,
  runPath,
  startKafka,
  startKafkaSidecar,
  type KafkaCluster,
  type Sidecar,
} from "../integration/stack/index.ts";
import { KROXYLICIOUS_REQUESTS, kroxyliciousClasses, KROXYLICIOUS_VERSION, startKroxylicious, type KroxyliciousProxy } from "../integration/stack/kroxylicious.ts";
import { serviceClusters } from "../policy/envoy/resources.ts";
import { startOtlpSink, type OtlpSink } from "./otlp-sink.ts";
import { caseRows, cpuSeconds, fmtRatio, idleCpuMsPerSec, intOption, machine, median, noiseNote, pairedRatios, pctRange, table, timesRange, verdict } from "./support.ts";

const HELP = `usage: npm run bench:kafka -- [options]
  --rounds N           interleaved rounds of all cases (default 3)
  --records N          records per producer run (default 200000)
  --record-size B      record value size in bytes (default 1024)
  --batch-size B       producer batch.size (default 65536)
  --linger-ms MS       producer linger.ms (default 5)
  --acks A             producer acks (default 1)
  --warmup N           records per case before the rounds (default 20000; 0 = none)
  --concurrency N      Envoy worker threads (default 2)
  --filter-config F    JSON for case 4 (default bench/kafka-acl-rewrite.json); placeholders
                       \${LISTEN_HOST} \${LISTEN_PORT} \${BROKER_ID} \${TOPIC_PREFIX} are filled in
  --module F           filter module (default build/kafka.wasm, rebuilt when stale); not --wasm,
                       which the AssemblyScript compiler loaded by this script takes for itself
  --cases LIST         subset, e.g. tcp,observe (default direct,tcp,noop,observe,full,kroxylicious;
                       also frames: a filter that reads only frame headers; quota: a produce
                       quota configured but not reached; spans and inject: the filter's tracing,
                       1% sampled without injection / injecting into every request)
  --baseline-module F  adds case "before": another kafka filter build (e.g. of an older commit) with
                       config {}, interleaved with the others, and its paired CPU ratio against observe
  --json F             also write every measurement as JSON to F
  --report F           print the table again from such a JSON file (runs nothing)
`;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    records: { type: "string", default: "200000" },
    "record-size": { type: "string", default: "1024" },
    "batch-size": { type: "string", default: "65536" },
    "linger-ms": { type: "string", default: "5" },
    acks: { type: "string", default: "1" },
    warmup: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "2" },
    "filter-config": { type: "string", default: join(REPO_ROOT, "bench", "kafka-acl-rewrite.json") },
    module: { type: "string" },
    "baseline-module": { type: "string" },
    cases: { type: "string", default: "direct,tcp,noop,observe,full,kroxylicious" },
    json: { type: "string" },
    report: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const positive = intOption;
const ROUNDS = positive("rounds", opt.rounds!);
const RECORDS = positive("records", opt.records!);
const RECORD_SIZE = positive("record-size", opt["record-size"]!);
const BATCH_SIZE = positive("batch-size", opt["batch-size"]!);
const LINGER_MS = positive("linger-ms", opt["linger-ms"]!, 0);
const WARMUP = positive("warmup", opt.warmup!, 0);
const CONCURRENCY = positive("concurrency", opt.concurrency!);
const TOPIC_PREFIX = "mqmesh-bench-";
// Case quota: every produce request is charged (bytes and requests, per
// principal, in shared data) and none is ever throttled.
const QUOTA_CONFIG = JSON.parse(readFileSync(new URL("./kafka-quota.json", import.meta.url), "utf8")) as object;

type CaseId = "direct" | "tcp" | "noop" | "frames" | "before" | "observe" | "quota" | "full" | "spans" | "inject" | "kroxylicious";
const ALL_CASES: CaseId[] = ["direct", "tcp", "noop", "frames", "before", "observe", "quota", "full", "spans", "inject", "kroxylicious"];
const LABEL: Record<CaseId, string> = {
  direct: "1 direct to broker",
  tcp: "2 Envoy tcp_proxy",
  noop: "2b + no-op Wasm filter",
  frames: "2c + frame headers only",
  before: "3b + baseline module {}",
  observe: "3 + kafka filter {}",
  quota: "3c + quota not reached",
  full: "4 + filter ACL+rewrite",
  spans: "6 + tracing 1%, no inject",
  inject: "7 + tracing, inject all",
  kroxylicious: "5 Kroxylicious (JVM)",
};
const wanted = opt.cases!.split(",").map((s) => s.trim()).filter(Boolean) as CaseId[];
if (opt["baseline-module"] && !wanted.includes("before")) wanted.splice(Math.max(0, wanted.indexOf("observe")), 0, "before");
if (wanted.includes("before") && !opt["baseline-module"]) {
  console.error("--cases before needs --baseline-module F");
  process.exit(2);
}
for (const c of wanted) {
  if (!ALL_CASES.includes(c)) {
    console.error(`--cases: unknown case ${c} (known: ${ALL_CASES.join(",")})`);
    process.exit(2);
  }
}

interface Run {
  round: number;
  caseId: CaseId;
  records: number;
  recordsPerSec: number;
  /** MiB/s of record values as ProducerPerformance reports it ("MB/sec" = 2^20 bytes/s). */
  mibPerSec: number;
  p99Ms: number;
  /**
   * Bytes the proxy received from the producer during the run (wire bytes, framing included);
   * for Kroxylicious, which counts none, the tcp_proxy case's figure of the same round.
   */
  envoyRxBytes?: number;
  /** The proxy process's CPU time (user + system) during the run, seconds. */
  envoyCpuSec?: number;
  /** envoyCpuSec per GiB of envoyRxBytes. */
  cpuSecPerGiB?: number;
}

// ---------- Envoy CPU and bytes ----------

async function rxBytes(s: Sidecar): Promise<number> {
  const stats = await s.envoy.stats("downstream_cx_rx_bytes_total");
  return stats.get("tcp.kafka_sidecar.downstream_cx_rx_bytes_total") ?? 0;
}

// ---------- the load generator ----------

async function producerPerformance(topic: string, bootstrap: string, records: number, name: string) {
  const cp = await kafkaClasspath();
  const { stdout } = await runCommand(
    javaBin(),
    [
      "-Xmx512m",
      "-XX:+UseParallelGC",
      "-cp",
      cp.classpath,
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic", topic,
      "--num-records", String(records),
      "--record-size", String(RECORD_SIZE),
      "--throughput", "-1",
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      `acks=${opt.acks}`,
      `linger.ms=${LINGER_MS}`,
      `batch.size=${BATCH_SIZE}`,
      "compression.type=none",
      "client.id=mqmesh-bench",
    ],
    { name, timeoutMs: 10 * 60_000 },
  );
  // "200000 records sent, 98231.8 records/sec (95.93 MB/sec), 120.3 ms avg latency, 400.0 ms max latency, 110 ms 50th, 300 ms 95th, 380 ms 99th, 399 ms 99.9th."
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, (\d+) ms 99th/m.exec(stdout);
  if (!m) throw new Error(`ProducerPerformance: no summary line in its output:\n${stdout.slice(-2000)}`);
  if (Number(m[1]) !== records) throw new Error(`ProducerPerformance sent ${m[1]} of ${records} records`);
  return { recordsPerSec: Number(m[2]), mibPerSec: Number(m[3]), p99Ms: Number(m[4]) };
}

// ---------- setup ----------

function wasmModule(): string {
  if (opt.module) {
    const p = resolve(opt.module);
    if (!existsSync(p)) throw new Error(`--module ${opt.module}: no such file`);
    return p;
  }
  return join(REPO_ROOT, "build", "kafka.wasm");
}

/**
 * The reference filters of cases noop and frames (bench/wasm/<name>.ts): what
 * any Wasm network filter costs, and any that follows the framing.
 */
function benchModule(name: "noop" | "frames"): Promise<string> {
  return freshModule({ entry: `bench/wasm/${name}.ts`, out: `build/bench/${name}.wasm`, target: "release" });
}

/** Rebuilds build/kafka.wasm when its sources are newer; keeps the old one if that build fails. */
async function ensureWasm(path: string): Promise<void> {
  if (opt.module) return;
  try {
    await freshModule({ entry: "filters/kafka/index.ts", out: "build/kafka.wasm", target: "release" });
  } catch (e) {
    if (!existsSync(path)) throw e;
    progress("bench", `rebuilding build/kafka.wasm failed (${(e as Error).message.split("\n")[0]}); using the existing one`);
  }
}

function filterConfigFor(listenPort: number, brokerId: number): { text: string; json: unknown } {
  const file = resolve(opt["filter-config"]!);
  const vars: Record<string, string | number> = { LISTEN_HOST: LOOPBACK, LISTEN_PORT: listenPort, BROKER_ID: brokerId, TOPIC_PREFIX };
  const text = readFileSync(file, "utf8").replace(/\$\{([A-Z_]+)\}/g, (all, name: string) => (name in vars ? String(vars[name]) : all));
  try {
    return { text, json: JSON.parse(text) };
  } catch (e) {
    throw new Error(`--filter-config ${file}: not JSON after filling placeholders: ${(e as Error).message}`);
  }
}

/**
 * Runs fn with stderr held back: a refused configuration makes the kit print
 * Envoy's log tail, which is noise when the refusal is expected. Printed
 * after all when the failure is something else.
 */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const held: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (held.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return await fn();
  } catch (e) {
    process.stderr.write = write;
    if (!/invalid configuration/.test((e as Error).message)) for (const h of held) write(h);
    throw e;
  } finally {
    process.stderr.write = write;
  }
}

interface Target {
  caseId: CaseId;
  bootstrap: string;
  sidecar?: Sidecar;
  jvm?: KroxyliciousProxy;
}

/** The process of the proxy under test, if any. */
const proxyPid = (t: Target) => t.sidecar?.envoy.proc.pid ?? t.jvm?.proc.pid;

async function main(): Promise<void> {
  const started = Date.now();
  const wasm = wasmModule();
  await ensureWasm(wasm);
  const [binary] = await Promise.all([envoyBinary(), kafkaClasspath(), wanted.includes("kroxylicious") ? kroxyliciousClasses() : undefined]);

  const envoyCases = wanted.filter((c) => c !== "direct" && c !== "kroxylicious");
  const listenPorts: Partial<Record<CaseId, number>> = {};
  for (const c of envoyCases) listenPorts[c] = await freePort();

  let kafka: KafkaCluster | undefined;
  const sidecars: Sidecar[] = [];
  const jvms: KroxyliciousProxy[] = [];
  let sink: OtlpSink | undefined;
  try {
    kafka = await startKafka({
      name: "kafka-bench",
      heap: "1g",
      extraListeners: envoyCases.map((c) => ({ name: c.toUpperCase(), advertised: [{ host: LOOPBACK, port: listenPorts[c]! }] })),
      props: {
        // Keep the disk bounded: a run writes several GiB.
        "log.segment.bytes": 64 << 20,
        "log.retention.bytes": 128 << 20,
        "log.retention.check.interval.ms": 5000,
        "log.segment.delete.delay.ms": 1000,
      },
    });
    const broker = kafka.brokers[0];

    const targets: Target[] = [];
    let fullSkipped: string | undefined;
    for (const c of wanted) {
      if (c === "direct") {
        targets.push({ caseId: c, bootstrap: `${broker.host}:${broker.port}` });
        continue;
      }
      if (c === "kroxylicious") {
        // In front of the PLAINTEXT listener: Kroxylicious rewrites Metadata to its own ports itself.
        const jvm = await startKroxylicious({ name: "kroxylicious-bench", upstream: `${broker.host}:${broker.port}`, nodeId: broker.nodeId });
        jvms.push(jvm);
        targets.push({ caseId: c, bootstrap: jvm.bootstrap, jvm });
        continue;
      }
      const upstream = { host: broker.host, port: broker.listeners[c.toUpperCase()] };
      const base = { name: `envoy-bench-${c}`, listenPort: listenPorts[c], upstream, concurrency: CONCURRENCY };
      let sidecar: Sidecar;
      if (c === "tcp") sidecar = await startKafkaSidecar(base);
      else if (c === "noop" || c === "frames") sidecar = await startKafkaSidecar({ ...base, wasm: await benchModule(c), filterConfig: {} });
      else if (c === "observe") sidecar = await startKafkaSidecar({ ...base, wasm, filterConfig: {} });
      else if (c === "quota") sidecar = await startKafkaSidecar({ ...base, wasm, filterConfig: QUOTA_CONFIG });
      else if (c === "before") sidecar = await startKafkaSidecar({ ...base, wasm: resolve(opt["baseline-module"]!), filterConfig: {} });
      else if (c === "spans" || c === "inject") {
        sink ??= await startOtlpSink();
        const tracing = { inject: c === "inject" ? "always" : "off", sampling: 0.01, collector: { cluster: "mqmesh_otlp" } };
        sidecar = await startKafkaSidecar({ ...base, wasm, filterConfig: { tracing }, extraClusters: serviceClusters({ collector: sink.address }) });
      }
      else {
        const cfg = filterConfigFor(listenPorts[c]!, broker.nodeId);
        const hasAcl = typeof cfg.json === "object" && cfg.json !== null && "acl" in cfg.json;
        try {
          sidecar = await quietly(() => startKafkaSidecar({ ...base, wasm, filterConfig: cfg.json }));
        } catch (e) {
          const why = /invalid configuration: ([^\n]*)/.exec((e as Error).message)?.[1] ?? (e as Error).message.split("\n")[0];
          fullSkipped = `case 4: filter has no ACL/rewrite yet (${why.trim()})`;
          console.log(fullSkipped);
          continue;
        }
        sidecars.push(sidecar);
        // Envoy may start while the plugin refused its configuration (fail_open: false then closes connections).
        const refused = /invalid configuration: ([^\n]*)/.exec(sidecar.envoy.proc.tail(400));
        if (refused || !hasAcl) {
          fullSkipped = `case 4: filter has no ACL/rewrite yet (${refused ? refused[1].trim() : "the config has no acl section"})`;
          console.log(fullSkipped);
          continue;
        }
        // A short produce must work through it: a denied bench topic or broken rewrite is a finding, not a benchmark.
        try {
          await producerPerformance(`${TOPIC_PREFIX}${c}`, `${LOOPBACK}:${listenPorts[c]}`, 100, `perf-probe-${c}`);
        } catch (e) {
          const reason = /invalid configuration: ([^\n]*)/.exec(sidecar.envoy.proc.tail(400));
          fullSkipped = reason
            ? `case 4: filter has no ACL/rewrite yet (${reason[1].trim()})`
            : `case 4: the filter accepted the config but a 100-record produce through it failed; skipped (${(e as Error).message.split("\n")[0]})`;
          console.log(fullSkipped);
          continue;
        }
        progress("bench", `case 4 config accepted: ${cfg.text.replace(/\s+/g, " ").slice(0, 200)}`);
      }
      if (!sidecars.includes(sidecar)) sidecars.push(sidecar);
      targets.push({ caseId: c, bootstrap: `${LOOPBACK}:${listenPorts[c]}`, sidecar });
    }

    if (WARMUP > 0) {
      for (const t of targets) {
        progress("bench", `warm-up ${t.caseId}: ${WARMUP} records (creates the topic, warms Envoy and the broker)`);
        await producerPerformance(`${TOPIC_PREFIX}${t.caseId}`, t.bootstrap, WARMUP, `perf-warmup-${t.caseId}`);
      }
    }

    // What each Envoy burns doing nothing (timers, stats), for reading small CPU figures.
    const idleMsPerSec = await idleCpuMsPerSec(Object.fromEntries(targets.filter(proxyPid).map((t) => [t.caseId, proxyPid(t)])) as Partial<Record<CaseId, number>>);

    const runs: Run[] = [];
    const payloadBytes = RECORDS * RECORD_SIZE;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of targets) {
        const before = await Promise.all(sidecars.map(rxBytes));
        const pid = proxyPid(t);
        const cpu0 = pid ? cpuSeconds(pid) : 0;
        const requests0 = t.jvm ? await t.jvm.metric(KROXYLICIOUS_REQUESTS) : 0;
        const perf = await producerPerformance(`${TOPIC_PREFIX}${t.caseId}`, t.bootstrap, RECORDS, `perf-${t.caseId}-${round}`);
        const cpu1 = pid ? cpuSeconds(pid) : 0;
        let rx: number | undefined;
        const after = await Promise.all(sidecars.map(rxBytes));
        // Where did the bytes go? Only the Envoy under test may carry them.
        sidecars.forEach((s, i) => {
          const delta = after[i] - before[i];
          if (s === t.sidecar) rx = delta;
          else if (delta > payloadBytes / 100) throw new Error(`${t.caseId}: ${delta} bytes went through ${s.envoy.name}, not the Envoy under test`);
        });
        if (t.sidecar && (rx ?? 0) < payloadBytes) throw new Error(`${t.caseId}: Envoy saw ${rx} bytes, fewer than the ${payloadBytes} produced: traffic bypassed it`);
        if (t.jvm) {
          // One Produce request carries at most one batch per partition, so the producer made at least this many.
          const requests = (await t.jvm.metric(KROXYLICIOUS_REQUESTS)) - requests0;
          const atLeast = Math.floor(payloadBytes / Math.max(BATCH_SIZE, RECORD_SIZE));
          if (requests < atLeast) throw new Error(`kroxylicious: ${requests} requests went through Kroxylicious, fewer than the ${atLeast} produce requests of the run: traffic bypassed it`);
        }
        const run: Run = { round, caseId: t.caseId, records: RECORDS, ...perf };
        if (pid) run.envoyCpuSec = cpu1 - cpu0;
        if (t.sidecar) {
          run.envoyRxBytes = rx;
          run.cpuSecPerGiB = run.envoyCpuSec! / (rx! / 2 ** 30);
        }
        runs.push(run);
        progress(
          "bench",
          `round ${round}/${ROUNDS} ${t.caseId.padEnd(7)} ${perf.mibPerSec.toFixed(1)} MiB/s, p99 ${perf.p99Ms} ms` +
            (run.cpuSecPerGiB !== undefined ? `, Envoy ${run.envoyCpuSec!.toFixed(2)} s CPU = ${run.cpuSecPerGiB.toFixed(2)} s/GiB` : "") +
            (t.jvm ? `, JVM ${run.envoyCpuSec!.toFixed(2)} s CPU` : ""),
        );
      }
    }
    // Kroxylicious counts no bytes: its producer sent what the same producer sent through
    // tcp_proxy in the same round (the same records; the wire framing does not depend on the proxy).
    for (const r of runs.filter((x) => x.caseId === "kroxylicious")) {
      r.envoyRxBytes = runs.find((x) => x.caseId === "tcp" && x.round === r.round)?.envoyRxBytes ?? RECORDS * RECORD_SIZE;
      r.cpuSecPerGiB = r.envoyCpuSec! / (r.envoyRxBytes / 2 ** 30);
    }

    report(runs, targets.map((t) => t.caseId), fullSkipped, idleMsPerSec, binary.version, kafka.version, started);
    if (sink) console.log(`tracing cases: the stand-in collector took ${sink.exports} exports (${(sink.bytes / 1024).toFixed(0)} KiB)`);
    if (opt.json) writeFileSync(resolve(opt.json), JSON.stringify({ date: new Date().toISOString(), machine: machine(), settings: settings(), envoy: binary.version, kafka: kafka.version, cases: targets.map((t) => t.caseId), fullSkipped, idleMsPerSec, runs }, null, 2) + "\n");
  } finally {
    await Promise.all([...sidecars, ...jvms, ...(sink ? [sink] : [])].map((s) => s.stop()));
    if (kafka) {
      await kafka.stop();
      for (const b of kafka.brokers) rmSync(b.dataDir, { recursive: true, force: true });
    }
  }
}

function settings() {
  return { rounds: ROUNDS, records: RECORDS, recordSize: RECORD_SIZE, batchSize: BATCH_SIZE, lingerMs: LINGER_MS, acks: opt.acks, warmup: WARMUP, envoyConcurrency: CONCURRENCY, kroxylicious: KROXYLICIOUS_VERSION };
}

function report(runs: Run[], cases: CaseId[], fullSkipped: string | undefined, idleMsPerSec: Partial<Record<CaseId, number>>, envoyVersion: string, kafkaVersion: string, started: number, saved?: { date: string; machine: string; settings: ReturnType<typeof settings> }): void {
  const of = (c: CaseId) => runs.filter((r) => r.caseId === c);
  const tput = (c: CaseId) => of(c).map((r) => r.mibPerSec);
  const cpu = (c: CaseId) => of(c).flatMap((r) => (r.cpuSecPerGiB === undefined ? [] : [r.cpuSecPerGiB]));
  const p99 = (c: CaseId) => of(c).map((r) => r.p99Ms);
  // Paired ratios: each round's case against the same round's tcp_proxy.
  const pairs = (c: CaseId, pick: (r: Run) => number | undefined) => pairedRatios(runs, c, "tcp", pick);
  const hasTcp = cases.includes("tcp");
  // Ratio of the medians (what the table's own columns give) …
  const ofMedians = (c: CaseId, xs: (c: CaseId) => number[]) => median(xs(c)) / median(xs("tcp"));

  const rows: string[][] = [
    ["case", "MiB/s med", "(min–max)", "vs tcp", "proxy CPU s/GiB med", "(min–max)", "vs tcp", "p99 ms"],
    ...caseRows(cases, (c) => LABEL[c as CaseId], (c) => tput(c as CaseId), (c) => cpu(c as CaseId), (c) => p99(c as CaseId), { tput: 1, cpu: 2, p99: 0 }),
  ];

  const s = saved?.settings ?? settings();
  console.log("");
  console.log(`mqmesh bench:kafka — ${(saved?.date ?? new Date().toISOString()).slice(0, 16).replace("T", " ")} UTC, ${saved?.machine ?? machine()}`);
  console.log(`Envoy ${envoyVersion} (concurrency ${s.envoyConcurrency}), Kafka ${kafkaVersion} (1 broker), ProducerPerformance ${s.records} × ${s.recordSize} B, acks=${s.acks} linger.ms=${s.lingerMs} batch.size=${s.batchSize}, ${s.rounds} interleaved rounds` +
    (cases.includes("kroxylicious") ? `, Kroxylicious ${s.kroxylicious ?? "?"}` : ""));
  console.log("");
  for (const l of table(rows)) console.log(l);
  if (fullSkipped && wanted.includes("full")) console.log(fullSkipped);
  console.log("");
  console.log("vs tcp = median of the case ÷ median of tcp_proxy, same run. CPU s/GiB = the proxy's user+sys CPU during the producer");
  console.log("run ÷ bytes Envoy received from the producer; for Kroxylicious's JVM, which counts no bytes, the bytes of the same");
  console.log("records through tcp_proxy in the same round (idle CPU included; measured idle: " +
    Object.entries(idleMsPerSec).map(([c, v]) => `${c} ${v!.toFixed(1)} ms/s`).join(", ") + ").");
  if (hasTcp) {
    const noise = noiseNote("tcp_proxy", tput("tcp"));
    if (noise) console.log(noise);
    for (const c of ["observe", "full"] as CaseId[]) {
      if (!cases.includes(c)) continue;
      const tp = pairs(c, (r) => r.mibPerSec), cp = pairs(c, (r) => r.cpuSecPerGiB);
      const pct = pctRange, times = timesRange;
      console.log(
        `target, ${LABEL[c].slice(2)}: throughput ${(ofMedians(c, tput) * 100).toFixed(0)}% of tcp_proxy, per round ${pct(tp)} (≥ 95%: ${verdict(tp, (x) => x >= 0.95)}); ` +
          `CPU/GiB ${ofMedians(c, cpu).toFixed(2)}x, per round ${times(cp)} (≤ 1.25x: ${verdict(cp, (x) => x <= 1.25)})`,
      );
    }
    if (cases.includes("kroxylicious")) {
      const tp = pairs("kroxylicious", (r) => r.mibPerSec), cp = pairs("kroxylicious", (r) => r.cpuSecPerGiB);
      console.log(`Kroxylicious (JVM) vs tcp_proxy: throughput ${fmtRatio(ofMedians("kroxylicious", tput))} (per round ${timesRange(tp)}), CPU/GiB ${fmtRatio(ofMedians("kroxylicious", cpu))} (per round ${timesRange(cp)})`);
    }
  }
  // Tracing's own cost: the case's Envoy CPU/GiB over observe's, in tcp_proxy's of the same round.
  for (const c of ["spans", "inject"] as CaseId[]) {
    if (!cases.includes(c) || !hasTcp || !cases.includes("observe")) continue;
    const over = of(c).flatMap((r) => {
      const base = runs.find((x) => x.caseId === "observe" && x.round === r.round)?.cpuSecPerGiB;
      const tcp = runs.find((x) => x.caseId === "tcp" && x.round === r.round)?.cpuSecPerGiB;
      return r.cpuSecPerGiB === undefined || base === undefined || !tcp ? [] : [(r.cpuSecPerGiB - base) / tcp];
    });
    if (!over.length) continue;
    const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}x`;
    console.log(`${LABEL[c].slice(2)}: Envoy CPU/GiB over observe ${signed(median(over))} tcp_proxy, per round ${over.map(signed).join(" ")}` +
      (c === "spans" ? ` (≤ +0.10x: ${verdict(over, (x) => x <= 0.1)})` : ""));
  }
  if (cases.includes("kroxylicious") && cases.includes("observe")) {
    const cp = pairedRatios(runs, "kroxylicious", "observe", (r) => r.cpuSecPerGiB);
    console.log(`Kroxylicious (JVM) vs kafka filter {}, CPU/GiB per round: ${timesRange(cp)} (median ${median(cp).toFixed(2)}x)`);
  }
  if (cases.includes("quota") && cases.includes("observe") && hasTcp) {
    // What a configured quota adds, in units of tcp_proxy's own CPU per GiB, round by round.
    const rounds = [...new Set(runs.map((r) => r.round))];
    const added = rounds.flatMap((n) => {
      const at = (c: CaseId) => runs.find((r) => r.round === n && r.caseId === c)?.cpuSecPerGiB;
      const [q, o, t] = [at("quota"), at("observe"), at("tcp")];
      return q !== undefined && o !== undefined && t ? [(q - o) / t] : [];
    });
    console.log(`quota not reached vs kafka filter {}, Envoy CPU/GiB added per round, × tcp_proxy's: ${added.map((x) => x.toFixed(3)).join(", ")} (median ${median(added).toFixed(3)}; target ≤ +0.05: ${verdict(added, (x) => x <= 0.05)})`);
  }
  if (cases.includes("before") && cases.includes("observe")) {
    const cp = pairedRatios(runs, "observe", "before", (r) => r.cpuSecPerGiB);
    console.log(`observe vs the baseline module, Envoy CPU/GiB per round: ${timesRange(cp)} (median ${median(cp).toFixed(2)}x)`);
  }
  if (!saved) console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${runPath("logs")}`);
}

if (opt.report) {
  const saved = JSON.parse(readFileSync(resolve(opt.report), "utf8"));
  const runs = saved.runs as Run[];
  const cases = (saved.cases as CaseId[] | undefined) ?? ALL_CASES.filter((c) => runs.some((r) => r.caseId === c));
  report(runs, cases, saved.fullSkipped, saved.idleMsPerSec ?? {}, saved.envoy, saved.kafka, Date.now(), saved);
} else {
  await main();
}
