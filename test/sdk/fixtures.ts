// Paths to compiled SDK fixtures. A fixture older than its source or the SDK
// is rebuilt here (same flags as scripts/build.ts), so `vitest run` alone
// never tests a stale .wasm.
import { freshModule } from "../../scripts/compile.ts";
import { ProxyHost, type HostOptions } from "../host/index.ts";

export function fixture(name: string): Promise<string> {
  return freshModule({ entry: `test/fixtures/${name}.ts`, out: `build/fixtures/${name}.wasm`, bindings: true });
}

/** Loads a fixture and runs proxy_on_vm_start + proxy_on_configure, which must both succeed. */
export async function startFixture(name: string, options: HostOptions = {}): Promise<ProxyHost> {
  return ProxyHost.start(await fixture(name), options);
}

/** A frame of the fixtures' protocol: 4-byte big-endian length, then the payload. */
export function frame(payload: Uint8Array | number): Uint8Array {
  const body = typeof payload === "number" ? Uint8Array.from({ length: payload }, (_, i) => (i * 7 + 3) & 0xff) : payload;
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
