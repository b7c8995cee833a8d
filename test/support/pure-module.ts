// Loads a fixture compiled from test/fixtures/<name>.ts through its generated
// JS glue, for tests of pure AssemblyScript functions (codecs, matchers)
// that need no proxy-wasm host. The only import such code reaches is
// proxy_log, from the abort handler; its messages are kept so a test can
// show why a module aborted.
// The fixture is compiled first when missing or older than its sources.
import { readFile } from "node:fs/promises";
import { freshModule } from "../../scripts/compile.ts";

export interface PureModule<T> {
  exports: T;
  logs: string[];
}

export async function loadPureModule<T>(name: string): Promise<PureModule<T>> {
  const wasmPath = await freshModule({ entry: `test/fixtures/${name}.ts`, out: `build/fixtures/${name}.wasm`, bindings: true });
  const glue = await import(wasmPath.replace(/\.wasm$/, ".js"));
  const module = await WebAssembly.compile(await readFile(wasmPath));
  const logs: string[] = [];
  let memory: WebAssembly.Memory | undefined;
  const env = {
    proxy_log(_level: number, ptr: number, len: number): number {
      if (memory) logs.push(Buffer.from(memory.buffer, ptr, len).toString("utf8"));
      return 0;
    },
  };
  const exports = await glue.instantiate(module, { env });
  memory = exports.memory as WebAssembly.Memory;
  return { exports: exports as T, logs };
}
