// Redis for the rate limit service: Debian's `redis-server` (REDIS_SERVER_BIN
// overrides), on a loopback port, in memory only (no RDB or AOF files), data
// folder and log under the run folder.
import { spawnSync } from "node:child_process";
import { Socket } from "node:net";
import { runPath } from "./cache.ts";
import { freePort, LOOPBACK, releasePort } from "./ports.ts";
import { spawnManaged, waitUntil, type ManagedProcess } from "./process.ts";
import { debianBinary } from "./tools.ts";

export interface RedisServer {
  host: string;
  port: number;
  /** "127.0.0.1:<port>" */
  address: string;
  /** e.g. "7.0.15" */
  version: string;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

/** The redis-server binary: REDIS_SERVER_BIN, else `redis-server` on PATH; fails naming the Debian package. */
export const redisServerBin = () => debianBinary("redis-server", "REDIS_SERVER_BIN");

function redisVersion(bin: string): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? "unknown";
}

/** Sends PING (inline command) and resolves true on "+PONG". */
export function redisPing(port: number, host = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    let answer = "";
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("error", () => done(false));
    s.on("data", (d) => {
      answer += d.toString("latin1");
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
    s.connect(port, host, () => s.write("PING\r\n"));
  });
}

export async function startRedis(opts: { name?: string } = {}): Promise<RedisServer> {
  const name = opts.name ?? "redis";
  const bin = redisServerBin();
  const port = await freePort();
  const dir = runPath(name);
  const proc = spawnManaged({
    name,
    command: bin,
    // In memory only: the limiter's counters expire within their unit anyway.
    args: ["--port", String(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"],
  });
  try {
    await waitUntil(() => redisPing(port), { what: `redis-server on ${LOOPBACK}:${port} answering PING`, timeoutMs: 30_000, intervalMs: 100, proc });
  } catch (e) {
    await proc.stop();
    releasePort(port);
    throw e;
  }
  return {
    host: LOOPBACK,
    port,
    address: `${LOOPBACK}:${port}`,
    version: redisVersion(bin),
    proc,
    async stop() {
      await proc.stop();
      releasePort(port);
    },
  };
}
