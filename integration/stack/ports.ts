// Loopback ports for the kit's services (brokers, Envoy listeners, admin).
//
// They come from *below* the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range): a port taken from inside it, even
// one the OS just reported free, can be given to any outgoing connection
// between the moment we choose it and the moment the component binds it (a
// RocketMQ broker failed to bind its fast port that way). Each candidate is
// checked bindable, and reserved twice until released: in this process, and
// across processes by a file <cache>/ports/<port> naming our pid, so vitest
// workers and other runs sharing the cache never pick it either.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import { cacheDir, pidAlive } from "./cache.ts";

export const LOOPBACK = "127.0.0.1";
/** Below this, ports belong to well-known services. */
const LOWEST = 10_000;

/** Port → the other ports reserved with it (e.g. a RocketMQ broker's fast port). */
const handedOut = new Map<number, number[]>();
let exitHook = false;

/** The kernel's ephemeral range, [low, high]; Linux's default when unreadable. */
export function ephemeralRange(file = "/proc/sys/net/ipv4/ip_local_port_range"): [number, number] {
  try {
    const [low, high] = readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    /* not Linux: use Linux's default */
  }
  return [32768, 60999];
}

/** Where service ports come from: below the ephemeral range, or above it when there is no room below. */
export function serviceRange([low, high] = ephemeralRange()): [number, number] {
  if (low - 1 - LOWEST >= 2000) return [LOWEST, low - 1];
  if (65535 - high >= 2000) return [high + 1, 65535];
  throw new Error(`the ephemeral port range ${low}-${high} leaves no room for service ports (need 2000 outside it, from ${LOWEST})`);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function reservationDir(): string {
  const dir = join(cacheDir(), "ports");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Reserves `port` across processes; false when a live process holds it. */
function reserve(port: number): boolean {
  const file = join(reservationDir(), String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(readFileSync(file, "utf8") || 0);
      // A holder between creating the file and writing its pid reads as 0: leave it.
      if (!holder || pidAlive(holder)) return false;
      rmSync(file, { force: true }); // its process died without releasing it
    }
  }
  return false;
}

function unreserve(port: number): void {
  const file = join(reservationDir(), String(port));
  try {
    if (Number(readFileSync(file, "utf8")) === process.pid) rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}

function releaseAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const [port, companions] of handedOut) [port, ...companions].forEach(unreserve);
  });
}

export interface FreePortOptions {
  /**
   * Offsets of ports that must be free and are reserved with it, e.g. [-2]
   * for a RocketMQ broker, which also binds its listen port − 2.
   */
  alsoFree?: number[];
  /** Where to look; default serviceRange(). */
  range?: [number, number];
}

/** One free TCP port on 127.0.0.1 (or `host`) from the service range, reserved until releasePort(). */
export async function freePort(host = LOOPBACK, opts: FreePortOptions = {}): Promise<number> {
  releaseAllOnExit();
  const [low, high] = opts.range ?? serviceRange();
  const offsets = opts.alsoFree ?? [];
  const taken = new Set([...handedOut].flatMap(([p, c]) => [p, ...c]));
  // From a random start, every port of the range once: concurrent runs seldom
  // contend, and a port is found whenever one is free.
  const size = high - low + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = low + ((start + i) % size);
    const all = [port, ...offsets.map((o) => port + o)];
    if (all.some((p) => p < low || p > high || taken.has(p))) continue;
    const reserved: number[] = [];
    for (const p of all) {
      if (!reserve(p)) break;
      reserved.push(p);
    }
    let ok = reserved.length === all.length;
    for (const p of ok ? all : []) ok &&= (await canBind(p, host)) && (host === "0.0.0.0" || (await canBind(p, "0.0.0.0")));
    if (ok) {
      handedOut.set(port, all.slice(1));
      return port;
    }
    reserved.forEach(unreserve);
  }
  throw new Error(`no free port in ${low}-${high} on ${host}`);
}

/** `n` distinct free ports. */
export async function freePorts(n: number, host = LOOPBACK): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(host));
  return out;
}

/** Allows a port (and the ports reserved with it) to be handed out again, after the component using it stopped. */
export function releasePort(port: number): void {
  const companions = handedOut.get(port);
  if (!companions) return;
  handedOut.delete(port);
  [port, ...companions].forEach(unreserve);
}

/** True when something accepts TCP connections on host:port. */
export function isListening(port: number, host = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("error", () => done(false));
    s.connect(port, host, () => done(true));
  });
}
