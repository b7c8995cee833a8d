// The kit's service ports: outside the kernel's ephemeral range, bindable,
// never handed out twice (in this process or to another process sharing the
// cache), RocketMQ's listen port − 2 reserved with the listen port.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ephemeralRange, freePort, releasePort, serviceRange } from "../../integration/stack/ports.ts";

const cache = mkdtempSync(join(tmpdir(), "mqmesh-ports-"));
const saved = process.env.MQMESH_CACHE;
beforeAll(() => {
  process.env.MQMESH_CACHE = cache;
});
afterAll(() => {
  process.env.MQMESH_CACHE = saved;
  if (saved === undefined) delete process.env.MQMESH_CACHE;
  rmSync(cache, { recursive: true, force: true });
});

function bind(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(() => new Promise((r) => srv.close(() => r()))));
  });
}

describe("service ports", () => {
  it("read the ephemeral range from the kernel and stay below it", () => {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    expect(ephemeralRange()).toEqual([low, high]);
    const [from, to] = serviceRange();
    expect(to).toBeLessThan(low);
    expect(from).toBeGreaterThanOrEqual(1024);
  });

  it("go above the ephemeral range when it starts too low, and fail when there is no room", () => {
    const file = join(cache, "range");
    writeFileSync(file, "1024\t40000\n");
    expect(serviceRange(ephemeralRange(file))).toEqual([40001, 65535]);
    writeFileSync(file, "1024 65000\n");
    expect(() => serviceRange(ephemeralRange(file))).toThrow(/leaves no room/);
  });

  it("are bindable, distinct and outside the ephemeral range", async () => {
    const [low, high] = ephemeralRange();
    const ports = [];
    for (let i = 0; i < 30; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) expect(p < low || p > high, String(p)).toBe(true);
    for (const p of ports) {
      const close = await bind(p); // throws if it was not free
      await close();
      releasePort(p);
    }
  });

  it("reserve a RocketMQ broker's fast port (listen port − 2) with its listen port", async () => {
    const broker = await freePort("127.0.0.1", { alsoFree: [-2] });
    const closeFast = await bind(broker - 2);
    const closeMain = await bind(broker);
    await Promise.all([closeFast(), closeMain()]);
    // While reserved, neither is handed out again.
    const others = [];
    for (let i = 0; i < 200; i++) others.push(await freePort());
    expect(others).not.toContain(broker);
    expect(others).not.toContain(broker - 2);
    others.forEach(releasePort);
    releasePort(broker);
    expect(readdirSync(join(cache, "ports"))).not.toContain(String(broker - 2));
  });

  it("are never the ones another live process reserved, and are taken over from a dead one", async () => {
    // Another process (alive while this test runs) holds every port of a range but two.
    const [from, to] = [serviceRange()[0] + 100, serviceRange()[0] + 139];
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const dead = 2147483646; // no such pid
      for (let p = from; p <= to; p++) writeFileSync(join(cache, "ports", String(p)), String(p === from + 7 ? dead : p === from + 9 ? "" : sleeper.pid));
      rmSync(join(cache, "ports", String(from + 11)));
      const range: [number, number] = [from, to];
      const got = [await freePort("127.0.0.1", { range }), await freePort("127.0.0.1", { range })].sort((a, b) => a - b);
      expect(got).toEqual([from + 7, from + 11]);
      await expect(freePort("127.0.0.1", { range })).rejects.toThrow(/no free port/);
      got.forEach(releasePort);
    } finally {
      sleeper.kill();
    }
  });
});
