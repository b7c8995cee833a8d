// The host of bench:kafka-wasm and bench:rocketmq-wasm: it runs a filter
// module in Node's V8 (the engine Envoy embeds; TurboFan once warm) and does
// nothing but hand over bytes, so the time measured is the module's code plus
// the bare import calls.
//
// Why not the test emulator (test/host): it checks every call and keeps every
// forwarded byte, which costs far more per request than the module itself.
import { readFileSync } from "node:fs";
import { median, table } from "./support.ts";

const OK = 0;
const NOT_FOUND = 1;

export class BareHost {
  private exports!: Record<string, (...args: number[]) => number>;
  private memory!: WebAssembly.Memory;
  private data: Buffer = Buffer.alloc(0);
  private clock = 1_000_000_000n;
  private nextMetric = 1;
  private nextContext = 2;
  hostCalls = 0;

  // sharedValue: what every proxy_get_shared_data answers.
  constructor(private readonly sharedValue: string) {}

  static async load(path: string, config = "{}", sharedValue = ""): Promise<BareHost> {
    const host = new BareHost(sharedValue);
    const module = await WebAssembly.compile(readFileSync(path));
    const imports: Record<string, Record<string, unknown>> = {};
    for (const i of WebAssembly.Module.imports(module)) {
      imports[i.module] ??= {};
      imports[i.module][i.name] = host.importFor(i.module, i.name);
    }
    const instance = await WebAssembly.instantiate(module, imports as WebAssembly.Imports);
    host.exports = instance.exports as unknown as Record<string, (...args: number[]) => number>;
    host.memory = instance.exports.memory as WebAssembly.Memory;
    host.exports._initialize?.();
    host.exports.proxy_on_context_create(1, 0);
    host.data = Buffer.from(config);
    if (host.exports.proxy_on_configure(1, host.data.length) !== 1) throw new Error(`${path}: refused the configuration ${config}`);
    return host;
  }

  newConnection(): number {
    const id = this.nextContext++;
    this.exports.proxy_on_context_create(id, 1);
    this.exports.proxy_on_new_connection(id);
    return id;
  }

  closeConnection(id: number): void {
    this.exports.proxy_on_downstream_connection_close(id, 1);
    this.exports.proxy_on_done(id);
    this.exports.proxy_on_delete(id);
  }

  downstream(id: number, bytes: Buffer): void {
    this.data = bytes;
    this.exports.proxy_on_downstream_data(id, bytes.length, 0);
  }

  upstream(id: number, bytes: Buffer): void {
    this.data = bytes;
    this.exports.proxy_on_upstream_data(id, bytes.length, 0);
  }

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  // Host-to-module copies go through proxy_on_memory_allocate, as in Envoy.
  private give(bytes: Uint8Array, ptrPtr: number, sizePtr: number): void {
    const ptr = this.exports.proxy_on_memory_allocate(bytes.length);
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    this.view().setUint32(ptrPtr, ptr, true);
    this.view().setUint32(sizePtr, bytes.length, true);
  }

  private importFor(module: string, name: string): (...args: number[]) => number {
    if (module !== "env") return name === "clock_time_get" ? (_id, _precision, ptr) => (this.view().setBigUint64(ptr, this.clock, true), OK) : () => OK;
    switch (name) {
      case "proxy_get_log_level":
        return (ptr) => (this.view().setUint32(ptr, 2, true), OK);
      case "proxy_get_buffer_bytes":
        return (_type, start, length, ptrPtr, sizePtr) => {
          this.hostCalls++;
          this.give(this.data.subarray(start, start + length), ptrPtr, sizePtr);
          return OK;
        };
      case "proxy_define_metric":
        return (_type, _name, _nameSize, idPtr) => (this.view().setUint32(idPtr, this.nextMetric++, true), OK);
      case "proxy_increment_metric":
      case "proxy_record_metric":
        return () => (this.hostCalls++, OK);
      case "proxy_get_current_time_nanoseconds":
        return (ptr) => {
          this.hostCalls++;
          this.clock += 1000n;
          this.view().setBigUint64(ptr, this.clock, true);
          return OK;
        };
      case "proxy_get_shared_data":
        return (_key, _keySize, ptrPtr, sizePtr, casPtr) => {
          this.hostCalls++;
          if (this.sharedValue.length === 0) return NOT_FOUND;
          this.give(Buffer.from(this.sharedValue), ptrPtr, sizePtr);
          this.view().setUint32(casPtr, 1, true);
          return OK;
        };
      case "proxy_get_property":
        return () => NOT_FOUND;
      default:
        return () => OK;
    }
  }
}

export interface Figures {
  usPerRequest: number;
  hostCallsPerRequest: number;
}

// `count` requests, each cut into reads of `chunk` bytes and answered by its
// response; a new connection every requests.length requests.
export async function round(
  path: string, requests: Buffer[], responses: Buffer[], count: number, chunk: number, config = "{}", sharedValue = "",
): Promise<Figures> {
  const host = await BareHost.load(path, config, sharedValue);
  let connection = host.newConnection();
  // CPU time of this process rather than wall time: other work on the
  // machine delays the run but does not add to it.
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const k = i % requests.length;
    if (k === 0 && i > 0) {
      host.closeConnection(connection);
      connection = host.newConnection();
    }
    const frame = requests[k];
    for (let at = 0; at < frame.length; at += chunk) host.downstream(connection, frame.subarray(at, at + chunk));
    host.upstream(connection, responses[k]);
  }
  const used = process.cpuUsage(start);
  const elapsed = used.user + used.system;
  return { usPerRequest: elapsed / count, hostCallsPerRequest: host.hostCalls / count };
}


// Runs `modules` (label, path; the first is the floor, e.g. the no-op module)
// over the same traffic, interleaved over rounds, and prints the medians.
export async function compareModules(
  modules: [string, string, string?][], requests: Buffer[], responses: Buffer[],
  options: { requests: number; rounds: number; chunk: number; config?: string; sharedValue?: string },
): Promise<void> {
  const run = (path: string, count: number, config: string) =>
    round(path, requests, responses, count, options.chunk, config, options.sharedValue ?? "");
  // The no-op module takes no configuration.
  // A module's own configuration comes third in its entry.
  const configOf = (i: number) => modules[i][2] ?? (i === 0 ? "{}" : options.config ?? "{}");
  // A first pass per module lets V8 tier up before anything is timed.
  for (let i = 0; i < modules.length; i++) await run(modules[i][1], Math.min(options.requests, 5000), configOf(i));
  const runs = new Map<string, Figures[]>(modules.map(([label]) => [label, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (let i = 0; i < modules.length; i++) runs.get(modules[i][0])!.push(await run(modules[i][1], options.requests, configOf(i)));
  }
  const floor = median(runs.get(modules[0][0])!.map((f) => f.usPerRequest));
  const rows = [["module", "CPU µs/request med", "min–max", "over no-op", "host calls/request"]];
  for (const [label] of modules) {
    const us = runs.get(label)!.map((f) => f.usPerRequest);
    rows.push([
      label,
      median(us).toFixed(2),
      `${Math.min(...us).toFixed(2)}–${Math.max(...us).toFixed(2)}`,
      label === modules[0][0] ? "" : `+${(median(us) - floor).toFixed(2)}`,
      runs.get(label)![0].hostCallsPerRequest.toFixed(1),
    ]);
  }
  for (const line of table(rows)) console.log(line);
}
