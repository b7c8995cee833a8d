// Kafka quotas of the kafka filter in real Envoy, against the shared broker,
// measured on the broker: the topic's log end offset (acks=all, one broker:
// the high watermark) sampled while a real client produces flat out, times
// the record size. The filter's own counters are never consulted.
//
// Window and tolerance. Each client sends 34000 records of 1000 bytes: the
// bucket's burst (1 s of quota) is spent first, so the rate is taken between
// landings of records (see measure), the first past 1.5 MiB and the last
// before the final one: a window of about 30 s. The filter counts whole
// request bytes (request and batch headers, per-record overhead: about 2%
// over 1000-byte values, so records run a little under 1 MiB/s), a mute ends
// at the filter's next 20 ms tick, and the samples are taken every 50 ms by
// the test's own event loop: over 30 s these move the figure by well under
// 1%, so records are expected at 0.95-1.05 MiB/s.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceClusters } from "../policy/envoy/resources.ts";
import { freePort, kafkaTool, kafkaWasmPath, kcat, startKafkaSidecar, type Sidecar } from "./stack/index.ts";
import { startRateLimitService, type RateLimitService } from "./stack/ratelimit.ts";
import { createTopic } from "./support/kafka-topics.ts";

const bootstrap = inject("kafkaBootstrap");
const [brokerHost, brokerPort] = bootstrap.split(",")[0].split(":");
const direct = new Kafka({ clientId: "quota-observer", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
const MiB = 1 << 20;
const RECORD = 1000;
const LOW = 0.95;
const HIGH = 1.05;
// About 30 s at 1 MiB/s past the burst.
const RECORDS = 34000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sidecars: Sidecar[] = [];

// A sidecar in front of the broker, its clients kept on it by the broker rewrite.
async function sidecar(config: object, opts: { extraClusters?: object[]; concurrency?: number } = {}): Promise<Sidecar> {
  const md = JSON.parse((await kcat(["-b", bootstrap, "-L", "-J", "-m", "10"])).stdout) as { brokers: { id: number }[] };
  const listenPort = await freePort();
  const s = await startKafkaSidecar({
    name: `envoy-kafka-quota-${sidecars.length}`,
    listenPort,
    upstream: { host: brokerHost, port: Number(brokerPort) },
    wasm: await kafkaWasmPath(),
    filterConfig: { brokerAddresses: Object.fromEntries(md.brokers.map((b) => [String(b.id), `127.0.0.1:${listenPort}`])), ...config },
    extraClusters: opts.extraClusters as never,
    concurrency: opts.concurrency,
  });
  sidecars.push(s);
  return s;
}

async function logEnd(admin: ReturnType<Kafka["admin"]>, topics: string[]): Promise<number> {
  let total = 0;
  for (const t of topics) for (const o of await admin.fetchTopicOffsets(t)) total += Number(o.high);
  return total;
}

interface Measured {
  mibPerSecond: number;
  windowSeconds: number;
  records: number;
}

// Samples the topics' log end offsets every 50 ms while `run` produces, and
// the records' rate past the burst (see the top of the file).
async function measure(topics: string[], run: () => Promise<unknown>, skipBytes = 1.5 * MiB): Promise<Measured> {
  const admin = direct.admin();
  await admin.connect();
  const samples: { t: number; n: number }[] = [];
  let done = false;
  const producing = run().finally(() => (done = true));
  try {
    while (!done) {
      samples.push({ t: performance.now(), n: await logEnd(admin, topics) });
      await sleep(50);
    }
    await producing;
    const final = await logEnd(admin, topics);
    samples.push({ t: performance.now(), n: final });
    // Between two landings (samples showing more records than the one
    // before): the first past the burst and the last before the final one.
    // A client whose records land in steps (a muted pipelining client gets a
    // connection buffer's worth through per mute) is so measured over whole
    // steps, and the last step, a remainder that lands without its wait, is
    // left out.
    const landings = samples.filter((s, i) => i > 0 && s.n > samples[i - 1].n);
    const start = landings.find((s) => s.n * RECORD >= skipBytes);
    const end = [...landings].reverse().find((s) => s.n < final);
    if (!start || !end || end.t - start.t < 2000) throw new Error(`no steady window: ${JSON.stringify(samples)} final ${final}`);
    return { mibPerSecond: ((end.n - start.n) * RECORD) / MiB / ((end.t - start.t) / 1000), windowSeconds: (end.t - start.t) / 1000, records: final };
  } finally {
    await admin.disconnect();
  }
}

const value = () => randomBytes(RECORD / 2).toString("hex");

// kafkajs, flat out: batches of 64 records (about 64 KiB) one after another.
async function kafkajsProduce(address: string, topic: string, total: number, batch = 64): Promise<void> {
  const kafka = new Kafka({ clientId: `quota-kafkajs-${randomBytes(2).toString("hex")}`, brokers: [address], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let sent = 0; sent < total; sent += batch) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(batch, total - sent) }, () => ({ value: value() })) });
    }
  } finally {
    await producer.disconnect();
  }
}

const QUOTA_RULE = { name: "produce", per: "rule", produceBytesPerSecond: MiB, burstSeconds: 1 };

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
});

describe("produce quota of 1 MiB/s, measured on the broker", () => {
  let s: Sidecar;
  beforeAll(async () => {
    s = await sidecar({ quotas: { rules: [QUOTA_RULE] } });
  }, 120_000);

  it("kafkajs achieves about 1 MiB/s", async () => {
    const topic = await createTopic(direct, "quota-kafkajs");
    const m = await measure([topic], () => kafkajsProduce(s.address, topic, RECORDS));
    console.log(`kafkajs: ${m.mibPerSecond.toFixed(3)} MiB/s over ${m.windowSeconds.toFixed(1)} s`);
    expect(m.records).toBe(RECORDS);
    expect(m.mibPerSecond).toBeGreaterThan(LOW);
    expect(m.mibPerSecond).toBeLessThan(HIGH);
  });

  it("kcat (librdkafka, which ignores throttle_time_ms) is held to about 1 MiB/s by the muted connection", async () => {
    const topic = await createTopic(direct, "quota-kcat");
    await sleep(1500); // the previous client's debt is repaid, the bucket full again
    const input = Array.from({ length: RECORDS }, value).join("\n") + "\n";
    const m = await measure([topic], () =>
      kcat(["-P", "-b", s.address, "-t", topic, "-X", "acks=all", "-X", "batch.size=65536", "-X", "linger.ms=5"], { input, timeoutMs: 120_000 }),
    );
    console.log(`kcat: ${m.mibPerSecond.toFixed(3)} MiB/s over ${m.windowSeconds.toFixed(1)} s`);
    expect(m.records).toBe(RECORDS);
    expect(m.mibPerSecond).toBeGreaterThan(LOW);
    expect(m.mibPerSecond).toBeLessThan(HIGH);
  });

  it("Kafka's Java ProducerPerformance achieves about 1 MiB/s", async () => {
    const topic = await createTopic(direct, "quota-java");
    await sleep(1500);
    let stdout = "";
    const m = await measure([topic], async () => {
      stdout = (await kafkaTool("org.apache.kafka.tools.ProducerPerformance", [
        "--topic", topic, "--num-records", String(RECORDS), "--record-size", String(RECORD), "--throughput", "-1",
        "--producer-props", `bootstrap.servers=${s.address}`, "acks=all", "linger.ms=5", "batch.size=65536",
      ])).stdout;
    });
    console.log(`ProducerPerformance: ${m.mibPerSecond.toFixed(3)} MiB/s over ${m.windowSeconds.toFixed(1)} s`);
    expect(stdout).toMatch(new RegExp(`^${RECORDS} records sent`, "m"));
    expect(m.records).toBe(RECORDS);
    expect(m.mibPerSecond).toBeGreaterThan(LOW);
    expect(m.mibPerSecond).toBeLessThan(HIGH);
  });
});

describe("one limit for the workers of one Envoy", () => {
  it("two kafkajs producers at once, on both of the sidecar's workers, share 1 MiB/s", async () => {
    const s = await sidecar({ quotas: { rules: [QUOTA_RULE] } }, { concurrency: 2 });
    const [a, b] = [await createTopic(direct, "quota-workers-a"), await createTopic(direct, "quota-workers-b")];
    const m = await measure([a, b], () => Promise.all([kafkajsProduce(s.address, a, RECORDS / 2), kafkajsProduce(s.address, b, RECORDS / 2)]));
    // Envoy's listener counts the connections each worker accepted.
    const accepted = [...(await s.envoy.stats("worker_")).entries()].filter(([k, v]) => /^listener\..*\.worker_\d+\.downstream_cx_total$/.test(k) && v > 0);
    console.log(`two producers, ${accepted.length} workers: ${m.mibPerSecond.toFixed(3)} MiB/s over ${m.windowSeconds.toFixed(1)} s`);
    expect(accepted.length).toBe(2);
    expect(m.records).toBe(RECORDS);
    expect(m.mibPerSecond).toBeGreaterThan(LOW);
    expect(m.mibPerSecond).toBeLessThan(HIGH);
  });
});

describe("fetch quota of 1 MiB/s", () => {
  it("holds a kafkajs consumer to about 1 MiB/s of records", async () => {
    const s = await sidecar({ quotas: { rules: [{ name: "fetch", per: "rule", fetchBytesPerSecond: MiB, burstSeconds: 1 }] } });
    const topic = await createTopic(direct, "quota-fetch");
    // Stored around the sidecar, then read through it.
    const producer = direct.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 500) await producer.send({ topic, acks: -1, messages: Array.from({ length: 500 }, () => ({ value: value() })) });
    await producer.disconnect();
    const kafka = new Kafka({ clientId: "quota-fetch", brokers: [s.address], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `quota-fetch-${randomBytes(3).toString("hex")}`, maxBytes: 65536, maxBytesPerPartition: 65536 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: { t: number; n: number }[] = [];
    let n = 0;
    const joined = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${n} of ${RECORDS}`)), 120_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          n += batch.messages.length;
          seen.push({ t: performance.now(), n });
          if (n >= RECORDS) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    const stopping = performance.now();
    await consumer.disconnect();
    console.log(`fetch: first batch ${(seen[0].t - joined).toFixed(0)} ms after run(), disconnect ${(performance.now() - stopping).toFixed(0)} ms`);
    // Past the burst, to the last batch before the end.
    const start = seen.find((x) => x.n * RECORD >= 1.5 * MiB)!;
    const end = seen[seen.length - 2];
    const rate = ((end.n - start.n) * RECORD) / MiB / ((end.t - start.t) / 1000);
    console.log(`kafkajs consumer: ${rate.toFixed(3)} MiB/s over ${((end.t - start.t) / 1000).toFixed(1)} s`);
    expect(end.t - start.t).toBeGreaterThan(2000);
    expect(rate).toBeGreaterThan(LOW);
    expect(rate).toBeLessThan(HIGH);
  });
});

describe("a global rule through envoyproxy/ratelimit", () => {
  let rls: RateLimitService;
  let open: Sidecar;
  let closed: Sidecar;
  const RULE = { name: "mesh", per: "rule", global: true, produceBytesPerSecond: MiB };
  const service = (failureMode: string) => ({ cluster: "mqmesh_ratelimit", domain: "mqmesh", timeoutMs: 500, failureMode });

  beforeAll(async () => {
    rls = await startRateLimitService({
      name: "ratelimit-kafka-quotas",
      rules: [{ name: "mesh", match: [{ key: "rule", value: "mesh" }, { key: "unit", value: "produce_bytes" }], requestsPerUnit: MiB, unit: "second" }],
    });
    const extraClusters = serviceClusters({ rateLimitService: rls.grpcAddress });
    open = await sidecar({ quotas: { rules: [RULE] }, rateLimitService: service("open") }, { extraClusters });
    closed = await sidecar({ quotas: { rules: [RULE] }, rateLimitService: service("closed") }, { extraClusters });
  }, 30 * 60_000);

  afterAll(async () => rls?.stop());

  it("two sidecars share one limit: their sum is about 1 MiB/s", async () => {
    const [a, b] = [await createTopic(direct, "quota-global-a"), await createTopic(direct, "quota-global-b")];
    const m = await measure(
      [a, b],
      // About 30 s of sending: the service counts whole-second windows, so a
      // window more or less at either end moves a short measurement by 3% here.
      () => Promise.all([kafkajsProduce(open.address, a, RECORDS / 2, 16), kafkajsProduce(closed.address, b, RECORDS / 2, 16)]),
      0.5 * MiB,
    );
    console.log(`global, two sidecars: ${m.mibPerSecond.toFixed(3)} MiB/s over ${m.windowSeconds.toFixed(1)} s`);
    expect(m.mibPerSecond).toBeGreaterThan(0.9);
    expect(m.mibPerSecond).toBeLessThan(1.1);
  });

  it("with the service stopped, failureMode open lets a producer through and closed holds it back", async () => {
    await rls.stop();
    const topic = await createTopic(direct, "quota-global-down");
    const timed = async (address: string) => {
      const t = performance.now();
      await kafkajsProduce(address, topic, 5, 1);
      return performance.now() - t;
    };
    const openMs = await timed(open.address);
    const closedMs = await timed(closed.address);
    console.log(`service down: 5 sends took ${openMs.toFixed(0)} ms (open), ${closedMs.toFixed(0)} ms (closed)`);
    // closed: after the first failed call every request waits a second.
    expect(closedMs).toBeGreaterThan(3000);
    expect(openMs).toBeLessThan(closedMs / 2);
    const admin = direct.admin();
    await admin.connect();
    expect(await logEnd(admin, [topic])).toBe(10); // nothing lost either way
    await admin.disconnect();
  });
});
