// Paths to compiled SDK fixtures. A fixture older than its source or the SDK
// is rebuilt here (same flags as scripts/build.ts), so `vitest run` alone
// never tests a stale .wasm.
import asc from "assemblyscript/asc";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyHost, type HostOptions } from "../host/index.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

function newestSource(name: string): number {
  const sdk = join(root, "assembly", "proxy");
  const files = [join(root, "test", "fixtures", `${name}.ts`), ...readdirSync(sdk).map((f) => join(sdk, f))];
  return Math.max(...files.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

const built = new Map<string, Promise<string>>();

export function fixture(name: string): Promise<string> {
  let p = built.get(name);
  if (!p) {
    p = (async () => {
      const out = join(root, "build", "fixtures", `${name}.wasm`);
      if (existsSync(out) && statSync(out).mtimeMs >= newestSource(name)) return out;
      let diagnostics = "";
      const sink = { write: (s: string | Uint8Array) => ((diagnostics += String(s)), true) };
      const { error } = await asc.main(
        [`test/fixtures/${name}.ts`, "--config", "asconfig.json", "--target", "release", "--outFile", `build/fixtures/${name}.wasm`, "--baseDir", root],
        { stdout: sink, stderr: sink },
      );
      if (error || /ERROR/.test(diagnostics)) throw new Error(`building fixture ${name} failed:\n${diagnostics}${error?.message ?? ""}`);
      return out;
    })();
    built.set(name, p);
  }
  return p;
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
