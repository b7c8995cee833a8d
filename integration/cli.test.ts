// The mqmesh CLI end to end: `mqmesh up --detach --json --no-rocketmq --no-build` brings
// up its own Kafka and Envoys (beside the stack of globalSetup, on other free
// ports) and returns; the endpoints it prints answer; `mqmesh down <id>` stops
// every process it started.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { groupAlive, recordedPids, type ManagedPid } from "./cli/state.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "mqmesh.mjs");
const mqmesh = (args: string[], timeout = 600_000) => execa(process.execPath, [bin, ...args], { cwd: root, timeout, reject: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie (an exited process waits for init to reap it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function gone(check: () => boolean, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (check() && Date.now() < deadline) await sleep(200);
  return !check();
}

describe("mqmesh up --detach / down", () => {
  let id: string | undefined;

  afterAll(async () => {
    // If an assertion failed between up and down, do not leave the stack behind.
    if (id) await mqmesh(["down", id]);
  });

  it("prints endpoints that answer, keeps running after it returns, and down stops every process", { timeout: 900_000 }, async () => {
    const t = Date.now();
    // --no-build: the filters are built by `npm test`'s pretest; this tests the CLI, not the compiler.
    const up = await mqmesh(["up", "--detach", "--json", "--no-rocketmq", "--no-build"]);
    expect(up.exitCode, `mqmesh up failed:\n${up.stderr}`).toBe(0);
    const out = JSON.parse(up.stdout);
    id = out.id;
    console.log(`mqmesh up --detach --no-rocketmq returned in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    expect(out.detached).toBe(true);
    expect(out.rocketmq).toBeNull();
    expect(out.http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.kafka.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(out.kafka.bootstrap).not.toBe(out.kafka.direct);

    // The up command has exited; its supervisor and processes keep running.
    expect(running(out.pid)).toBe(true);
    const procs: ManagedPid[] = recordedPids(out.runDir);
    expect(procs.map((p) => p.name).sort()).toEqual(["envoy-bridge", "envoy-kafka-baseline", "envoy-kafka-sidecar", "kafka-1"]);
    for (const p of procs) expect(groupAlive(p.pid), p.name).toBe(true);

    for (const url of Object.values(out.envoy.admin) as string[]) {
      expect(await (await fetch(`${url}/ready`)).text()).toBe("LIVE\n");
    }

    // Through the sidecar, the cluster names the sidecar as its broker: clients stay on Envoy.
    const admin = new Kafka({ clientId: "mqmesh-cli-test", brokers: [out.kafka.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([out.kafka.bootstrap]);
    } finally {
      await admin.disconnect();
    }

    // The HTTP bridge publishes to that Kafka: 204 only once the broker acknowledged.
    const published = await fetch(`${out.http.url}/v1.0/publish/kafka/cli-test-${Date.now()}?metadata.rawPayload=true`, { method: "POST", body: "hello" });
    expect(published.status).toBe(204);

    const status = await mqmesh(["status", "--json"], 60_000);
    expect(JSON.parse(status.stdout).map((r: { id: string }) => r.id)).toContain(id);

    const down = await mqmesh(["down", id!, "--json"], 120_000);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).stopped).toMatchObject([{ id, clean: true }]);
    id = undefined;
    expect(await gone(() => running(out.pid))).toBe(true);
    for (const p of procs) expect(await gone(() => groupAlive(p.pid)), `${p.name} (pid ${p.pid})`).toBe(true);
    expect(recordedPids(out.runDir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(out.runDir, "mqmesh-up.json"), "utf8")).status).toBe("stopped");
  });
});
