// Shared queues between VMs (workers). Envoy wakes only the root context that
// registered a queue last, through RootContext.onQueueReady.
import { WasmResult } from "./types";
import * as host from "./hostcalls";

export class SharedQueue {
  readonly id: u32;

  constructor(id: u32) {
    this.id = id;
  }

  // Creates the queue or opens it if it exists; this root gets its wake-ups.
  static register(name: string): SharedQueue | null {
    const id = host.registerSharedQueue(name);
    return host.lastStatus() == WasmResult.Ok ? new SharedQueue(id) : null;
  }

  // Opens a queue another VM registered; null if it does not exist.
  static resolve(vmId: string, name: string): SharedQueue | null {
    const id = host.resolveSharedQueue(vmId, name);
    return host.lastStatus() == WasmResult.Ok ? new SharedQueue(id) : null;
  }

  enqueue(item: ArrayBuffer): WasmResult {
    return host.enqueueSharedQueue(this.id, item);
  }

  // Next item, or null when empty (lastStatus() Empty) or on error.
  dequeue(): ArrayBuffer | null {
    return host.dequeueSharedQueue(this.id);
  }
}
