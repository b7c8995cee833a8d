// Free loopback ports. The OS picks a free port (bind to port 0); ports handed
// out by this process are remembered so two allocations never collide before
// the component that will use them has bound them.
import { createServer, Socket } from "node:net";

export const LOOPBACK = "127.0.0.1";
const handedOut = new Set<number>();

function probe(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** One free TCP port on 127.0.0.1 (or `host`). */
export async function freePort(host = LOOPBACK): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await probe(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not find a free port");
}

/** `n` distinct free ports. */
export async function freePorts(n: number, host = LOOPBACK): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(host));
  return out;
}

/** Allows a port to be handed out again (after the component using it stopped). */
export function releasePort(port: number): void {
  handedOut.delete(port);
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
