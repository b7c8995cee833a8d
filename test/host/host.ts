// ProxyHost: loads a compiled filter and plays Envoy around it, the way
// proxy-wasm-go-sdk's proxytest does for Go filters. A test drives events
// (new connection, data, headers, ticks, call responses) and reads what a
// user of Envoy would observe (forwarded bytes, modified headers, local
// responses, metrics, logs, shared data).
//
// Malformed host calls never pass silently: the module gets the status
// Envoy would return, a HostCallError is recorded in `errors`, and in
// strict mode (the default) the call* method that drove the callback throws
// after the callback returned.

import { readFile } from "node:fs/promises";
import { LogLevel, Status, logLevelNames, type LogLevelName, type Pairs } from "./abi.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import { Fail, HostCallError, HostCallErrors, ModuleTrap } from "./errors.ts";
import { HttpStream, type HttpStreamOptions } from "./http-stream.ts";
import { registerBufferImports } from "./imports/buffers.ts";
import { registerCallImports, type PendingGrpcCall, type PendingHttpCall } from "./imports/calls.ts";
import { registerCoreImports } from "./imports/core.ts";
import { registerMetricImports } from "./imports/metrics.ts";
import { registerSharedImports } from "./imports/shared.ts";
import { registerStreamImports } from "./imports/streams.ts";
import { registerWasiImports } from "./imports/wasi.ts";
import { GuestMemory, toBytes } from "./memory.ts";
import { MetricStore } from "./metrics.ts";
import { propertyBytes, type PropertyValue } from "./properties.ts";
import { RootContext } from "./root-context.ts";
import { SharedState } from "./shared.ts";

export interface HostOptions {
  pluginConfig?: string | Uint8Array;
  vmConfig?: string | Uint8Array;
  rootId?: string;
  vmId?: string;
  pluginName?: string;
  /** Properties by dotted path ("source.address"); connection/stream options can override. */
  properties?: Record<string, PropertyValue>;
  /** Clusters proxy_http_call / proxy_grpc_call may name. Omitted: any name is accepted. */
  clusters?: string[];
  /** Throw from call* methods when the callback made a malformed host call. Default true. */
  strict?: boolean;
  /** Share data and queues with other hosts (other "worker threads" of the same vm_id). */
  shared?: SharedState;
  /** What proxy_get_log_level reports. Every log line is recorded regardless. */
  logLevel?: LogLevelName;
  /** Wall clock at load, in ms since the epoch; the clock only moves with advanceTime(). */
  startTimeMs?: number;
  /** Environment variables for wasi environ_get. */
  env?: Record<string, string>;
}

export interface LogEntry {
  level: LogLevelName;
  message: string;
  contextId: number;
}

export type AnyContext = RootContext | Connection | HttpStream;
type ImportFn = (...args: any[]) => number | void;
export type DefineImport = (module: string, name: string, impl: ImportFn) => void;

export class ProxyHost {
  readonly logs: LogEntry[] = [];
  /** Every malformed host call seen so far, strict or not. */
  readonly errors: HostCallError[] = [];
  readonly httpCalls: PendingHttpCall[] = [];
  readonly grpcCalls: PendingGrpcCall[] = [];
  readonly metrics = new MetricStore();
  readonly shared: SharedState;
  readonly root: RootContext;
  readonly options: Required<Pick<HostOptions, "rootId" | "vmId" | "pluginName" | "strict" | "logLevel">> & HostOptions;
  /** Set once the module trapped; every later call fails like a failed VM in Envoy. */
  failed: ModuleTrap | undefined;
  nowMs: number;

  /** @internal */ mem!: GuestMemory;
  /** @internal */ readonly contexts = new Map<number, AnyContext>();
  /** @internal */ current: AnyContext | undefined;
  /** @internal */ effective: AnyContext | undefined;
  /** @internal */ stopNextIteration = false;
  /** @internal */ readonly vmProperties = new Map<string, Uint8Array>();
  private exports!: Record<string, unknown>;
  private nextContextId = 1;
  private callingFn = "";
  private depth = 0;
  private readonly deferred: (() => void)[] = [];
  private lastAbort: string | undefined;
  private readonly hooks: { name: string; fn: () => void; once: boolean }[] = [];

  private constructor(options: HostOptions) {
    this.options = {
      rootId: "",
      vmId: "",
      pluginName: options.rootId ?? "",
      strict: true,
      logLevel: "trace",
      ...options,
    };
    this.shared = options.shared ?? new SharedState();
    this.nowMs = options.startTimeMs ?? Date.UTC(2024, 0, 1);
    this.root = new RootContext(this.nextContextId++);
    this.contexts.set(this.root.id, this.root);
    this.vmProperties.set("plugin_name", toBytes(this.options.pluginName));
    this.vmProperties.set("plugin_root_id", toBytes(this.options.rootId));
    this.vmProperties.set("plugin_vm_id", toBytes(this.options.vmId));
    for (const [k, v] of Object.entries(options.properties ?? {})) this.vmProperties.set(k, propertyBytes(v));
  }

  /**
   * Compiles and instantiates the module, checks what Envoy checks (the ABI
   * marker, an allocator, only imports Envoy provides), and runs its start
   * function (_initialize, then main if exported; else _start).
   */
  static async load(path: string | URL, options: HostOptions = {}): Promise<ProxyHost> {
    const host = new ProxyHost(options);
    const module = await WebAssembly.compile(await readFile(path));
    const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    if (!exportNames.has("proxy_abi_version_0_2_1")) {
      throw new Error(`${path}: no proxy_abi_version_0_2_1 export; Envoy refuses modules without an ABI marker`);
    }
    if (!exportNames.has("proxy_on_memory_allocate") && !exportNames.has("malloc")) {
      throw new Error(`${path}: exports neither proxy_on_memory_allocate nor malloc; Envoy cannot hand it memory`);
    }
    const provided = host.buildImports();
    const missing = WebAssembly.Module.imports(module).filter((i) => !(provided[i.module] && i.name in provided[i.module]));
    if (missing.length > 0) {
      throw new Error(`${path} imports what Envoy does not provide: ${missing.map((i) => `${i.module}.${i.name}`).join(", ")}`);
    }
    const instance = await WebAssembly.instantiate(module, provided as WebAssembly.Imports);
    host.exports = instance.exports as Record<string, unknown>;
    const memory = host.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error(`${path}: no exported memory`);
    const allocName = exportNames.has("proxy_on_memory_allocate") ? "proxy_on_memory_allocate" : "malloc";
    host.mem = new GuestMemory(memory, (size) => {
      try {
        return (host.exports[allocName] as (n: number) => number)(size);
      } catch (e) {
        throw host.asTrap(allocName, e);
      }
    });
    host.run(() => {
      if (exportNames.has("_initialize")) {
        host.callback(host.root, "_initialize");
        if (exportNames.has("main")) host.callback(host.root, "main", 0, 0);
      } else if (exportNames.has("_start")) {
        host.callback(host.root, "_start");
      }
    });
    return host;
  }

  /** load + startVm + configure; throws if the module rejects its VM or plugin configuration. */
  static async start(path: string | URL, options: HostOptions = {}): Promise<ProxyHost> {
    const host = await ProxyHost.load(path, options);
    if (!host.startVm()) throw new Error(`proxy_on_vm_start returned false; logs:\n${host.logText()}`);
    if (!host.configure()) throw new Error(`proxy_on_configure returned false; logs:\n${host.logText()}`);
    return host;
  }

  // ---- lifecycle -------------------------------------------------------

  /** proxy_on_context_create(root, 0) then proxy_on_vm_start; true if the module accepted its VM config. */
  startVm(): boolean {
    return this.run(() => {
      this.createInVm(this.root, 0);
      const size = toBytes(this.options.vmConfig ?? "").length;
      this.root.vmStarting = true;
      try {
        return (this.callback(this.root, "proxy_on_vm_start", this.root.id, size) ?? 1) !== 0;
      } finally {
        this.root.vmStarting = false;
      }
    });
  }

  /** proxy_on_configure with the plugin configuration; true if accepted. */
  configure(pluginConfig?: string | Uint8Array): boolean {
    if (pluginConfig !== undefined) this.options.pluginConfig = pluginConfig;
    return this.run(() => {
      this.createInVm(this.root, 0);
      const size = toBytes(this.options.pluginConfig ?? "").length;
      this.root.configuring = true;
      try {
        return (this.callback(this.root, "proxy_on_configure", this.root.id, size) ?? 1) !== 0;
      } finally {
        this.root.configuring = false;
      }
    });
  }

  /** A downstream connection accepted by a listener with this network filter. */
  newConnection(options: ConnectionOptions = {}): Connection {
    const conn = new Connection(this, this.nextContextId++, options);
    this.contexts.set(conn.id, conn);
    conn.open();
    return conn;
  }

  /** An HTTP stream through an HTTP filter chain with this filter; nothing is called until request headers. */
  newHttpStream(options: HttpStreamOptions = {}): HttpStream {
    const stream = new HttpStream(this, this.nextContextId++, options);
    this.contexts.set(stream.id, stream);
    return stream;
  }

  // ---- timers ----------------------------------------------------------

  /** Fires proxy_on_tick once, as if the tick period elapsed. Throws when no period is set. */
  tick(): void {
    if (this.root.tickPeriodMs === 0) {
      throw new Error("no tick period set (proxy_set_tick_period_milliseconds); Envoy would never call proxy_on_tick");
    }
    this.advanceTime(this.root.tickPeriodMs - this.root.msSinceTick);
  }

  /** Moves the clock forward, firing proxy_on_tick for each whole tick period that elapses. */
  advanceTime(ms: number): void {
    this.run(() => {
      let left = ms;
      while (left > 0) {
        const period = this.root.tickPeriodMs;
        if (period === 0) {
          this.nowMs += left;
          return;
        }
        const step = Math.min(left, period - this.root.msSinceTick);
        this.nowMs += step;
        left -= step;
        this.root.msSinceTick += step;
        if (this.root.msSinceTick >= period) {
          this.root.msSinceTick = 0;
          this.callback(this.root, "proxy_on_tick", this.root.id);
        }
      }
    });
  }

  get tickPeriodMs(): number {
    return this.root.tickPeriodMs;
  }

  /** The size of the module's linear memory: what the VM holds in Envoy, which never shrinks. */
  get memoryBytes(): number {
    return this.mem.size;
  }

  // ---- shared data and queues ------------------------------------------

  get sharedData(): { get(key: string): { value: Uint8Array; cas: number } | undefined; getString(key: string): string | undefined; set(key: string, value: string | Uint8Array): void } {
    const vmId = this.options.vmId;
    const shared = this.shared;
    return {
      get: (key) => shared.get(vmId, key),
      getString: (key) => {
        const v = shared.get(vmId, key);
        return v && new TextDecoder().decode(v.value);
      },
      set: (key, value) => void shared.set(vmId, key, toBytes(value), 0),
    };
  }

  /** Enqueue on a queue some root context registered (as another worker would); delivers proxy_on_queue_ready. */
  enqueue(queueName: string, value: string | Uint8Array, vmId = this.options.vmId): void {
    const token = this.shared.resolveQueue(vmId, queueName);
    if (token === undefined) throw new Error(`no shared queue "${queueName}" is registered for vm_id "${vmId}"`);
    this.run(() => this.shared.enqueue(token, toBytes(value)));
  }

  queueItems(queueName: string): Uint8Array[] {
    return this.shared.queueItems(this.options.vmId, queueName);
  }

  /** @internal QueueOwner: Envoy posts onQueueReady to the registrant's thread; here it runs after the current call. */
  queueReady(rootContextId: number, token: number): void {
    const ctx = this.contexts.get(rootContextId);
    if (!(ctx instanceof RootContext)) return;
    if (this.depth > 0) this.defer(() => this.callback(ctx, "proxy_on_queue_ready", ctx.id, token));
    else this.run(() => this.callback(ctx, "proxy_on_queue_ready", ctx.id, token));
  }

  // ---- calls out -------------------------------------------------------

  /** Answers a pending proxy_http_call: proxy_on_http_call_response on the root context. */
  respondToHttpCall(token: number, response: { headers?: Pairs; body?: string | Uint8Array; trailers?: Pairs } = {}): void {
    const call = this.takeHttpCall(token);
    const headers = response.headers ?? [[":status", "200"]];
    if (headers.length === 0) throw new Error("an HTTP response has at least :status; use failHttpCall for a failure");
    const body = toBytes(response.body ?? "");
    const trailers = response.trailers ?? [];
    this.run(() => {
      this.root.httpCallResponse = { headers, body, trailers };
      this.root.status = { code: Number(headers.find(([k]) => k === ":status")?.[1] ?? 200), message: "" };
      try {
        this.callback(this.root, "proxy_on_http_call_response", this.root.id, call.token, headers.length, body.length, trailers.length);
      } finally {
        this.root.httpCallResponse = undefined;
      }
    });
  }

  /** Fails a pending proxy_http_call (reset/timeout): Envoy calls back with zero headers. */
  failHttpCall(token: number, message = "reset"): void {
    const call = this.takeHttpCall(token);
    this.run(() => {
      this.root.status = { code: Status.BrokenConnection, message };
      try {
        this.callback(this.root, "proxy_on_http_call_response", this.root.id, call.token, 0, 0, 0);
      } finally {
        this.root.status = { code: 0, message: "" };
      }
    });
  }

  private takeHttpCall(token: number): PendingHttpCall {
    const i = this.httpCalls.findIndex((c) => c.token === token);
    if (i < 0) throw new Error(`no pending http call with token ${token} (pending: ${this.httpCalls.map((c) => c.token).join(", ") || "none"})`);
    return this.httpCalls.splice(i, 1)[0];
  }

  /**
   * Delivers a gRPC response on a pending call or stream: initial metadata,
   * a message, trailing metadata (each only if given), then
   * proxy_on_grpc_close when `status` is given, or for a call without a
   * message. As in Envoy, a unary call that succeeded (a message and no
   * status) ends with proxy_on_grpc_receive: there is no close after it.
   */
  respondToGrpcCall(
    token: number,
    r: { initialMetadata?: Pairs; message?: Uint8Array; trailingMetadata?: Pairs; status?: number; statusMessage?: string } = {},
  ): void {
    const call = this.grpcCalls.find((c) => c.token === token);
    if (!call) throw new Error(`no pending gRPC call or stream with token ${token}`);
    this.run(() => {
      const root = this.root;
      if (r.initialMetadata) {
        root.grpcInitialMetadata = r.initialMetadata;
        try {
          this.callback(root, "proxy_on_grpc_receive_initial_metadata", root.id, token, r.initialMetadata.length);
        } finally {
          root.grpcInitialMetadata = undefined;
        }
      }
      if (r.message) {
        root.grpcMessage = r.message;
        try {
          this.callback(root, "proxy_on_grpc_receive", root.id, token, r.message.length);
        } finally {
          root.grpcMessage = undefined;
        }
      }
      if (r.trailingMetadata) {
        root.grpcTrailingMetadata = r.trailingMetadata;
        try {
          this.callback(root, "proxy_on_grpc_receive_trailing_metadata", root.id, token, r.trailingMetadata.length);
        } finally {
          root.grpcTrailingMetadata = undefined;
        }
      }
      const succeeded = call.kind === "call" && r.message !== undefined && r.status === undefined;
      if (succeeded) this.grpcCalls.splice(this.grpcCalls.indexOf(call), 1);
      else if (call.kind === "call" || r.status !== undefined) {
        this.grpcCalls.splice(this.grpcCalls.indexOf(call), 1);
        root.status = { code: r.status ?? 0, message: r.statusMessage ?? "" };
        try {
          this.callback(root, "proxy_on_grpc_close", root.id, token, r.status ?? 0);
        } finally {
          root.status = { code: 0, message: "" };
        }
      }
    });
  }

  /**
   * Runs `fn` right after the module's next (or every) call to host function
   * `name` returns — to let "another worker" act between two host calls of
   * one callback, e.g. write shared data between a read and its CAS write.
   * Returns a function that removes the hook.
   */
  afterHostCall(name: string, fn: () => void, opts: { once?: boolean } = {}): () => void {
    const hook = { name, fn, once: opts.once ?? true };
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  // ---- metrics and logs ------------------------------------------------

  /**
   * A metric's value by the name the module defined it with. An undefined
   * name throws (a typo must not read as 0) unless `ifUndefined` is given:
   * SDKs often define metrics lazily, on first use.
   */
  getCounter(name: string, ifUndefined?: number): number {
    if (ifUndefined !== undefined && !this.metrics.has("counter", name)) return ifUndefined;
    return Number(this.metrics.lookup("counter", name).value);
  }

  getGauge(name: string, ifUndefined?: number): number {
    if (ifUndefined !== undefined && !this.metrics.has("gauge", name)) return ifUndefined;
    return Number(this.metrics.lookup("gauge", name).value);
  }

  /** Every value recorded on the histogram, in order. */
  getHistogram(name: string, ifUndefined?: number[]): number[] {
    if (ifUndefined !== undefined && !this.metrics.has("histogram", name)) return ifUndefined;
    return this.metrics.lookup("histogram", name).recorded.map(Number);
  }

  hasMetric(kind: "counter" | "gauge" | "histogram", name: string): boolean {
    return this.metrics.has(kind, name);
  }

  logsAt(level: LogLevelName): string[] {
    return this.logs.filter((l) => l.level === level).map((l) => l.message);
  }

  logText(): string {
    return this.logs.map((l) => `  [${l.level}] ${l.message}`).join("\n");
  }

  // ---- internals used by contexts and import implementations ------------

  /**
   * Runs one host event: callbacks inside it, then the actions Envoy defers
   * until the VM call returned (continue/close stream, local replies, queue
   * wake-ups). In strict mode, throws the malformed calls recorded meanwhile.
   * @internal
   */
  run<T>(body: () => T): T {
    if (this.depth > 0) return body();
    const mark = this.errors.length;
    this.depth++;
    let result: T;
    try {
      result = body();
      this.drainDeferred();
    } finally {
      this.deferred.length = 0;
      this.depth--;
    }
    const fresh = this.errors.slice(mark);
    if (this.options.strict && fresh.length > 0) throw fresh.length === 1 ? fresh[0] : new HostCallErrors(fresh);
    return result;
  }

  /** @internal Runs the actions deferred so far (Envoy runs them as the VM call returns). */
  drainDeferred(): void {
    while (this.deferred.length > 0) this.deferred.shift()!();
  }

  /** @internal Records a problem with a callback itself (e.g. a return value out of range). */
  reportCallback(fn: string, problem: string, ctxId: number): void {
    this.errors.push(new HostCallError(fn, problem, Status.Ok, ctxId));
  }

  /** @internal Queue an action for when the current VM call has returned. */
  defer(action: () => void): void {
    this.deferred.push(action);
  }

  /**
   * @internal Calls an exported callback with `ctx` as the current context;
   * undefined if the module does not export it. `lastCallStopped` tells
   * whether the callback sent a local response, which makes Envoy stop the
   * filter chain whatever the callback returned.
   */
  callback(ctx: AnyContext, name: string, ...args: number[]): number | undefined {
    if (this.failed) throw new Error(`the VM failed earlier and Envoy would not call ${name}: ${this.failed.message}`);
    const fn = this.exports[name];
    if (typeof fn !== "function") return undefined;
    const saved = [this.current, this.effective, this.stopNextIteration] as const;
    this.current = ctx;
    this.effective = undefined; // proxy_set_effective_context lasts for one callback
    this.stopNextIteration = false;
    try {
      const result = fn(...args);
      this.lastCallStopped = this.stopNextIteration;
      return typeof result === "number" ? result : undefined;
    } catch (e) {
      throw this.asTrap(name, e);
    } finally {
      [this.current, this.effective, this.stopNextIteration] = saved;
    }
  }

  /** @internal */ lastCallStopped = false;

  private asTrap(name: string, e: unknown): unknown {
    if (e instanceof WebAssembly.RuntimeError) {
      if (!this.failed) this.failed = new ModuleTrap(name, this.lastAbort, e);
      return this.failed;
    }
    return e;
  }

  /** @internal proxy_on_context_create once per context, as Envoy's onCreate does. */
  createInVm(ctx: { id: number; created: boolean }, parentId: number): void {
    if (ctx.created) return;
    ctx.created = true;
    this.callback(ctx as AnyContext, "proxy_on_context_create", ctx.id, parentId);
  }

  /** @internal on_done → on_log → on_delete, the order of the spec. */
  finishContext(ctx: AnyContext): void {
    this.callback(ctx, "proxy_on_done", ctx.id);
    this.callback(ctx, "proxy_on_log", ctx.id);
    this.callback(ctx, "proxy_on_delete", ctx.id);
    this.contexts.delete(ctx.id);
  }

  /** @internal The context host calls act on: the effective one if the module set it. */
  ctx(): AnyContext {
    const ctx = this.effective ?? this.current;
    if (!ctx) throw new Fail(Status.InternalFailure, "host call made outside any callback");
    return ctx;
  }

  /** @internal Records a malformed call without aborting it (Envoy went on with it). */
  report(problem: string, status: number): void {
    const ctx = this.effective ?? this.current;
    this.errors.push(new HostCallError(this.callingFn, problem, status, ctx?.id ?? 0));
  }

  /** @internal */
  log(level: number, message: string): void {
    const ctx = this.effective ?? this.current;
    if (message.startsWith("abort:")) this.lastAbort = message;
    this.logs.push({ level: logLevelNames[level], message, contextId: ctx?.id ?? 0 });
  }

  /** @internal */
  get logLevelNumber(): number {
    return LogLevel[this.options.logLevel];
  }

  private buildImports(): Record<string, Record<string, ImportFn>> {
    const imports: Record<string, Record<string, ImportFn>> = {};
    const define: DefineImport = (module, name, impl) => {
      (imports[module] ??= {})[name] = (...args: any[]) => {
        const outer = this.callingFn;
        this.callingFn = name;
        try {
          return impl(...args);
        } catch (e) {
          if (e instanceof Fail) {
            this.report(e.problem, e.status);
            return e.status;
          }
          throw e;
        } finally {
          this.callingFn = outer;
          for (const hook of this.hooks.filter((x) => x.name === name)) {
            if (hook.once) this.hooks.splice(this.hooks.indexOf(hook), 1);
            hook.fn();
          }
        }
      };
    };
    registerCoreImports(this, define);
    registerBufferImports(this, define);
    registerStreamImports(this, define);
    registerCallImports(this, define);
    registerSharedImports(this, define);
    registerMetricImports(this, define);
    registerWasiImports(this, define);
    return imports;
  }
}
