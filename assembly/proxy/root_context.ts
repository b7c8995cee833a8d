// The plugin (root) context: one per plugin configuration per worker. It owns
// configuration, timers, queues and the factories for per-stream contexts.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
import { BaseContext } from "./context";
import { StreamContext } from "./stream_context";
import { HttpContext } from "./http_context";

export class RootContext extends BaseContext {
  // The plugin's root_id (Envoy: "root_id" in the plugin config), "" if none.
  rootId: string = "";

  // vmConfiguration: the VM's configuration (UTF-8). False fails the VM.
  onVmStart(vmConfiguration: string): bool {
    return true;
  }

  // configuration: the plugin configuration (UTF-8). False rejects it.
  onConfigure(configuration: string): bool {
    return true;
  }

  onTick(): void {}

  onQueueReady(queueId: u32): void {}

  // Arguments are in BufferType.ForeignFunctionArguments.
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  // Factories for per-connection / per-request contexts; null = this plugin
  // does not handle that kind. The kind is decided by the first callback the
  // host sends for the new context (see registry.ts).
  createStreamContext(id: u32): StreamContext | null {
    return null;
  }

  createHttpContext(id: u32): HttpContext | null {
    return null;
  }

  // 0 stops the timer. The host keeps one period per root context.
  setTickPeriod(periodMs: u32): WasmResult {
    this.setEffectiveContext();
    return host.setTickPeriodMilliseconds(periodMs);
  }
}
