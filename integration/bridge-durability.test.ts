// The HTTP-to-Kafka bridge while its broker goes away and comes back: steady
// Dapr publishes (a few concurrent, unique values) for ~30 s (and 5 s past
// the broker serving again, however long its restart takes), the broker is
// stopped for ~5 s and restarted on the same ports and data dir, Envoy keeps
// running. Afterwards every 2xx is in the topic exactly once, every other
// answer was an error status (503 with Retry-After, or 5xx) within the
// timeout, and publishing works again.
//
// This test starts its own broker (the shared one must not be stopped).
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshModule } from "../scripts/compile.ts";
import { startBridge, type Bridge } from "./stack/bridge.ts";
import { startKafka, type KafkaCluster } from "./stack/kafka.ts";
import { readTopic } from "./support/kafka-topics.ts";

const RUN_MS = 30_000;
/** Publishing goes on at least this long after the broker serves again (its restart takes 5-20 s on a loaded machine). */
const AFTER_SERVING_MS = 5_000;
const STOP_AT_MS = 8_000;
const DOWN_MS = 5_000;
const WORKERS = 4;
/** The bridge's own timeout is 5 s; anything beyond this counts as a hang. */
const CLIENT_TIMEOUT_MS = 12_000;

let cluster: KafkaCluster;
let bridge: Bridge;
let kafka: Kafka;

beforeAll(async () => {
  const wasm = await freshModule({ entry: "filters/http-mq-bridge/index.ts", out: "build/http-mq-bridge.wasm" });
  cluster = await startKafka({ name: "kafka-durability" });
  const b = cluster.brokers[0];
  kafka = new Kafka({ clientId: "mqmesh-durability-test", brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
  bridge = await startBridge({
    name: "envoy-bridge-durability",
    upstream: { host: b.host, port: b.port },
    wasm,
    filterConfig: { pubsubs: { kafka: { type: "kafka", cluster: "kafka_tunnel" } }, appId: "durability-test", timeoutMs: 5000 },
  });
}, 300_000);

afterAll(async () => {
  await bridge?.stop();
  await cluster?.stop();
});

interface Outcome {
  value: string;
  status: number; // 0 = no HTTP answer (network error or client timeout)
  retryAfter: string | null;
  error?: string;
  startMs: number;
  ms: number;
}

async function publishOne(topic: string, value: string, t0: number): Promise<Outcome> {
  const start = performance.now();
  try {
    const res = await fetch(`${bridge.url}/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`, {
      method: "POST",
      body: value,
      headers: { "content-type": "text/plain" },
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { value, status: res.status, retryAfter: res.headers.get("retry-after"), startMs: start - t0, ms: performance.now() - start };
  } catch (e) {
    return { value, status: 0, retryAfter: null, error: String((e as Error).cause ?? e), startMs: start - t0, ms: performance.now() - start };
  }
}

async function readValues(topic: string): Promise<string[]> {
  return (await readTopic(kafka, topic)).map((m) => m.value!.toString());
}

describe("http-mq-bridge: broker stopped and restarted under steady publishing", () => {
  it("every 2xx is in the topic exactly once, failures are error statuses, the bridge recovers without an Envoy restart", async () => {
    const topic = `durable-${randomBytes(4).toString("hex")}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const envoyPid = bridge.envoy.proc.pid;

    const outcomes: Outcome[] = [];
    const t0 = performance.now();
    let seq = 0;
    let servingAt = Infinity;
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      while (performance.now() - t0 < Math.max(RUN_MS, servingAt + AFTER_SERVING_MS)) {
        outcomes.push(await publishOne(topic, `w${w}-${seq++}-${randomBytes(4).toString("hex")}`, t0));
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    const chaos = (async () => {
      await new Promise((r) => setTimeout(r, STOP_AT_MS));
      const stopAt = performance.now() - t0;
      await cluster.stopBroker(0);
      const stoppedAt = performance.now() - t0;
      await new Promise((r) => setTimeout(r, DOWN_MS));
      const restartAt = performance.now() - t0;
      await cluster.startBroker(0);
      servingAt = performance.now() - t0;
      return { stopAt, stoppedAt, restartAt, servingAt };
    })();
    const [times] = await Promise.all([chaos, ...workers]);

    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const ok = outcomes.filter((o) => o.status >= 200 && o.status < 300);
    const failed = outcomes.filter((o) => !(o.status >= 200 && o.status < 300));
    console.log(
      `durability: ${outcomes.length} publishes, statuses ${JSON.stringify(Object.fromEntries(byStatus))}; ` +
        `broker stop ${(times.stopAt / 1000).toFixed(1)}–${(times.stoppedAt / 1000).toFixed(1)} s, restart ${(times.restartAt / 1000).toFixed(1)} s, serving ${(times.servingAt / 1000).toFixed(1)} s; ` +
        `slowest answer ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms; ` +
        `last failure sent at ${(Math.max(...failed.map((o) => o.startMs)) / 1000).toFixed(1)} s, first 2xx after the restart sent at ${(Math.min(...ok.filter((o) => o.startMs > times.restartAt).map((o) => o.startMs)) / 1000).toFixed(1)} s`,
    );

    // The outage was seen, and the broker's answer was waited for before and after it.
    expect(failed.length).toBeGreaterThan(0);
    expect(ok.filter((o) => o.startMs < times.stopAt).length).toBeGreaterThan(0);
    expect(ok.filter((o) => o.startMs > times.servingAt).length).toBeGreaterThan(0);
    // Every failure is an HTTP error status within the timeout: 503 with Retry-After, or another 5xx.
    for (const o of failed) {
      expect(o.status, `${o.value}: ${o.error ?? ""}`).toBeGreaterThanOrEqual(500);
      expect(o.status).toBeLessThan(600);
      if (o.status === 503) expect(o.retryAfter, o.value).toMatch(/^\d+$/);
    }
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(CLIENT_TIMEOUT_MS);
    // Failures happen only around the outage (up to the bridge timeout before the stop, some seconds after serving again).
    for (const o of failed) {
      expect(o.startMs, o.value).toBeGreaterThan(times.stopAt - 6_000);
    }

    // The bridge works again, same Envoy process.
    expect(bridge.envoy.proc.pid).toBe(envoyPid);
    expect(bridge.envoy.proc.exitStatus()).toBeUndefined();
    const after = await publishOne(topic, `after-${randomBytes(4).toString("hex")}`, t0);
    expect(after.status, after.error).toBe(204);
    ok.push(after);

    // Every 2xx exactly once; nothing in the topic twice; nothing that was never sent.
    const stored = await readValues(topic);
    const counts = new Map<string, number>();
    for (const v of stored) counts.set(v, (counts.get(v) ?? 0) + 1);
    const dupes = [...counts].filter(([, c]) => c > 1);
    expect(dupes, "duplicates in the topic").toEqual([]);
    const missing = ok.filter((o) => counts.get(o.value) !== 1).map((o) => o.value);
    expect(missing, "2xx answers missing from the topic").toEqual([]);
    const sent = new Set([...outcomes.map((o) => o.value), after.value]);
    expect(stored.filter((v) => !sent.has(v))).toEqual([]);
    const failedButStored = failed.filter((o) => counts.has(o.value)).length;
    console.log(`durability: ${stored.length} records in the topic, ${ok.length} acknowledged, ${failedButStored} failed requests whose record was stored anyway (allowed: the ack was lost)`);
  }, 240_000);
});
