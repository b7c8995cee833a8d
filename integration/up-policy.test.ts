// `mqmesh up` with a policy file, as a newcomer runs it: every filter runs
// (kafka; rocketmq and rocketmq-grpc; the bridge), configured from the
// example policy. A Java remoting producer through the printed name server
// and a gRPC producer through the printed endpoint show per-topic metrics on
// the sidecar's Prometheus output, and what the example's ACL denies is
// refused with each client's own permission error. Editing the policy while
// up runs denies a topic for new connections within 5 s, without restarting
// Envoy, while an open kcat consumer of another topic keeps going. Clients
// that exceed the example's demo quota and limits on purpose are slowed or
// refused as each filter's README says. With
// --monitoring, every PromQL expression of the Grafana dashboard returns data
// from the Prometheus up started, after that traffic through every filter.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { ForbiddenException, Producer, TooManyRequestsException } from "rocketmq-client-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { freshModule } from "../scripts/compile.ts";
import { recordedPids } from "./cli/state.ts";
import { fileLogger } from "./stack/client-logger.ts";
import { kcat, kcatBin } from "./stack/index.ts";
import { prometheusQuery } from "./stack/prometheus.ts";
import { remotingRoundTrip, remotingSend } from "./stack/rocketmq-java.ts";
import { createTopic } from "./stack/rocketmq-remoting.ts";
import { METRIC_POLL, prometheusValue } from "./support/envoy-metrics.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const mqmesh = (args: string[], timeout = 900_000) => execa(process.execPath, ["bin/mqmesh.mjs", ...args], { cwd: root, timeout, reject: false });
const NO_PERMISSION = 16;
const N = 10;
const stamp = Date.now();

const dir = mkdtempSync(join(tmpdir(), "mqmesh-up-policy-"));
const policyFile = join(dir, "mqmesh.yaml");
let out: any;

/** kcat through the sidecar: produces `lines`; the error text when the broker (or the ACL) refused. */
async function produce(bootstrap: string, topic: string, lines: string[]): Promise<string | undefined> {
  const args = ["-b", bootstrap, "-P", "-t", topic, "-X", "allow.auto.create.topics=true", "-X", "topic.request.required.acks=-1", "-m", "15"];
  return kcat(args, { input: lines.join("\n") + "\n" }).then(
    (r) => (/error|fail/i.test(r.stderr) ? r.stderr : undefined),
    (e: Error) => e.message,
  );
}

beforeAll(async () => {
  for (const f of ["kafka", "rocketmq", "rocketmq-grpc", "http-mq-bridge"]) await freshModule({ entry: `filters/${f}/index.ts`, out: `build/${f}.wasm` });
  copyFileSync(join(root, "examples", "mqmesh.yaml"), policyFile);
  const up = await mqmesh(["up", "--detach", "--json", "--no-build", "--monitoring", "--policy", policyFile]);
  expect(up.exitCode, `mqmesh up failed:\n${up.stderr}`).toBe(0);
  out = JSON.parse(up.stdout);
}, 1_200_000);

afterAll(async () => {
  if (out?.id) await mqmesh(["down", out.id], 180_000);
  rmSync(dir, { recursive: true, force: true });
}, 200_000);

describe("mqmesh up with the example policy", () => {
  it("runs every filter and says what each enforces", () => {
    expect(out.policy).toBe(policyFile);
    expect(out.kafka.filters.map((f: any) => f.name)).toEqual(["kafka"]);
    expect(out.rocketmq.filters.map((f: any) => f.name).sort()).toEqual(["rocketmq", "rocketmq-grpc"]);
    expect(out.http.filters.map((f: any) => f.name)).toEqual(["http-mq-bridge"]);
    const enforces = (filters: any[], name: string) => filters.find((f) => f.name === name).enforces.join("; ");
    expect(enforces(out.kafka.filters, "kafka")).toMatch(/ACL: 2 rules, default allow, denies payments\.\*/);
    expect(enforces(out.rocketmq.filters, "rocketmq")).toMatch(new RegExp(`ACL: 1 rule.*route answers name ${out.rocketmq.remoting}`));
    expect(enforces(out.rocketmq.filters, "rocketmq-grpc")).toMatch(/ACL: 1 rule, default allow, denies payments-\*/);
    expect(enforces(out.http.filters, "http-mq-bridge")).toMatch(/pubsubs: kafka \(kafka\), rocketmq \(rocketmq\); 1 routing rule/);
  });

  it(`a Java remoting producer through the printed name server: ${N} sends counted per topic, a denied topic gets NO_PERMISSION`, async () => {
    const topic = `up-remoting-${stamp}`;
    await createTopic(out.rocketmq.direct.broker, topic);
    // Sent, then read back by a lite pull consumer, both with the printed name server.
    const events = await remotingRoundTrip(out.rocketmq.namesrv, topic, N, `${topic}-group`);
    const sent = events.filter((e) => e.event === "sent");
    expect(sent).toHaveLength(N);
    expect(events.filter((e) => e.event === "received")).toHaveLength(N);
    // The name server's route answers were rewritten: every send went through the sidecar.
    expect(new Set(sent.map((e) => (e as { brokerAddr: string }).brokerAddr))).toEqual(new Set([out.rocketmq.remoting]));
    await expect.poll(() => prometheusValue(out.rocketmq.adminUrl, "mqmesh_rocketmq_sent_messages_total", { topic }), METRIC_POLL).toBe(N);

    const denied = `payments-${stamp}`;
    await createTopic(out.rocketmq.direct.broker, denied);
    const refused = await remotingSend(out.rocketmq.namesrv, denied, 1, `${denied}-producer`);
    expect(refused.filter((e) => e.event === "sent")).toEqual([]);
    expect(refused.find((e) => e.event === "error")).toMatchObject({ responseCode: NO_PERMISSION });
  });

  it(`a gRPC producer through the printed endpoint: ${N} sends counted per topic, a denied topic gets ForbiddenException`, async () => {
    const topic = `up-grpc-${stamp}`;
    const denied = `payments-grpc-${stamp}`;
    for (const t of [topic, denied]) await createTopic(out.rocketmq.direct.broker, t);
    const producer = new Producer({ endpoints: out.rocketmq.grpc, namespace: "", topics: [topic], logger: fileLogger("up-grpc-producer"), maxAttempts: 1 });
    await producer.startup();
    let error: unknown;
    try {
      for (let i = 0; i < N; i++) await producer.send({ topic, tag: "t", keys: [`k-${i}`], body: Buffer.from(`body ${i}`) });
      await producer.send({ topic: denied, tag: "t", keys: ["k"], body: Buffer.from("must not arrive") }).catch((e) => (error = e));
    } finally {
      await producer.shutdown();
    }
    await expect.poll(() => prometheusValue(out.rocketmq.adminUrl, "mqmesh_rocketmq_grpc_sent_messages_total", { topic }), METRIC_POLL).toBe(N);
    expect(error).toBeInstanceOf(ForbiddenException);
  });

  it("kcat through the Kafka sidecar: the example's ACL refuses payments.*", async () => {
    expect(await produce(out.kafka.bootstrap, `payments.orders-${stamp}`, ["no"])).toMatch(/Topic authorization failed/i);
    expect(await produce(out.kafka.bootstrap, `orders-${stamp}`, ["yes"])).toBeUndefined();
  });

  it("a policy edit denies a topic for new connections within 5 s; Envoy keeps its pid and an open consumer keeps going", async () => {
    const [denyLater, keepReading] = [`reload-a-${stamp}`, `reload-b-${stamp}`];
    expect(await produce(out.kafka.bootstrap, denyLater, ["allowed before the edit"])).toBeUndefined();
    expect(await produce(out.kafka.bootstrap, keepReading, ["first"])).toBeUndefined();
    const envoyPid = () => recordedPids(out.runDir).find((p) => p.name === "envoy-kafka-sidecar")?.pid;
    const pidBefore = envoyPid();
    expect(pidBefore).toBeGreaterThan(0);

    // An open consumer of the other topic, through the sidecar, from before the edit.
    const consumer: ResultPromise = execa(kcatBin(), ["-b", out.kafka.bootstrap, "-C", "-t", keepReading, "-o", "beginning", "-u", "-q", "-f", "%s\n"], { reject: false, buffer: true });
    let seen = "";
    consumer.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    try {
      await expect.poll(() => seen, { timeout: 30_000, interval: 200 }).toContain("first");

      const doc = parseDocument(readFileSync(policyFile, "utf8"));
      doc.addIn(["kafka", "acl", "rules"], doc.createNode({ action: "deny", topics: [denyLater], operations: ["*"] }));
      const saved = Date.now();
      writeFileSync(policyFile, doc.toString());
      let refusedAfter = Infinity;
      while (Date.now() - saved < 30_000) {
        const attempt = Date.now();
        const error = await produce(out.kafka.bootstrap, denyLater, ["after the edit"]);
        if (error && /Topic authorization failed/i.test(error)) {
          refusedAfter = attempt - saved;
          break;
        }
      }
      expect(refusedAfter, "ms from saving the policy to the first refused connection").toBeLessThan(5000);
      expect(envoyPid()).toBe(pidBefore);

      // The consumer's connection, opened before the edit, still delivers.
      expect(await produce(out.kafka.bootstrap, keepReading, ["second"])).toBeUndefined();
      await expect.poll(() => seen, { timeout: 30_000, interval: 200 }).toContain("second");
      expect(consumer.exitCode, "the consumer is still running").toBeNull();
      // up saw Envoy take it, and said so.
      const log = () => readFileSync(join(out.runDir, "logs", "mqmesh-up.log"), "utf8");
      await expect.poll(log, { timeout: 15_000, interval: 250 }).toMatch(/mqmesh_kafka \(kafka sidecar\): new configuration applied/);

      // A save that does not validate changes nothing, and says why.
      writeFileSync(policyFile, doc.toString().replace("defaultAction: allow", "defaultAction: permit"));
      await expect.poll(log, { timeout: 15_000, interval: 250 }).toMatch(/does not validate; the sidecars keep their configuration:\n\s+kafka\.acl\.defaultAction: /);
      expect(await produce(out.kafka.bootstrap, denyLater, ["still denied"])).toMatch(/Topic authorization failed/i);
    } finally {
      consumer.kill("SIGTERM");
      await consumer;
    }
  });

  it("the HTTP bridge publishes to the policy's Kafka and RocketMQ pubsubs", async () => {
    const topic = `up-bridge-${stamp}`;
    await createTopic(out.rocketmq.direct.broker, topic);
    for (const pubsub of ["kafka", "rocketmq"]) {
      const r = await fetch(`${out.http.url}/v1.0/publish/${pubsub}/${topic}?metadata.rawPayload=true`, { method: "POST", body: `via ${pubsub}` });
      expect(r.status, `${pubsub}: ${await r.text()}`).toBe(204);
    }
  });

  // The example's demo quota and limits, each reached on purpose by a client
  // that names itself orders-*: the client is slowed or refused the way the
  // README says, and the filter counts it per rule (the dashboard's throttling panels).
  it("kcat as client orders-* past the example's 1 MiB/s produce quota: every record delivered, the quota throttled it", async () => {
    const record = "x".repeat(1000);
    const start = performance.now();
    const r = await kcat(["-b", out.kafka.bootstrap, "-P", "-t", `orders.up-${stamp}`, "-X", "client.id=orders-up", "-X", "allow.auto.create.topics=true", "-X", "topic.request.required.acks=-1"], {
      input: `${Array.from({ length: 4000 }, () => record).join("\n")}\n`,
    });
    const seconds = (performance.now() - start) / 1000;
    expect(r.stderr).not.toMatch(/error|fail/i);
    // About 4 MB past a 1 MiB burst at 1 MiB/s: held for seconds, however fast the machine.
    expect(seconds).toBeGreaterThan(1.5);
    await expect.poll(() => prometheusValue(out.kafka.adminUrl, "mqmesh_kafka_throttled_requests_total", { rule: "orders" }), METRIC_POLL).toBeGreaterThan(0);
    expect(await prometheusValue(out.kafka.adminUrl, "mqmesh_kafka_throttle_time_milliseconds_total", { rule: "orders" })).toBeGreaterThan(0);
  }, 120_000);

  it("a Java producer in group orders-* past the example's 100 messages/s remoting limit: delayed, no failed send", async () => {
    const topic = `orders-up-${stamp}`;
    await createTopic(out.rocketmq.direct.broker, topic);
    const events = await remotingSend(out.rocketmq.namesrv, topic, 400, `orders-up-${stamp}`, 120_000, 4);
    expect(events.find((e) => e.event === "done")).toEqual({ event: "done", sent: 400, failed: 0 });
    await expect.poll(() => prometheusValue(out.rocketmq.adminUrl, "mqmesh_rocketmq_throttled_requests_total", { rule: "orders" }), METRIC_POLL).toBeGreaterThan(0);
    expect(await prometheusValue(out.rocketmq.adminUrl, "mqmesh_rocketmq_throttle_time_milliseconds_total", { rule: "orders" })).toBeGreaterThan(0);
  }, 180_000);

  it("a gRPC producer past the example's 100 messages/s limit on orders-* gets TooManyRequestsException", async () => {
    const topic = `orders-grpc-up-${stamp}`;
    await createTopic(out.rocketmq.direct.broker, topic);
    const producer = new Producer({ endpoints: out.rocketmq.grpc, namespace: "", topics: [topic], logger: fileLogger("up-grpc-limited"), maxAttempts: 1 });
    await producer.startup();
    let results: PromiseSettledResult<unknown>[];
    try {
      // Three times the bucket at once: past it whatever the machine's speed.
      results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => producer.send({ topic, tag: "t", keys: [`k-${i}`], body: Buffer.from(`body ${i}`) })));
    } finally {
      await producer.shutdown();
    }
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e).toBeInstanceOf(TooManyRequestsException);
    expect(results.length - refused.length).toBeGreaterThanOrEqual(100);
    await expect.poll(() => prometheusValue(out.rocketmq.adminUrl, "mqmesh_rocketmq_grpc_throttled_requests_total", { rule: "orders" }), METRIC_POLL).toBe(refused.length);
  }, 120_000);

  it("the bridge past the example's 20 publishes/s to orders.*: 429 with Retry-After, never below the limit", async () => {
    const topic = `orders.up-bridge-${stamp}`;
    // Created beforehand, straight at the broker, so no publish waits for it.
    expect(await produce(out.kafka.direct, topic, ["created"])).toBeUndefined();
    const url = `${out.http.url}/v1.0/publish/kafka/${topic}?metadata.rawPayload=true`;
    const answers = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const r = await fetch(url, { method: "POST", body: "{}" });
        await r.text();
        return { status: r.status, retryAfter: r.headers.get("retry-after") };
      }),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status !== 429).map((a) => a.status)).toEqual(Array(60 - limited.length).fill(204));
    // The bucket holds 20 (burst 1 s): those pass, most of the rest do not.
    expect(60 - limited.length).toBeGreaterThanOrEqual(20);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    await expect.poll(() => prometheusValue(out.http.adminUrl, "mqmesh_bridge_throttled_requests_total", { rule: "orders" }), METRIC_POLL).toBe(limited.length);
  }, 120_000);

  it("every PromQL expression of the Grafana dashboard returns data from the Prometheus up started", async () => {
    expect(out.monitoring.dashboard).toMatch(/envoy-configs\/grafana\/mqmesh\.json$/);
    const dashboard = JSON.parse(readFileSync(out.monitoring.dashboard, "utf8"));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const prometheus = prometheusQuery(out.monitoring.prometheus);
    // Grafana's $__rate_interval: a window holding several scrapes.
    const withData = async (expr: string) => (await prometheus.query(expr.replaceAll("$__rate_interval", "2m"))).length > 0;
    await expect
      .poll(async () => (await Promise.all(exprs.map(async (e) => ((await withData(e)) ? undefined : e)))).filter(Boolean), { timeout: 60_000, interval: 1000 })
      .toEqual([]);
  });
});
